//! Mention linking over passages, measured: precision and recall on passages labelled by
//! hand, and passages per second.
//!
//! Two corpora the code was not tuned on, each with its own graph: sections of the Rust book
//! (the toolchain's HTML) against the rustdoc knowledge base of `std`
//! (`datasets/domains/rustdoc`), and atlas documents (their `entities` field ignored) against
//! the atlas graph.
//!
//! ```sh
//! # 1. candidates to label (every mention the loosest settings find, per passage)
//! files-bench mentions-dump --out bench/data/mention-labels.jsonl
//! # 2. label: in each line set "gold" to the entity ids the passage really mentions
//! # 3. precision / recall over a grid of settings, and the linking rate
//! files-bench mentions-eval --labels bench/data/mention-labels.jsonl
//! ```

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use braid_bench::flags::Flags;
use braid_bench::{Rng, Table, read_jsonl};
use braid_graph::{Entity, Graph, Relation};
use braid_kb::ingest::{MentionOptions, find_mentions};
use serde::{Deserialize, Serialize};

/// Passages drawn from each corpus for labelling.
const PER_CORPUS: usize = 30;
/// A section shorter than this says too little to label.
const MIN_WORDS: usize = 40;

/// One labelled passage.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Labelled {
    corpus: String,
    passage: String,
    text: String,
    /// What the loosest settings link: (entity, name, type, mention-free confidence).
    candidates: Vec<Candidate>,
    /// The entities the passage really mentions (filled in by hand); an entry may list
    /// alternatives, ids of one item documented at two paths.
    #[serde(default)]
    gold: Option<Vec<Gold>>,
}

/// One mention a passage makes: an entity id, or the ids that all stand for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum Gold {
    One(String),
    AnyOf(Vec<String>),
}

