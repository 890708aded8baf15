//! The store of record: an embedded ACID database (redb) in the data directory. Every write is
//! committed here first (fsync'd), and only then applied to the derived indexes, which are
//! rebuilt from this store at start-up. An acknowledged write therefore survives `kill -9`.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::records::{DocumentRecord, Entity, ImageRecord, Relation};

const ENTITIES: TableDefinition<&str, &[u8]> = TableDefinition::new("entities");
const RELATIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("relations");
const DOCUMENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("documents");
const IMAGES: TableDefinition<&str, &[u8]> = TableDefinition::new("images");
const IMAGE_BYTES: TableDefinition<&str, &[u8]> = TableDefinition::new("image_bytes");
const VECTORS: TableDefinition<&str, &[u8]> = TableDefinition::new("vectors");
const META: TableDefinition<&str, &str> = TableDefinition::new("meta");

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
    }
}

/// The key of a relation: its three parts joined by a unit separator.
pub fn relation_key(r: &Relation) -> String {
    format!("{}\u{1f}{}\u{1f}{}", r.source, r.relation, r.target)
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
            for r in &batch.relations {
                relations.insert(relation_key(r).as_str(), encode(r).as_slice())?;
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
        self.all(RELATIONS, "relations")
    }

    /// Every document with its stored vector (empty if none was stored).
    pub fn documents(&self) -> Result<Vec<(DocumentRecord, Vec<f32>)>, StoreError> {
        self.with_vectors(DOCUMENTS, "documents")
    }

    /// Every image with its stored vector.
    pub fn images(&self) -> Result<Vec<(ImageRecord, Vec<f32>)>, StoreError> {
        self.with_vectors(IMAGES, "images")
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

    /// The stored bytes of an image.
    pub fn image_bytes(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(IMAGE_BYTES)?;
        Ok(table.get(id)?.map(|v| v.value().to_vec()))
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
