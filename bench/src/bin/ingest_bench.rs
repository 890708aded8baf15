//! Ingest throughput and resident memory of Braid through the library (issue 9).
//!
//! ```text
//! ingest-bench ingest --atlas examples/data/atlas [--wordnet target/bench-data/wordnet]
//! ingest-bench ingest --atlas none --wordnet target/bench-data/wordnet   # WordNet alone
//! ingest-bench memory-vectors --n 100000        # N synthetic documents through Braid::put_documents
//! ingest-bench memory-store --n 100000          # N synthetic items straight into braid_vector::VectorStore
//! ingest-bench memory-relations --n 1000000     # N/5 entities, then N random relations
//! ingest-bench memory-graph --n 1000000         # the same into braid_graph::Graph alone, live heap
//! ```
//!
//! `ingest` times `braid_kb::ingest::ingest_paths` (what `braid ingest` runs) per file on a fresh
//! data directory: entities, relations, documents, images, in that order, so images can be
//! enriched from the graph as they are in `braid demo`. The memory modes print the resident
//! set (`VmRSS`) before and after the load and the delta extrapolated linearly to one million
//! items; run one process per mode so the deltas are not blurred by an earlier load.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use braid_bench::flags::Flags;
use braid_bench::heap::{Counting, live_bytes};
use braid_bench::{Rng, Table, open_kb, peak_rss_mib, rss_mib};
use braid_kb::records::{DocumentRecord, Entity, Relation};

/// Counts live Rust heap bytes, so the relations row does not depend on RSS (see `heap`).
#[global_allocator]
static HEAP: Counting = Counting;

const USAGE: &str = "usage: ingest-bench ingest|memory-vectors|memory-store|memory-relations|memory-graph [--n N] \
[--atlas DIR|none] [--wordnet DIR]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ingest-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut flags = Flags::from_env(USAGE);
    let n: usize = flags.get("--n", 100_000)?;
    let atlas: PathBuf = flags.get("--atlas", PathBuf::from("examples/data/atlas"))?;
    let wordnet: Option<PathBuf> = flags.value("--wordnet")?;
    let mode = flags.finish()?.into_iter().next().unwrap_or_default();
    match mode.as_str() {
        "ingest" => ingest(&atlas, wordnet.as_deref()),
        "memory-vectors" => memory_vectors(n),
        "memory-store" => memory_store(n),
        "memory-relations" => memory_relations(n),
        "memory-graph" => memory_graph(n),
        _ => Err(USAGE.into()),
    }
}

fn timed_ingest(braid: &braid_kb::KnowledgeBase, path: &Path) -> Result<(braid_kb::ingest::IngestReport, f64), String> {
    let start = Instant::now();
    let report = braid_kb::ingest::ingest_paths(braid, &[path.to_path_buf()], &braid_kb::ingest::NoProgress)
        .map_err(|e| e.to_string())?;
    if !report.rejected.is_empty() {
        return Err(format!("{}: {} rejected, first: {}", path.display(), report.rejected.len(), report.rejected[0]));
    }
    Ok((report, start.elapsed().as_secs_f64()))
}

fn ingest(atlas: &Path, wordnet: Option<&Path>) -> Result<(), String> {
    let mut table = Table::new(["dataset", "file", "records", "seconds", "records/s"]);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let braid = open_kb(dir.path())?;
    let atlas_files: &[&str] =
        if atlas == Path::new("none") { &[] } else { &["entities", "relations", "documents", "images"] };
    for file in atlas_files {
        let (r, secs) = timed_ingest(&braid, &atlas.join(format!("{file}.jsonl")))?;
        let count = r.entities + r.relations + r.documents + r.images;
        table.row([
            "atlas".to_string(),
            format!("{file}.jsonl"),
            count.to_string(),
            format!("{secs:.2}"),
            format!("{:.0}", count as f64 / secs),
        ]);
    }
    drop(braid);
    if let Some(wn) = wordnet {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let braid = open_kb(dir.path())?;
        for file in ["entities", "relations"] {
            let (r, secs) = timed_ingest(&braid, &wn.join(format!("{file}.jsonl")))?;
            let count = r.entities + r.relations;
            table.row([
                "wordnet".to_string(),
                format!("{file}.jsonl"),
                count.to_string(),
                format!("{secs:.2}"),
                format!("{:.0}", count as f64 / secs),
            ]);
        }
        println!("WordNet resident after import: {:.0} MiB (peak {:.0} MiB)\n", rss_mib(), peak_rss_mib());
    }
    print!("{}", table.to_markdown());
    Ok(())
}

