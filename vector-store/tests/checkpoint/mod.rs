//! Checkpoints of the dense index: save, restore with replay, memory-mapped views, damage;
//! and the per-request HNSW width.

use std::collections::HashSet;
use std::path::Path;

use braid_vector::{
    DensePlan, Filter, Item, Modality, OpenMode, RestoreStats, SearchRequest, VectorConfig, VectorError, VectorStore,
};

use super::{Rng, cosine, recall_at_10, text_item};

const DIM: usize = 32;

fn item(i: usize) -> Item {
    let mut item = text_item(&format!("v{i}"), &format!("title {i}"), &format!("text number {i}"));
    // Every 50th item is an image: a selective filter for the exact-scan plan.
    if i.is_multiple_of(50) {
        item.modality = Modality::Image;
    }
    item
}

fn corpus(n: usize, seed: u64) -> Vec<(Item, Vec<f32>)> {
    let mut rng = Rng(seed);
    (0..n).map(|i| (item(i), rng.vector(DIM))).collect()
}

fn filled(batch: &[(Item, Vec<f32>)]) -> VectorStore {
    let store = VectorStore::in_memory(VectorConfig::with_dimension(DIM)).expect("store");
    store.upsert_batch(batch.to_vec()).expect("batch");
    store
}

fn ids(store: &VectorStore, query: &[f32], k: usize) -> Vec<String> {
    store.search(&SearchRequest::dense(query.to_vec(), k)).expect("search").into_iter().map(|h| h.id).collect()
}

/// Opens the checkpoint in `dir` and replays `batch` over it, as Braid does at start-up.
fn restore(dir: &Path, mode: OpenMode, batch: &[(Item, Vec<f32>)]) -> Result<(VectorStore, RestoreStats), VectorError> {
    let store = VectorStore::from_checkpoint(VectorConfig::with_dimension(DIM), dir, mode)?.expect("a checkpoint");
    for chunk in batch.chunks(700) {
        store.upsert_batch(chunk.to_vec())?;
    }
    let keep: HashSet<String> = batch.iter().map(|(item, _)| item.id.clone()).collect();
    store.reconcile(&keep)?;
    let stats = store.finish_restore()?;
    Ok((store, stats))
}

fn assert_consistent(store: &VectorStore) {
    let counts = store.index_counts();
    assert_eq!((counts.items, counts.dense, counts.lexical), (store.len(), store.len(), store.len()), "{counts:?}");
}

#[test]
fn an_unchanged_replay_reuses_the_saved_graph() {
    let batch = corpus(3_000, 11);
    let original = filled(&batch);
    let dir = tempfile::tempdir().expect("tempdir");
    let info = original.checkpoint(dir.path()).expect("checkpoint");
    assert_eq!((info.items, info.generation), (3_000, 1));
    assert!(info.bytes > 3_000 * DIM as u64 * 2, "f16 vectors alone take more: {info:?}");
    assert_eq!(original.changes_since_checkpoint(), 0);

    let (restored, stats) = restore(dir.path(), OpenMode::Load, &batch).expect("restore");
    assert_eq!(stats, RestoreStats { checkpointed: 3_000, reused: 3_000, reindexed: 0, dropped: 0 });
    assert_consistent(&restored);
    // The same graph answers exactly as before.
    let mut rng = Rng(99);
    for _ in 0..50 {
        let query = rng.vector(DIM);
        assert_eq!(ids(&restored, &query, 10), ids(&original, &query, 10));
    }
    // The lexical side was rebuilt from the replayed items.
    let hits = restored.search(&SearchRequest::lexical("number 1234", 1)).expect("lexical");
    assert_eq!(hits[0].id, "v1234");
}

