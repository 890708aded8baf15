//! The `braid` command line, one module per group of commands; this module holds what they
//! share: opening a knowledge base from the config, the runtime, and how checkpoints and
//! imports are shown in the terminal.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use braid::config::{self, ConfigFile};
use braid_kb::{CheckpointPolicy, CheckpointReport, KnowledgeBase, Options, ProgressCallback};
use braid_vector::{Embedder, VectorBackend};

pub mod ask;
pub mod index;
pub mod ingest;
pub mod model;
pub mod router;
pub mod serve;

/// `--data` and `--config` of the commands that open a data directory.
#[derive(clap::Args, Clone)]
pub struct DataArg {
    /// Data directory.
    #[arg(long, env = "BRAID_DATA", default_value = "braid-data")]
    pub data: PathBuf,
    /// Config file (TOML).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Whether a knowledge base checkpoints its vector index by itself.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// A one-shot command: checkpoints only where the command writes one.
    OneShot,
    /// A one-shot import: as [`Lifetime::OneShot`], and the router's exemplar queries are not
    /// embedded (nothing is asked), which with MiniLM saves about ten seconds.
    Import,
    /// A server: in the background and on shutdown, reported on stderr.
    Server,
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")
}

/// The knowledge base in `data` with the embedder and vector backend `cfg` chooses.
pub fn open(data: &Path, cfg: &ConfigFile, lifetime: Lifetime) -> Result<KnowledgeBase> {
    let chosen = config::choose_embedder(cfg, Some(data))?;
    let vectors = config::vector_backend(cfg, chosen.embedder.dimension())?;
    open_with(data, cfg, chosen.embedder, Some(chosen.reason), vectors, false, lifetime)
}

/// The knowledge base in `data` with this embedder (chosen for `reason`, which `/v1/status`
/// reports) and vector backend.
pub fn open_with(
    data: &Path,
    cfg: &ConfigFile,
    embedder: Arc<dyn Embedder>,
    reason: Option<String>,
    vectors: Option<Arc<dyn VectorBackend>>,
    read_only: bool,
    lifetime: Lifetime,
) -> Result<KnowledgeBase> {
    open_reporting(data, cfg, embedder, reason, vectors, read_only, lifetime, None)
}

/// [`open_with`], telling `on_progress` how far the open has got.
#[allow(clippy::too_many_arguments)]
pub fn open_reporting(
    data: &Path,
    cfg: &ConfigFile,
    embedder: Arc<dyn Embedder>,
    reason: Option<String>,
    vectors: Option<Arc<dyn VectorBackend>>,
    read_only: bool,
    lifetime: Lifetime,
    on_progress: Option<ProgressCallback>,
) -> Result<KnowledgeBase> {
    let mut options: Options = config::kb_options(cfg, data, embedder, vectors)?;
    options.embedder_reason = reason;
    options.read_only = read_only;
    options.on_progress = on_progress;
    options.checkpoints = (lifetime == Lifetime::Server).then(CheckpointPolicy::default);
    options.on_checkpoint = Some(Arc::new(print_checkpoint));
    options.warm_router = lifetime != Lifetime::Import;
    KnowledgeBase::open(options).with_context(|| format!("opening data directory {}", data.display()))
}

/// Says on stderr that a checkpoint was written (or why not): a failure is not fatal, the
/// store of record is intact and the next start rebuilds from it.
pub fn print_checkpoint(report: &CheckpointReport) {
    print_checkpoint_written(report, &report.trigger.to_string());
}

/// Like [`print_checkpoint`], with the occasion said in words.
pub fn print_checkpoint_written(report: &CheckpointReport, when: &str) {
    match &report.outcome {
        Ok(Some(info)) => eprintln!(
            "vector index checkpoint {} written {when}: {} items, {:.1} MB in {:.1}s",
            info.generation,
            info.items,
            info.bytes as f64 / 1e6,
            report.took.as_secs_f64()
        ),
        Ok(None) => {}
        Err(e) => eprintln!("warning: the vector index checkpoint failed ({when}): {e}"),
    }
}

/// Writes a checkpoint now (after an import) and says so.
pub fn checkpoint_now(kb: &KnowledgeBase, when: &str) {
    let started = std::time::Instant::now();
    let outcome = kb.checkpoint_vectors();
    let report = CheckpointReport { trigger: braid_kb::CheckpointTrigger::Explicit, outcome, took: started.elapsed() };
    print_checkpoint_written(&report, when);
}