/// A vocabulary of pseudo-words so that the lexical index sees realistic term counts.
fn vocabulary(rng: &mut Rng, size: usize) -> Vec<String> {
    const SYL: &[&str] =
        &["ka", "lo", "mi", "ren", "tu", "sa", "vor", "el", "dan", "qui", "po", "ber", "ni", "ax", "ul"];
    (0..size).map(|_| (0..2 + rng.below(3)).map(|_| *rng.pick(SYL)).collect::<String>()).collect()
}

fn sentence(rng: &mut Rng, vocab: &[String], words: usize) -> String {
    (0..words).map(|_| rng.pick(vocab).as_str()).collect::<Vec<_>>().join(" ")
}

fn report_memory(what: &str, n: usize, before: f64, after: f64, secs: f64) {
    let delta = after - before;
    let mut t = Table::new([
        "what",
        "n",
        "RSS before",
        "RSS after",
        "delta",
        "per item",
        "per million (extrapolated)",
        "items/s",
    ]);
    t.row([
        what.to_string(),
        n.to_string(),
        format!("{before:.0} MiB"),
        format!("{after:.0} MiB"),
        format!("{delta:.0} MiB"),
        format!("{:.0} B", delta * 1024.0 * 1024.0 / n as f64),
        format!("{:.2} GiB", delta / n as f64 * 1e6 / 1024.0),
        format!("{:.0}", n as f64 / secs),
    ]);
    print!("{}", t.to_markdown());
    println!("(peak RSS {:.0} MiB)", peak_rss_mib());
}

fn memory_vectors(n: usize) -> Result<(), String> {
    let mut rng = Rng::new(9);
    let vocab = vocabulary(&mut rng, 20_000);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let braid = open_kb(dir.path())?;
    let before = rss_mib();
    let start = Instant::now();
    for batch in 0..n.div_ceil(1000) {
        let docs: Vec<DocumentRecord> = (batch * 1000..((batch + 1) * 1000).min(n))
            .map(|i| DocumentRecord {
                id: format!("doc:synthetic:{i}"),
                title: sentence(&mut rng, &vocab, 3),
                text: sentence(&mut rng, &vocab, 40),
                entities: Vec::new(),
                source: None,
                license: None,
            })
            .collect();
        braid.put_documents(docs).map_err(|e| e.to_string())?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "Braid::put_documents, embedder `{}` (dimension {}), {n} synthetic documents of 3 + 40 words:\n",
        braid.embedder().name(),
        braid.embedder().dimension()
    );
    report_memory("documents (vector + lexical index + store)", n, before, rss_mib(), secs);
    Ok(())
}

fn memory_store(n: usize) -> Result<(), String> {
    use braid_vector::{Embedder, HashingEmbedder, Item, Modality, VectorConfig, VectorStore};
    let mut rng = Rng::new(9);
    let vocab = vocabulary(&mut rng, 20_000);
    let embedder = HashingEmbedder::new(braid_vector::DEFAULT_HASHING_DIMENSION);
    let store =
        VectorStore::in_memory(VectorConfig::with_dimension(embedder.dimension())).map_err(|e| e.to_string())?;
    let before = rss_mib();
    let start = Instant::now();
    for batch in 0..n.div_ceil(1000) {
        let mut items = Vec::new();
        for i in batch * 1000..((batch + 1) * 1000).min(n) {
            let text = sentence(&mut rng, &vocab, 40);
            let vector = embedder.embed_text(&text).map_err(|e| e.to_string())?;
            let item = Item {
                id: format!("doc:synthetic:{i}"),
                modality: Modality::Text,
                kind: "document".into(),
                title: sentence(&mut rng, &vocab, 3),
                text,
                tags: Vec::new(),
                entities: Vec::new(),
                source: None,
            };
            items.push((item, vector));
        }
        store.upsert_batch(items).map_err(|e| e.to_string())?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "braid_vector::VectorStore::upsert_batch (usearch HNSW + tantivy, in memory), dimension {}, {n} synthetic items:\n",
        embedder.dimension()
    );
    report_memory("vector store items", n, before, rss_mib(), secs);
    Ok(())
}