#[test]
fn a_replay_applies_changes_made_after_the_checkpoint() {
    let mut batch = corpus(2_000, 12);
    let dir = tempfile::tempdir().expect("tempdir");
    filled(&batch).checkpoint(dir.path()).expect("checkpoint");

    // After the checkpoint: 10 vectors change, 7 items go, 5 arrive.
    let mut rng = Rng(13);
    for (_, vector) in batch.iter_mut().take(10) {
        *vector = rng.vector(DIM);
    }
    batch.truncate(batch.len() - 7);
    batch.extend((5_000..5_005).map(|i| (item(i), rng.vector(DIM))));

    let (restored, stats) = restore(dir.path(), OpenMode::Load, &batch).expect("restore");
    assert_eq!(stats, RestoreStats { checkpointed: 2_000, reused: 1_983, reindexed: 15, dropped: 7 });
    assert_consistent(&restored);
    assert_eq!(restored.len(), 1_998);
    assert!(!restored.contains("v1999"));
    // Changed and new items are found by their new vectors.
    for (item, vector) in batch.iter().take(10).chain(batch.iter().rev().take(5)) {
        assert_eq!(ids(&restored, vector, 1), vec![item.id.clone()]);
    }
    // The result is as good as a fresh build.
    let vectors: Vec<Vec<f32>> = batch.iter().map(|(_, v)| v.clone()).collect();
    let queries: Vec<Vec<f32>> = (0..50).map(|_| rng.vector(DIM)).collect();
    let renamed: Vec<(Item, Vec<f32>)> =
        vectors.iter().enumerate().map(|(i, v)| (text_item(&format!("v{i}"), "", ""), v.clone())).collect();
    let dir2 = tempfile::tempdir().expect("tempdir");
    filled(&renamed).checkpoint(dir2.path()).expect("checkpoint");
    let (again, _) = restore(dir2.path(), OpenMode::Load, &renamed).expect("restore");
    assert!(recall_at_10(&again, &vectors, &queries) >= 0.95);
}

#[test]
fn writes_after_a_restore_reach_the_next_generation() {
    let batch = corpus(500, 14);
    let dir = tempfile::tempdir().expect("tempdir");
    filled(&batch).checkpoint(dir.path()).expect("checkpoint");
    let (restored, _) = restore(dir.path(), OpenMode::Load, &batch).expect("restore");
    let mut rng = Rng(15);
    let fresh = (item(900), rng.vector(DIM));
    restored.upsert(fresh.0.clone(), fresh.1.clone()).expect("upsert");
    assert!(restored.remove("v3").expect("remove"));
    assert_eq!(restored.changes_since_checkpoint(), 2);
    let info = restored.checkpoint(dir.path()).expect("second checkpoint");
    assert_eq!((info.items, info.generation), (500, 2));
    let names: HashSet<String> = std::fs::read_dir(dir.path())
        .expect("listing")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    // The loaded store keeps its (scratch) lexical index beside the checkpoints.
    let expected: HashSet<String> = ["CURRENT", "index-2.usearch", "keys-2.bin", "lexical"].map(String::from).into();
    assert_eq!(names, expected, "older generations are removed");

    let mut replay: Vec<(Item, Vec<f32>)> = batch.iter().filter(|(item, _)| item.id != "v3").cloned().collect();
    replay.push(fresh.clone());
    let (again, stats) = restore(dir.path(), OpenMode::Load, &replay).expect("restore");
    assert_eq!((stats.reused, stats.reindexed, stats.dropped), (500, 0, 0));
    assert_eq!(ids(&again, &fresh.1, 1), vec!["v900".to_string()]);
    // New keys never collide with checkpointed ones.
    again.upsert(item(901), rng.vector(DIM)).expect("upsert");
    assert_consistent(&again);
    assert_eq!(again.len(), 501);
}

#[test]
fn a_memory_mapped_view_searches_and_refuses_writes() {
    let batch = corpus(2_000, 16);
    let original = filled(&batch);
    let dir = tempfile::tempdir().expect("tempdir");
    original.checkpoint(dir.path()).expect("checkpoint");
    let (view, stats) = restore(dir.path(), OpenMode::View, &batch).expect("view");
    assert_eq!(stats.reused, 2_000);
    assert!(view.is_read_only());
    let mut rng = Rng(17);
    for _ in 0..20 {
        let query = rng.vector(DIM);
        assert_eq!(ids(&view, &query, 10), ids(&original, &query, 10));
    }
    // The selective image filter is answered by an exact scan over the mapped vectors.
    let query = rng.vector(DIM);
    let images = Filter { modality: Some(Modality::Image), ..Filter::default() };
    let request = SearchRequest::dense(query.clone(), 5).with_filter(images);
    let from_view = view.search_explained(&request).expect("filtered");
    assert_eq!(from_view.plan.dense, Some(DensePlan::ExactScan));
    let from_original = original.search(&request).expect("filtered");
    let view_ids: Vec<&str> = from_view.hits.iter().map(|h| h.id.as_str()).collect();
    let original_ids: Vec<&str> = from_original.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(view_ids, original_ids, "f16 rounding does not reorder these");
    // Vectors read back from the mapping are the stored ones, to f16 precision.
    let stored = view.vector("v7").expect("vector");
    assert!(cosine(&stored, &batch[7].1) > 0.999);

    assert!(matches!(view.upsert(item(5_000), rng.vector(DIM)), Err(VectorError::ReadOnly)));
    assert!(matches!(view.upsert(batch[1].0.clone(), rng.vector(DIM)), Err(VectorError::ReadOnly)));
    assert!(matches!(view.remove("v1"), Err(VectorError::ReadOnly)));
    assert!(matches!(view.checkpoint(dir.path()), Err(VectorError::ReadOnly)));
    assert_eq!(view.len(), 2_000);
}

