//! `braid router fit` and `braid router eval`: the routing policy fitted and evaluated on
//! labelled queries read against a knowledge base (the policy's features are relative to
//! its entities and schema), on queries written from a knowledge base itself (`--auto`), or
//! on a suite of knowledge bases of several domains (`--suite`, with leave-one-domain-out).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use braid::config::{self, ConfigFile};
use braid_kb::KnowledgeBase;
use braid_kb::fit::auto::{AutoOptions, synthesize};
use braid_kb::fit::suite::{
    DomainReport, Split, Suite, SuiteOptions, evaluate_leave_one_out, evaluate_with, fit_suite,
};
use braid_kb::fit::{FittedRouter, LabelledQuery, featurize, read_labelled, save_fitted};
use braid_kb::ingest::{NoProgress, ingest_paths};
use braid_router::train::{EvalReport, FitOptions, evaluate, fit_with_summary};
use braid_router::{PolicyWeights, Route};
use clap::Subcommand;

use super::{Lifetime, open, runtime};

#[derive(Subcommand)]
pub enum RouterCommand {
    /// Fit policy weights: on labelled queries (JSON Lines: {"query", "route", "also"?}), on
    /// queries written from a knowledge base (--auto), or both; or on a suite of domains.
    Fit {
        /// Labelled queries.
        labelled: Vec<PathBuf>,
        /// Also write labelled queries from the knowledge base in --data itself, and keep the
        /// fitted weights in that data directory (used from its next start) unless --out.
        #[arg(long)]
        auto: bool,
        /// Fit the shipped weights on a suite of domains instead (TOML, see
        /// datasets/routing-suite.toml), writing --out and --exemplars-out.
        #[arg(long, conflicts_with_all = ["labelled", "auto", "data"])]
        suite: Option<PathBuf>,
        /// Where to write the weights (default: weights.json, or the data directory with --auto).
        #[arg(long)]
        out: Option<PathBuf>,
        /// With --suite: where to write the exemplar queries the weights were fitted with.
        #[arg(long, requires = "suite")]
        exemplars_out: Option<PathBuf>,
        /// Data directory whose knowledge base the queries are about (default: the atlas
        /// demo in a temp dir).
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Evaluate the policy: accuracy, macro-F1, confusion matrix, calibration error (and,
    /// on a suite, relational answers in the top 5).
    Eval {
        /// Labelled queries.
        labelled: Option<PathBuf>,
        /// Weights to evaluate (default: the data directory's fitted weights, else shipped,
        /// or BRAID_ROUTER_WEIGHTS).
        #[arg(long)]
        weights: Option<PathBuf>,
        /// Data directory whose knowledge base the queries are about (default: the atlas
        /// demo in a temp dir).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Evaluate on every domain of a suite (TOML) instead.
        #[arg(long, conflicts_with_all = ["labelled", "data"])]
        suite: Option<PathBuf>,
        /// With --suite: score each domain with weights fitted on the other domains only.
        #[arg(long, requires = "suite")]
        leave_one_out: bool,
        /// With --suite: score the `train` or the `test` queries of each domain.
        #[arg(long, requires = "suite", default_value = "test")]
        on: String,
        /// With --suite: also fit on queries written from each domain's data (the held-out
        /// domain's too), as `braid router fit --auto` would for it.
        #[arg(long, requires = "suite")]
        auto: bool,
        /// With --suite: print the misses (routing and relational), for working on the
        /// training split; a test split whose misses were looked at is no longer held out.
        #[arg(long, requires = "suite")]
        misses: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// A knowledge base over `data`, or over the atlas demo loaded into a temp dir.
fn labelled_kb(data: Option<&Path>) -> Result<(KnowledgeBase, Option<tempfile::TempDir>)> {
    let cfg = ConfigFile::default();
    if let Some(d) = data {
        return Ok((open(d, &cfg, Lifetime::OneShot)?, None));
    }
    let tmp = tempfile::Builder::new().prefix("braid-router-").tempdir()?;
    let kb = open(tmp.path(), &cfg, Lifetime::OneShot)?;
    let atlas = braid::find_atlas().context("the atlas demo data was not found (set BRAID_ATLAS)")?;
    // Entities, relations and the schema matter for routing; documents do not.
    let mut inputs = vec![atlas.join("entities.jsonl"), atlas.join("relations.jsonl")];
    if atlas.join("schema.jsonl").is_file() {
        inputs.push(atlas.join("schema.jsonl"));
    }
    ingest_paths(&kb, &inputs, &NoProgress)?;
    Ok((kb, Some(tmp)))
}

fn read_all(paths: &[PathBuf]) -> Result<Vec<LabelledQuery>> {
    let mut out = Vec::new();
    for p in paths {
        out.extend(read_labelled(p)?);
    }
    Ok(out)
}

fn suite_options(base: PolicyWeights, split: Split, auto: bool) -> Result<SuiteOptions> {
    Ok(SuiteOptions {
        embedder: config::embedder(&ConfigFile::default())?,
        base,
        fit: FitOptions::default(),
        split,
        auto,
    })
}

pub fn router_command(cmd: RouterCommand) -> Result<()> {
    match cmd {
        RouterCommand::Fit { labelled, auto, suite: Some(suite), out, exemplars_out, data: _ } => {
            debug_assert!(labelled.is_empty() && !auto);
            let suite = Suite::load(&suite)?;
            let (weights, exemplars) =
                fit_suite(&suite, &suite_options(PolicyWeights::shipped(), Split::Test, false)?)?;
            let out = out.unwrap_or_else(|| PathBuf::from("weights.json"));
            write_json(&out, &weights)?;
            println!("wrote {} ({})", out.display(), weights.provenance);
            if let Some(path) = exemplars_out {
                let lines: Vec<String> =
                    exemplars.iter().map(|(q, r)| serde_json::json!({"query": q, "route": r}).to_string()).collect();
                std::fs::write(&path, lines.join("\n") + "\n")
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("wrote {} ({} exemplar queries)", path.display(), exemplars.len());
            }
            Ok(())
        }
        RouterCommand::Fit { labelled, auto, suite: None, out, exemplars_out: _, data } => {
            if labelled.is_empty() && !auto {
                bail!("give labelled queries, --auto, or --suite");
            }
            if auto && data.is_none() {
                bail!("--auto writes queries from a knowledge base: name its data directory with --data");
            }
            let started = std::time::Instant::now();
            let (kb, _tmp) = labelled_kb(data.as_deref())?;
            let mut queries = read_all(&labelled)?;
            let mut written = 0;
            if auto {
                let synthetic = synthesize(&kb, &AutoOptions::default())?;
                written = synthetic.len();
                queries.extend(synthetic);
            }
            if queries.is_empty() {
                bail!("no labelled queries to fit on");
            }
            let examples = featurize(&kb, &queries);
            let shipped = PolicyWeights::shipped();
            // Starts from the shipped weights and stays near them: a few hundred queries of
            // one knowledge base adjust the policy, they do not replace it.
            let options = FitOptions { prior: Some(shipped.clone()), ..FitOptions::default() };
            let what = match (labelled.len(), auto) {
                (0, _) => format!("{written} queries written from {}", kb.data_dir().display()),
                (_, false) => format!("{} labelled queries", queries.len()),
                (_, true) => format!(
                    "{} labelled queries and {written} written from the knowledge base",
                    queries.len() - written
                ),
            };
            let (weights, _) = fit_with_summary(&examples, &shipped, &options, format!("fitted on {what}"));
            let texts: Vec<String> = queries.iter().map(|q| q.query.clone()).collect();
            let report = evaluate(&weights, &examples, &texts);
            let target = match (&out, auto, &data) {
                (Some(out), _, _) => {
                    write_json(out, &weights)?;
                    out.display().to_string()
                }
                (None, true, Some(data)) => {
                    let exemplars = queries.iter().map(|q| (q.query.clone(), q.route)).collect();
                    save_fitted(data, &FittedRouter { weights: weights.clone(), exemplars })?;
                    format!("{} (used from its next start)", data.join(braid_kb::fit::FITTED_ROUTER_DIR).display())
                }
                (None, _, _) => {
                    let out = PathBuf::from("weights.json");
                    write_json(&out, &weights)?;
                    out.display().to_string()
                }
            };
            println!(
                "wrote {target} in {:.1}s ({what}; training accuracy {:.3}, macro-F1 {:.3}, ECE {:.3})",
                started.elapsed().as_secs_f64(),
                report.accuracy,
                report.macro_f1,
                report.ece
            );
            Ok(())
        }
        RouterCommand::Eval {
            suite: Some(suite),
            leave_one_out,
            on,
            auto,
            misses,
            weights,
            json,
            labelled: _,
            data: _,
        } => {
            let suite = Suite::load(&suite)?;
            let weights = match weights {
                Some(p) => load_weights(&p)?,
                None => config::policy_weights(&ConfigFile::default())?,
            };
            let split = match on.as_str() {
                "test" => Split::Test,
                "train" => Split::Train,
                other => bail!("--on {other}: expected train or test"),
            };
            let options = suite_options(weights.clone(), split, auto)?;
            let reports = runtime()?.block_on(async {
                if leave_one_out {
                    evaluate_leave_one_out(&suite, &options).await
                } else {
                    evaluate_with(&suite, &weights, braid_router::exemplars::shipped_queries(), &options).await
                }
            })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&reports)?);
            } else {
                if misses {
                    for r in &reports {
                        for (q, label, got) in &r.routing.misses {
                            println!("{} route miss: {label} → {got}: {q}", r.name);
                        }
                        for (q, top) in &r.relational_misses {
                            println!("{} answer miss: {q} → {}", r.name, top.join(" "));
                        }
                    }
                }
                print_suite(&reports, leave_one_out);
            }
            Ok(())
        }
        RouterCommand::Eval { labelled: Some(labelled), weights, data, json, suite: None, .. } => {
            let queries = read_labelled(&labelled)?;
            let (kb, _tmp) = labelled_kb(data.as_deref())?;
            let w = match weights {
                Some(p) => load_weights(&p)?,
                None => kb.router().policy().weights().clone(),
            };
            let ex = featurize(&kb, &queries);
            let texts: Vec<String> = queries.iter().map(|q| q.query.clone()).collect();
            let report = evaluate(&w, &ex, &texts);
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
                return Ok(());
            }
            print_report(&report);
            Ok(())
        }
        RouterCommand::Eval { labelled: None, suite: None, .. } => bail!("give labelled queries or --suite"),
    }
}

