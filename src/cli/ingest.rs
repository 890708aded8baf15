//! `braid ingest` and `braid cache-embeddings`: imports with a progress bar in the terminal.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use braid::config::{self, ConfigFile};
use braid_kb::ingest::{IngestOptions, IngestProgress, IngestReport, ReadOptions, ingest_paths, ingest_paths_with};
use braid_vector::CachedEmbedder;
use indicatif::{ProgressBar, ProgressStyle};

use super::{DataArg, Lifetime, checkpoint_now, open, open_with};

/// Skipped files listed one by one on stderr, at most, without `--verbose` (the rest are
/// counted by reason; `--report` lists every file).
const SKIPS_LISTED: usize = 50;

/// `braid ingest`'s arguments.
#[derive(clap::Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Remove the records of files that are gone from the folders given.
    #[arg(long)]
    pub prune: bool,
    /// Read only files matching this glob (repeatable): `*.md` matches names at any depth,
    /// `book/**/*.html` paths below the folder given.
    #[arg(long = "include", value_name = "GLOB")]
    pub include: Vec<String>,
    /// Leave out files and folders matching this glob (repeatable); wins over --include.
    #[arg(long = "exclude", value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Also read hidden files and folders (names starting with a dot).
    #[arg(long)]
    pub hidden: bool,
    /// Also read what .gitignore and .ignore files exclude.
    #[arg(long)]
    pub no_ignore: bool,
    /// Write what became of every file (and every record refused) as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// List every skipped file on stderr.
    #[arg(long, short)]
    pub verbose: bool,
    /// Files or folders to import.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// An import's progress on stderr: while folders are read, files and bytes with their rates;
/// then each stage with its count, rate and time left.
pub struct TerminalProgress {
    bar: ProgressBar,
    started: Instant,
}

impl TerminalProgress {
    /// A bar, drawn once the import knows its size.
    pub fn new() -> Self {
        TerminalProgress { bar: ProgressBar::new(0), started: Instant::now() }
    }

    fn counting(&self) {
        self.bar.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
    }
}

