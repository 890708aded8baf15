//! Compositional questions (issue 23): accuracy by class and split, and parse + execution
//! latency, of questions compiled into graph plans, on one knowledge base.
//!
//! ```text
//! compose-bench --name atlas --data examples/data/atlas --questions datasets/atlas/compositional.jsonl
//!               [--one-hop datasets/domains/tz/test.jsonl ...] [--repeat 20] [--misses]
//! ```
//!
//! Scoring, per question of the set (lines with `query`, `class`, `split` and one of `gold`,
//! `count`, `answer`): a list of two or more gold entities scores the precision of the
//! answer's top min(10, |gold|) entities (missing ones count as wrong), a single gold entity
//! hit@1, a count the exact number in `answer.count`, a yes/no the exact boolean. A question
//! without a composed answer scores 0. `--misses` prints the dev questions that scored under
//! 1 (never the test ones: they are reported in aggregate only).
//!
//! `--one-hop` files are routing sets (one-hop questions): the graph questions among them are
//! run through the parser too, to count how many it takes over (it should leave them to the
//! graph route) and how many of those it gets wrong; with `--misses` each one taken over is
//! printed (pass only files that may be looked at).
//!
//! Latency is the wall time of `KnowledgeBase::compose` (lexicon lookup, linking, parsing,
//! execution, the typed answer), repeated `--repeat` times per question.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use braid_bench::flags::Flags;
use braid_bench::{percentile, read_jsonl};
use braid_kb::ingest::{NoProgress, ingest_paths};
use braid_kb::{Composition, KnowledgeBase, Options};
use braid_router::AnswerKind;
use braid_vector::{DEFAULT_HASHING_DIMENSION, HashingEmbedder};
use serde::Deserialize;

const USAGE: &str = "compose-bench --name NAME --data PATH... --questions FILE [--one-hop FILE...] [--repeat N] [--misses] [--explain QUERY,...]";

#[derive(Debug, Deserialize)]
struct Question {
    query: String,
    #[serde(default)]
    class: String,
    #[serde(default)]
    split: String,
    #[serde(default)]
    gold: Option<Vec<String>>,
    #[serde(default)]
    count: Option<usize>,
    #[serde(default)]
    answer: Option<bool>,
    #[serde(default)]
    route: Option<String>,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compose-bench: {e}\nusage: {USAGE}");
            ExitCode::FAILURE
        }
    }
}

/// The score of one composed answer against its line.
fn score(q: &Question, got: Option<&Composition>) -> f64 {
    let Some(c) = got else { return 0.0 };
    let a = &c.answer;
    if let Some(n) = q.count {
        return f64::from(u8::from(a.kind == AnswerKind::Count && a.count == Some(n)));
    }
    if let Some(b) = q.answer {
        return f64::from(u8::from(a.kind == AnswerKind::Boolean && a.value == Some(serde_json::json!(b))));
    }
    let Some(gold) = &q.gold else { return 0.0 };
    let gold: HashSet<&str> = gold.iter().map(String::as_str).collect();
    if a.kind != AnswerKind::Entities || gold.is_empty() {
        return 0.0;
    }
    let depth = gold.len().min(10);
    let right = a.entities.iter().take(depth).filter(|e| gold.contains(e.as_str())).count();
    right as f64 / depth as f64
}

