//! The `braid` command line: demo, serve, ingest, query, route, router fit/eval.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use braid::config::{self, ConfigFile};
use braid::ingest::ingest_paths;
use braid::server::{AppState, app};
use braid::{Braid, BraidOptions};
use braid_router::train::{Example, FitOptions, LabelledQuery, evaluate, fit};
use braid_router::{QueryRequest, Route, RoutePolicy, feature_vector};
use braid_vector::{CachedEmbedder, Embedder, EmbeddingCache};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "braid", version, about = "A hybrid graph + vector + web knowledge router")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BRAID_ADDR")]
    addr: Option<String>,
    /// Data directory.
    #[arg(long, env = "BRAID_DATA")]
    data: Option<PathBuf>,
    /// Config file (TOML).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Serve a memory-mapped view of the vector index's last checkpoint and refuse writes
    /// (409): a large index starts in seconds and little memory (`serve` only).
    #[arg(long)]
    read_only: bool,
}

#[derive(clap::Args, Clone)]
struct DataArg {
    /// Data directory.
    #[arg(long, env = "BRAID_DATA", default_value = "braid-data")]
    data: PathBuf,
    /// Config file (TOML).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Load the bundled atlas demo (into a fresh temp dir unless --data names one) and serve it.
    Demo(ServeArgs),
    /// Serve the REST API.
    Serve(ServeArgs),
    /// Import JSON Lines files and folders of images.
    Ingest {
        #[command(flatten)]
        data: DataArg,
        /// Files or folders to import.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Answer one query.
    Query {
        #[command(flatten)]
        data: DataArg,
        /// How many results.
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// Force a route (repeatable): graph, vector or web.
        #[arg(long = "route")]
        routes: Vec<Route>,
        /// Include the decision trace.
        #[arg(long)]
        explain: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// The query.
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Print the routing plan of a query.
    Route {
        #[command(flatten)]
        data: DataArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// The query.
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Serve MCP (Model Context Protocol) over stdin/stdout.
    Mcp {
        #[command(flatten)]
        data: DataArg,
    },
    /// Train or evaluate the routing policy.
    #[command(subcommand)]
    Router(RouterCommand),
    /// Manage the vector index.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Embed what importing PATHS would embed (documents, passages, captions and the router's
    /// exemplar queries) with the active embedder and write an embedding cache file. `braid
    /// demo` reads the atlas's `embeddings/*.emb`, so it starts without embedding it again.
    CacheEmbeddings {
        /// Where to write the cache, e.g. examples/data/atlas/embeddings/minilm-384.emb.
        #[arg(long)]
        out: PathBuf,
        /// Config file (TOML) choosing the embedder.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Files or folders to embed, as for `braid ingest`.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum IndexCommand {
    /// Load every document and image of a data directory into a vector backend (e.g. to
    /// move an existing data directory to Milvus), with progress; removes ids the store lacks.
    Rebuild {
        #[command(flatten)]
        data: DataArg,
        /// The backend to fill: milvus (or usearch, which only checks the store).
        #[arg(long, default_value = "milvus")]
        backend: String,
        /// Drop the backend's collections first (Milvus), e.g. after changing the embedder.
        #[arg(long)]
        fresh: bool,
    },
    /// Write a checkpoint of the embedded vector index now, so the next start (and `serve
    /// --read-only`) loads it instead of rebuilding. `serve` also writes one on shutdown and
    /// once 10,000 changes (or a tenth of the index) are not in one; `ingest` after each import.
    Checkpoint {
        #[command(flatten)]
        data: DataArg,
    },
}

#[derive(Subcommand)]
enum RouterCommand {
    /// Fit policy weights on labelled queries (JSON Lines: {"query", "route", "also"?}).
    Fit {
        /// Labelled queries.
        labelled: PathBuf,
        /// Where to write the weights.
        #[arg(long, default_value = "weights.json")]
        out: PathBuf,
        /// Data directory whose graph links entities (default: the atlas demo in a temp dir).
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Evaluate the policy: accuracy, macro-F1, confusion matrix, calibration error.
    Eval {
        /// Labelled queries.
        labelled: PathBuf,
        /// Weights to evaluate (default: shipped, or BRAID_ROUTER_WEIGHTS).
        #[arg(long)]
        weights: Option<PathBuf>,
        /// Data directory whose graph links entities (default: the atlas demo in a temp dir).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() {
    let filter = std::env::var("BRAID_LOG").unwrap_or_else(|_| "info,tower_http=warn".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&filter).unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal: logs redirected to files stay plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Demo(args) => demo(args),
        Command::Serve(args) => {
            let cfg = ConfigFile::load(args.config.as_deref())?;
            let data = args.data.clone().or(cfg.data.clone()).unwrap_or_else(|| PathBuf::from("braid-data"));
            let embedder = config::embedder(&cfg)?;
            let vectors = config::vector_backend(&cfg, embedder.dimension())?;
            let braid = open_with(&data, &cfg, embedder, vectors, args.read_only)?;
            serve(braid, &args, &cfg)
        }
        Command::Ingest { data, paths } => {
            let cfg = ConfigFile::load(data.config.as_deref())?;
            let braid = open(&data.data, &cfg)?;
            let started = std::time::Instant::now();
            let report = ingest_paths(&braid, &paths, true)?;
            if braid.vector_changes_since_checkpoint() > 0 {
                write_checkpoint(&braid, "after the import");
            }
            println!(
                "ingested {} entities, {} relations, {} documents, {} images in {:.1}s",
                report.entities,
                report.relations,
                report.documents,
                report.images,
                started.elapsed().as_secs_f64()
            );
            if !report.skipped.is_empty() {
                eprintln!("skipped {} records with nothing to index:", report.skipped.len());
                for s in report.skipped.iter().take(20) {
                    eprintln!("  {s}");
                }
            }
            if !report.rejected.is_empty() {
                for r in report.rejected.iter().take(20) {
                    eprintln!("rejected: {r}");
                }
                bail!("{} records were rejected (the rest were imported)", report.rejected.len());
            }
            Ok(())
        }
        Command::Query { data, k, routes, explain, json, text } => {
            let cfg = ConfigFile::load(data.config.as_deref())?;
            let braid = open(&data.data, &cfg)?;
            let mut req = QueryRequest::new(text.join(" "));
            req.k = k;
            req.explain = explain;
            req.routes = (!routes.is_empty()).then_some(routes);
            let answer = runtime()?.block_on(braid.query(&req))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&answer)?);
                return Ok(());
            }
            print_plan(&answer.plan);
            for s in &answer.sources {
                let err = s.error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default();
                println!("  {:<6} {:?} {} hits in {:.1} ms{err}", s.route.as_str(), s.status, s.hits, s.took_ms);
            }
            for (i, h) in answer.results.iter().enumerate() {
                let via: Vec<String> = h.sources.iter().map(|s| format!("{}#{}", s.route, s.rank)).collect();
                println!("{:>3}. {} [{}] {:?} ({})", i + 1, h.title, h.id, h.kind, via.join(", "));
                for f in h.facts.iter().take(3) {
                    println!("       {f}");
                }
            }
            Ok(())
        }
        Command::Route { data, json, text } => {
            let cfg = ConfigFile::load(data.config.as_deref())?;
            let braid = open(&data.data, &cfg)?;
            let plan = braid.plan(&text.join(" "))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "plan": plan }))?);
            } else {
                print_plan(&plan);
            }
            Ok(())
        }
        Command::Mcp { data } => {
            let cfg = ConfigFile::load(data.config.as_deref())?;
            let braid = Arc::new(open(&data.data, &cfg)?);
            let ctx = braid::tools::ToolContext { braid, metrics: None };
            runtime()?.block_on(braid::mcp::serve_stdio(ctx))?;
            Ok(())
        }
        Command::Router(cmd) => router_command(cmd),
        Command::Index(IndexCommand::Rebuild { data, backend, fresh }) => index_rebuild(&data, &backend, fresh),
        Command::Index(IndexCommand::Checkpoint { data }) => {
            let cfg = ConfigFile::load(data.config.as_deref())?;
            let braid = open(&data.data, &cfg)?;
            let started = std::time::Instant::now();
            match braid.checkpoint_vectors().context("writing the vector index checkpoint")? {
                Some(info) => println!(
                    "vector index checkpoint {}: {} items, {:.1} MB in {:.1}s ({})",
                    info.generation,
                    info.items,
                    info.bytes as f64 / 1e6,
                    started.elapsed().as_secs_f64(),
                    data.data.join(braid::VECTOR_CHECKPOINT_DIR).display()
                ),
                None => println!("the vector backend persists itself; there is no checkpoint to write"),
            }
            Ok(())
        }
        Command::CacheEmbeddings { out, config, paths } => cache_embeddings(&out, config.as_deref(), &paths),
    }
}

