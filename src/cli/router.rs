//! `braid router fit` and `braid router eval`: the routing policy trained and evaluated on
//! labelled queries, with entity links from a data directory's graph.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use braid::config::ConfigFile;
use braid_kb::KnowledgeBase;
use braid_kb::ingest::{NoProgress, ingest_paths};
use braid_router::train::{Example, FitOptions, LabelledQuery, evaluate, fit};
use braid_router::{Route, feature_vector};
use clap::Subcommand;

use super::{Lifetime, open};

#[derive(Subcommand)]
pub enum RouterCommand {
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

/// A knowledge base over `data`, or over the atlas demo loaded into a temp dir.
fn linker_kb(data: Option<PathBuf>) -> Result<(KnowledgeBase, Option<tempfile::TempDir>)> {
    let cfg = ConfigFile::default();
    if let Some(d) = data {
        return Ok((open(&d, &cfg, Lifetime::OneShot)?, None));
    }
    let tmp = tempfile::Builder::new().prefix("braid-router-").tempdir()?;
    let kb = open(tmp.path(), &cfg, Lifetime::OneShot)?;
    let atlas = braid::find_atlas().context("the atlas demo data was not found (set BRAID_ATLAS)")?;
    // Only entities and relations matter for linking.
    ingest_paths(&kb, &[atlas.join("entities.jsonl"), atlas.join("relations.jsonl")], &NoProgress)?;
    Ok((kb, Some(tmp)))
}

fn read_labelled(path: &Path) -> Result<Vec<LabelledQuery>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).with_context(|| format!("{}:{}", path.display(), i + 1)))
        .collect()
}

fn examples(kb: &KnowledgeBase, labelled: &[LabelledQuery]) -> Vec<Example> {
    labelled
        .iter()
        .map(|q| Example {
            x: feature_vector(&kb.router().features(&q.query, false)),
            route: q.route,
            also: q.also.clone(),
        })
        .collect()
}

pub fn router_command(cmd: RouterCommand) -> Result<()> {
    match cmd {
        RouterCommand::Fit { labelled, out, data } => {
            let queries = read_labelled(&labelled)?;
            if queries.is_empty() {
                bail!("{} has no labelled queries", labelled.display());
            }
            let (kb, _tmp) = linker_kb(data)?;
            let ex = examples(&kb, &queries);
            let base = kb.router().policy().weights().clone();
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
            let (kb, _tmp) = linker_kb(data)?;
            let w = match weights {
                Some(p) => braid_router::PolicyWeights::from_json(
                    &std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?,
                )?,
                None => kb.router().policy().weights().clone(),
            };
            let ex = examples(&kb, &queries);
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