fn run() -> Result<(), String> {
    let mut flags = Flags::from_env(USAGE);
    let name: String = flags.get("--name", "kb".to_string())?;
    let data: Vec<PathBuf> = flags.list("--data", Vec::new())?;
    let questions: PathBuf = flags.value("--questions")?.ok_or("--questions is required")?;
    let one_hop: Vec<PathBuf> = flags.list("--one-hop", Vec::new())?;
    let repeat: usize = flags.get("--repeat", 20)?;
    let misses = flags.switch("--misses");
    let explain: Vec<String> = flags.list("--explain", Vec::new())?;
    flags.done()?;
    if data.is_empty() {
        return Err("--data is required".into());
    }

    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let mut options = Options::new(dir.path(), Arc::new(HashingEmbedder::new(DEFAULT_HASHING_DIMENSION)));
    options.checkpoints = None;
    let kb = KnowledgeBase::open(options).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let report = ingest_paths(&kb, &data, &NoProgress).map_err(|e| e.to_string())?;
    eprintln!("{name}: imported in {:.1} s ({} refused)", started.elapsed().as_secs_f64(), report.rejected.len());

    for query in &explain {
        let features = kb.router().features(query, false);
        for e in &features.entities {
            println!("{query}: entity '{}' → {} ({}, {:.2}, {})", e.mention, e.id, e.kind, e.confidence, e.method);
        }
        match kb.compose(query, 10) {
            Ok(c) => println!(
                "{query}: {} = {:?} {:?} {:?}\n  {}",
                c.answer.plan,
                c.answer.entities,
                c.answer.count,
                c.answer.value,
                c.reasons.join("\n  ")
            ),
            Err(e) => println!("{query}: {e}"),
        }
    }
    if !explain.is_empty() {
        return Ok(());
    }
    let set: Vec<Question> = read_jsonl(&questions)?;
    // (class, split) → scores; class → latencies (µs).
    let mut scores: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    let mut latency: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for q in &set {
        let got = kb.compose(&q.query, 10);
        let s = score(q, got.as_ref().ok());
        scores.entry((q.class.clone(), q.split.clone())).or_default().push(s);
        scores.entry(("all".into(), q.split.clone())).or_default().push(s);
        for _ in 0..repeat {
            let t = Instant::now();
            let out = kb.compose(&q.query, 10);
            latency.entry(q.class.clone()).or_default().push(t.elapsed().as_secs_f64() * 1e6);
            latency.entry("all".into()).or_default().push(t.elapsed().as_secs_f64() * 1e6);
            std::hint::black_box(out.is_ok());
        }
        if misses && q.split == "dev" && s < 1.0 {
            match &got {
                Ok(c) => {
                    let a = &c.answer;
                    let top: Vec<&String> = a.entities.iter().take(5).collect();
                    println!(
                        "MISS {s:.2} [{}] {} → {} = {top:?} {:?} {:?}",
                        q.class, q.query, a.plan, a.count, a.value
                    );
                }
                Err(e) => println!("MISS 0.00 [{}] {} → {e}", q.class, q.query),
            }
        }
    }

    println!("\n### {name}: accuracy by class (dev / test)\n");
    println!("| class | dev n | dev | test n | test |");
    println!("|---|---|---|---|---|");
    let classes: Vec<String> = {
        let mut c: Vec<String> = scores.keys().map(|(c, _)| c.clone()).collect();
        c.dedup();
        c.retain(|c| c != "all");
        c.push("all".into());
        c
    };
    for class in &classes {
        let cell = |split: &str| {
            scores.get(&(class.clone(), split.to_string())).map_or(("0".to_string(), "–".to_string()), |v| {
                (v.len().to_string(), format!("{:.2}", v.iter().sum::<f64>() / v.len() as f64))
            })
        };
        let ((dn, d), (tn, t)) = (cell("dev"), cell("test"));
        let bold = |s: String| if class == "all" { format!("**{s}**") } else { s };
        println!("| {} | {dn} | {} | {tn} | {} |", bold(class.clone()), bold(d), bold(t));
    }

    println!("\n### {name}: parse + execution latency, µs (debug build, {repeat} runs per question)\n");
    println!("| class | p50 | p99 |");
    println!("|---|---|---|");
    for class in &classes {
        let Some(v) = latency.get_mut(class) else { continue };
        v.sort_by(f64::total_cmp);
        println!("| {class} | {:.0} | {:.0} |", percentile(v, 50.0), percentile(v, 99.0));
    }

    if !one_hop.is_empty() {
        let (mut graph, mut taken, mut wrong) = (0, 0, 0);
        for file in &one_hop {
            let lines: Vec<Question> = read_jsonl(file)?;
            let with_gold = |q: &&Question| q.gold.as_ref().is_some_and(|g| !g.is_empty());
            for q in lines.iter().filter(|q| q.route.as_deref() == Some("graph")).filter(with_gold) {
                graph += 1;
                // Counts and yes/no answers leave the results as they were: only a set of
                // entities leads them.
                if let Some(c) = kb.compose(&q.query, 10).ok().filter(|c| c.answer.kind == AnswerKind::Entities) {
                    taken += 1;
                    let gold: HashSet<&str> = q.gold.iter().flatten().map(String::as_str).collect();
                    let hit = c.answer.entities.iter().take(5).any(|e| gold.contains(e.as_str()));
                    if !hit {
                        wrong += 1;
                    }
                    if misses {
                        println!("ONE-HOP {} {} → {}", if hit { "ok " } else { "BAD" }, q.query, c.answer.plan);
                    }
                }
            }
        }
        println!(
            "\n{name}: one-hop graph questions with gold answers: {graph}; answered by a plan with entities (which then lead the results): {taken}; of those without a gold answer in the plan's top 5: {wrong}"
        );
    }
    Ok(())
}