impl IngestProgress for TerminalProgress {
    fn stage(&self, stage: &str) {
        if stage == "reading" {
            self.bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            self.bar.enable_steady_tick(std::time::Duration::from_millis(200));
        } else {
            self.bar.disable_steady_tick();
            self.counting();
        }
        self.bar.set_message(stage.to_string());
    }
    fn start(&self, total: u64) {
        self.counting();
        self.bar.set_length(total);
        self.bar.set_position(0);
        self.bar.reset_eta();
    }
    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }
    fn files_read(&self, files: u64, bytes: u64) {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        self.bar.set_message(format!(
            "reading: {files} files, {:.1} MB ({:.0} files/s, {:.1} MB/s)",
            bytes as f64 / 1e6,
            files as f64 / secs,
            bytes as f64 / 1e6 / secs
        ));
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `braid ingest`: imports, checkpoints the vector index, prints the counts, the summary
/// line of files and every failure. Fails when a record was refused (the rest are imported)
/// or when nothing at all could be read.
pub fn ingest(args: &IngestArgs) -> Result<()> {
    let cfg = ConfigFile::load(args.data.config.as_deref())?;
    let kb = open(&args.data.data, &cfg, Lifetime::Import)?;
    let options = IngestOptions {
        prune: args.prune,
        files: ReadOptions {
            include: args.include.clone(),
            exclude: args.exclude.clone(),
            hidden: args.hidden,
            ignore_files: !args.no_ignore,
            ..ReadOptions::default()
        },
        extractor: config::extractor()?,
        ..IngestOptions::default()
    };
    let started = Instant::now();
    let report = ingest_paths_with(&kb, &args.paths, &options, &TerminalProgress::new())?;
    if kb.vector_changes_since_checkpoint() > 0 {
        checkpoint_now(&kb, "after the import");
    }
    let schema = if report.schema > 0 { format!(", {} schema records", report.schema) } else { String::new() };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "ingested {} entities, {} relations, {} documents, {} images{schema} in {secs:.1}s",
        report.entities, report.relations, report.documents, report.images,
    );
    let files = &report.files;
    println!("{}", files.summary());
    if files.read() > 0 {
        println!(
            "{} files, {:.1} MB in {secs:.1}s ({:.0} files/s, {:.1} MB/s); {} mentions, {} links between files",
            files.read(),
            files.bytes as f64 / 1e6,
            files.read() as f64 / secs.max(1e-3),
            files.bytes as f64 / 1e6 / secs.max(1e-3),
            files.mentions,
            files.links_added,
        );
    }
    if files.relinked > 0 {
        println!("{} unchanged files linked again to entities the graph gained since they were read", files.relinked);
    }
    print_files(&report, args.verbose);
    if let Some(path) = &args.report {
        write_report(path, &report)?;
    }
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
    let nothing_read = files.read() == 0 && report.entities + report.relations + report.documents + report.images == 0;
    if nothing_read {
        bail!(
            "nothing could be read from {}",
            args.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    Ok(())
}

/// Failures (each), skipped files (each, or by reason when there are many), files gone
/// without `--prune`, and extraction failures, on stderr.
fn print_files(report: &IngestReport, verbose: bool) {
    let files = &report.files;
    for f in &files.failures {
        eprintln!("failed: {}: {}", f.path, f.reason);
    }
    for w in &files.warnings {
        eprintln!("warning: {}: {}", w.path, w.reason);
    }
    if verbose || files.skips.len() <= SKIPS_LISTED {
        for s in &files.skips {
            eprintln!("skipped: {}: {}", s.path, s.reason);
        }
    } else {
        let mut by_reason: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for s in &files.skips {
            *by_reason.entry(reason_kind(&s.reason)).or_default() += 1;
        }
        for (reason, n) in by_reason {
            eprintln!("skipped {n}: {reason}");
        }
        eprintln!("(--verbose lists every skipped file, --report FILE writes them all as JSON)");
    }
    if files.gone > 0 {
        eprintln!("{} files ingested before are gone from disk; run with --prune to remove their records", files.gone);
    }
    if let Some(x) = &report.extraction {
        eprintln!(
            "extraction ({}): {} passages, {} from the cache, {} answered, {} failed, {} not tried; {} facts, {} new \
             entities, {} merged, {} retracted",
            x.model,
            x.passages,
            x.cached,
            x.answered,
            x.failed.len(),
            x.not_tried,
            x.facts,
            x.entities,
            x.merged,
            x.retracted
        );
        for f in x.failed.iter().take(20) {
            eprintln!("extraction failed: {}: {}", f.passage, f.reason);
        }
        if !x.failed.is_empty() || x.not_tried > 0 {
            eprintln!("(the next `braid ingest` of these files tries those passages again)");
        }
    }
}

/// A skip reason without the file-specific part (`a redirect to x` → `a redirect`).
fn reason_kind(reason: &str) -> &str {
    for prefix in ["a redirect to", "the caption of"] {
        if reason.starts_with(prefix) {
            return prefix.trim_end_matches(" to").trim_end_matches(" of");
        }
    }
    reason
}

fn write_report(path: &Path, report: &IngestReport) -> Result<()> {
    let json = serde_json::to_vec_pretty(report).context("encoding the report")?;
    std::fs::write(path, json).with_context(|| format!("writing the report to {}", path.display()))
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
        let kb = open_with(tmp.path(), &cfg, recorder.clone(), None, None, false, Lifetime::OneShot)?;
        let report = ingest_paths(&kb, paths, &TerminalProgress::new())?;
        if !report.rejected.is_empty() {
            bail!("{} records were rejected, first: {}", report.rejected.len(), report.rejected[0]);
        }
        // A cache of part of the data would silently embed the rest at every demo start.
        if let Some(first) = report.files.failures.first() {
            bail!("{} files could not be read, first: {}: {}", report.files.failed, first.path, first.reason);
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