fn load_weights(path: &Path) -> Result<PolicyWeights> {
    Ok(PolicyWeights::from_json(
        &std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
    )?)
}

fn write_json(path: &Path, weights: &PolicyWeights) -> Result<()> {
    std::fs::write(path, serde_json::to_string_pretty(weights)? + "\n")
        .with_context(|| format!("writing {}", path.display()))
}

fn print_report(report: &EvalReport) {
    println!("label  ->  graph vector    web");
    for r in Route::ALL {
        let row = report.confusion[r.index()];
        println!("{:>6} -> {:>6} {:>6} {:>6}", r.as_str(), row[0], row[1], row[2]);
    }
    for (q, label, got) in report.misses.iter().take(30) {
        println!("miss: {label} → {got}: {q}");
    }
    println!("accuracy {:.3} macroF1 {:.3} ECE {:.3} n={}", report.accuracy, report.macro_f1, report.ece, report.n);
}

fn print_suite(reports: &[DomainReport], leave_one_out: bool) {
    let how = if leave_one_out { "weights fitted without the domain" } else { "the given weights" };
    println!("domain      n   accuracy  macroF1  ECE    relational hit@5   ({how})");
    let (mut n, mut right, mut rel, mut hit) = (0, 0.0, 0, 0);
    for r in reports {
        println!(
            "{:<10} {:>4}  {:.3}     {:.3}    {:.3}  {:>3}/{:<3} = {:.3}",
            r.name,
            r.routing.n,
            r.routing.accuracy,
            r.routing.macro_f1,
            r.routing.ece,
            r.relational_hit5,
            r.relational,
            r.hit5()
        );
        n += r.routing.n;
        right += r.routing.accuracy * r.routing.n as f32;
        rel += r.relational;
        hit += r.relational_hit5;
    }
    println!(
        "all        {n:>4}  {:.3}                     {hit:>3}/{rel:<3} = {:.3}",
        right / n.max(1) as f32,
        hit as f32 / rel.max(1) as f32
    );
}
