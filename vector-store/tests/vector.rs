//! Integration tests of braid-vector, on synthetic data and on the demo atlas
//! (4,567 documents and 602 images from examples/data/atlas).

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use braid_vector::{
    DensePlan, EmbedError, Embedder, Filter, HashingEmbedder, Item, Metric, Modality, Quantization, SearchMode,
    SearchRequest, VectorConfig, VectorError, VectorStore,
};
use serde::Deserialize;

mod checkpoint;
mod embedders;
#[cfg(feature = "milvus")]
mod milvus;

const DOCUMENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/atlas/documents.jsonl");
const IMAGES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/atlas/images.jsonl");

// ---------------------------------------------------------------- helpers

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

fn text_item(id: &str, title: &str, text: &str) -> Item {
    Item {
        id: id.into(),
        modality: Modality::Text,
        kind: "document".into(),
        title: title.into(),
        text: text.into(),
        tags: vec![],
        entities: vec![],
        source: None,
    }
}

fn embed_item(embedder: &HashingEmbedder, item: &Item) -> Vec<f32> {
    embedder.embed_text(&format!("{}\n{}", item.title, item.text)).expect("item text embeds")
}

/// A small store over hand-written documents.
fn small_store() -> (VectorStore, HashingEmbedder) {
    let embedder = HashingEmbedder::new(256);
    let store = VectorStore::in_memory(VectorConfig::with_dimension(256)).expect("store");
    let docs = [
        ("doc:koala", "Koala", "The koala is an arboreal marsupial native to Australia; it eats eucalyptus leaves."),
        ("doc:kangaroo", "Kangaroo", "Kangaroos are large marsupials that hop on their powerful hind legs."),
        ("doc:paris", "Paris", "Paris is the capital and most populous city of France, on the Seine."),
        ("doc:berlin", "Berlin", "Berlin is the capital of Germany and its largest city."),
        ("doc:rust", "Rust (programming language)", "Rust is a systems programming language focused on memory safety."),
        ("doc:tea", "Tea", "Tea is an aromatic beverage prepared by pouring hot water over cured leaves."),
    ];
    let batch: Vec<(Item, Vec<f32>)> = docs
        .iter()
        .map(|(id, title, text)| {
            let item = text_item(id, title, text);
            let v = embed_item(&embedder, &item);
            (item, v)
        })
        .collect();
    assert_eq!(store.upsert_batch(batch).expect("batch"), docs.len());
    (store, embedder)
}

#[derive(Deserialize)]
struct AtlasDocument {
    id: String,
    title: String,
    text: String,
    #[serde(default)]
    entities: Vec<String>,
    source: Option<String>,
}

#[derive(Deserialize)]
struct AtlasImage {
    id: String,
    caption: String,
    #[serde(default)]
    depicts: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    source: Option<String>,
}

struct Atlas {
    store: VectorStore,
    embedder: HashingEmbedder,
    items: Vec<Item>,
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &str) -> Vec<T> {
    std::fs::read_to_string(path)
        .expect("atlas file readable")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("valid atlas line"))
        .collect()
}

/// The whole atlas, embedded with the hashing embedder, built once for all tests.
fn atlas() -> &'static Atlas {
    static ATLAS: OnceLock<Atlas> = OnceLock::new();
    ATLAS.get_or_init(|| {
        let embedder = HashingEmbedder::default();
        let mut items: Vec<Item> = read_jsonl::<AtlasDocument>(DOCUMENTS)
            .into_iter()
            .map(|d| Item {
                id: d.id,
                modality: Modality::Text,
                kind: "document".into(),
                title: d.title,
                text: d.text,
                tags: vec![],
                entities: d.entities,
                source: d.source,
            })
            .collect();
        items.extend(read_jsonl::<AtlasImage>(IMAGES).into_iter().map(|i| Item {
            text: format!("{} {}", i.caption, i.tags.join(" ")),
            id: i.id,
            modality: Modality::Image,
            kind: "image".into(),
            title: i.caption,
            tags: i.tags,
            entities: i.depicts,
            source: i.source,
        }));
        assert_eq!(items.len(), 4_567 + 602);
        let started = std::time::Instant::now();
        let store = VectorStore::in_memory(VectorConfig::default()).expect("store");
        // Two batches, to exercise capacity growth across batches.
        let batch: Vec<(Item, Vec<f32>)> = items.iter().map(|it| (it.clone(), embed_item(&embedder, it))).collect();
        let embedded = started.elapsed();
        let (first, second) = batch.split_at(1_000);
        store.upsert_batch(first.to_vec()).expect("first batch");
        store.upsert_batch(second.to_vec()).expect("second batch");
        eprintln!(
            "atlas: {} items embedded in {embedded:?}, indexed in {:?}",
            items.len(),
            started.elapsed() - embedded
        );
        Atlas { store, embedder, items }
    })
}

