//! The store of record: an embedded ACID database (redb) in the data directory. Every write is
//! committed here first (fsync'd), and only then applied to the derived indexes, which are
//! rebuilt from this store at start-up. An acknowledged write therefore survives `kill -9`.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::records::{DocumentRecord, Entity, ImageRecord, Relation, SchemaRecord};

const ENTITIES: TableDefinition<&str, &[u8]> = TableDefinition::new("entities");
const RELATIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("relations");
const DOCUMENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("documents");
const IMAGES: TableDefinition<&str, &[u8]> = TableDefinition::new("images");
const IMAGE_BYTES: TableDefinition<&str, &[u8]> = TableDefinition::new("image_bytes");
const VECTORS: TableDefinition<&str, &[u8]> = TableDefinition::new("vectors");
const META: TableDefinition<&str, &str> = TableDefinition::new("meta");
/// Words for relation and entity types (schema records), keyed by [`SchemaRecord::key`].
const SCHEMA: TableDefinition<&str, &[u8]> = TableDefinition::new("schema");
/// What each ingested file produced, by file id (see `crate::ingest::manifest`).
const FILES: TableDefinition<&str, &[u8]> = TableDefinition::new("files");
/// Answers of the extraction model, by the hash of what it was asked (see `crate::extract`).
const EXTRACTIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("extractions");

/// Errors of the store of record.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("store: {0}")]
    Db(#[from] redb::Error),
    /// A stored value did not decode (corruption or a format change).
    #[error("store: record {key} in {table} does not decode: {message}")]
    Decode {
        /// Table name.
        table: &'static str,
        /// Record key.
        key: String,
        /// The decoder's message.
        message: String,
    },
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self { StoreError::Db(e.into()) }
        }
    )*};
}
from_redb!(redb::DatabaseError, redb::TransactionError, redb::TableError, redb::StorageError, redb::CommitError);

/// Record counts, as `/v1/status` reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Counts {
    /// Entities.
    pub entities: u64,
    /// Relations.
    pub relations: u64,
    /// Documents.
    pub documents: u64,
    /// Images.
    pub images: u64,
}

/// A set of changes committed atomically.
#[derive(Debug, Default)]
pub struct WriteBatch {
    /// Entities to insert or replace.
    pub entities: Vec<Entity>,
    /// Relations to insert.
    pub relations: Vec<Relation>,
    /// Documents to insert or replace, with their vectors.
    pub documents: Vec<(DocumentRecord, Vec<f32>)>,
    /// Images to insert or replace, with their bytes (if any) and vectors.
    pub images: Vec<(ImageRecord, Option<Vec<u8>>, Vec<f32>)>,
    /// Entity ids to delete, with their relations (given as relation keys).
    pub delete_entities: Vec<String>,
    /// Relations to delete.
    pub delete_relations: Vec<Relation>,
    /// Document ids to delete.
    pub delete_documents: Vec<String>,
    /// Image ids to delete.
    pub delete_images: Vec<String>,
    /// File manifests to insert or replace: file id and encoded manifest. Written in the
    /// same transaction as the file's records, so a crash leaves both or neither.
    pub files: Vec<(String, Vec<u8>)>,
    /// File manifests to delete.
    pub delete_files: Vec<String>,
}

impl WriteBatch {
    /// Whether the batch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
            && self.relations.is_empty()
            && self.documents.is_empty()
            && self.images.is_empty()
            && self.delete_entities.is_empty()
            && self.delete_relations.is_empty()
            && self.delete_documents.is_empty()
            && self.delete_images.is_empty()
            && self.files.is_empty()
            && self.delete_files.is_empty()
    }
}

/// Separates the parts of a relation key.
const KEY_SEPARATOR: char = '\u{1f}';

/// The key of a relation: its three parts joined by a unit separator.
pub fn relation_key(r: &Relation) -> String {
    let mut key = String::new();
    write_relation_key(r, &mut key);
    key
}

/// [`relation_key`] into `key` (cleared first), so a bulk write reuses one buffer.
fn write_relation_key(r: &Relation, key: &mut String) {
    key.clear();
    key.reserve(r.source.len() + r.relation.len() + r.target.len() + 2);
    key.push_str(&r.source);
    key.push(KEY_SEPARATOR);
    key.push_str(&r.relation);
    key.push(KEY_SEPARATOR);
    key.push_str(&r.target);
}