#[test]
fn a_view_needs_a_current_checkpoint() {
    let mut batch = corpus(300, 18);
    let dir = tempfile::tempdir().expect("tempdir");
    filled(&batch).checkpoint(dir.path()).expect("checkpoint");
    // A changed vector cannot be applied to a view.
    let mut changed = batch.clone();
    changed[4].1 = Rng(19).vector(DIM);
    let Err(VectorError::Checkpoint { message, .. }) = restore(dir.path(), OpenMode::View, &changed) else {
        panic!("a changed item must refuse the view");
    };
    assert!(message.contains("'v4' changed after the checkpoint"), "{message}");
    // Nor can a deletion.
    batch.pop();
    let Err(VectorError::Checkpoint { message, .. }) = restore(dir.path(), OpenMode::View, &batch) else {
        panic!("a deleted item must refuse the view");
    };
    assert!(message.contains("1 checkpointed items are no longer"), "{message}");
}

#[test]
fn damaged_or_foreign_checkpoints_are_refused_with_the_file_named() {
    let batch = corpus(400, 20);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = || VectorConfig::with_dimension(DIM);
    let open = |dir: &Path| VectorStore::from_checkpoint(config(), dir, OpenMode::Load).map(|s| s.is_some());

    // No checkpoint at all is not an error.
    assert!(!open(dir.path()).expect("empty folder"));
    assert!(!open(&dir.path().join("missing")).expect("missing folder"));

    filled(&batch).checkpoint(dir.path()).expect("checkpoint");
    assert!(open(dir.path()).expect("intact"));

    // Another index configuration.
    let other = VectorConfig { connectivity: 8, ..config() };
    let Err(VectorError::Checkpoint { message, .. }) = VectorStore::from_checkpoint(other, dir.path(), OpenMode::Load)
    else {
        panic!("another connectivity must be refused");
    };
    assert!(message.contains("another index configuration"), "{message}");
    // A different search width is fine: it is not part of the graph.
    let wider = VectorConfig { expansion_search: 200, ..config() };
    assert!(VectorStore::from_checkpoint(wider, dir.path(), OpenMode::Load).expect("wider").is_some());

    // A flipped byte in the key file.
    let keys = dir.path().join("keys-1.bin");
    let pristine = std::fs::read(&keys).expect("keys");
    let mut damaged = pristine.clone();
    damaged[40] ^= 0x55;
    std::fs::write(&keys, &damaged).expect("write");
    let Err(VectorError::Checkpoint { path, message }) = open(dir.path()) else { panic!("flipped byte accepted") };
    assert!(path.ends_with("keys-1.bin") && message.contains("checksum"), "{path}: {message}");
    std::fs::write(&keys, &pristine[..pristine.len() / 2]).expect("write");
    assert!(matches!(open(dir.path()), Err(VectorError::Checkpoint { .. })));
    std::fs::write(&keys, &pristine).expect("write");

    // A truncated index file.
    let index = dir.path().join("index-1.usearch");
    let saved = std::fs::read(&index).expect("index");
    std::fs::write(&index, &saved[..saved.len() / 3]).expect("write");
    assert!(open(dir.path()).is_err(), "a truncated index must not open");
    std::fs::write(&index, &saved).expect("write");

    // A garbled CURRENT.
    std::fs::write(dir.path().join("CURRENT"), "seven\n").expect("write");
    let Err(VectorError::Checkpoint { message, .. }) = open(dir.path()) else { panic!("garbled CURRENT accepted") };
    assert!(message.contains("generation number"), "{message}");
}