fn memory_relations(n: usize) -> Result<(), String> {
    let mut rng = Rng::new(9);
    let entities = (n / 5).max(2);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let braid = open_kb(dir.path())?;
    for batch in 0..entities.div_ceil(5000) {
        let es: Vec<Entity> = (batch * 5000..((batch + 1) * 5000).min(entities))
            .map(|i| Entity::new(format!("e:{i}"), format!("entity {i}"), "thing"))
            .collect();
        braid.put_entities(es).map_err(|e| e.to_string())?;
    }
    // Readers build the compact adjacency lazily: build it now, so both sides include it.
    let probe = |braid: &braid_kb::KnowledgeBase| braid.neighbors("e:0", &Default::default()).map(|_| ());
    probe(&braid).map_err(|e| e.to_string())?;
    let heap_before = live_bytes();
    let before = rss_mib();
    let start = Instant::now();
    let mut written = 0;
    while written < n {
        let rs = random_relations(&mut rng, 5000.min(n - written), entities);
        written += rs.len();
        braid.put_relations(rs).map_err(|e| e.to_string())?;
    }
    let secs = start.elapsed().as_secs_f64();
    probe(&braid).map_err(|e| e.to_string())?;
    let heap_after = live_bytes();
    println!("Braid::put_relations: {entities} entities loaded first (not counted), then {n} random relations:\n");
    report_memory("relations (graph + store)", n, before, rss_mib(), secs);
    report_heap("relation", n, heap_before, heap_after);
    Ok(())
}