fn image_filter() -> Filter {
    Filter { modality: Some(Modality::Image), ..Filter::default() }
}

// ---------------------------------------------------------------- embedder

#[test]
fn hashing_embedder_is_deterministic() {
    let a = HashingEmbedder::new(384);
    let b = HashingEmbedder::new(384);
    let text = "Koalas eat eucalyptus leaves in Australia";
    let va = a.embed_text(text).expect("embeds");
    assert_eq!(va, b.embed_text(text).expect("embeds"));
    assert_eq!(va.len(), 384);
    assert_eq!(a.dimension(), 384);
    assert_eq!(a.name(), "hash-384");
    let norm: f32 = va.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-5);
    // Batch and single embedding agree.
    let batch = a.embed_texts(&[text, "other"]).expect("embeds");
    assert_eq!(batch[0], va);
    // Pinned: the hash must not change between versions or platforms, or stored vectors
    // would silently stop matching queries.
    let v = a.embed_text("koala").expect("embeds");
    let mut top: Vec<(usize, f32)> = v.iter().copied().enumerate().collect();
    top.sort_by(|x, y| y.1.abs().total_cmp(&x.1.abs()).then(x.0.cmp(&y.0)));
    let pinned: Vec<usize> = top.iter().take(3).map(|(i, _)| *i).collect();
    assert_eq!(pinned, PINNED_KOALA_BUCKETS, "hashing changed: {top:?}");
}

const PINNED_KOALA_BUCKETS: [usize; 3] = [329, 84, 195];

#[test]
fn related_texts_score_higher_than_unrelated() {
    let e = HashingEmbedder::default();
    let query = e.embed_text("koala eucalyptus marsupial").expect("embeds");
    let related = e.embed_text("Koalas are marsupials that feed on eucalyptus leaves.").expect("embeds");
    let unrelated = e.embed_text("The stock market fell sharply after the central bank raised rates.").expect("embeds");
    assert!(cosine(&query, &related) > cosine(&query, &unrelated) + 0.2);
    // Morphology and diacritics: character 3-grams and NFKD folding.
    let cafe = e.embed_text("café culture").expect("embeds");
    let cafes = e.embed_text("cafes and culture").expect("embeds");
    let other = e.embed_text("volcanic eruption").expect("embeds");
    assert!(cosine(&cafe, &cafes) > 0.5);
    assert!(cosine(&cafe, &other) < 0.2);
    // A typo still lands near the right word.
    let typo = e.embed_text("eucalyptos").expect("embeds");
    let right = e.embed_text("eucalyptus").expect("embeds");
    assert!(cosine(&typo, &right) > cosine(&typo, &other) + 0.2);
}

#[test]
fn embedder_edge_cases() {
    let e = HashingEmbedder::new(32);
    let stop_only = e.embed_text("the and of").expect("stop-words still embed");
    assert!(stop_only.iter().any(|x| *x != 0.0));
    assert!(matches!(e.embed_text(""), Err(EmbedError::Empty { index: 0 })));
    assert!(matches!(e.embed_images(&[b"x".as_slice()]), Err(EmbedError::Unsupported(_))));
}

// ---------------------------------------------------------------- validation

