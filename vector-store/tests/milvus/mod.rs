//! The Milvus backend against a live server (feature `milvus`).
//!
//! Needs `BRAID_MILVUS_URI` (e.g. a Milvus Lite 3.2.2 started by `.ci/engines.sh`); without it
//! the tests are skipped, except under CI (`CI` set), where a missing server is a failure.
//! Every test uses its own collection prefix and drops its collections at the end.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use braid_vector::{
    Embedder, Filter, FusionMethod, HashingEmbedder, Item, MilvusBackend, MilvusConfig, Modality, SearchMode,
    SearchRequest, VectorBackend, VectorError,
};

use super::{atlas, embed_item, text_item};

fn uri() -> Option<String> {
    match std::env::var("BRAID_MILVUS_URI") {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ => {
            assert!(std::env::var_os("CI").is_none(), "CI is set but BRAID_MILVUS_URI is not: start Milvus Lite first");
            eprintln!("skipped: set BRAID_MILVUS_URI to run the Milvus tests");
            None
        }
    }
}

/// A backend on fresh collections named after the test.
fn backend(test: &str, dimension: usize) -> Option<MilvusBackend> {
    let uri = uri()?;
    let mut config = MilvusConfig::new(uri, dimension);
    config.collection_prefix = format!("t{}_{test}", std::process::id());
    let fresh = MilvusBackend::new(config.clone()).expect("config");
    fresh.drop_collections().expect("drop old test collections");
    Some(MilvusBackend::connect(config).expect("connect to Milvus"))
}

fn image_item(id: &str, caption: &str, tags: &[&str]) -> Item {
    Item {
        id: id.into(),
        modality: Modality::Image,
        kind: "image".into(),
        title: caption.into(),
        text: format!("{caption} {}", tags.join(" ")),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        entities: vec![],
        source: Some("stamps".into()),
    }
}

fn ids(hits: &[braid_vector::VectorHit]) -> Vec<&str> {
    hits.iter().map(|h| h.id.as_str()).collect()
}

