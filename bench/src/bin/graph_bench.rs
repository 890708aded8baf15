//! Graph-store benchmark (issue 3): bulk load time and resident memory, entity-linking,
//! 2-hop neighbourhood, shortest-path and personalised-PageRank latency on one dataset.
//!
//! ```text
//! graph-bench --name wordnet --entities E.jsonl --relations R.jsonl [--out DIR] [--seed N]
//!             [--link-queries N] [--hood-queries N] [--path-queries N] [--ppr-queries N]
//!             [--ppr-epsilons 1e-6,1e-7] [--target-link-p50-us 20] [--target-hood-p50-us 200]
//!             [--target-ppr-p50-us 2000] [--check]
//! ```
//!
//! After the tables, one `PASS`/`FAIL` line per target of BENCHMARKS.md ("Graph store",
//! "Targets"; the flags' defaults): linking p50, 2-hop p50, and PPR top-20 p50 at the
//! default ε (checked only when that ε is among `--ppr-epsilons`). With `--check` the exit
//! status is non-zero when a target is missed (`bench/check.sh`).
//!
//! Prints Markdown tables on stdout. With `--out`, also writes what the networkx comparison
//! (`bench/scripts/networkx_ppr.py`) needs: `nodes.txt` (every entity id), `edges.tsv`
//! (every relation the graph holds, `source<TAB>target`) and `ppr.jsonl` (per query and
//! epsilon: the seeds, Braid's time in µs and its top 20).
//!
//! Run one process per dataset so that the resident-memory delta is not blurred by an
//! earlier load. Build with `--release`; debug numbers mean nothing.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use braid_bench::flags::Flags;
use braid_bench::targets::Verdicts;
use braid_bench::{Rng, Stats, Table, peak_rss_mib, read_jsonl, rss_mib, time_each};
use braid_graph::{Entity, Graph, NeighborQuery, PprParams, Relation};

/// Words that pad a linking query to ten words: question words, verbs, function words.
const FILLER: &[&str] = &[
    "what",
    "is",
    "the",
    "of",
    "and",
    "between",
    "how",
    "does",
    "relate",
    "to",
    "a",
    "which",
    "kind",
    "in",
    "tell",
    "me",
    "about",
    "are",
    "there",
    "any",
    "with",
    "for",
    "why",
    "do",
    "people",
    "say",
    "that",
    "or",
    "compare",
    "explain",
    "difference",
    "show",
    "examples",
    "when",
    "was",
    "it",
    "used",
    "by",
    "from",
    "can",
];
const QUERY_WORDS: usize = 10;
const TOP: usize = 20;

struct Args {
    name: String,
    entities: PathBuf,
    relations: PathBuf,
    out: Option<PathBuf>,
    seed: u64,
    link_queries: usize,
    hood_queries: usize,
    path_queries: usize,
    ppr_queries: usize,
    ppr_epsilons: Vec<f64>,
    target_link_p50_us: f64,
    target_hood_p50_us: f64,
    target_ppr_p50_us: f64,
    check: bool,
}

const USAGE: &str = "usage: graph-bench --name N --entities E.jsonl --relations R.jsonl [--out DIR] [--seed N] \
[--link-queries N] [--hood-queries N] [--path-queries N] [--ppr-queries N] [--ppr-epsilons 1e-6,1e-7] \
[--target-link-p50-us 20] [--target-hood-p50-us 200] [--target-ppr-p50-us 2000] [--check]";