#[test]
fn dimension_mismatch_and_non_finite_are_rejected() {
    let store = VectorStore::in_memory(VectorConfig::with_dimension(8)).expect("store");
    let item = text_item("doc:1", "One", "one");
    match store.upsert(item.clone(), vec![0.5; 7]) {
        Err(VectorError::Dimension { expected: 8, got: 7 }) => {}
        other => panic!("expected a dimension error, got {other:?}"),
    }
    let mut nan = vec![0.5; 8];
    nan[3] = f32::NAN;
    assert!(matches!(store.upsert(item.clone(), nan), Err(VectorError::NonFinite { index: 3 })));
    let mut inf = vec![0.5; 8];
    inf[0] = f32::INFINITY;
    assert!(matches!(store.upsert(item.clone(), inf), Err(VectorError::NonFinite { index: 0 })));
    assert!(matches!(store.upsert(item.clone(), vec![0.0; 8]), Err(VectorError::ZeroVector)));
    assert!(matches!(
        store.upsert(text_item(" ", "t", "t"), vec![0.5; 8]),
        Err(VectorError::InvalidInput { field: "id", .. })
    ));
    assert!(store.is_empty());

    // One bad item in a batch writes nothing.
    let batch = vec![(text_item("doc:a", "A", "a"), vec![0.5; 8]), (text_item("doc:b", "B", "b"), vec![0.5; 9])];
    assert!(matches!(store.upsert_batch(batch), Err(VectorError::Dimension { .. })));
    assert!(store.is_empty());
    store.upsert(item, vec![0.5; 8]).expect("valid upsert");

    // Query validation.
    let bad_query = SearchRequest::dense(vec![0.5; 3], 5);
    assert!(matches!(store.search(&bad_query), Err(VectorError::Dimension { expected: 8, got: 3 })));
    let mut nan_query = vec![0.5; 8];
    nan_query[7] = f32::NAN;
    assert!(matches!(store.search(&SearchRequest::dense(nan_query, 5)), Err(VectorError::NonFinite { index: 7 })));
    for k in [0, 1_001] {
        let e = store.search(&SearchRequest::dense(vec![0.5; 8], k));
        assert!(matches!(e, Err(VectorError::InvalidInput { field: "k", .. })), "{k}: {e:?}");
    }
    let no_vector = SearchRequest { mode: SearchMode::Dense, text: Some("one".into()), ..SearchRequest::default() };
    assert!(matches!(store.search(&no_vector), Err(VectorError::InvalidInput { field: "vector", .. })));
    assert!(matches!(
        store.search(&SearchRequest::lexical("   ", 5)),
        Err(VectorError::InvalidInput { field: "text", .. })
    ));
    assert!(matches!(store.search(&SearchRequest::default()), Err(VectorError::InvalidInput { field: "text", .. })));
    // Text may be empty when a vector is given.
    let hits = store.search(&SearchRequest::hybrid("", vec![0.5; 8], 5)).expect("vector-only hybrid");
    assert_eq!(hits.len(), 1);
    assert!(hits[0].lexical.is_none());
    // Bad configuration.
    assert!(matches!(
        VectorStore::in_memory(VectorConfig::with_dimension(0)),
        Err(VectorError::InvalidInput { field: "dimension", .. })
    ));
}

// ---------------------------------------------------------------- writes

#[test]
fn exact_title_is_found_first() {
    let (store, embedder) = small_store();
    for (title, id) in [("Kangaroo", "doc:kangaroo"), ("Rust (programming language)", "doc:rust")] {
        let lexical = store.search(&SearchRequest::lexical(title, 3)).expect("lexical");
        assert_eq!(lexical[0].id, id, "lexical {title}");
        assert!(lexical[0].lexical.is_some() && lexical[0].dense.is_none());
        let v = embedder.embed_text(title).expect("embeds");
        let hybrid = store.search(&SearchRequest::hybrid(title, v, 3)).expect("hybrid");
        assert_eq!(hybrid[0].id, id, "hybrid {title}");
        assert_eq!(hybrid[0].lexical.map(|(rank, _)| rank), Some(1));
    }
}

#[test]
fn update_replaces_the_old_version() {
    let (store, embedder) = small_store();
    let before = store.len();
    let item = text_item("doc:tea", "Zebra", "Zebras are African equines with black-and-white stripes.");
    let v = embed_item(&embedder, &item);
    store.upsert(item.clone(), v.clone()).expect("update");
    assert_eq!(store.len(), before);
    let counts = store.index_counts();
    assert_eq!((counts.items, counts.dense, counts.lexical), (before, before, before));
    assert_eq!(store.get("doc:tea").expect("read"), Some(item));
    // The index's own copy: f16 and normalised, so close to the given vector's direction.
    let stored = store.vector("doc:tea").expect("stored vector");
    let cosine = stored.iter().zip(&v).map(|(a, b)| a * b).sum::<f32>()
        / (stored.iter().map(|a| a * a).sum::<f32>().sqrt() * v.iter().map(|b| b * b).sum::<f32>().sqrt());
    assert!(cosine > 0.999, "{cosine}");

    let new_text = store.search(&SearchRequest::lexical("zebra stripes", 5)).expect("search");
    assert_eq!(new_text.first().map(|h| h.id.as_str()), Some("doc:tea"));
    let old_text = store.search(&SearchRequest::lexical("aromatic beverage", 5)).expect("search");
    assert!(old_text.iter().all(|h| h.id != "doc:tea"), "{old_text:?}");
    let dense = store.search(&SearchRequest::dense(v, 1)).expect("dense");
    assert_eq!(dense[0].id, "doc:tea");
    let (rank, similarity) = dense[0].dense.expect("dense provenance");
    assert_eq!(rank, 1);
    assert!(similarity > 0.99, "{similarity}");
    // The updated id moves to the end of the insertion order.
    assert_eq!(store.all_ids().last().map(String::as_str), Some("doc:tea"));
}