/// A relation's id, as writes report it: its key with a space for every separator.
pub fn relation_id(r: &Relation) -> String {
    relation_key(r).replace(KEY_SEPARATOR, " ")
}

/// First byte of a relation value in the compact encoding. A JSON text (the older
/// encoding, still read) never starts with it: it starts with `{` or whitespace.
const RELATION_V1: u8 = 0x01;

/// Encodes a relation's value into `out` (cleared first): [`RELATION_V1`], the byte
/// lengths of the source and of the relation type as LEB128 varints, then the props as
/// JSON, or nothing when there are none. The three parts themselves are the key's, so the
/// lengths say where they end even when a part contains the separator.
fn encode_relation(r: &Relation, out: &mut Vec<u8>) {
    out.clear();
    out.push(RELATION_V1);
    put_varint(out, r.source.len());
    put_varint(out, r.relation.len());
    if !r.props.is_empty() {
        // Serialising a JSON map into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, &r.props);
    }
}

/// Decodes a relation from its key and value, in either encoding.
fn decode_relation(key: &str, value: &[u8]) -> Result<Relation, StoreError> {
    let Some((&RELATION_V1, mut rest)) = value.split_first() else {
        return decode("relations", key, value);
    };
    let bad = |message: &str| StoreError::Decode { table: "relations", key: key.to_string(), message: message.into() };
    let source_len = take_varint(&mut rest).ok_or_else(|| bad("truncated length"))?;
    let relation_len = take_varint(&mut rest).ok_or_else(|| bad("truncated length"))?;
    let mut parts = (|| {
        let source = key.get(..source_len)?;
        let after = key.get(source_len..)?.strip_prefix(KEY_SEPARATOR)?;
        let relation = after.get(..relation_len)?;
        let target = after.get(relation_len..)?.strip_prefix(KEY_SEPARATOR)?;
        Some(Relation::new(source, relation, target))
    })()
    .ok_or_else(|| bad("lengths do not match the key"))?;
    if !rest.is_empty() {
        parts.props = serde_json::from_slice(rest).map_err(|e| bad(&format!("props: {e}")))?;
    }
    Ok(parts)
}

fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads a LEB128 varint off the front of `bytes`; `None` when truncated or too long.
fn take_varint(bytes: &mut &[u8]) -> Option<usize> {
    let mut n: usize = 0;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        n |= usize::from(b & 0x7f).checked_shl(7 * i as u32)?;
        if b & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Some(n);
        }
    }
    None
}

/// The store of record.
pub struct Store {
    db: Database,
}

