//! The write path of file ingest: one set of changes — the new records of some files, the
//! records their older versions (or vanished files) leave behind, and the files' manifests —
//! committed in one transaction of the store of record, then applied to the graph and the
//! vector index. A crash therefore leaves each file either as it was or as it is now, with
//! the manifest that says which.

use std::collections::HashSet;

use super::KnowledgeBase;
use super::items::{document_items, image_item, item_ids};
use crate::error::BraidError;
use crate::media_type::sniff_media_type;
use crate::records::{DocumentRecord, Entity, ImageRecord, Relation};
use crate::store::{WriteBatch, relation_key};
use crate::validate;

/// Records to write and delete together, with the manifests that account for them.
#[derive(Debug, Default)]
pub(crate) struct FileChanges {
    /// Entities to insert or replace.
    pub entities: Vec<Entity>,
    /// Relations to insert, or to replace with new props. A relation whose endpoint is
    /// missing once the changes apply is dropped (an entity deleted meanwhile).
    pub relations: Vec<Relation>,
    /// Documents to insert or replace; embedded here.
    pub documents: Vec<DocumentRecord>,
    /// Images to insert or replace, with their bytes; embedded here.
    pub images: Vec<(ImageRecord, Option<Vec<u8>>)>,
    /// Entities to delete, with every relation that touches them.
    pub delete_entities: Vec<String>,
    /// Relations to delete.
    pub delete_relations: Vec<Relation>,
    /// Documents to delete.
    pub delete_documents: Vec<String>,
    /// Images to delete.
    pub delete_images: Vec<String>,
    /// Manifests to write: file id and encoded manifest.
    pub manifests: Vec<(String, Vec<u8>)>,
    /// Manifests to delete.
    pub delete_manifests: Vec<String>,
    /// Entities the model introduced that may be left without relations by these changes:
    /// deleted once the changes apply if nothing holds them any more.
    pub orphans: Vec<String>,
}

impl FileChanges {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
            && self.relations.is_empty()
            && self.documents.is_empty()
            && self.images.is_empty()
            && self.delete_entities.is_empty()
            && self.delete_relations.is_empty()
            && self.delete_documents.is_empty()
            && self.delete_images.is_empty()
            && self.manifests.is_empty()
            && self.delete_manifests.is_empty()
            && self.orphans.is_empty()
    }
}

impl KnowledgeBase {
    /// Checks one file's records before they join a batch, so a bad one fails its file alone:
    /// the message names the record's field.
    pub(crate) fn check_file_records(
        &self,
        entities: &[Entity],
        documents: &[DocumentRecord],
        images: &[(ImageRecord, Option<Vec<u8>>)],
    ) -> Result<(), BraidError> {
        for e in entities {
            validate::entity(e)?;
        }
        for d in documents {
            validate::document(d)?;
        }
        for (img, bytes) in images {
            validate::image(img, bytes.as_deref())?;
            if let Some(b) = bytes {
                sniff_media_type(b).map_err(|m| BraidError::invalid("image", m))?;
            }
        }
        Ok(())
    }