#[test]
fn remove_removes_from_both_indexes() {
    let (store, embedder) = small_store();
    let koala = embedder.embed_text("koala eucalyptus").expect("embeds");
    assert!(store.remove("doc:koala").expect("remove"));
    assert!(!store.remove("doc:koala").expect("second remove"));
    assert!(!store.contains("doc:koala"));
    assert_eq!(store.get("doc:koala").expect("read"), None);
    let counts = store.index_counts();
    assert_eq!((counts.items, counts.dense, counts.lexical), (5, 5, 5));
    let lexical = store.search(&SearchRequest::lexical("koala", 10)).expect("lexical");
    assert!(lexical.is_empty(), "{lexical:?}");
    let dense = store.search(&SearchRequest::dense(koala, 10)).expect("dense");
    assert_eq!(dense.len(), 5);
    assert!(dense.iter().all(|h| h.id != "doc:koala"));

    assert_eq!(store.remove_batch(&["doc:paris", "doc:unknown", "doc:berlin"]).expect("batch"), 2);
    assert_eq!(store.len(), 3);
    let ids: HashSet<String> = store.all_ids().into_iter().collect();
    assert_eq!(ids, ["doc:kangaroo", "doc:rust", "doc:tea"].map(String::from).into_iter().collect());
    // Re-adding a removed id works and is searchable again.
    let item = text_item("doc:koala", "Koala", "koala again");
    store.upsert(item.clone(), embed_item(&embedder, &item)).expect("re-add");
    let lexical = store.search(&SearchRequest::lexical("koala", 10)).expect("lexical");
    assert_eq!(lexical.len(), 1);
}

#[test]
fn filters_follow_updates_and_deletes_on_both_dense_plans() {
    // 3,000 items: tag `many` on all but a few (filtered HNSW), `few` on ten (exact scan).
    let embedder = HashingEmbedder::new(64);
    let store = VectorStore::in_memory(VectorConfig::with_dimension(64)).expect("store");
    let batch: Vec<(Item, Vec<f32>)> = (0..3_000)
        .map(|i| {
            let mut item = text_item(&format!("doc:{i}"), &format!("Item {i}"), &format!("item number {i} of many"));
            item.tags = if i < 10 { vec!["few".into(), "many".into()] } else { vec!["many".into()] };
            let v = embed_item(&embedder, &item);
            (item, v)
        })
        .collect();
    store.upsert_batch(batch).expect("load");
    let query = embedder.embed_text("item number 5").expect("embeds");
    let search = |tag: &str, k: usize| {
        let filter = Filter { tags: vec![tag.into()], ..Filter::default() };
        store.search_explained(&SearchRequest::dense(query.clone(), k).with_filter(filter)).expect("search")
    };
    let few = search("few", 20);
    assert_eq!((few.plan.dense, few.plan.matching, few.hits.len()), (Some(DensePlan::ExactScan), Some(10), 10));
    let many = search("many", 20);
    assert_eq!(many.plan.dense, Some(DensePlan::FilteredHnsw));
    assert_eq!(many.hits.len(), 20);

    // doc:3 loses `few`, doc:2000 gains it, doc:4 is deleted.
    let mut moved = text_item("doc:3", "Item 3", "item number 3 of many");
    moved.tags = vec!["many".into()];
    let mut joined = text_item("doc:2000", "Item 2000", "item number 2000 of many");
    joined.tags = vec!["few".into()];
    for item in [moved, joined] {
        let v = embed_item(&embedder, &item);
        store.upsert(item, v).expect("update");
    }
    assert!(store.remove("doc:4").expect("remove"));
    let few = search("few", 20);
    let ids: HashSet<String> = few.hits.iter().map(|h| h.id.clone()).collect();
    let want: HashSet<String> = [0, 1, 2, 5, 6, 7, 8, 9, 2000].iter().map(|i| format!("doc:{i}")).collect();
    assert_eq!(ids, want);
    assert_eq!(few.plan.matching, Some(9));
    let many = search("many", 1_000);
    assert_eq!(many.hits.len(), 1_000);
    assert!(many.hits.iter().all(|h| h.id != "doc:4" && h.id != "doc:2000"), "deleted and re-tagged items are gone");
    assert!(search("nobody", 5).hits.is_empty());
}