#[test]
fn a_crash_mid_checkpoint_leaves_the_previous_generation_live() {
    let batch = corpus(300, 21);
    let dir = tempfile::tempdir().expect("tempdir");
    filled(&batch).checkpoint(dir.path()).expect("checkpoint");
    // What a crash between the two file writes and the switch leaves behind.
    std::fs::write(dir.path().join("index-2.usearch"), b"half an index").expect("write");
    std::fs::write(dir.path().join("CURRENT.tmp"), b"2\n").expect("write");
    let (restored, stats) = restore(dir.path(), OpenMode::Load, &batch).expect("restore");
    assert_eq!(stats.reused, 300);
    assert_consistent(&restored);
    // The next checkpoint takes generation 2 over and cleans up.
    let info = restored.checkpoint(dir.path()).expect("checkpoint");
    assert_eq!(info.generation, 2);
    assert!(!dir.path().join("index-1.usearch").exists());
}

#[test]
fn duplicate_ids_in_one_parallel_batch_keep_the_last() {
    let mut batch = corpus(1_000, 22);
    let mut rng = Rng(23);
    let last = rng.vector(DIM);
    batch.push((item(10), rng.vector(DIM)));
    batch.push((item(10), last.clone()));
    let store = filled(&batch);
    assert_eq!(store.len(), 1_000);
    assert_consistent(&store);
    assert_eq!(ids(&store, &last, 1), vec!["v10".to_string()]);
    // The index's copy of the last vector: f16 and normalised, so its direction.
    let stored = store.vector("v10").expect("stored");
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let cosine = stored.iter().zip(&last).map(|(a, b)| a * b).sum::<f32>() / (norm(&stored) * norm(&last));
    assert!(cosine > 0.999, "{cosine}");
}

#[test]
fn per_request_ef_widens_the_search_and_is_validated() {
    let batch = corpus(4_000, 24);
    let store = filled(&batch);
    let mut rng = Rng(25);
    let query = rng.vector(DIM);
    for bad in [0, 4_097] {
        let request = SearchRequest { ef: Some(bad), ..SearchRequest::dense(query.clone(), 10) };
        let Err(VectorError::InvalidInput { field, .. }) = store.search(&request) else { panic!("ef {bad} accepted") };
        assert_eq!(field, "ef");
    }
    let plan = |ef| {
        let request = SearchRequest { ef, ..SearchRequest::dense(query.clone(), 10) };
        store.search_explained(&request).expect("search").plan.ef
    };
    let configured = VectorConfig::default().expansion_search;
    assert_eq!(plan(None), Some(configured), "the configured width");
    assert_eq!(plan(Some(500)), Some(500));
    assert_eq!(plan(Some(5)), Some(configured), "the configured width is the floor");
    // Exact scans do not search the graph.
    let images = Filter { modality: Some(Modality::Image), ..Filter::default() };
    let request = SearchRequest { ef: Some(500), ..SearchRequest::dense(query.clone(), 10).with_filter(images) };
    assert_eq!(store.search_explained(&request).expect("search").plan.ef, None);

    // A wider search is at least as exact: compare total similarity of the top 10.
    let vectors: Vec<Vec<f32>> = batch.iter().map(|(_, v)| v.clone()).collect();
    let mut narrow = 0.0;
    let mut wide = 0.0;
    for _ in 0..30 {
        let q = rng.vector(DIM);
        let sum = |ef| -> f32 {
            let request = SearchRequest { ef, ..SearchRequest::dense(q.clone(), 10) };
            store.search(&request).expect("search").iter().map(|h| h.score).sum()
        };
        narrow += sum(None);
        wide += sum(Some(1_000));
    }
    assert!(wide >= narrow - 1e-3, "ef 1000 gave {wide}, the default {narrow}");
    let exact: f32 = {
        let q = rng.vector(DIM);
        let mut all: Vec<f32> = vectors.iter().map(|v| cosine(&q, v)).collect();
        all.sort_by(|a, b| b.total_cmp(a));
        let best: f32 = all.iter().take(10).sum();
        let request = SearchRequest { ef: Some(4_000), ..SearchRequest::dense(q.clone(), 10) };
        let got: f32 = store.search(&request).expect("search").iter().map(|h| h.score).sum();
        (best - got).abs()
    };
    assert!(exact < 1e-2, "ef as large as the collection is exhaustive: off by {exact}");
}
