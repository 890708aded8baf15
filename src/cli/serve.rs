//! `braid demo` and `braid serve`: the REST API, MCP and the playground over a knowledge
//! base, which checkpoints its vector index in the background and on shutdown.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use braid::config::{self, ConfigFile};
use braid_kb::ingest::ingest_paths;
use braid_kb::{KnowledgeBase, LoadProgress, LoadStage, ProgressCallback};
use braid_vector::{CachedEmbedder, Embedder, EmbeddingCache};

use super::{Lifetime, open_reporting, open_with, runtime};

#[derive(clap::Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BRAID_ADDR")]
    pub addr: Option<String>,
    /// Data directory.
    #[arg(long, env = "BRAID_DATA")]
    pub data: Option<PathBuf>,
    /// Config file (TOML).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Serve a memory-mapped view of the vector index's last checkpoint and refuse writes
    /// (409): a large index starts in seconds and little memory (`serve` only).
    #[arg(long)]
    pub read_only: bool,
}

/// `braid serve`: listens at once, answering "loading" (503, with the progress) while the
/// knowledge base opens, and prints a progress line per step and every tenth of a step.
pub fn serve_command(args: ServeArgs) -> Result<()> {
    let cfg = ConfigFile::load(args.config.as_deref())?;
    let data = args.data.clone().or(cfg.data.clone()).unwrap_or_else(|| PathBuf::from("braid-data"));
    let chosen = config::choose_embedder(&cfg, Some(&data))?;
    let (embedder, reason) = (chosen.embedder, chosen.reason);
    let vectors = config::vector_backend(&cfg, embedder.dimension())?;
    let (addr, access) = listen_settings(&args, &cfg)?;
    let progress = Arc::new(Mutex::new(LoadProgress { stage: LoadStage::Opening, done: 0, total: 0 }));
    let ready: Arc<OnceLock<axum::Router>> = Arc::default();
    let gate = braid::server::loading_gate(ready.clone(), progress.clone());
    let started = Instant::now();
    let on_progress: ProgressCallback = {
        let (progress, printed) = (progress.clone(), Mutex::new(None::<(LoadStage, u64)>));
        Arc::new(move |now: &LoadProgress| {
            *progress.lock().unwrap_or_else(|e| e.into_inner()) = *now;
            print_progress(now, &printed, started);
        })
    };
    let mut kb_slot: Option<Arc<KnowledgeBase>> = None;
    let served = runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
        eprintln!("braid {} listening on http://{addr}; loading {}", env!("CARGO_PKG_VERSION"), data.display());
        let server = axum::serve(listener, gate.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .into_future();
        tokio::pin!(server);
        let read_only = args.read_only;
        let opening = tokio::task::spawn_blocking(move || {
            open_reporting(&data, &cfg, embedder, Some(reason), vectors, read_only, Lifetime::Server, Some(on_progress))
        });
        // Stopped while loading: the open is abandoned (as by a crash, which loses nothing).
        let kb = tokio::select! {
            served = &mut server => return served.context("serving"),
            opened = opening => Arc::new(opened.context("the loading task failed")??),
        };
        kb_slot = Some(kb.clone());
        let status = kb.status()?;
        if ready.set(braid::server::app(kb, access)).is_err() {
            bail!("the application was set twice");
        }
        eprintln!(
            "braid {} serving on http://{addr} after {:.1}s ({} entities, {} relations, {} documents, {} images; \
             embedder {}{})",
            status.version,
            started.elapsed().as_secs_f64(),
            status.counts.entities,
            status.counts.relations,
            status.counts.documents,
            status.counts.images,
            status.embedder.name,
            status.embedder.reason.as_deref().map_or(String::new(), |why| format!(": {why}"))
        );
        server.await.context("serving")
    });
    // Stopped gracefully: save what the next start would otherwise rebuild.
    if let Some(kb) = kb_slot {
        kb.close();
    }
    served
}

/// One line per step of the open, and one per tenth of a step's units.
fn print_progress(now: &LoadProgress, printed: &Mutex<Option<(LoadStage, u64)>>, started: Instant) {
    let mut last = printed.lock().unwrap_or_else(|e| e.into_inner());
    let tenth = (now.total / 10).max(1);
    let due = match *last {
        Some((stage, done)) if stage == now.stage => {
            now.done >= done + tenth || (now.done == now.total && done < now.total)
        }
        _ => true,
    };
    if !due {
        return;
    }
    *last = Some((now.stage, now.done));
    let stage = serde_json::to_value(now.stage).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    if now.total > 0 {
        eprintln!(
            "loading: {stage} {} / {} ({:.0} % of the load) after {:.1}s",
            now.done,
            now.total,
            now.fraction() * 100.0,
            started.elapsed().as_secs_f64()
        );
    } else {
        eprintln!("loading: {stage} after {:.1}s", started.elapsed().as_secs_f64());
    }
}