impl Gold {
    fn ids(&self) -> &[String] {
        match self {
            Gold::One(id) => std::slice::from_ref(id),
            Gold::AnyOf(ids) => ids,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Candidate {
    entity: String,
    name: String,
    confidence: f32,
}

fn main() {
    const USAGE: &str =
        "usage: files-bench mentions-dump [--out FILE] [--seed N] | mentions-eval [--labels FILE] [--errors]";
    let flags = Flags::from_env(USAGE);
    let mode = std::env::args().nth(1);
    let result = match mode.as_deref() {
        Some("mentions-dump") => dump(flags),
        Some("mentions-eval") => eval(flags),
        _ => Err(USAGE.to_string()),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn graph(dir: &Path) -> Result<Graph, String> {
    let mut g = Graph::new();
    g.import_entities(read_jsonl::<Entity>(&dir.join("entities.jsonl"))?);
    g.import_relations(read_jsonl::<Relation>(&dir.join("relations.jsonl"))?);
    g.prepare_adjacency();
    g.prepare_linker();
    Ok(g)
}

/// A corpus: its name, its graph, and every candidate passage (id, text).
type Corpus = (String, Graph, Vec<(String, String)>);

/// The corpora.
fn corpora() -> Result<Vec<Corpus>, String> {
    let mut out = Vec::new();
    let rustdoc = root().join("datasets/domains/rustdoc");
    if let Some(book) = rust_book() {
        let reader = braid_files::FileReader::new(braid_files::ReadOptions::default()).map_err(|e| e.to_string())?;
        let reading = reader.read(&[braid_files::Root::new(&book).with_prefix("book/")], &braid_files::NoProgress);
        let mut passages = Vec::new();
        for doc in &reading.documents {
            for (i, s) in doc.sections().iter().enumerate() {
                if s.text.split_whitespace().count() >= MIN_WORDS {
                    let first = braid_kb::passages::split(&s.text).into_iter().next().unwrap_or_default();
                    passages.push((format!("{}#{}", doc.id, s.anchor.clone().unwrap_or_else(|| i.to_string())), first));
                }
            }
        }
        out.push(("rust-book".to_string(), graph(&rustdoc)?, passages));
    } else {
        eprintln!("note: no Rust book under the sysroot; the rust-book corpus is left out");
    }
    let atlas = root().join("examples/data/atlas");
    #[derive(Deserialize)]
    struct Doc {
        id: String,
        text: String,
    }
    let docs: Vec<Doc> = read_jsonl(&atlas.join("documents.jsonl"))?;
    let passages = docs
        .into_iter()
        .filter(|d| d.text.split_whitespace().count() >= MIN_WORDS)
        .map(|d| (d.id, braid_kb::passages::split(&d.text).into_iter().next().unwrap_or_default()))
        .collect();
    out.push(("atlas".to_string(), graph(&atlas)?, passages));
    Ok(out)
}

fn rust_book() -> Option<PathBuf> {
    let out = std::process::Command::new("rustc").args(["--print", "sysroot"]).output().ok()?;
    let book = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim()).join("share/doc/rust/html/book");
    book.is_dir().then_some(book)
}

/// The loosest settings: every exact or alias match, ambiguous or not, however written.
fn loosest() -> MentionOptions {
    MentionOptions::loosest()
}

fn dump(mut flags: Flags) -> Result<(), String> {
    let out: PathBuf = flags.get("--out", PathBuf::from("mention-labels.jsonl"))?;
    let seed: u64 = flags.get("--seed", 17)?;
    flags.finish()?;
    let mut lines = Vec::new();
    for (name, g, mut passages) in corpora()? {
        passages.sort();
        let mut rng = Rng::new(seed);
        rng.shuffle(&mut passages);
        for (id, text) in passages.into_iter().take(PER_CORPUS) {
            let candidates = find_mentions(&g, &text, &loosest())
                .into_iter()
                .map(|m| Candidate {
                    name: g.entity(&m.entity).map(|e| format!("{} ({})", e.name, e.kind)).unwrap_or_default(),
                    entity: m.entity,
                    confidence: m.confidence,
                })
                .collect();
            let row = Labelled { corpus: name.clone(), passage: id, text, candidates, gold: None };
            lines.push(serde_json::to_string(&row).map_err(|e| e.to_string())?);
        }
    }
    std::fs::write(&out, lines.join("\n") + "\n").map_err(|e| format!("{}: {e}", out.display()))?;
    println!(
        "wrote {} passages to {}: set each line's \"gold\" to the entities it mentions",
        lines.len(),
        out.display()
    );
    Ok(())
}

fn eval(mut flags: Flags) -> Result<(), String> {
    let labels: PathBuf = flags.get("--labels", root().join("bench/data/mention-labels.jsonl"))?;
    let show_errors = flags.switch("--errors");
    flags.finish()?;
    let labelled: Vec<Labelled> = read_jsonl(&labels)?;
    let corpora = corpora()?;
    let graphs: BTreeMap<&str, &Graph> = corpora.iter().map(|(n, g, _)| (n.as_str(), g)).collect();
    let unlabelled = labelled.iter().filter(|l| l.gold.is_none()).count();
    if unlabelled > 0 {
        return Err(format!("{unlabelled} passages have no \"gold\" yet"));
    }
    let gold_total: usize = labelled.iter().map(|l| l.gold.as_ref().map_or(0, Vec::len)).sum();
    println!("{} labelled passages, {gold_total} gold mentions ({})", labelled.len(), labels.display());

    let default = MentionOptions::default();
    // Precision, recall, F1 and the number predicted, per corpus and over both.
    let score = |options: &MentionOptions| -> BTreeMap<String, (f64, f64, f64, usize)> {
        // (correct predictions, predictions, gold mentions, gold mentions found)
        let mut counts: BTreeMap<String, (usize, usize, usize, usize)> = BTreeMap::new();
        for l in &labelled {
            let Some(g) = graphs.get(l.corpus.as_str()) else { continue };
            let predicted: HashSet<String> = find_mentions(g, &l.text, options).into_iter().map(|m| m.entity).collect();
            let gold = l.gold.clone().unwrap_or_default();
            let any_gold: HashSet<&String> = gold.iter().flat_map(|g| g.ids()).collect();
            // Precision counts predictions that name a gold mention; recall counts gold
            // mentions some prediction names.
            let correct = predicted.iter().filter(|p| any_gold.contains(p)).count();
            let found = gold.iter().filter(|g| g.ids().iter().any(|id| predicted.contains(id))).count();
            for key in [l.corpus.clone(), "all".to_string()] {
                let e = counts.entry(key).or_default();
                e.0 += correct;
                e.1 += predicted.len();
                e.2 += gold.len();
                e.3 += found;
            }
        }
        counts
            .into_iter()
            .map(|(corpus, (correct, predicted, gold, found))| {
                let p = if predicted == 0 { 1.0 } else { correct as f64 / predicted as f64 };
                let r = if gold == 0 { 1.0 } else { found as f64 / gold as f64 };
                let f = if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) };
                (corpus, (p, r, f, predicted))
            })
            .collect()
    };
    let cell = |scores: &BTreeMap<String, (f64, f64, f64, usize)>, corpus: &str| {
        scores.get(corpus).map_or("-".to_string(), |(p, r, f, n)| format!("{p:.2} / {r:.2} / {f:.2} ({n})"))
    };

    // The rules one at a time, from the loosest settings to the default and back.
    let loose = loosest();
    let rules: Vec<(&str, MentionOptions)> = vec![
        ("loosest: every exact or alias match", loose),
        ("+ min_confidence 0.7", MentionOptions { min_confidence: default.min_confidence, ..loose }),
        ("+ min_margin 0.1 (not a default)", MentionOptions { min_margin: 0.1, ..loose }),
        ("+ case rule", MentionOptions { case_insensitive_names: false, ..loose }),
        ("+ spelling rule", MentionOptions { loose_spelling: false, ..loose }),
        ("+ short-alias rule", MentionOptions { short_aliases: false, ..loose }),
        ("+ bare-word rule", MentionOptions { bare_words: false, ..loose }),
        ("default (all but the margin)", default),
        ("default − min_confidence", MentionOptions { min_confidence: 0.0, ..default }),
        ("default + min_margin 0.1", MentionOptions { min_margin: 0.1, ..default }),
        ("default − case rule", MentionOptions { case_insensitive_names: true, ..default }),
        ("default − spelling rule", MentionOptions { loose_spelling: true, ..default }),
        ("default − short-alias rule", MentionOptions { short_aliases: true, ..default }),
        ("default − bare-word rule", MentionOptions { bare_words: true, ..default }),
    ];
    let mut table = Table::new(["settings", "all: P / R / F1 (predicted)", "rust-book", "atlas"]);
    for (name, options) in &rules {
        let s = score(options);
        table.row([*name, &cell(&s, "all"), &cell(&s, "rust-book"), &cell(&s, "atlas")]);
    }
    println!("{}", table.to_markdown());

    // The thresholds, with every rule on.
    let mut sweep = Table::new(["min_confidence", "min_margin", "all: P / R / F1 (predicted)", "rust-book", "atlas"]);
    for min_confidence in [0.0f32, 0.7, 0.8, 0.9] {
        for min_margin in [0.0f32, 0.1, 0.2] {
            let options = MentionOptions { min_confidence, min_margin, ..default };
            let s = score(&options);
            let mark = if options == default { " (default)" } else { "" };
            sweep.row([
                &format!("{min_confidence:.2}{mark}"),
                &format!("{min_margin:.2}"),
                &cell(&s, "all"),
                &cell(&s, "rust-book"),
                &cell(&s, "atlas"),
            ]);
        }
    }
    println!("{}", sweep.to_markdown());

    if show_errors {
        // What the default settings get wrong, passage by passage.
        for l in &labelled {
            let Some(g) = graphs.get(l.corpus.as_str()) else { continue };
            let predicted: Vec<String> = find_mentions(g, &l.text, &default).into_iter().map(|m| m.entity).collect();
            let gold = l.gold.clone().unwrap_or_default();
            let any_gold: HashSet<&String> = gold.iter().flat_map(|g| g.ids()).collect();
            let wrong: Vec<&String> = predicted.iter().filter(|p| !any_gold.contains(p)).collect();
            let missed: Vec<&[String]> =
                gold.iter().map(Gold::ids).filter(|ids| !ids.iter().any(|id| predicted.contains(id))).collect();
            if !wrong.is_empty() || !missed.is_empty() {
                println!("{} {}: wrong {wrong:?}; missed {missed:?}", l.corpus, l.passage);
            }
        }
    }

    // Linking rate: every passage of each corpus with the default settings.
    let mut rate = Table::new(["corpus", "passages", "words", "seconds", "passages/s", "words/s", "mentions kept"]);
    for (name, g, passages) in &corpora {
        let words: usize = passages.iter().map(|(_, t)| t.split_whitespace().count()).sum();
        let started = Instant::now();
        let kept: usize = passages.iter().map(|(_, t)| find_mentions(g, t, &default).len()).sum();
        let secs = started.elapsed().as_secs_f64();
        rate.row([
            name.as_str(),
            &passages.len().to_string(),
            &words.to_string(),
            &format!("{secs:.2}"),
            &format!("{:.0}", passages.len() as f64 / secs),
            &format!("{:.0}", words as f64 / secs),
            &kept.to_string(),
        ]);
    }
    println!("{}", rate.to_markdown());
    Ok(())
}