#[test]
fn milvus_upsert_search_filter_remove() {
    let Some(milvus) = backend("crud", 256) else { return };
    let embedder = HashingEmbedder::new(256);
    let mut items = [
        text_item("doc:koala", "Koala", "The koala is an arboreal marsupial native to Australia; it eats eucalyptus."),
        text_item("doc:kangaroo", "Kangaroo", "Kangaroos are large marsupials that hop on powerful hind legs."),
        text_item("doc:paris", "Paris", "Paris is the capital and most populous city of France."),
        image_item("img:koala", "A koala stamp", &["animals", "marsupials"]),
        image_item("img:eiffel", "The Eiffel tower", &["buildings", "say \"cheese\""]),
    ];
    items[0].entities = vec!["concept:koala".into()];
    items[1].source = Some("wordnet".into());
    // An empty title (empty BM25 input) is fine.
    items[2].title = String::new();
    let batch: Vec<(Item, Vec<f32>)> = items.iter().map(|it| (it.clone(), embed_item(&embedder, it))).collect();
    assert_eq!(milvus.upsert_batch(batch).expect("upsert"), 5);
    assert_eq!(milvus.len().expect("len"), 5);
    assert_eq!(milvus.name(), "milvus");

    let q = "marsupials eating eucalyptus";
    let v = embedder.embed_text(q).expect("embed");
    // Hybrid over both collections (client-side RRF): the koala document first, with provenance.
    let hits = milvus.search(&SearchRequest::hybrid(q, v.clone(), 5)).expect("hybrid");
    assert_eq!(hits[0].id, "doc:koala", "{:?}", ids(&hits));
    assert!(hits[0].dense.is_some() && hits[0].lexical.is_some());
    // Lexical: stemmed like the embedded store ("marsupials" finds "marsupial").
    let lexical = milvus.search(&SearchRequest::lexical("marsupial", 10)).expect("lexical");
    let found: HashSet<&str> = ids(&lexical).into_iter().collect();
    assert!(found.contains("doc:koala") && found.contains("doc:kangaroo") && found.contains("img:koala"), "{found:?}");
    // Dense: similarities are cosine, best first.
    let dense = milvus.search(&SearchRequest::dense(v.clone(), 3)).expect("dense");
    assert_eq!(dense.len(), 3);
    assert!(dense.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(dense[0].score <= 1.0 + 1e-5);

    // One modality, fused by Braid and by Milvus (hybrid_search with its RRF ranker).
    let images = Filter { modality: Some(Modality::Image), ..Filter::default() };
    let hits = milvus.search(&SearchRequest::hybrid(q, v.clone(), 5).with_filter(images.clone())).expect("images");
    assert!(!hits.is_empty() && hits.iter().all(|h| h.modality == Modality::Image), "{:?}", ids(&hits));
    assert_eq!(hits[0].id, "img:koala");
    let mut server = milvus.config().clone();
    server.server_fusion = true;
    let server = MilvusBackend::connect(server).expect("second client");
    let hits = server.search(&SearchRequest::hybrid(q, v.clone(), 5).with_filter(images.clone())).expect("server");
    assert!(!hits.is_empty() && hits.iter().all(|h| h.modality == Modality::Image), "{:?}", ids(&hits));
    assert_eq!(hits[0].id, "img:koala");
    assert!(hits[0].dense.is_none(), "Milvus' RRF does not report per-ranking ranks");
    let hits = server.search(&SearchRequest::hybrid(q, v.clone(), 5)).expect("server, both modalities");
    assert_eq!(hits[0].id, "doc:koala", "{:?}", ids(&hits));

    // Filters: tags (ANY, with a quote in the value), entities, source, kinds.
    let tag = Filter { tags: vec!["nope".into(), "say \"cheese\"".into()], ..Filter::default() };
    assert_eq!(
        ids(&milvus.search(&SearchRequest::dense(v.clone(), 10).with_filter(tag)).expect("tag")),
        ["img:eiffel"]
    );
    let entity = Filter { entities: vec!["concept:koala".into()], ..Filter::default() };
    assert_eq!(
        ids(&milvus.search(&SearchRequest::dense(v.clone(), 10).with_filter(entity)).expect("e")),
        ["doc:koala"]
    );
    let source = Filter { source: Some("wordnet".into()), ..Filter::default() };
    assert_eq!(
        ids(&milvus.search(&SearchRequest::dense(v.clone(), 10).with_filter(source)).expect("s")),
        ["doc:kangaroo"]
    );
    let kinds = Filter { kinds: vec!["image".into()], ..Filter::default() };
    let hits = milvus.search(&SearchRequest::dense(v.clone(), 10).with_filter(kinds)).expect("kinds");
    assert_eq!(hits.len(), 2);
    // A value crafted to break out of the string literal matches nothing.
    let injection = Filter { source: Some("x\" or id != \"".into()), ..Filter::default() };
    assert!(milvus.search(&SearchRequest::dense(v.clone(), 10).with_filter(injection)).expect("inj").is_empty());

    // Update in place, including a modality change.
    let mut moved = text_item("img:koala", "Koala drawing", "Now a text document about a koala.");
    moved.modality = Modality::Text;
    let mv = embed_item(&embedder, &moved);
    milvus.upsert_batch(vec![(moved, mv)]).expect("move");
    assert_eq!(milvus.len().expect("len"), 5);
    let hits = milvus.search(
        &SearchRequest::dense(v.clone(), 10)
            .with_filter(Filter { modality: Some(Modality::Image), ..Filter::default() }),
    );
    assert_eq!(ids(&hits.expect("images")), ["img:eiffel"]);

    // Remove: true once, then false.
    assert!(milvus.remove("doc:paris").expect("remove"));
    assert!(!milvus.remove("doc:paris").expect("remove again"));
    assert_eq!(milvus.len().expect("len"), 4);

    // Reconcile drops what the store of record no longer has.
    let keep: HashSet<String> = ["doc:koala", "doc:kangaroo"].iter().map(|s| s.to_string()).collect();
    assert_eq!(milvus.reconcile(&keep).expect("reconcile"), 2);
    assert_eq!(milvus.len().expect("len"), 2);
    milvus.drop_collections().expect("cleanup");
}

#[test]
fn milvus_rejects_bad_input_before_writing() {
    let Some(milvus) = backend("input", 8) else { return };
    let item = text_item("doc:a", "A", "a");
    let err = milvus.upsert_batch(vec![(item.clone(), vec![1.0; 8]), (item.clone(), vec![1.0; 7])]).unwrap_err();
    assert!(matches!(err, VectorError::Dimension { expected: 8, got: 7 }), "{err}");
    let mut nan = vec![1.0; 8];
    nan[3] = f32::NAN;
    assert!(matches!(milvus.upsert_batch(vec![(item.clone(), nan)]).unwrap_err(), VectorError::NonFinite { index: 3 }));
    assert!(matches!(milvus.upsert_batch(vec![(item.clone(), vec![0.0; 8])]).unwrap_err(), VectorError::ZeroVector));
    assert_eq!(milvus.len().expect("len"), 0, "nothing was written");
    let k0 = SearchRequest { k: 0, ..SearchRequest::dense(vec![1.0; 8], 1) };
    assert!(milvus.search(&k0).unwrap_err().is_client_error());
    let no_vector = SearchRequest { mode: SearchMode::Dense, vector: None, ..SearchRequest::default() };
    assert!(milvus.search(&no_vector).unwrap_err().is_client_error());
    // Only stop words: no lexical hits, no error.
    milvus.upsert_batch(vec![(item, vec![1.0; 8])]).expect("upsert");
    assert!(milvus.search(&SearchRequest::lexical("the of and", 5)).expect("stop words").is_empty());
    milvus.drop_collections().expect("cleanup");
}

#[test]
fn milvus_outage_is_a_fast_remote_error() {
    // Nothing listens on port 9 of loopback.
    let mut config = MilvusConfig::new("http://127.0.0.1:9", 8);
    config.timeout = Duration::from_secs(2);
    let milvus = MilvusBackend::new(config).expect("construction does not connect");
    let started = Instant::now();
    let err = milvus.search(&SearchRequest::dense(vec![1.0; 8], 3)).unwrap_err();
    assert!(matches!(err, VectorError::Remote(_)), "{err}");
    assert!(!err.is_client_error());
    assert!(started.elapsed() < Duration::from_secs(15), "took {:?}", started.elapsed());
    assert!(matches!(milvus.upsert_batch(vec![(text_item("a", "a", "a"), vec![1.0; 8])]), Err(VectorError::Remote(_))));
}

/// Top-10 overlap of Milvus and the embedded store on the atlas, same vectors, same queries.
#[test]
fn milvus_matches_the_embedded_store_on_the_atlas() {
    let atlas = atlas();
    let Some(milvus) = backend("atlas", atlas.embedder.dimension()) else { return };
    let batch: Vec<(Item, Vec<f32>)> =
        atlas.items.iter().map(|it| (it.clone(), embed_item(&atlas.embedder, it))).collect();
    let started = Instant::now();
    for chunk in batch.chunks(1_000) {
        milvus.upsert_batch(chunk.to_vec()).expect("upsert atlas");
    }
    // As Braid's start-up sync does (`reconcile` flushes): seal the load in one segment.
    milvus.flush().expect("flush");
    eprintln!("milvus: {} atlas items upserted in {:?}", batch.len(), started.elapsed());
    assert_eq!(milvus.len().expect("len"), atlas.items.len());

    let queries = [
        "koala eucalyptus marsupial",
        "capital city of France",
        "musical instruments",
        "volcano eruption",
        "flags with a red star",
        "famous painters",
        "river in Africa",
        "birds of prey",
    ];
    let mut server = milvus.config().clone();
    server.server_fusion = true;
    let server = MilvusBackend::connect(server).expect("second client");
    let images = Filter { modality: Some(Modality::Image), ..Filter::default() };
    let modes = ["dense", "lexical", "hybrid", "hybrid/images", "hybrid (server fusion)"];
    let mut overlaps: Vec<Vec<f64>> = vec![Vec::new(); modes.len()];
    for q in queries {
        let v = atlas.embedder.embed_text(q).expect("embed");
        let requests = [
            SearchRequest::dense(v.clone(), 10),
            SearchRequest::lexical(q, 10),
            SearchRequest::hybrid(q, v.clone(), 10),
            SearchRequest::hybrid(q, v.clone(), 10).with_filter(images.clone()),
            // Server fusion is Milvus' RRF ranker: compared with the embedded store's RRF.
            SearchRequest { fusion: FusionMethod::Rrf, ..SearchRequest::hybrid(q, v.clone(), 10) },
        ];
        for (m, request) in requests.iter().enumerate() {
            let embedded_hits = atlas.store.search(request).expect("embedded");
            let backend = if m == 4 { &server } else { &milvus };
            let remote_hits = backend.search(request).expect("milvus");
            let embedded: HashSet<String> = embedded_hits.iter().map(|h| h.id.clone()).collect();
            let remote: HashSet<String> = remote_hits.iter().map(|h| h.id.clone()).collect();
            if std::env::var_os("BRAID_MILVUS_DEBUG").is_some() && embedded != remote {
                for (a, b) in embedded_hits.iter().zip(&remote_hits) {
                    eprintln!(
                        "    {:<40} {:.4} {:?} {:?} | {:<40} {:.4} {:?} {:?}",
                        a.id, a.score, a.dense, a.lexical, b.id, b.score, b.dense, b.lexical
                    );
                }
            }
            let overlap = embedded.intersection(&remote).count() as f64 / embedded.len().max(1) as f64;
            eprintln!("{:>14} {q:?}: top-10 overlap {overlap:.2}", modes[m]);
            overlaps[m].push(overlap);
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let min = |v: &[f64]| v.iter().copied().fold(1.0, f64::min);
    for (m, mode) in modes.iter().enumerate() {
        eprintln!(
            "milvus vs embedded, {mode}: mean top-10 overlap {:.2}, min {:.2}",
            mean(&overlaps[m]),
            min(&overlaps[m])
        );
    }
    // Same vectors, HNSW on both sides: dense results agree.
    assert!(min(&overlaps[0]) >= 0.9, "dense {:?}", overlaps[0]);
    // BM25 per field on both sides; deep list ties and float rounding differ a little.
    assert!(mean(&overlaps[1]) >= 0.8, "lexical {:?}", overlaps[1]);
    // Server fusion ranks by RRF inside Milvus (its own tie-breaking): loosely bounded.
    assert!(mean(&overlaps[4]) >= 0.8, "server fusion {:?}", overlaps[4]);
    assert!(mean(&overlaps[2]) >= 0.9 && min(&overlaps[2]) >= 0.7, "hybrid {:?}", overlaps[2]);
    assert!(mean(&overlaps[3]) >= 0.8 && min(&overlaps[3]) >= 0.6, "hybrid/images {:?}", overlaps[3]);
    milvus.drop_collections().expect("cleanup");
}
