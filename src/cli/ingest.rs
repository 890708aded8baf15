//! `braid ingest` and `braid cache-embeddings`: imports with a progress bar in the terminal.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use braid::config::{self, ConfigFile};
use braid_kb::ingest::{IngestProgress, ingest_paths};
use braid_vector::CachedEmbedder;
use indicatif::{ProgressBar, ProgressStyle};

use super::{DataArg, Lifetime, checkpoint_now, open, open_with};

/// An import's progress as a bar on stderr: stage, records done of all, rate and time left.
pub struct TerminalProgress(ProgressBar);

impl TerminalProgress {
    /// A bar, drawn once the import knows its size.
    pub fn new() -> Self {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        TerminalProgress(bar)
    }
}

impl IngestProgress for TerminalProgress {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }
    fn stage(&self, stage: &str) {
        self.0.set_message(stage.to_string());
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// `braid ingest`: imports, checkpoints the vector index, prints the counts and every
/// refused record; fails when any record was refused (the rest are imported).
pub fn ingest(data: &DataArg, paths: &[PathBuf]) -> Result<()> {
    let cfg = ConfigFile::load(data.config.as_deref())?;
    let kb = open(&data.data, &cfg, Lifetime::OneShot)?;
    let started = std::time::Instant::now();
    let report = ingest_paths(&kb, paths, &TerminalProgress::new())?;
    if kb.vector_changes_since_checkpoint() > 0 {
        checkpoint_now(&kb, "after the import");
    }
    let schema = if report.schema > 0 { format!(", {} schema records", report.schema) } else { String::new() };
    println!(
        "ingested {} entities, {} relations, {} documents, {} images{schema} in {:.1}s",
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

/// `braid cache-embeddings`: ingests into a throw-away data directory through a recording
/// cache, so the cache holds exactly the texts a real import embeds.
pub fn cache_embeddings(out: &Path, config: Option<&Path>, paths: &[PathBuf]) -> Result<()> {
    let cfg = ConfigFile::load(config)?;
    let embedder = config::embedder(&cfg)?;
    let name = embedder.name().to_string();
    let recorder =
        Arc::new(CachedEmbedder::recording(embedder).with_context(|| format!("caching embeddings of `{name}`"))?);
    let tmp = tempfile::Builder::new().prefix("braid-cache-").tempdir()?;
    let started = std::time::Instant::now();
    {
        let kb = open_with(tmp.path(), &cfg, recorder.clone(), None, false, Lifetime::OneShot)?;
        let report = ingest_paths(&kb, paths, &TerminalProgress::new())?;
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