#[test]
fn other_metrics_and_quantizations_work() {
    for (metric, quantization) in
        [(Metric::L2sq, Quantization::F32), (Metric::IP, Quantization::BF16), (Metric::Cos, Quantization::I8)]
    {
        let config = VectorConfig { metric, quantization, ..VectorConfig::with_dimension(4) };
        let store = VectorStore::in_memory(config).expect("store");
        let vectors = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.6, 0.8, 0.0, 0.0]];
        for (i, v) in vectors.iter().enumerate() {
            store.upsert(text_item(&format!("v{i}"), "t", "t"), v.to_vec()).expect("upsert");
        }
        let hits = store.search(&SearchRequest::dense(vec![0.9, 0.1, 0.0, 0.0], 3)).expect("search");
        let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["v0", "v2", "v1"], "{metric:?}/{quantization:?}");
        assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
    }
}

// ---------------------------------------------------------------- filters

#[test]
fn image_filter_returns_exactly_k_images_among_many_documents() {
    let atlas = atlas();
    let query = "animals";
    let vector = atlas.embedder.embed_text(query).expect("embeds");
    for mode in [SearchMode::Hybrid, SearchMode::Dense, SearchMode::Lexical] {
        let request = SearchRequest {
            text: Some(query.into()),
            vector: Some(vector.clone()),
            k: 7,
            filter: image_filter(),
            mode,
            ..SearchRequest::default()
        };
        let outcome = atlas.store.search_explained(&request).expect("search");
        if mode != SearchMode::Lexical {
            // 602 of 5,169 items: selective enough for an exact scan of just the images.
            assert_eq!(outcome.plan.dense, Some(DensePlan::ExactScan));
            assert_eq!(outcome.plan.matching, Some(602));
        }
        let hits = outcome.hits;
        assert_eq!(hits.len(), 7, "{mode:?}");
        assert!(hits.iter().all(|h| h.modality == Modality::Image && h.id.starts_with("img:")));
    }
    // A query whose nearest neighbours are all documents still yields k images.
    let query = "Jonathan Swift satirical essay about poverty in Ireland";
    let request =
        SearchRequest::hybrid(query, atlas.embedder.embed_text(query).expect("embeds"), 7).with_filter(image_filter());
    let hits = atlas.store.search(&request).expect("search");
    assert_eq!(hits.len(), 7);
    assert!(hits.iter().all(|h| h.modality == Modality::Image));
}

#[test]
fn broad_filter_uses_hnsw_and_still_returns_k() {
    // Text is ~88 % of the atlas, above the exact-scan thresholds: the filtered HNSW path.
    let atlas = atlas();
    let query = "capital city of a European country";
    let v = atlas.embedder.embed_text(query).expect("embeds");
    let filter = Filter { modality: Some(Modality::Text), ..Filter::default() };
    let request = SearchRequest { k: 200, ..SearchRequest::dense(v, 200).with_filter(filter) };
    let outcome = atlas.store.search_explained(&request).expect("search");
    assert!(
        matches!(outcome.plan.dense, Some(DensePlan::FilteredHnsw | DensePlan::FilteredHnswThenExactScan)),
        "{:?}",
        outcome.plan
    );
    assert_eq!(outcome.plan.matching, Some(4_567));
    let hits = outcome.hits;
    assert_eq!(hits.len(), 200);
    assert!(hits.iter().all(|h| h.modality == Modality::Text));
    let ids: HashSet<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids.len(), 200, "no duplicates");
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score - 1e-3));
}