impl Store {
    /// Opens (or creates) `braid.redb` in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let db = Database::create(dir.join("braid.redb"))?;
        // Create every table so that reads never meet a missing table.
        let txn = db.begin_write()?;
        {
            txn.open_table(ENTITIES)?;
            txn.open_table(RELATIONS)?;
            txn.open_table(DOCUMENTS)?;
            txn.open_table(IMAGES)?;
            txn.open_table(IMAGE_BYTES)?;
            txn.open_table(VECTORS)?;
            txn.open_table(META)?;
            txn.open_table(SCHEMA)?;
            txn.open_table(FILES)?;
            txn.open_table(EXTRACTIONS)?;
        }
        txn.commit()?;
        Ok(Store { db })
    }

    /// Commits `batch` in one durable transaction.
    pub fn write(&self, batch: &WriteBatch) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut entities = txn.open_table(ENTITIES)?;
            let mut relations = txn.open_table(RELATIONS)?;
            let mut documents = txn.open_table(DOCUMENTS)?;
            let mut images = txn.open_table(IMAGES)?;
            let mut image_bytes = txn.open_table(IMAGE_BYTES)?;
            let mut vectors = txn.open_table(VECTORS)?;
            let mut files = txn.open_table(FILES)?;
            for id in &batch.delete_files {
                files.remove(id.as_str())?;
            }
            for (id, manifest) in &batch.files {
                files.insert(id.as_str(), manifest.as_slice())?;
            }
            for id in &batch.delete_entities {
                entities.remove(id.as_str())?;
            }
            for r in &batch.delete_relations {
                relations.remove(relation_key(r).as_str())?;
            }
            for id in &batch.delete_documents {
                documents.remove(id.as_str())?;
                vectors.remove(id.as_str())?;
            }
            for id in &batch.delete_images {
                images.remove(id.as_str())?;
                image_bytes.remove(id.as_str())?;
                vectors.remove(id.as_str())?;
            }
            for e in &batch.entities {
                entities.insert(e.id.as_str(), encode(e).as_slice())?;
            }
            let mut value = Vec::new();
            for r in &batch.relations {
                encode_relation(r, &mut value);
                relations.insert(relation_key(r).as_str(), value.as_slice())?;
            }
            for (d, v) in &batch.documents {
                documents.insert(d.id.as_str(), encode(d).as_slice())?;
                vectors.insert(d.id.as_str(), vector_bytes(v).as_slice())?;
            }
            for (img, bytes, v) in &batch.images {
                images.insert(img.id.as_str(), encode(img).as_slice())?;
                match bytes {
                    Some(b) => image_bytes.insert(img.id.as_str(), b.as_slice())?,
                    None => image_bytes.remove(img.id.as_str())?,
                };
                vectors.insert(img.id.as_str(), vector_bytes(v).as_slice())?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Inserts `relations` in one durable transaction, like [`Store::write`] with only
    /// relations, without copying them.
    pub fn write_relations(&self, relations: &[Relation]) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(RELATIONS)?;
            let (mut key, mut value) = (String::new(), Vec::new());
            for r in relations {
                write_relation_key(r, &mut key);
                encode_relation(r, &mut value);
                table.insert(key.as_str(), value.as_slice())?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Inserts or replaces `entities` in one durable transaction, like [`Store::write`]
    /// with only entities, without copying them.
    pub fn write_entities(&self, entities: &[Entity]) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(ENTITIES)?;
            let mut value = Vec::new();
            for e in entities {
                value.clear();
                // Serialising these plain structs to JSON cannot fail.
                let _ = serde_json::to_writer(&mut value, e);
                table.insert(e.id.as_str(), value.as_slice())?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Record counts.
    pub fn counts(&self) -> Result<Counts, StoreError> {
        let txn = self.db.begin_read()?;
        Ok(Counts {
            entities: txn.open_table(ENTITIES)?.len()?,
            relations: txn.open_table(RELATIONS)?.len()?,
            documents: txn.open_table(DOCUMENTS)?.len()?,
            images: txn.open_table(IMAGES)?.len()?,
        })
    }

    /// Every entity.
    pub fn entities(&self) -> Result<Vec<Entity>, StoreError> {
        self.all(ENTITIES, "entities")
    }

    /// Every relation.
    pub fn relations(&self) -> Result<Vec<Relation>, StoreError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(RELATIONS)?;
        let mut out = Vec::with_capacity(t.len()? as usize);
        for row in t.iter()? {
            let (k, v) = row?;
            out.push(decode_relation(k.value(), v.value())?);
        }
        Ok(out)
    }

    /// Every document with its stored vector (empty if none was stored).
    pub fn documents(&self) -> Result<Vec<(DocumentRecord, Vec<f32>)>, StoreError> {
        self.with_vectors(DOCUMENTS, "documents")
    }

    /// Every image with its stored vector.
    pub fn images(&self) -> Result<Vec<(ImageRecord, Vec<f32>)>, StoreError> {
        self.with_vectors(IMAGES, "images")
    }

    /// Every document with its stored vector, handed to `f` `batch` at a time in key order
    /// (one read transaction): a start-up replay holds one batch in memory, not the store.
    pub fn documents_in_batches<E: From<StoreError>>(
        &self,
        batch: usize,
        f: impl FnMut(Vec<(DocumentRecord, Vec<f32>)>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.with_vectors_in_batches(DOCUMENTS, "documents", batch, f)
    }

    /// Every image with its stored vector, `batch` at a time (see
    /// [`documents_in_batches`](Self::documents_in_batches)).
    pub fn images_in_batches<E: From<StoreError>>(
        &self,
        batch: usize,
        f: impl FnMut(Vec<(ImageRecord, Vec<f32>)>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.with_vectors_in_batches(IMAGES, "images", batch, f)
    }

    /// `n` documents sampled uniformly (reservoir sampling over the table, without their
    /// vectors), the same ones for the same seed.
    pub fn sample_documents(&self, n: usize, seed: u64) -> Result<Vec<DocumentRecord>, StoreError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(DOCUMENTS)?;
        let mut rows = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            rows.push((k.value().to_string(), v.value().to_vec()));
        }
        reservoir(rows.into_iter(), n, seed).into_iter().map(|(k, v)| decode("documents", &k, &v)).collect()
    }

    /// One entity.
    pub fn entity(&self, id: &str) -> Result<Option<Entity>, StoreError> {
        self.get(ENTITIES, "entities", id)
    }

    /// One document.
    pub fn document(&self, id: &str) -> Result<Option<DocumentRecord>, StoreError> {
        self.get(DOCUMENTS, "documents", id)
    }

    /// One image record.
    pub fn image(&self, id: &str) -> Result<Option<ImageRecord>, StoreError> {
        self.get(IMAGES, "images", id)
    }

    /// The vector stored for a document (its passages' vectors, concatenated) or an image.
    pub fn vector(&self, id: &str) -> Result<Option<Vec<f32>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(VECTORS)?;
        Ok(table.get(id)?.map(|v| vector_from_bytes(v.value())))
    }

    /// The stored bytes of an image.
    pub fn image_bytes(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(IMAGE_BYTES)?;
        Ok(table.get(id)?.map(|v| v.value().to_vec()))
    }

    /// Inserts or replaces schema records in one durable transaction.
    pub fn write_schema(&self, records: &[SchemaRecord]) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(SCHEMA)?;
            for r in records {
                table.insert(r.key().as_str(), encode(r).as_slice())?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Every file manifest: file id and encoded manifest, in id order.
    pub fn file_manifests(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(FILES)?;
        let mut out = Vec::with_capacity(t.len()? as usize);
        for row in t.iter()? {
            let (k, v) = row?;
            out.push((k.value().to_string(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// One document with its stored vector (empty if none was stored).
    pub fn document_with_vector(&self, id: &str) -> Result<Option<(DocumentRecord, Vec<f32>)>, StoreError> {
        let txn = self.db.begin_read()?;
        let Some(v) = txn.open_table(DOCUMENTS)?.get(id)? else { return Ok(None) };
        let record = decode("documents", id, v.value())?;
        let vector = txn.open_table(VECTORS)?.get(id)?.map(|b| vector_from_bytes(b.value())).unwrap_or_default();
        Ok(Some((record, vector)))
    }

    /// Whether every one of these documents, images and entities is stored, in one read
    /// transaction (nothing is decoded).
    pub fn has_all(&self, documents: &[String], images: &[String], entities: &[String]) -> Result<bool, StoreError> {
        let txn = self.db.begin_read()?;
        for (def, ids) in [(DOCUMENTS, documents), (IMAGES, images), (ENTITIES, entities)] {
            let table = txn.open_table(def)?;
            for id in ids {
                if table.get(id.as_str())?.is_none() {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// A cached answer of the extraction model.
    pub fn extraction(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(EXTRACTIONS)?;
        Ok(table.get(key)?.map(|v| v.value().to_vec()))
    }

    /// Caches answers of the extraction model, in one transaction.
    pub fn put_extractions(&self, answers: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(EXTRACTIONS)?;
            for (key, value) in answers {
                table.insert(key.as_str(), value.as_slice())?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Every schema record.
    pub fn schema_records(&self) -> Result<Vec<SchemaRecord>, StoreError> {
        self.all(SCHEMA, "schema")
    }

    /// A metadata value.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(META)?;
        Ok(table.get(key)?.map(|v| v.value().to_string()))
    }

    /// Sets a metadata value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        txn.open_table(META)?.insert(key, value)?;
        txn.commit()?;
        Ok(())
    }

    fn get<T: DeserializeOwned>(
        &self,
        def: TableDefinition<&str, &[u8]>,
        table: &'static str,
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(def)?;
        let Some(v) = t.get(id)? else { return Ok(None) };
        decode(table, id, v.value()).map(Some)
    }

    fn all<T: DeserializeOwned>(
        &self,
        def: TableDefinition<&str, &[u8]>,
        table: &'static str,
    ) -> Result<Vec<T>, StoreError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(def)?;
        let mut out = Vec::with_capacity(t.len()? as usize);
        for row in t.iter()? {
            let (k, v) = row?;
            out.push(decode(table, k.value(), v.value())?);
        }
        Ok(out)
    }

    fn with_vectors<T: DeserializeOwned>(
        &self,
        def: TableDefinition<&str, &[u8]>,
        table: &'static str,
    ) -> Result<Vec<(T, Vec<f32>)>, StoreError> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(def)?;
        let vectors = txn.open_table(VECTORS)?;
        let mut out = Vec::with_capacity(t.len()? as usize);
        for row in t.iter()? {
            let (k, v) = row?;
            let record = decode(table, k.value(), v.value())?;
            let vector = vectors.get(k.value())?.map(|b| vector_from_bytes(b.value())).unwrap_or_default();
            out.push((record, vector));
        }
        Ok(out)
    }
}

impl Store {
    fn with_vectors_in_batches<T: DeserializeOwned, E: From<StoreError>>(
        &self,
        def: TableDefinition<&str, &[u8]>,
        table: &'static str,
        batch: usize,
        mut f: impl FnMut(Vec<(T, Vec<f32>)>) -> Result<(), E>,
    ) -> Result<(), E> {
        let batch = batch.max(1);
        let txn = self.db.begin_read().map_err(StoreError::from)?;
        let t = txn.open_table(def).map_err(StoreError::from)?;
        let vectors = txn.open_table(VECTORS).map_err(StoreError::from)?;
        let mut out = Vec::with_capacity(batch);
        for row in t.iter().map_err(StoreError::from)? {
            let (k, v) = row.map_err(StoreError::from)?;
            let record = decode(table, k.value(), v.value())?;
            let vector = vectors
                .get(k.value())
                .map_err(StoreError::from)?
                .map(|b| vector_from_bytes(b.value()))
                .unwrap_or_default();
            out.push((record, vector));
            if out.len() == batch {
                f(std::mem::replace(&mut out, Vec::with_capacity(batch)))?;
            }
        }
        if !out.is_empty() {
            f(out)?;
        }
        Ok(())
    }
}

pub(crate) use braid_graph::reservoir;

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising these plain structs to JSON cannot fail (string keys, no custom serialisers).
    serde_json::to_vec(value).unwrap_or_default()
}

fn decode<T: DeserializeOwned>(table: &'static str, key: &str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Decode {
        table,
        key: key.to_string(),
        message: e.to_string(),
    })
}

fn vector_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn vector_from_bytes(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(e: std::io::Error) -> StoreError {
        StoreError::Db(redb::StorageError::Io(e).into())
    }

    fn with_props(mut r: Relation, props: serde_json::Value) -> Relation {
        if let serde_json::Value::Object(map) = props {
            r.props = map;
        }
        r
    }

    #[test]
    fn relations_in_the_old_json_encoding_still_read_back() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(io)?;
        let old = [
            Relation::new("country:FRA", "borders", "country:ESP"),
            with_props(Relation::new("city:1", "in", "country:FRA"), serde_json::json!({"since": 1790, "note": "é"})),
        ];
        {
            // A data dir written before the compact encoding: the value is the JSON record.
            let store = Store::open(dir.path())?;
            drop(store);
            let db = Database::create(dir.path().join("braid.redb"))?;
            let txn = db.begin_write()?;
            {
                let mut table = txn.open_table(RELATIONS)?;
                for r in &old {
                    let json = serde_json::to_vec(r).map_err(|e| io(e.into()))?;
                    table.insert(relation_key(r).as_str(), json.as_slice())?;
                }
            }
            txn.commit()?;
        }
        let store = Store::open(dir.path())?;
        let mut read = store.relations()?;
        read.sort_by(|a, b| a.source.cmp(&b.source));
        assert_eq!(read, [old[1].clone(), old[0].clone()]);
        // New writes sit next to old ones, and both decode.
        let new = Relation::new("country:ESP", "borders", "country:FRA");
        store.write_relations(std::slice::from_ref(&new))?;
        let read = store.relations()?;
        assert_eq!(read.len(), 3);
        assert!(read.contains(&new) && read.contains(&old[0]) && read.contains(&old[1]));
        Ok(())
    }

    #[test]
    fn compact_relation_encoding_round_trips() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(io)?;
        let long = "x".repeat(300);
        let relations = vec![
            Relation::new("wn:00001740-n", "hyponym", "wn:00001930-n"),
            // Unicode, and the key separator inside a part: the stored lengths, not the
            // separators, say where each part ends.
            Relation::new("ville:Besançon", "jumelée\u{1f}avec", "город:Фрайбург"),
            Relation::new("a\u{1f}b", "\u{1f}", "\u{1f}c"),
            Relation::new(long.as_str(), long.as_str(), "🐨"),
            with_props(
                Relation::new("x:a", "likes", "x:b"),
                serde_json::json!({"weight": 0.5, "tags": ["a", "ü"], "nested": {"k": null}}),
            ),
        ];
        {
            let store = Store::open(dir.path())?;
            store.write_relations(&relations)?;
            // The batch path writes the same encoding.
            store.write(&WriteBatch { relations: vec![Relation::new("p", "q", "r")], ..Default::default() })?;
        }
        let store = Store::open(dir.path())?;
        let mut expected = relations.clone();
        expected.push(Relation::new("p", "q", "r"));
        expected.sort_by_key(relation_key);
        assert_eq!(store.relations()?, expected);
        assert_eq!(store.counts()?.relations, 6);
        // Deleting by key finds records of the new encoding.
        store.write(&WriteBatch { delete_relations: vec![relations[1].clone()], ..Default::default() })?;
        assert!(!store.relations()?.contains(&relations[1]));
        Ok(())
    }

    #[test]
    fn compact_values_that_disagree_with_their_key_are_decode_errors() {
        let key = relation_key(&Relation::new("a", "b", "c"));
        let mut good = Vec::new();
        encode_relation(&Relation::new("a", "b", "c"), &mut good);
        assert_eq!(good, [RELATION_V1, 1, 1]);
        assert!(decode_relation(&key, &good).is_ok());
        for bad in [
            &[RELATION_V1][..],         // lengths missing
            &[RELATION_V1, 0x80],       // truncated varint
            &[RELATION_V1, 2, 1],       // source length past its separator
            &[RELATION_V1, 1, 9],       // relation length past the key
            &[RELATION_V1, 1, 1, b'x'], // props that are not JSON
            &[RELATION_V1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1],
            &[], // neither encoding
        ] {
            assert!(
                matches!(decode_relation(&key, bad), Err(StoreError::Decode { table: "relations", .. })),
                "{bad:?}"
            );
        }
        // A length that splits a multi-byte character is refused, not sliced.
        let key = relation_key(&Relation::new("é", "b", "c"));
        assert!(decode_relation(&key, &[RELATION_V1, 1, 1]).is_err());
    }

    #[test]
    fn varints_round_trip() {
        for n in [0usize, 1, 127, 128, 300, 16_383, 16_384, u32::MAX as usize, usize::MAX] {
            let mut buf = Vec::new();
            put_varint(&mut buf, n);
            buf.push(0xaa);
            let mut rest = buf.as_slice();
            assert_eq!(take_varint(&mut rest), Some(n));
            assert_eq!(rest, [0xaa]);
        }
    }

    #[test]
    fn writes_read_back_and_survive_reopen() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Db(redb::StorageError::Io(e).into()))?;
        {
            let store = Store::open(dir.path())?;
            let doc = DocumentRecord {
                id: "doc:1".into(),
                title: "t".into(),
                text: "hello".into(),
                entities: vec![],
                source: None,
                license: None,
            };
            store.write(&WriteBatch { documents: vec![(doc, vec![0.5, -1.0])], ..Default::default() })?;
        }
        let store = Store::open(dir.path())?;
        assert_eq!(store.counts()?.documents, 1);
        let docs = store.documents()?;
        assert_eq!(docs[0].1, vec![0.5, -1.0]);
        store.write(&WriteBatch { delete_documents: vec!["doc:1".into()], ..Default::default() })?;
        assert_eq!(store.counts()?.documents, 0);
        Ok(())
    }
}