/// `braid cache-embeddings`: ingests into a throw-away data directory through a recording
/// cache, so the cache holds exactly the texts a real import embeds.
fn cache_embeddings(out: &Path, config: Option<&Path>, paths: &[PathBuf]) -> Result<()> {
    let cfg = ConfigFile::load(config)?;
    let embedder = config::embedder(&cfg)?;
    let name = embedder.name().to_string();
    let recorder =
        Arc::new(CachedEmbedder::recording(embedder).with_context(|| format!("caching embeddings of `{name}`"))?);
    let tmp = tempfile::Builder::new().prefix("braid-cache-").tempdir()?;
    let started = std::time::Instant::now();
    {
        let braid = open_with(tmp.path(), &cfg, recorder.clone(), None, false)?;
        let report = ingest_paths(&braid, paths, true)?;
        if !report.rejected.is_empty() {
            bail!("{} records were rejected, first: {}", report.rejected.len(), report.rejected[0]);
        }
    }
    let cache = recorder.snapshot();
    cache.write(out)?;
    println!(
        "wrote {} embeddings of `{name}` to {} in {:.1}s",
        cache.len(),
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
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

/// `braid index rebuild --backend milvus`: the store of record stays the source of truth;
/// this copies it into the backend. The data directory is opened with the embedded index
/// (which also re-embeds records if the embedder changed), then streamed to the target.
fn index_rebuild(data: &DataArg, backend: &str, fresh: bool) -> Result<()> {
    let cfg = ConfigFile::load(data.config.as_deref())?;
    let embedder = config::embedder(&cfg)?;
    if fresh {
        drop_backend_collections(backend, &cfg, embedder.dimension())?;
    }
    let Some(target) = config::vector_backend_named(backend, &cfg, embedder.dimension())? else {
        println!(
            "the usearch index is restored from its checkpoint and the store at every start-up; `braid index \
             checkpoint` writes a checkpoint"
        );
        return Ok(());
    };
    let options = BraidOptions {
        data_dir: data.data.clone(),
        embedder,
        web: None,
        router: config::router_config(&cfg),
        policy: RoutePolicy::new(config::policy_weights(&cfg)?),
        vectors: None,
        read_only: false,
    };
    let braid = Braid::open(options).with_context(|| format!("opening data directory {}", data.data.display()))?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} items ({per_sec}, eta {eta})")
            .context("progress bar template")?
            .progress_chars("=> "),
    );
    bar.set_message(format!("{} ←", target.name()));
    let started = std::time::Instant::now();
    let total = braid
        .sync_vectors(target.as_ref(), &mut |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .with_context(|| format!("loading {} into {}", data.data.display(), target.name()))?;
    bar.finish();
    println!(
        "{}: {total} items loaded in {:.1}s; the backend now holds {}",
        target.name(),
        started.elapsed().as_secs_f64(),
        target.len()?
    );
    Ok(())
}

#[cfg(feature = "milvus")]
fn drop_backend_collections(kind: &str, cfg: &ConfigFile, dimension: usize) -> Result<()> {
    if kind == "milvus" {
        let backend = braid_vector::MilvusBackend::new(config::milvus_config(cfg, dimension)?)?;
        backend.drop_collections().context("dropping the Milvus collections")?;
        eprintln!("dropped the Milvus collections; they are recreated empty");
    }
    Ok(())
}

#[cfg(not(feature = "milvus"))]
fn drop_backend_collections(_: &str, _: &ConfigFile, _: usize) -> Result<()> {
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")
}

fn open(data: &Path, cfg: &ConfigFile) -> Result<Braid> {
    let embedder = config::embedder(cfg)?;
    let vectors = config::vector_backend(cfg, embedder.dimension())?;
    open_with(data, cfg, embedder, vectors, false)
}

fn open_with(
    data: &Path,
    cfg: &ConfigFile,
    embedder: Arc<dyn Embedder>,
    vectors: Option<Arc<dyn braid_vector::VectorBackend>>,
    read_only: bool,
) -> Result<Braid> {
    let policy = RoutePolicy::new(config::policy_weights(cfg)?);
    let options = BraidOptions {
        data_dir: data.to_path_buf(),
        embedder,
        web: config::web_provider(cfg)?,
        router: config::router_config(cfg),
        policy,
        vectors,
        read_only,
    };
    Braid::open(options).with_context(|| format!("opening data directory {}", data.display()))
}

fn demo(args: ServeArgs) -> Result<()> {
    let cfg = ConfigFile::load(args.config.as_deref())?;
    let data = match args.data.clone().or(cfg.data.clone()) {
        Some(d) => d,
        None => tempfile::Builder::new().prefix("braid-demo-").tempdir()?.keep(),
    };
    let atlas = braid::find_atlas();
    let embedder = config::embedder(&cfg)?;
    let vectors = config::vector_backend(&cfg, embedder.dimension())?;
    let (embedder, cache) = match &atlas {
        Some(atlas) => with_dataset_cache(atlas, embedder),
        None => (embedder, None),
    };
    if args.read_only {
        bail!("--read-only applies to `braid serve` (the demo imports the atlas first)");
    }
    let braid = open_with(&data, &cfg, embedder, vectors, false)?;
    let status = braid.status()?;
    if status.counts.entities == 0 && status.counts.documents == 0 {
        let atlas = atlas.context("the atlas demo data was not found (set BRAID_ATLAS to examples/data/atlas)")?;
        eprintln!("loading the atlas demo from {} into {}", atlas.display(), data.display());
        let started = std::time::Instant::now();
        let report = ingest_paths(&braid, &[atlas], true)?;
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
    serve(braid, &args, &cfg)
}

fn serve(braid: Braid, args: &ServeArgs, cfg: &ConfigFile) -> Result<()> {
    let addr = args.addr.clone().or(cfg.addr.clone()).unwrap_or_else(|| "127.0.0.1:7878".into());
    let addr: SocketAddr = addr.parse().with_context(|| format!("--addr {addr} is not host:port"))?;
    let access = config::access(cfg)?;
    if !access.keys_required() && !addr.ip().is_loopback() {
        eprintln!("warning: serving on {addr} without an API key; set BRAID_API_KEY to require one");
    }
    let braid = Arc::new(braid);
    let state = AppState { braid: braid.clone(), access: Arc::new(access) };
    let background = braid.clone();
    std::thread::Builder::new()
        .name("checkpointer".into())
        .spawn(move || checkpoint_when_due(&background))
        .context("starting the checkpoint thread")?;
    let served = runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
        let status = state.braid.status()?;
        eprintln!(
            "braid {} serving on http://{addr} ({} entities, {} relations, {} documents, {} images; embedder {})",
            status.version,
            status.counts.entities,
            status.counts.relations,
            status.counts.documents,
            status.counts.images,
            status.embedder.name
        );
        // Connection info gives the rate limit a client address when no keys are set.
        axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving")
    });
    // Stopped gracefully: save what the next start would otherwise rebuild.
    if braid.vector_changes_since_checkpoint() > 0 {
        write_checkpoint(&braid, "on shutdown");
    }
    served
}