#[test]
fn tags_filter_matches_any_listed_tag() {
    let atlas = atlas();
    let query = "small furry mammal";
    let v = atlas.embedder.embed_text(query).expect("embeds");
    let tags = vec!["mammals".to_string(), "trees".to_string()];
    let filter = Filter { tags: tags.clone(), ..Filter::default() };
    let matching = atlas.items.iter().filter(|i| i.tags.iter().any(|t| tags.contains(t))).count();
    assert!(matching > 20, "atlas has {matching} matching images");
    for mode in [SearchMode::Hybrid, SearchMode::Dense] {
        let request = SearchRequest {
            text: Some(query.into()),
            vector: Some(v.clone()),
            k: 20,
            filter: filter.clone(),
            mode,
            ..SearchRequest::default()
        };
        let hits = atlas.store.search(&request).expect("search");
        assert_eq!(hits.len(), 20, "{mode:?}");
        for hit in &hits {
            let item = atlas.store.get(&hit.id).expect("read").expect("hit exists");
            assert!(item.tags.iter().any(|t| tags.contains(t)), "{}", hit.id);
        }
    }
    // k above the number of matching items returns all of them, and no more.
    let request = SearchRequest::dense(v, 1_000).with_filter(filter);
    assert_eq!(atlas.store.search(&request).expect("search").len(), matching);
    // Entity and source filters, through BM25.
    let entity = Filter { entities: vec!["concept:koala".into()], ..Filter::default() };
    let hits = atlas.store.search(&SearchRequest::lexical("marsupial", 10).with_filter(entity)).expect("search");
    assert!(!hits.is_empty());
    for hit in &hits {
        let item = atlas.store.get(&hit.id).expect("read").expect("hit exists");
        assert!(item.entities.iter().any(|e| e == "concept:koala"));
    }
}

// ---------------------------------------------------------------- ranking quality

#[test]
fn hybrid_on_atlas_finds_koala() {
    let atlas = atlas();
    let query = "koala eucalyptus marsupial";
    let v = atlas.embedder.embed_text(query).expect("embeds");
    let hits = atlas.store.search(&SearchRequest::hybrid(query, v, 5)).expect("search");
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert!(ids.contains(&"doc:wordnet:koala.n.01"), "{ids:?}");
    let koala = hits.iter().find(|h| h.id == "doc:wordnet:koala.n.01").expect("koala");
    assert!(koala.dense.is_some() || koala.lexical.is_some());
    // Relative-score fusion: each side scaled to [0, 1], weighted 0.5 each.
    assert!(koala.score > 0.0 && koala.score <= 1.0, "{}", koala.score);
}

#[test]
fn exact_titles_rank_first_on_atlas() {
    let atlas = atlas();
    // Titles whose words also caption an image (the document "koala" vs the stamp
    // "A koala.") can rightly lose to the shorter caption; these titles are unambiguous,
    // and "Angola" must beat the many "Angola (part N)" documents.
    for id in ["doc:enwiki:a-modest-proposal:1", "doc:wordnet:angola.n.01", "doc:wordnet:hen.n.01"] {
        let item = atlas.items.iter().find(|i| i.id == id).expect("atlas item");
        // BM25 reads title and text as one field, so a long text that repeats the title's
        // word can lead the lexical side alone (see braid_vector::lexical); the hybrid
        // puts the exact title near the top.
        let lexical = atlas.store.search(&SearchRequest::lexical(item.title.clone(), 5)).expect("lexical");
        assert!(lexical.iter().any(|h| h.id == id), "lexical for {:?}: {lexical:?}", item.title);
        let v = atlas.embedder.embed_text(&item.title).expect("embeds");
        let hybrid = atlas.store.search(&SearchRequest::hybrid(item.title.clone(), v, 5)).expect("hybrid");
        // "Flag of Angola" may lead "Angola": both are about it.
        assert!(hybrid.iter().take(2).any(|h| h.id == id), "hybrid for {:?}: {hybrid:?}", item.title);
    }
}

/// xorshift64*: deterministic pseudo-random numbers without a dependency.
struct Rng(u64);

impl Rng {
    fn next_f32(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40;
        bits as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    }

    fn vector(&mut self, dimension: usize) -> Vec<f32> {
        (0..dimension).map(|_| self.next_f32()).collect()
    }
}

/// Recall@10 of the store's HNSW search against brute force, for best-first ids.
fn recall_at_10(store: &VectorStore, vectors: &[Vec<f32>], queries: &[Vec<f32>]) -> f64 {
    let mut found = 0;
    for query in queries {
        let mut exact: Vec<(usize, f32)> = vectors.iter().map(|v| cosine(query, v)).enumerate().collect();
        exact.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let truth: HashSet<usize> = exact.iter().take(10).map(|(i, _)| *i).collect();
        let hits = store.search(&SearchRequest::dense(query.clone(), 10)).expect("search");
        assert_eq!(hits.len(), 10);
        found += hits
            .iter()
            .filter_map(|h| h.id.strip_prefix('v')?.parse::<usize>().ok())
            .filter(|i| truth.contains(i))
            .count();
    }
    found as f64 / (queries.len() * 10) as f64
}