/// The address to listen on and the access settings, checked.
fn listen_settings(args: &ServeArgs, cfg: &ConfigFile) -> Result<(SocketAddr, Arc<braid::http::access::Access>)> {
    let addr = args.addr.clone().or(cfg.addr.clone()).unwrap_or_else(|| "127.0.0.1:7878".into());
    let addr: SocketAddr = addr.parse().with_context(|| format!("--addr {addr} is not host:port"))?;
    let access = config::access(cfg)?;
    if !access.keys_required() && !addr.ip().is_loopback() {
        eprintln!("warning: serving on {addr} without an API key; set BRAID_API_KEY to require one");
    }
    Ok((addr, Arc::new(access)))
}

/// The embedder wrapped with the embedding cache a dataset ships for it
/// (`<dataset>/embeddings/*.emb` made by the same model), else the embedder itself.
fn with_dataset_cache(dataset: &Path, embedder: Arc<dyn Embedder>) -> (Arc<dyn Embedder>, Option<Arc<CachedEmbedder>>) {
    if embedder.fingerprint().is_none() {
        return (embedder, None);
    }
    let Ok(entries) = std::fs::read_dir(dataset.join("embeddings")) else {
        return (embedder, None);
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "emb"))
        .collect();
    files.sort();
    for file in &files {
        if !EmbeddingCache::read_header(file).is_ok_and(|h| h.is_from(embedder.as_ref())) {
            continue;
        }
        // A damaged cache only costs time: say so and embed everything.
        match EmbeddingCache::read(file).and_then(|cache| CachedEmbedder::new(embedder.clone(), cache)) {
            Ok(cached) => {
                let cached = Arc::new(cached);
                return (cached.clone(), Some(cached));
            }
            Err(e) => eprintln!("warning: not using {}: {e}", file.display()),
        }
    }
    if !files.is_empty() {
        eprintln!(
            "note: {} ships no embedding cache for `{}` with these weights, so everything is embedded now",
            dataset.display(),
            embedder.name()
        );
    }
    (embedder, None)
}

/// `braid demo`: the atlas loaded into a fresh (or the given) data directory, then served.
pub fn demo(args: ServeArgs) -> Result<()> {
    let cfg = ConfigFile::load(args.config.as_deref())?;
    let data = match args.data.clone().or(cfg.data.clone()) {
        Some(d) => d,
        None => tempfile::Builder::new().prefix("braid-demo-").tempdir()?.keep(),
    };
    let atlas = braid::find_atlas();
    let chosen = config::choose_embedder(&cfg, Some(&data))?;
    let embedder = chosen.embedder;
    let vectors = config::vector_backend(&cfg, embedder.dimension())?;
    let (embedder, cache) = match &atlas {
        Some(atlas) => with_dataset_cache(atlas, embedder),
        None => (embedder, None),
    };
    if args.read_only {
        bail!("--read-only applies to `braid serve` (the demo imports the atlas first)");
    }
    let kb = open_with(&data, &cfg, embedder, Some(chosen.reason), vectors, false, Lifetime::Server)?;
    let status = kb.status()?;
    if status.counts.entities == 0 && status.counts.documents == 0 {
        let atlas = atlas.context("the atlas demo data was not found (set BRAID_ATLAS to examples/data/atlas)")?;
        eprintln!("loading the atlas demo from {} into {}", atlas.display(), data.display());
        let started = std::time::Instant::now();
        let report = ingest_paths(&kb, &[atlas], &super::ingest::TerminalProgress::new())?;
        let cached = cache.map(|c| c.stats()).map_or(String::new(), |s| {
            format!("; {} texts from the atlas embedding cache, {} embedded now", s.hits, s.misses)
        });
        eprintln!(
            "loaded {} entities, {} relations, {} documents, {} images in {:.1}s{cached}",
            report.entities,
            report.relations,
            report.documents,
            report.images,
            started.elapsed().as_secs_f64()
        );
        if !report.rejected.is_empty() {
            bail!("the atlas has {} bad records, first: {}", report.rejected.len(), report.rejected[0]);
        }
    }
    serve(kb, &args, &cfg)
}

fn serve(kb: KnowledgeBase, args: &ServeArgs, cfg: &ConfigFile) -> Result<()> {
    let (addr, access) = listen_settings(args, cfg)?;
    let kb = Arc::new(kb);
    let app = braid::server::app(kb.clone(), access);
    let served = runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
        let status = kb.status()?;
        eprintln!(
            "braid {} serving on http://{addr} ({} entities, {} relations, {} documents, {} images; embedder {}{})",
            status.version,
            status.counts.entities,
            status.counts.relations,
            status.counts.documents,
            status.counts.images,
            status.embedder.name,
            status.embedder.reason.as_deref().map_or(String::new(), |why| format!(": {why}"))
        );
        // Connection info gives the rate limit a client address when no keys are set.
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving")
    });
    // Stopped gracefully: save what the next start would otherwise rebuild.
    kb.close();
    served
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
