//! [`Records`]: what the store holds in memory for each item, and nothing more: the id
//! (hits name it, writes look it up), what a hit shows besides (title, kind, modality), the
//! ids of the metadata terms its filter postings hold (to take it out of them again) and the
//! digest of its vector (for checkpoints).
//!
//! The text, the tags and the rest of an item are in the lexical index's stored fields, the
//! vector is in the HNSW index: neither is copied here. One allocation per item holds its id,
//! title and term ids, and the id → key table stores keys only (it hashes the id it finds in
//! the record), so an id is kept once. At 384 dimensions this is a few percent of what the
//! HNSW index itself takes per item (`ann-bench`, BENCHMARKS.md "Memory per item").

use std::collections::HashMap;
use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::item::Modality;
use crate::postings::TermId;

/// One item, compactly.
pub(crate) struct Record {
    /// The id's bytes, the title's, then the term ids (little-endian `u32` each).
    blob: Box<[u8]>,
    /// Ids are at most `MAX_KEYWORD_BYTES` (1 KiB) long.
    id_len: u32,
    terms: u32,
    modality: Modality,
    /// The digest of the item's vector as given (see `checkpoint::digest`).
    digest: u64,
}

impl Record {
    /// A record of an item: `terms` as [`crate::postings::Postings::insert`] returned them.
    pub(crate) fn new(id: &str, title: &str, terms: &[TermId], modality: Modality, digest: u64) -> Self {
        let mut blob = Vec::with_capacity(id.len() + title.len() + 4 * terms.len());
        blob.extend_from_slice(id.as_bytes());
        blob.extend_from_slice(title.as_bytes());
        for term in terms {
            blob.extend_from_slice(&term.to_le_bytes());
        }
        Record {
            blob: blob.into_boxed_slice(),
            // Both are bounded by validation (ids ≤ 1 KiB; a handful of terms per item).
            id_len: u32::try_from(id.len()).unwrap_or(u32::MAX),
            terms: u32::try_from(terms.len()).unwrap_or(u32::MAX),
            modality,
            digest,
        }
    }

    fn title_end(&self) -> usize {
        self.blob.len() - 4 * self.terms as usize
    }

    /// The item's id.
    pub(crate) fn id(&self) -> &str {
        // Built from a `&str` in `new`, so always valid UTF-8.
        std::str::from_utf8(&self.blob[..self.id_len as usize]).unwrap_or_default()
    }

    /// The item's title.
    pub(crate) fn title(&self) -> &str {
        std::str::from_utf8(&self.blob[self.id_len as usize..self.title_end()]).unwrap_or_default()
    }

    /// The ids of the item's metadata terms, in the order they were given.
    pub(crate) fn terms(&self) -> Vec<TermId> {
        self.blob[self.title_end()..].chunks_exact(4).map(|b| TermId::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
    }

    /// The id of the item's kind term (its second term).
    pub(crate) fn kind_term(&self) -> Option<TermId> {
        let at = self.title_end() + 4;
        self.blob.get(at..at + 4).map(|b| TermId::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The item's modality.
    pub(crate) fn modality(&self) -> Modality {
        self.modality
    }

    /// The digest of the item's vector.
    pub(crate) fn digest(&self) -> u64 {
        self.digest
    }
}

/// Every live item's record, by key and by id.
#[derive(Default)]
pub(crate) struct Records {
    by_key: HashMap<u64, Record>,
    /// Keys, found by the hash of the id in their record.
    by_id: HashTable<u64>,
    hasher: DefaultHashBuilder,
}

impl Records {
    /// Number of items.
    pub(crate) fn len(&self) -> usize {
        self.by_key.len()
    }

    /// The record under `key`.
    pub(crate) fn get(&self, key: u64) -> Option<&Record> {
        self.by_key.get(&key)
    }

    /// Whether `key` is a live item's.
    pub(crate) fn contains_key(&self, key: u64) -> bool {
        self.by_key.contains_key(&key)
    }

    /// The key of the item with this id.
    pub(crate) fn key_of(&self, id: &str) -> Option<u64> {
        let hash = self.hasher.hash_one(id);
        self.by_id.find(hash, |key| self.by_key.get(key).is_some_and(|r| r.id() == id)).copied()
    }

    /// Every live key, in no particular order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.by_key.keys().copied()
    }

    /// Every live item, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &Record)> + '_ {
        self.by_key.iter().map(|(key, record)| (*key, record))
    }

    /// Adds an item under a fresh key; the caller has removed any item with the same id.
    pub(crate) fn insert(&mut self, key: u64, record: Record) {
        let Records { by_key, by_id, hasher } = self;
        let hash = hasher.hash_one(record.id());
        by_key.insert(key, record);
        by_id.insert_unique(hash, key, |k| by_key.get(k).map_or(0, |r| hasher.hash_one(r.id())));
    }

    /// Removes the item with this id; returns its key and record.
    pub(crate) fn remove_id(&mut self, id: &str) -> Option<(u64, Record)> {
        let key = self.key_of(id)?;
        self.remove(key).map(|record| (key, record))
    }

    /// Removes the item under `key`.
    pub(crate) fn remove(&mut self, key: u64) -> Option<Record> {
        let Records { by_key, by_id, hasher } = self;
        let record = by_key.remove(&key)?;
        if let Ok(entry) = by_id.find_entry(hasher.hash_one(record.id()), |k| *k == key) {
            entry.remove();
        }
        Some(record)
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
            records.insert(key as u64 * 10, Record::new(id, title, terms, Modality::Text, key as u64));
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
        records.insert(30, Record::new("é:2", "", &[], Modality::Image, 0));
        assert_eq!(records.key_of("é:2"), Some(30));
        assert_eq!(records.get(30).map(Record::modality), Some(Modality::Image));
        let mut keys: Vec<u64> = records.keys().collect();
        keys.sort_unstable();
        assert_eq!(keys, [0, 20, 30]);
    }
}