#[test]
fn dense_recall_at_10_against_exact_search() {
    // Uniform random vectors are the hardest case for HNSW (no low-dimensional
    // structure); at 32 dimensions the default config (M=16, ef=64, f16) must reach 0.95.
    const N: usize = 5_000;
    const DIM: usize = 32;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let store = VectorStore::in_memory(VectorConfig::with_dimension(DIM)).expect("store");
    let vectors: Vec<Vec<f32>> = (0..N).map(|_| rng.vector(DIM)).collect();
    let batch: Vec<(Item, Vec<f32>)> =
        vectors.iter().enumerate().map(|(i, v)| (text_item(&format!("v{i}"), "", ""), v.clone())).collect();
    // Several batches: the index grows its capacity as it goes.
    for chunk in batch.chunks(1_500) {
        store.upsert_batch(chunk.to_vec()).expect("batch");
    }
    assert_eq!(store.len(), N);
    let queries: Vec<Vec<f32>> = (0..100).map(|_| rng.vector(DIM)).collect();
    let recall = recall_at_10(&store, &vectors, &queries);
    eprintln!("dense recall@10 on {N} random {DIM}-d vectors: {recall:.3}");
    assert!(recall >= 0.95, "recall@10 = {recall}");
}

#[test]
fn dense_recall_at_10_on_atlas_embeddings() {
    // The realistic case: 384-d hashing embeddings of the atlas, queried by titles.
    let atlas = atlas();
    let vectors: Vec<Vec<f32>> = atlas.items.iter().map(|i| atlas.store.vector(&i.id).expect("vector")).collect();
    let store = VectorStore::in_memory(VectorConfig::default()).expect("store");
    let batch: Vec<(Item, Vec<f32>)> =
        vectors.iter().enumerate().map(|(i, v)| (text_item(&format!("v{i}"), "", ""), v.clone())).collect();
    store.upsert_batch(batch).expect("batch");
    let queries: Vec<Vec<f32>> =
        atlas.items.iter().step_by(52).map(|i| atlas.embedder.embed_text(&i.title).expect("embeds")).collect();
    let recall = recall_at_10(&store, &vectors, &queries);
    eprintln!("dense recall@10 on the atlas ({} queries): {recall:.3}", queries.len());
    assert!(recall >= 0.95, "recall@10 = {recall}");
}

// ---------------------------------------------------------------- sharing and serde

#[test]
fn concurrent_searches_and_writes() {
    let (store, embedder) = small_store();
    let store = Arc::new(store);
    let embedder = Arc::new(embedder);
    let mut handles = Vec::new();
    for t in 0..24 {
        let store = Arc::clone(&store);
        let embedder = Arc::clone(&embedder);
        handles.push(std::thread::spawn(move || {
            for i in 0..40 {
                if t == 0 {
                    let item = text_item(&format!("doc:new:{i}"), "New", "a freshly written note");
                    let v = embed_item(&embedder, &item);
                    store.upsert(item, v).expect("upsert");
                } else {
                    let v = embedder.embed_text("capital city").expect("embeds");
                    let hits = store.search(&SearchRequest::hybrid("capital city", v, 3)).expect("search");
                    assert_eq!(hits.len(), 3);
                }
            }
        }));
    }
    for h in handles {
        h.join().expect("thread");
    }
    assert_eq!(store.len(), 6 + 40);
}

#[test]
fn many_concurrent_dense_searches_do_not_exhaust_usearch() {
    // usearch has a fixed number of per-thread search contexts; more simultaneous
    // searches than that must wait, not fail.
    let atlas = atlas();
    let query = atlas.embedder.embed_text("river in Europe").expect("embeds");
    let barrier = std::sync::Barrier::new(64);
    std::thread::scope(|scope| {
        for _ in 0..64 {
            scope.spawn(|| {
                barrier.wait();
                for _ in 0..5 {
                    let hits = atlas.store.search(&SearchRequest::dense(query.clone(), 1_000)).expect("search");
                    assert_eq!(hits.len(), 1_000);
                }
            });
        }
    });
}

