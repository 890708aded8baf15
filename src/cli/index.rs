//! `braid index rebuild` and `braid index checkpoint`: the vector index filled from the
//! store of record (e.g. moving to Milvus), or checkpointed now.

use anyhow::{Context, Result};
use braid::config::{self, ConfigFile};
use braid_kb::KnowledgeBase;
use clap::Subcommand;

use super::{DataArg, Lifetime, open};

#[derive(Subcommand)]
pub enum IndexCommand {
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

/// Runs an index command.
pub fn index_command(cmd: IndexCommand) -> Result<()> {
    match cmd {
        IndexCommand::Rebuild { data, backend, fresh } => rebuild(&data, &backend, fresh),
        IndexCommand::Checkpoint { data } => checkpoint(&data),
    }
}

fn checkpoint(data: &DataArg) -> Result<()> {
    let cfg = ConfigFile::load(data.config.as_deref())?;
    let kb = open(&data.data, &cfg, Lifetime::OneShot)?;
    let started = std::time::Instant::now();
    match kb.checkpoint_vectors().context("writing the vector index checkpoint")? {
        Some(info) => println!(
            "vector index checkpoint {}: {} items, {:.1} MB in {:.1}s ({})",
            info.generation,
            info.items,
            info.bytes as f64 / 1e6,
            started.elapsed().as_secs_f64(),
            data.data.join(braid_kb::VECTOR_CHECKPOINT_DIR).display()
        ),
        None => println!("the vector backend persists itself; there is no checkpoint to write"),
    }
    Ok(())
}

/// `braid index rebuild --backend milvus`: the store of record stays the source of truth;
/// this copies it into the backend. The data directory is opened with the embedded index
/// (which also re-embeds records if the embedder changed), then streamed to the target.
fn rebuild(data: &DataArg, backend: &str, fresh: bool) -> Result<()> {
    let cfg = ConfigFile::load(data.config.as_deref())?;
    let embedder = config::choose_embedder(&cfg, Some(&data.data))?.embedder;
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
    // The embedded index here: the store is read (and re-embedded if the embedder changed),
    // then streamed to the target.
    let mut options = config::kb_options(&cfg, &data.data, embedder, None)?;
    options.web = None;
    options.checkpoints = None;
    let kb = KnowledgeBase::open(options).with_context(|| format!("opening data directory {}", data.data.display()))?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} items ({per_sec}, eta {eta})")
            .context("progress bar template")?
            .progress_chars("=> "),
    );
    bar.set_message(format!("{} ←", target.name()));
    let started = std::time::Instant::now();
    let total = kb
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