    /// Applies `changes`: embeds, commits everything (manifests included) in one transaction,
    /// then updates the graph and the vector index. Returns how many relations were written.
    pub(crate) fn write_file_changes(&self, changes: FileChanges) -> Result<usize, BraidError> {
        if changes.is_empty() {
            return Ok(0);
        }
        let FileChanges {
            entities,
            relations,
            documents,
            images,
            delete_entities,
            mut delete_relations,
            delete_documents,
            delete_images,
            manifests,
            delete_manifests,
            orphans,
        } = changes;
        self.check_file_records(&entities, &documents, &images)?;
        let vectors = self.embed_changed_documents(&documents)?;
        let mut prepared_images = Vec::with_capacity(images.len());
        for (mut img, bytes) in images {
            img.media_type = match &bytes {
                Some(b) => Some(sniff_media_type(b).map_err(|m| BraidError::invalid("image", m))?.to_string()),
                None => None,
            };
            img.base64 = None;
            img.indexed_text = self.enriched_image_text(&img);
            let vector = self.embed_image(&img, bytes.as_deref())?;
            prepared_images.push((img, bytes, vector));
        }

        let _w = self.lock_writer()?;
        // Every relation of a deleted entity goes with it, in the store as in the graph.
        let gone: HashSet<&str> = delete_entities.iter().map(String::as_str).collect();
        let relations: Vec<Relation> = {
            let graph = self.graph_read();
            for id in &delete_entities {
                delete_relations
                    .extend(graph.facts_of(id).into_iter().map(|f| Relation::new(f.source, f.relation, f.target)));
            }
            let new: HashSet<&str> = entities.iter().map(|e| e.id.as_str()).collect();
            let exists = |id: &str| new.contains(id) || (graph.contains(id) && !gone.contains(id));
            relations
                .into_iter()
                .filter(|r| {
                    let ok = !r.relation.trim().is_empty() && exists(&r.source) && exists(&r.target);
                    if !ok {
                        tracing::debug!("dropping relation {} (an endpoint is gone)", relation_key(r));
                    }
                    ok
                })
                .collect()
        };
        // Vector items of documents that go or change shape.
        let mut stale_items: Vec<String> = Vec::new();
        for id in &delete_documents {
            if let Some(old) = self.store.document(id)? {
                stale_items.extend(item_ids(&old));
            }
        }
        for d in &documents {
            if let Some(old) = self.store.document(&d.id)? {
                let new_ids = item_ids(d);
                stale_items.extend(item_ids(&old).into_iter().filter(|id| !new_ids.contains(id)));
            }
        }
        let batch_documents: Vec<(DocumentRecord, Vec<f32>)> = documents.into_iter().zip(vectors).collect();
        self.store.write(&WriteBatch {
            entities: entities.clone(),
            relations: relations.clone(),
            documents: batch_documents.clone(),
            images: prepared_images.clone(),
            delete_entities: delete_entities.clone(),
            delete_relations: delete_relations.clone(),
            delete_documents: delete_documents.clone(),
            delete_images: delete_images.clone(),
            files: manifests,
            delete_files: delete_manifests,
        })?;

        let written = relations.len();
        {
            let mut graph = self.graph_write();
            for r in &delete_relations {
                graph.remove_relation(&r.source, &r.relation, &r.target);
            }
            for id in &delete_entities {
                graph.remove_entity(id);
            }
            for id in delete_documents.iter().chain(&delete_images) {
                graph.unlink_item(id);
            }
            graph.import_entities(entities);
            for r in relations {
                // Replacing a relation replaces its props.
                graph.remove_relation(&r.source, &r.relation, &r.target);
                if let Err(e) = graph.add_relation(r) {
                    tracing::warn!("relation not applied to the graph: {e}");
                }
            }
            for (d, _) in &batch_documents {
                graph.link_item(&d.id, &d.entities);
            }
            for (img, _, _) in &prepared_images {
                graph.link_item(&img.id, &img.depicts);
            }
        }
        self.delete_orphans(&orphans)?;
        let dimension = self.embedder.dimension();
        for id in stale_items.iter().chain(&delete_images) {
            if let Err(e) = self.vectors.remove(id) {
                self.vector_index_lagged("remove file records", &e);
            }
        }
        let mut items: Vec<_> = batch_documents.iter().flat_map(|(d, v)| document_items(d, v, dimension)).collect();
        items.extend(prepared_images.into_iter().map(|(img, _, v)| (image_item(&img), v)));
        if !items.is_empty()
            && let Err(e) = self.vectors.upsert_batch(items)
        {
            self.vector_index_lagged("upsert file records", &e);
        }
        Ok(written)
    }

    /// The vectors of `documents`: the stored ones of a document whose title and text are
    /// stored word for word (a file that changed elsewhere, links found anew), the others
    /// embedded in one batch.
    fn embed_changed_documents(&self, documents: &[DocumentRecord]) -> Result<Vec<Vec<f32>>, BraidError> {
        let mut vectors: Vec<Option<Vec<f32>>> = Vec::with_capacity(documents.len());
        let mut missing: Vec<DocumentRecord> = Vec::new();
        for d in documents {
            let reused = self.store.document_with_vector(&d.id)?.and_then(|(old, vector)| {
                let passages = crate::passages::split(&d.text).len();
                (old.title == d.title && old.text == d.text && vector.len() == passages * self.embedder.dimension())
                    .then_some(vector)
            });
            if reused.is_none() {
                missing.push(d.clone());
            }
            vectors.push(reused);
        }
        let embedded = if missing.is_empty() { Vec::new() } else { self.embed_documents(&missing)? };
        let mut embedded = embedded.into_iter();
        Ok(vectors.into_iter().map(|v| v.unwrap_or_else(|| embedded.next().unwrap_or_default())).collect())
    }

    /// Deletes those of `candidates` that the model introduced and that no relation holds
    /// any more (the writer lock is held).
    fn delete_orphans(&self, candidates: &[String]) -> Result<(), BraidError> {
        let orphans: Vec<String> = {
            let graph = self.graph_read();
            let mut seen = HashSet::new();
            candidates
                .iter()
                .filter(|id| seen.insert(id.as_str()))
                .filter(|id| {
                    graph.degree(id) == 0
                        && graph.entity(id).is_some_and(|e| e.props.contains_key(crate::extract::EXTRACTED_BY_PROP))
                })
                .cloned()
                .collect()
        };
        if orphans.is_empty() {
            return Ok(());
        }
        self.store.write(&WriteBatch { delete_entities: orphans.clone(), ..Default::default() })?;
        let mut graph = self.graph_write();
        for id in &orphans {
            graph.remove_entity(id);
        }
        Ok(())
    }

    /// The graph, read-locked, for code of this crate that reads it in bulk (mention linking).
    pub(crate) fn with_graph<T>(&self, f: impl FnOnce(&braid_graph::Graph) -> T) -> T {
        f(&self.graph_read())
    }

    /// The store of record.
    pub(crate) fn store(&self) -> &crate::store::Store {
        &self.store
    }
}