fn parse_args() -> Result<Args, String> {
    let mut flags = Flags::from_env(USAGE);
    let args = Args {
        name: flags.get("--name", "dataset".to_string())?,
        entities: flags.get("--entities", PathBuf::new())?,
        relations: flags.get("--relations", PathBuf::new())?,
        out: flags.value("--out")?,
        seed: flags.get("--seed", 2024)?,
        link_queries: flags.get("--link-queries", 5000)?,
        hood_queries: flags.get("--hood-queries", 2000)?,
        path_queries: flags.get("--path-queries", 500)?,
        ppr_queries: flags.get("--ppr-queries", 200)?,
        ppr_epsilons: flags.list("--ppr-epsilons", vec![PprParams::default().epsilon])?,
        // BENCHMARKS.md, "Graph store" targets.
        target_link_p50_us: flags.get("--target-link-p50-us", 20.0)?,
        target_hood_p50_us: flags.get("--target-hood-p50-us", 200.0)?,
        target_ppr_p50_us: flags.get("--target-ppr-p50-us", 2000.0)?,
        check: flags.switch("--check"),
    };
    flags.done()?;
    if args.entities.as_os_str().is_empty() || args.relations.as_os_str().is_empty() {
        return Err("--entities and --relations are required".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    match parse_args().and_then(|args| run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("graph-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn us(v: f64) -> String {
    if v >= 1000.0 { format!("{:.2} ms", v / 1000.0) } else { format!("{v:.1} µs") }
}

fn latency_row(table: &mut Table, what: &str, stats: &Stats, note: &str) {
    table.row([
        what.to_string(),
        stats.n.to_string(),
        us(stats.p50),
        us(stats.p90),
        us(stats.p99),
        us(stats.max),
        note.to_string(),
    ]);
}

fn run(args: &Args) -> Result<(), String> {
    let mut md = String::new();
    let mut rng = Rng::new(args.seed);
    let mut verdicts = Verdicts::default();

    // ----- bulk load -----
    let rss_before = rss_mib();
    let start = Instant::now();
    let entities: Vec<Entity> = read_jsonl(&args.entities)?;
    let relations: Vec<Relation> = read_jsonl(&args.relations)?;
    let parse_s = start.elapsed().as_secs_f64();
    let (entity_records, relation_records) = (entities.len(), relations.len());
    let start = Instant::now();
    let mut graph = Graph::new();
    let entity_report = graph.import_entities(entities);
    let relation_report = graph.import_relations(relations);
    let import_s = start.elapsed().as_secs_f64();
    let rss_loaded = rss_mib();
    let start = Instant::now();
    graph.prepare_linker();
    let linker_s = start.elapsed().as_secs_f64();
    let rss_linker = rss_mib();
    let graph = graph; // read-only from here on

    let _ = writeln!(md, "#### {}: bulk load\n", args.name);
    let mut table = Table::new(["measure", "value"]);
    table
        .row([
            "entity records → entities".to_string(),
            format!("{entity_records} → {} ({} rejected)", graph.entity_count(), entity_report.rejected.len()),
        ])
        .row([
            "relation records → edges".to_string(),
            format!(
                "{relation_records} → {} ({} duplicate triples, {} rejected)",
                graph.relation_count(),
                relation_report.unchanged,
                relation_report.rejected.len()
            ),
        ])
        .row(["parse JSONL (serde_json)".to_string(), format!("{parse_s:.2} s")])
        .row(["import_entities + import_relations".to_string(), format!("{import_s:.2} s")])
        .row(["bulk load total (parse + import)".to_string(), format!("{:.2} s", parse_s + import_s)])
        .row(["prepare_linker (name phrase index + fuzzy index)".to_string(), format!("{linker_s:.2} s")])
        .row(["RSS delta after import".to_string(), format!("{:.0} MiB", rss_loaded - rss_before)])
        .row(["RSS delta after linker build".to_string(), format!("{:.0} MiB", rss_linker - rss_before)])
        .row(["peak RSS of the process (VmHWM)".to_string(), format!("{:.0} MiB", peak_rss_mib())]);
    md.push_str(&table.to_markdown());

    // Stable order so the same seed gives the same queries on every run.
    let mut ids: Vec<&str> = graph.entities().map(|e| e.id.as_str()).collect();
    ids.sort_unstable();
    let connected: Vec<&str> = ids.iter().copied().filter(|id| graph.degree(id) > 0).collect();
    if connected.is_empty() {
        return Err("the graph has no relations".into());
    }

    // ----- entity linking -----
    let mut lemmas: Vec<&str> = graph
        .entities()
        .flat_map(|e| std::iter::once(e.name.as_str()).chain(e.aliases.iter().map(String::as_str)))
        .filter(|l| l.split_whitespace().count() <= 3)
        .collect();
    lemmas.sort_unstable();
    lemmas.dedup();
    let clean: Vec<String> = (0..args.link_queries).map(|_| link_query(&mut rng, &lemmas, false)).collect();
    let typo: Vec<String> = (0..args.link_queries).map(|_| link_query(&mut rng, &lemmas, true)).collect();
    for q in clean.iter().take(200) {
        std::hint::black_box(graph.link(q));
    }
    let (clean_t, clean_links) = time_each(&clean, |q| graph.link(q).len());
    let (typo_t, typo_links) = time_each(&typo, |q| graph.link(q).len());
    let mean = |v: &[usize]| v.iter().sum::<usize>() as f64 / v.len().max(1) as f64;

    let _ = writeln!(md, "\n#### {}: latency (single thread, release)\n", args.name);
    let mut table = Table::new(["operation", "queries", "p50", "p90", "p99", "max", "notes"]);
    let link_stats = Stats::from_samples(&clean_t);
    verdicts.at_most(&format!("{}: link 10-word query, p50 µs", args.name), link_stats.p50, args.target_link_p50_us);
    latency_row(
        &mut table,
        "link 10-word query",
        &link_stats,
        &format!(
            "{} distinct names/aliases (≤ 3 words) sampled; 1–3 per query; {:.1} links/query",
            lemmas.len(),
            mean(&clean_links)
        ),
    );
    latency_row(
        &mut table,
        "link 10-word query, one typo",
        &Stats::from_samples(&typo_t),
        &format!("one lemma with two letters swapped (fuzzy path); {:.1} links/query", mean(&typo_links)),
    );
    if let Some(example) = clean.first() {
        eprintln!("example linking query: {example:?}");
    }

    // ----- 2-hop neighbourhood -----
    let hood_query = NeighborQuery { depth: 2, limit: 1000, ..NeighborQuery::default() };
    let centres: Vec<&str> = (0..args.hood_queries).map(|_| *rng.pick(&connected)).collect();
    let (hood_t, hood_sizes) =
        time_each(&centres, |id| graph.neighbors(id, &hood_query).map(|h| h.entities.len()).unwrap_or(0));
    let capped = hood_sizes.iter().filter(|&&n| n >= hood_query.limit).count();
    let hood_stats = Stats::from_samples(&hood_t);
    verdicts.at_most(&format!("{}: 2-hop neighbourhood, p50 µs", args.name), hood_stats.p50, args.target_hood_p50_us);
    latency_row(
        &mut table,
        "2-hop neighbourhood (limit 1000)",
        &hood_stats,
        &format!(
            "random connected centres; {:.0} entities on average, {} of {} hit the limit",
            mean(&hood_sizes),
            capped,
            centres.len()
        ),
    );

    // ----- shortest path -----
    let pairs: Vec<(&str, &str)> =
        (0..args.path_queries).map(|_| (*rng.pick(&connected), *rng.pick(&connected))).collect();
    let (path_t, path_lens) =
        time_each(&pairs, |(a, b)| graph.shortest_path(a, b, None).ok().flatten().map(|p| p.len()));
    let found: Vec<usize> = path_lens.iter().flatten().copied().collect();
    latency_row(
        &mut table,
        "shortest path (BFS, any relation)",
        &Stats::from_samples(&path_t),
        &format!(
            "random connected pairs; {} of {} connected, {:.1} hops on average",
            found.len(),
            pairs.len(),
            mean(&found)
        ),
    );

    // ----- personalised PageRank -----
    let seeds: Vec<Vec<(String, f64)>> = (0..args.ppr_queries)
        .map(|_| {
            let mut picked: Vec<String> = Vec::new();
            let n = 1 + rng.below(3);
            while picked.len() < n {
                let id = rng.pick(&connected).to_string();
                if !picked.contains(&id) {
                    picked.push(id);
                }
            }
            picked.into_iter().map(|id| (id, 1.0)).collect()
        })
        .collect();
    let mut ppr_out = Vec::new();
    for &epsilon in &args.ppr_epsilons {
        let params = PprParams { epsilon, ..PprParams::default() };
        for s in seeds.iter().take(10) {
            std::hint::black_box(graph.personalized_pagerank(s, &params));
        }
        let (ppr_t, tops) = time_each(&seeds, |s| {
            let mut ranked = graph.personalized_pagerank(s, &params);
            let touched = ranked.len();
            ranked.truncate(TOP);
            (ranked, touched)
        });
        let touched: Vec<usize> = tops.iter().map(|(_, n)| *n).collect();
        let ppr_stats = Stats::from_samples(&ppr_t);
        if epsilon == PprParams::default().epsilon {
            verdicts.at_most(
                &format!("{}: PPR top-20 at ε = {epsilon:e}, p50 µs", args.name),
                ppr_stats.p50,
                args.target_ppr_p50_us,
            );
        }
        latency_row(
            &mut table,
            &format!("PPR top-20, 1–3 seeds, ε = {epsilon:e}"),
            &ppr_stats,
            &format!("α = {}; {:.0} entities with mass on average", params.alpha, mean(&touched)),
        );
        for ((s, t), (top, _)) in seeds.iter().zip(&ppr_t).zip(tops) {
            ppr_out.push(serde_json::json!({ "epsilon": epsilon, "seeds": s, "braid_us": t, "top": top }));
        }
    }
    md.push_str(&table.to_markdown());
    print!("{md}");
    println!();
    let verdict = verdicts.report();

    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let write = |name: &str, body: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>| {
            let path = dir.join(name);
            let mut file = BufWriter::new(File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?);
            body(&mut file).and_then(|()| file.flush()).map_err(|e| format!("{}: {e}", path.display()))
        };
        write("nodes.txt", &mut |w| ids.iter().try_for_each(|id| writeln!(w, "{id}")))?;
        write("edges.tsv", &mut |w| graph.relations().try_for_each(|r| writeln!(w, "{}\t{}", r.source, r.target)))?;
        write("ppr.jsonl", &mut |w| ppr_out.iter().try_for_each(|q| writeln!(w, "{q}")))?;
    }
    if args.check { verdict } else { Ok(()) }
}

/// A ten-word query: one to three lemmas (kept contiguous) shuffled among filler words;
/// with `typo`, two adjacent inner letters of the longest lemma word are swapped.
fn link_query(rng: &mut Rng, lemmas: &[&str], typo: bool) -> String {
    loop {
        let n = 1 + rng.below(3);
        let mut chunks: Vec<String> = (0..n).map(|_| rng.pick(lemmas).to_string()).collect();
        let words: usize = chunks.iter().map(|c| c.split_whitespace().count()).sum();
        if words > QUERY_WORDS {
            continue;
        }
        if typo && !add_typo(&mut chunks[0]) {
            continue;
        }
        chunks.extend((words..QUERY_WORDS).map(|_| rng.pick(FILLER).to_string()));
        rng.shuffle(&mut chunks);
        return chunks.join(" ");
    }
}

/// Swaps two adjacent letters in the middle of the longest word (of at least 5 letters,
/// all alphabetic); `false` when there is no such word.
fn add_typo(lemma: &mut String) -> bool {
    let Some(word) = lemma
        .split_whitespace()
        .filter(|w| w.chars().count() >= 5 && w.chars().all(char::is_alphabetic))
        .max_by_key(|w| w.chars().count())
    else {
        return false;
    };
    let mut chars: Vec<char> = word.chars().collect();
    let mid = chars.len() / 2;
    if chars[mid - 1] == chars[mid] {
        return false;
    }
    chars.swap(mid - 1, mid);
    let swapped: String = chars.into_iter().collect();
    let word = word.to_string();
    let mut seen = HashSet::new();
    *lemma = lemma
        .split_whitespace()
        .map(|w| if w == word && seen.insert(w.to_string()) { swapped.clone() } else { w.to_string() })
        .collect::<Vec<_>>()
        .join(" ");
    true
}