/// The background checkpointer polls this often...
const CHECKPOINT_POLL: std::time::Duration = std::time::Duration::from_secs(30);
/// ...and writes a checkpoint once this many vector-index changes are not in one, or a
/// tenth of the index if that is more: writes wait while a checkpoint runs (about 9 s for a
/// million items), so a big index is checkpointed less often.
const CHECKPOINT_AFTER_CHANGES: u64 = 10_000;

fn checkpoint_when_due(braid: &Braid) {
    loop {
        std::thread::sleep(CHECKPOINT_POLL);
        let changes = braid.vector_changes_since_checkpoint();
        if changes < CHECKPOINT_AFTER_CHANGES {
            continue;
        }
        let size = braid.status().map_or(0, |s| s.indexed_items as u64);
        if changes >= (size / 10).max(CHECKPOINT_AFTER_CHANGES) {
            write_checkpoint(braid, "in the background");
        }
    }
}

/// Writes a vector index checkpoint and says so; a failure is reported, not fatal (the
/// store of record is intact, and the next start rebuilds from it).
fn write_checkpoint(braid: &Braid, when: &str) {
    let started = std::time::Instant::now();
    match braid.checkpoint_vectors() {
        Ok(Some(info)) => eprintln!(
            "vector index checkpoint {} written {when}: {} items, {:.1} MB in {:.1}s",
            info.generation,
            info.items,
            info.bytes as f64 / 1e6,
            started.elapsed().as_secs_f64()
        ),
        Ok(None) => {}
        Err(e) => eprintln!("warning: the vector index checkpoint failed ({when}): {e}"),
    }
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

fn print_plan(plan: &braid_router::RoutePlan) {
    println!("primary: {}", plan.primary.map_or("none", |r| r.as_str()));
    for d in &plan.routes {
        let mark = if d.selected { "*" } else { " " };
        println!("{mark} {:<6} {:.3}  {}", d.route.as_str(), d.score, d.reasons.join("; "));
    }
}

/// A Braid over `data`, or over the atlas demo loaded into a temp dir.
fn linker_braid(data: Option<PathBuf>) -> Result<(Braid, Option<tempfile::TempDir>)> {
    let cfg = ConfigFile::default();
    if let Some(d) = data {
        return Ok((open(&d, &cfg)?, None));
    }
    let tmp = tempfile::Builder::new().prefix("braid-router-").tempdir()?;
    let braid = open(tmp.path(), &cfg)?;
    let atlas = braid::find_atlas().context("the atlas demo data was not found (set BRAID_ATLAS)")?;
    // Only entities and relations matter for linking.
    ingest_paths(&braid, &[atlas.join("entities.jsonl"), atlas.join("relations.jsonl")], false)?;
    Ok((braid, Some(tmp)))
}

fn read_labelled(path: &Path) -> Result<Vec<LabelledQuery>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).with_context(|| format!("{}:{}", path.display(), i + 1)))
        .collect()
}

