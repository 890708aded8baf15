//! [`Records`]: what the store holds in memory for each item, and nothing more: the id
//! (hits name it, writes look it up), what a hit shows besides (title, kind, modality), the
//! ids of the metadata terms its filter postings hold (to take it out of them again) and the
//! digest of its vector (for checkpoints).
//!
//! The text, the tags and the rest of an item are in the lexical index's stored fields, the
//! vector is in the HNSW index: neither is copied here. The ids, titles and term ids of all
//! items are appended to one arena rather than allocated one by one: ten thousand small
//! allocations per batch, interleaved with the batch's megabytes of transient input, kept
//! pages of that input resident after it was freed (`ann-bench` at 100,000 items: about 300
//! bytes per item that `malloc_trim` could not return). Removed items leave garbage in the
//! arena, which is compacted once it is half of it. The id → key table stores keys only
//! (it hashes the id it finds in the arena), so an id is kept once.

use std::collections::HashMap;
use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::item::Modality;
use crate::postings::TermId;

/// Arena bytes below which garbage is never compacted away.
const MIN_COMPACT_BYTES: usize = 1 << 20;

/// Where one item's parts are in the arena, and what is kept beside them.
struct Slot {
    /// Offset of the id's bytes; the title's and the term ids (little-endian `u32`) follow.
    at: usize,
    /// Ids are at most `MAX_KEYWORD_BYTES` (1 KiB) long.
    id_len: u32,
    title_len: u32,
    terms: u32,
    modality: Modality,
    /// The digest of the item's vector as given (see `checkpoint::digest`).
    digest: u64,
}

impl Slot {
    fn len(&self) -> usize {
        self.id_len as usize + self.title_len as usize + 4 * self.terms as usize
    }
}

/// One item's record, borrowed from [`Records`].
#[derive(Clone, Copy)]
pub(crate) struct Record<'a> {
    slot: &'a Slot,
    bytes: &'a [u8],
}