/// What a relation costs where it stays resident: the graph (petgraph, edge index, the
/// adjacency snapshot readers use), measured as live heap bytes around the import. The
/// store of record keeps relations on disk (redb), so RSS there is page cache, not heap.
/// The graph at `n` random relations among `n / 5` entities: live heap per part (entities,
/// relations with their edge index and triple set, the adjacency snapshot, the entity
/// linker), the import rate, and 2-hop and linking latency at that size (issue 22).
fn memory_graph(n: usize) -> Result<(), String> {
    let mut rng = Rng::new(9);
    let entities = (n / 5).max(2);
    let mut graph = braid_graph::Graph::new();
    let empty = live_bytes();
    // Names as names are: two made-up words each (not "entity 17", whose shared prefix
    // would make every name one bucket of the typo index).
    let names: Vec<String> = (0..entities).map(|i| pseudo_name(i as u64)).collect();
    graph.import_entities(
        names.iter().enumerate().map(|(i, name)| braid_graph::Entity::new(format!("e:{i}"), name.clone(), "thing")),
    );
    let with_entities = live_bytes();
    // Measured before the input exists: the import consumes and frees it.
    let base = live_bytes();
    let relations = random_relations(&mut rng, n, entities);
    let start = Instant::now();
    let report = graph.import_relations(relations);
    let import_secs = start.elapsed().as_secs_f64();
    let with_relations = live_bytes();
    let start = Instant::now();
    graph.prepare_adjacency();
    let adjacency_secs = start.elapsed().as_secs_f64();
    let with_adjacency = live_bytes();
    let start = Instant::now();
    graph.prepare_linker();
    let linker_secs = start.elapsed().as_secs_f64();
    let with_linker = live_bytes();
    println!(
        "braid_graph::Graph: {entities} entities first, then {n} random relation records ({} edges stored); import \
         {import_secs:.2} s ({:.0} relations/s), adjacency snapshot {adjacency_secs:.2} s, linker {linker_secs:.2} s\n",
        report.written,
        n as f64 / import_secs
    );
    let edges = report.written.max(1) as f64;
    let mut table = Table::new(["part", "live heap", "per relation", "per entity"]);
    for (part, bytes) in [
        ("entities (nodes, id map)", with_entities.saturating_sub(empty)),
        ("relations (edges, triple set)", with_relations.saturating_sub(base)),
        ("adjacency snapshot", with_adjacency.saturating_sub(with_relations)),
        ("entity linker", with_linker.saturating_sub(with_adjacency)),
        ("all", with_linker.saturating_sub(base) + with_entities.saturating_sub(empty)),
    ] {
        table.row([
            part.to_string(),
            format!("{:.0} MiB", bytes as f64 / (1u64 << 20) as f64),
            format!("{:.0} B", bytes as f64 / edges),
            format!("{:.0} B", bytes as f64 / entities as f64),
        ]);
    }
    println!("{}", table.to_markdown());
    let hood = braid_graph::NeighborQuery { depth: 2, limit: 1000, ..braid_graph::NeighborQuery::default() };
    let centres: Vec<String> = (0..2000).map(|_| format!("e:{}", rng.below(entities))).collect();
    let (hop_times, _) = braid_bench::time_each(&centres, |id| graph.neighbors(id, &hood).map(|h| h.entities.len()));
    let queries: Vec<String> =
        (0..2000).map(|_| format!("what links {} to {} in this graph", rng.pick(&names), rng.pick(&names))).collect();
    let (link_times, _) = braid_bench::time_each(&queries, |q| graph.link(q).len());
    let hop = braid_bench::Stats::from_samples(&hop_times);
    let link = braid_bench::Stats::from_samples(&link_times);
    println!(
        "2-hop neighbourhood (limit 1000), 2000 random centres: p50 {:.1} µs, p99 {:.1} µs; linking a 10-word query \
         naming two entities: p50 {:.1} µs, p99 {:.1} µs",
        hop.p50, hop.p99, link.p50, link.p99
    );
    report_heap("edge", report.written, base, with_linker);
    Ok(())
}

/// A made-up two-word name for entity `i`: two to four syllables a word.
fn pseudo_name(i: u64) -> String {
    const SYLLABLES: [&str; 32] = [
        "ka", "lo", "mi", "ne", "ru", "ta", "vo", "sil", "dar", "mon", "tel", "bri", "gan", "hul", "pe", "zo", "qua",
        "rin", "sa", "tor", "ul", "ven", "wy", "xe", "yor", "ze", "ba", "cri", "do", "fen", "gi", "ha",
    ];
    let mut rng = Rng::new(braid_bench::mix64(i ^ 0x4E41_4D45));
    let mut word = || {
        let n = 2 + rng.below(3);
        (0..n).map(|_| *rng.pick(&SYLLABLES)).collect::<String>()
    };
    let first = word();
    format!("{first} {}", word())
}

/// Prints the live-heap growth from `before` to `after` bytes per `unit`, for `n` units.
fn report_heap(unit: &str, n: usize, before: usize, after: usize) {
    let mib = |bytes: f64| bytes / (1u64 << 20) as f64;
    let delta = after as f64 - before as f64;
    let per = delta / n.max(1) as f64;
    println!(
        "live Rust heap: {:.0} MiB before, {:.0} MiB after, delta {:.0} MiB for {n} = {per:.0} B per {unit} = {:.2} GiB per million",
        mib(before as f64),
        mib(after as f64),
        mib(delta),
        per * 1e6 / (1u64 << 30) as f64
    );
}

/// `n` relations between random entities `e:0..e:{entities}` with a few relation types.
fn random_relations(rng: &mut Rng, n: usize, entities: usize) -> Vec<Relation> {
    const RELATIONS: &[&str] = &["is_a", "part_of", "borders", "related_to", "located_in"];
    (0..n)
        .map(|_| {
            Relation::new(
                format!("e:{}", rng.below(entities)),
                *rng.pick(RELATIONS),
                format!("e:{}", rng.below(entities)),
            )
        })
        .collect()
}