fn examples(braid: &Braid, labelled: &[LabelledQuery]) -> Vec<Example> {
    labelled
        .iter()
        .map(|q| Example {
            x: feature_vector(&braid.router().features(&q.query, false)),
            route: q.route,
            also: q.also.clone(),
        })
        .collect()
}

fn router_command(cmd: RouterCommand) -> Result<()> {
    match cmd {
        RouterCommand::Fit { labelled, out, data } => {
            let queries = read_labelled(&labelled)?;
            if queries.is_empty() {
                bail!("{} has no labelled queries", labelled.display());
            }
            let (braid, _tmp) = linker_braid(data)?;
            let ex = examples(&braid, &queries);
            let base = braid.router().policy().weights().clone();
            let weights = fit(
                &ex,
                &base,
                &FitOptions::default(),
                format!("fit on {} ({} queries)", labelled.display(), queries.len()),
            );
            let texts: Vec<String> = queries.iter().map(|q| q.query.clone()).collect();
            let report = evaluate(&weights, &ex, &texts);
            std::fs::write(&out, serde_json::to_string_pretty(&weights)?)
                .with_context(|| format!("writing {}", out.display()))?;
            println!(
                "wrote {} (training accuracy {:.3}, macro-F1 {:.3}, ECE {:.3})",
                out.display(),
                report.accuracy,
                report.macro_f1,
                report.ece
            );
            Ok(())
        }
        RouterCommand::Eval { labelled, weights, data, json } => {
            let queries = read_labelled(&labelled)?;
            let (braid, _tmp) = linker_braid(data)?;
            let w = match weights {
                Some(p) => braid_router::PolicyWeights::from_json(
                    &std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?,
                )?,
                None => braid.router().policy().weights().clone(),
            };
            let ex = examples(&braid, &queries);
            let texts: Vec<String> = queries.iter().map(|q| q.query.clone()).collect();
            let report = evaluate(&w, &ex, &texts);
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
                return Ok(());
            }
            println!("label  ->  graph vector    web");
            for r in Route::ALL {
                let row = report.confusion[r.index()];
                println!("{:>6} -> {:>6} {:>6} {:>6}", r.as_str(), row[0], row[1], row[2]);
            }
            for (q, label, got) in report.misses.iter().take(30) {
                println!("miss: {label} → {got}: {q}");
            }
            println!(
                "accuracy {:.3} macroF1 {:.3} ECE {:.3} n={}",
                report.accuracy, report.macro_f1, report.ece, report.n
            );
            Ok(())
        }
    }
}