#[test]
fn empty_store_and_odd_vectors() {
    let store = VectorStore::in_memory(VectorConfig::with_dimension(4)).expect("store");
    for request in [
        SearchRequest::dense(vec![1.0, 0.0, 0.0, 0.0], 3),
        SearchRequest::lexical("anything", 3),
        SearchRequest::hybrid("anything", vec![1.0, 0.0, 0.0, 0.0], 3).with_filter(image_filter()),
    ] {
        assert!(store.search(&request).expect("search").is_empty());
    }
    assert!(!store.remove("nothing").expect("remove"));
    assert_eq!(store.upsert_batch(Vec::new()).expect("empty batch"), 0);
    // Huge but finite components: cosine is scale-free, f16 quantization must not overflow.
    store.upsert(text_item("big", "Big", "big"), vec![1e30, 1e30, 0.0, 0.0]).expect("upsert");
    store.upsert(text_item("small", "Small", "small"), vec![1e-30, 0.0, 0.0, 1e-30]).expect("upsert");
    let hits = store.search(&SearchRequest::dense(vec![3e38, 3e38, 0.0, 0.0], 2)).expect("search");
    assert_eq!(hits[0].id, "big");
    assert!((hits[0].score - 1.0).abs() < 1e-2, "{hits:?}");
    assert!(hits.iter().all(|h| h.score.is_finite()));
    // A query of stop-words only has no BM25 terms: no lexical hits, not an error.
    let stop_words = SearchRequest::lexical("the of and", 3);
    assert!(store.search(&stop_words).expect("search").is_empty());
}

#[test]
fn types_serialize_as_documented() {
    let request: SearchRequest = serde_json::from_str(r#"{"text": "koala"}"#).expect("json");
    assert_eq!(request.k, 10);
    assert_eq!(request.rrf_k, 60.0);
    assert_eq!(request.mode, SearchMode::Hybrid);
    assert!(request.filter.is_empty());
    let request: SearchRequest =
        serde_json::from_str(r#"{"vector": [1, 0], "mode": "dense", "filter": {"modality": "image"}}"#).expect("json");
    assert_eq!(request.filter.modality, Some(Modality::Image));
    let config: VectorConfig = serde_json::from_str(r#"{"dimension": 512}"#).expect("json");
    assert_eq!(config.metric, Metric::Cos);
    assert_eq!(config.quantization, Quantization::F16);
    assert_eq!(config.connectivity, 16);
    let item: Item = serde_json::from_str(r#"{"id":"img:1","modality":"image","kind":"image","title":"t","text":"x"}"#)
        .expect("json");
    assert_eq!(item.modality, Modality::Image);
    let (store, embedder) = small_store();
    let v = embedder.embed_text("paris").expect("embeds");
    let hit = &store.search(&SearchRequest::hybrid("paris", v, 1)).expect("search")[0];
    let json = serde_json::to_value(hit).expect("json");
    assert_eq!(json["id"], "doc:paris");
    assert_eq!(json["modality"], "text");
    assert_eq!(json["lexical"][0], 1);
    let schema = serde_json::to_value(schemars::schema_for!(SearchRequest)).expect("schema");
    assert!(schema["properties"]["filter"].is_object());
}

/// A store in a folder keeps its lexical index (with every item's text) in files there,
/// reads items back from them, and a new store in the same folder starts empty.
#[test]
fn a_store_in_a_folder_keeps_its_lexical_index_there() {
    let embedder = HashingEmbedder::new(64);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = VectorStore::in_dir(VectorConfig::with_dimension(64), dir.path()).expect("store");
    let mut item = text_item("doc:koala", "Koala", "The koala eats eucalyptus leaves.");
    item.tags = vec!["animals".into(), "marsupials".into()];
    item.entities = vec!["concept:koala".into()];
    item.source = Some("atlas".into());
    let other = text_item("doc:paris", "Paris", "Paris is the capital of France.");
    store
        .upsert_batch(vec![
            (item.clone(), embed_item(&embedder, &item)),
            (other.clone(), embed_item(&embedder, &other)),
        ])
        .expect("upsert");
    assert!(dir.path().join("lexical").read_dir().expect("lexical files").count() > 0);
    assert_eq!(store.get("doc:koala").expect("read"), Some(item.clone()));
    let hits = store.search(&SearchRequest::lexical("eucalyptus", 5)).expect("search");
    assert_eq!(
        hits.iter().map(|h| (h.id.as_str(), h.title.as_str(), h.kind.as_str())).collect::<Vec<_>>(),
        [("doc:koala", "Koala", "document")]
    );
    let filtered = SearchRequest::dense(embed_item(&embedder, &other), 5)
        .with_filter(Filter { tags: vec!["marsupials".into()], ..Filter::default() });
    assert_eq!(
        store.search(&filtered).expect("search").iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        ["doc:koala"]
    );
    assert!(store.remove("doc:koala").expect("remove"));
    assert_eq!(store.get("doc:koala").expect("read"), None);
    drop(store);
    let again = VectorStore::in_dir(VectorConfig::with_dimension(64), dir.path()).expect("store");
    assert!(again.is_empty());
    assert!(again.search(&SearchRequest::lexical("paris", 5)).expect("search").is_empty());
}