impl<'a> Record<'a> {
    fn part(&self, from: usize, len: usize) -> &'a [u8] {
        let start = self.slot.at + from;
        self.bytes.get(start..start + len).unwrap_or_default()
    }

    /// The item's id.
    pub(crate) fn id(&self) -> &'a str {
        // Written from a `&str` by `insert`, so always valid UTF-8.
        std::str::from_utf8(self.part(0, self.slot.id_len as usize)).unwrap_or_default()
    }

    /// The item's title.
    pub(crate) fn title(&self) -> &'a str {
        std::str::from_utf8(self.part(self.slot.id_len as usize, self.slot.title_len as usize)).unwrap_or_default()
    }

    /// The ids of the item's metadata terms, in the order they were given.
    pub(crate) fn terms(&self) -> Vec<TermId> {
        let from = self.slot.id_len as usize + self.slot.title_len as usize;
        self.part(from, 4 * self.slot.terms as usize)
            .chunks_exact(4)
            .map(|b| TermId::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }

    /// The id of the item's kind term (its second term).
    pub(crate) fn kind_term(&self) -> Option<TermId> {
        if self.slot.terms < 2 {
            return None;
        }
        let from = self.slot.id_len as usize + self.slot.title_len as usize + 4;
        let b = self.part(from, 4);
        (b.len() == 4).then(|| TermId::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The item's modality.
    pub(crate) fn modality(&self) -> Modality {
        self.slot.modality
    }

    /// The digest of the item's vector.
    pub(crate) fn digest(&self) -> u64 {
        self.slot.digest
    }
}

/// What is left of a removed item: its id and term ids.
pub(crate) struct Removed {
    id: String,
    terms: Vec<TermId>,
}

impl Removed {
    /// The removed item's id.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// The removed item's term ids.
    pub(crate) fn terms(&self) -> &[TermId] {
        &self.terms
    }
}

/// Every live item's record, by key and by id.
#[derive(Default)]
pub(crate) struct Records {
    by_key: HashMap<u64, Slot>,
    /// Keys, found by the hash of the id in their record.
    by_id: HashTable<u64>,
    hasher: DefaultHashBuilder,
    /// Ids, titles and term ids of every record, and garbage of removed ones.
    arena: Vec<u8>,
    garbage: usize,
}

impl Records {
    fn record<'a>(&'a self, slot: &'a Slot) -> Record<'a> {
        Record { slot, bytes: &self.arena }
    }

    /// Number of items.
    pub(crate) fn len(&self) -> usize {
        self.by_key.len()
    }

    /// The record under `key`.
    pub(crate) fn get(&self, key: u64) -> Option<Record<'_>> {
        self.by_key.get(&key).map(|slot| self.record(slot))
    }

    /// Whether `key` is a live item's.
    pub(crate) fn contains_key(&self, key: u64) -> bool {
        self.by_key.contains_key(&key)
    }

    /// The key of the item with this id.
    pub(crate) fn key_of(&self, id: &str) -> Option<u64> {
        let hash = self.hasher.hash_one(id);
        self.by_id.find(hash, |key| self.get(*key).is_some_and(|r| r.id() == id)).copied()
    }

    /// Every live key, in no particular order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.by_key.keys().copied()
    }

    /// Every live item, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, Record<'_>)> + '_ {
        self.by_key.iter().map(|(key, slot)| (*key, self.record(slot)))
    }

    /// Adds an item under a fresh key; the caller has removed any item with the same id.
    /// `terms` as [`crate::postings::Postings::insert`] returned them.
    pub(crate) fn insert(
        &mut self,
        key: u64,
        id: &str,
        title: &str,
        terms: &[TermId],
        modality: Modality,
        digest: u64,
    ) {
        let at = self.arena.len();
        self.arena.extend_from_slice(id.as_bytes());
        self.arena.extend_from_slice(title.as_bytes());
        for term in terms {
            self.arena.extend_from_slice(&term.to_le_bytes());
        }
        let slot = Slot {
            at,
            // Bounded by validation (ids ≤ 1 KiB), by the text limits and by the terms an
            // item can carry; a title over 4 GiB cannot be given.
            id_len: u32::try_from(id.len()).unwrap_or(u32::MAX),
            title_len: u32::try_from(title.len()).unwrap_or(u32::MAX),
            terms: u32::try_from(terms.len()).unwrap_or(u32::MAX),
            modality,
            digest,
        };
        let Records { by_key, by_id, hasher, arena, .. } = self;
        let hash = hasher.hash_one(id);
        by_key.insert(key, slot);
        let id_of = |k: &u64| by_key.get(k).map_or(0, |s| hasher.hash_one(Record { slot: s, bytes: arena }.id()));
        by_id.insert_unique(hash, key, id_of);
    }

    /// Removes the item with this id; returns its key and what is left of it.
    pub(crate) fn remove_id(&mut self, id: &str) -> Option<(u64, Removed)> {
        let key = self.key_of(id)?;
        self.remove(key).map(|removed| (key, removed))
    }

    /// Removes the item under `key`.
    pub(crate) fn remove(&mut self, key: u64) -> Option<Removed> {
        let slot = self.by_key.get(&key)?;
        let record = self.record(slot);
        let removed = Removed { id: record.id().to_string(), terms: record.terms() };
        let hash = self.hasher.hash_one(&removed.id);
        let len = slot.len();
        self.by_key.remove(&key);
        if let Ok(entry) = self.by_id.find_entry(hash, |k| *k == key) {
            entry.remove();
        }
        self.garbage += len;
        if self.garbage >= MIN_COMPACT_BYTES && self.garbage * 2 >= self.arena.len() {
            self.compact();
        }
        Some(removed)
    }

    /// Rewrites the arena with the live records only.
    fn compact(&mut self) {
        let mut arena = Vec::with_capacity(self.arena.len() - self.garbage);
        for slot in self.by_key.values_mut() {
            let len = slot.len();
            let at = arena.len();
            arena.extend_from_slice(self.arena.get(slot.at..slot.at + len).unwrap_or_default());
            slot.at = at;
        }
        self.arena = arena;
        self.garbage = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keep_their_parts_and_are_found_by_id_and_key() {
        let mut records = Records::default();
        let parts = [("doc:1", "A title", vec![0, 1, 7]), ("é:2", "", vec![]), ("x", "Ünïcode", vec![u32::MAX])];
        for (key, (id, title, terms)) in parts.iter().enumerate() {
            records.insert(key as u64 * 10, id, title, terms, Modality::Text, key as u64);
        }
        for (key, (id, title, terms)) in parts.iter().enumerate() {
            let key = key as u64 * 10;
            assert_eq!(records.key_of(id), Some(key));
            let record = records.get(key).expect("record");
            assert_eq!((record.id(), record.title(), record.terms()), (*id, *title, terms.clone()));
            assert_eq!(record.digest(), key / 10);
            assert_eq!(record.kind_term(), terms.get(1).copied());
        }
        assert_eq!(records.len(), 3);
        let (key, removed) = records.remove_id("é:2").expect("removed");
        assert_eq!((key, removed.id()), (10, "é:2"));
        assert_eq!(records.key_of("é:2"), None);
        assert!(!records.contains_key(10));
        // Re-added under a new key, found there.
        records.insert(30, "é:2", "", &[], Modality::Image, 0);
        assert_eq!(records.key_of("é:2"), Some(30));
        assert_eq!(records.get(30).map(|r| r.modality()), Some(Modality::Image));
        let mut keys: Vec<u64> = records.keys().collect();
        keys.sort_unstable();
        assert_eq!(keys, [0, 20, 30]);
    }

    #[test]
    fn the_arena_is_compacted_and_records_survive_it() {
        let mut records = Records::default();
        let title = "t".repeat(1_000);
        for key in 0..4_000u64 {
            records.insert(key, &format!("id:{key}"), &title, &[key as u32, 1], Modality::Text, key);
        }
        let full = records.arena.len();
        for key in (0..4_000u64).filter(|k| k % 4 != 0) {
            records.remove(key).expect("present");
        }
        assert!(records.arena.len() < full / 2, "compacted: {} of {full}", records.arena.len());
        for key in (0..4_000u64).step_by(4) {
            let record = records.get(key).expect("kept");
            assert_eq!(
                (record.id(), record.title().len(), record.terms()),
                (format!("id:{key}").as_str(), 1_000, vec![key as u32, 1])
            );
            assert_eq!(records.key_of(&format!("id:{key}")), Some(key));
        }
        assert_eq!(records.len(), 1_000);
    }
}
