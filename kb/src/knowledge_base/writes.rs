//! Writes: every one is validated, committed to the store of record, and only then applied
//! to the derived indexes (graph, vectors). An index that fails after the commit is logged
//! and counted, never returned: the write is durable and start-up repairs the index.

use std::collections::HashSet;

use braid_graph::{Direction, NeighborQuery};
use braid_vector::{Item, VectorBackend};

use super::KnowledgeBase;
use super::items::{document_items, image_item, item_ids, passage_texts};
use crate::error::BraidError;
use crate::media_type::sniff_media_type;
use crate::records::{DocumentRecord, Entity, ImageRecord, Relation, SchemaRecord};
use crate::status::WriteSummary;
use crate::store::{WriteBatch, relation_id};
use crate::validate;

/// How many `is_a` ancestors enrich an image's indexed text.
const ENRICH_ANCESTORS: usize = 6;

/// A write refused: the error, and the records when nothing was written (bad input).
pub(crate) type Refused<T> = (BraidError, Option<Vec<T>>);

impl KnowledgeBase {
    /// Loads every stored document and image (with its stored vector) into `target`, in
    /// batches, calling `progress(done, total)`, then removes ids the store does not have.
    /// Used by `braid index rebuild --backend milvus` to backfill a backend from this data dir.
    pub fn sync_vectors(
        &self,
        target: &dyn VectorBackend,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<usize, BraidError> {
        let mut items: Vec<(Item, Vec<f32>)> = Vec::new();
        for (doc, vector) in self.store.documents()? {
            items.extend(document_items(&doc, &vector, self.embedder.dimension()));
        }
        for (img, vector) in self.store.images()? {
            items.push((image_item(&img), vector));
        }
        let total = items.len();
        let keep: HashSet<String> = items.iter().map(|(item, _)| item.id.clone()).collect();
        progress(0, total);
        let mut done = 0;
        for chunk in items.chunks(512) {
            target.upsert_batch(chunk.to_vec())?;
            done += chunk.len();
            progress(done, total);
        }
        target.reconcile(&keep)?;
        Ok(total)
    }

    /// Builds the graph's linker and adjacency snapshot now rather than on the first query
    /// (after a bulk import, so the first question does not pay for them).
    pub fn prepare_graph(&self) {
        let graph = self.graph_read();
        // Adjacency first: the linker reads every entity's degree, which the snapshot
        // answers without walking petgraph's edge lists.
        graph.prepare_adjacency();
        graph.prepare_linker();
    }

    /// Inserts or replaces entities (all or none).
    pub fn put_entities(&self, entities: Vec<Entity>) -> Result<WriteSummary, BraidError> {
        self.put_entities_or_return(entities).map_err(|(e, _)| e)
    }

    /// [`KnowledgeBase::put_entities`], handing the entities back when they are refused before
    /// anything is written (bad input), so that a bulk import can retry parts of a batch
    /// without keeping a copy of it.
    pub(crate) fn put_entities_or_return(&self, entities: Vec<Entity>) -> Result<WriteSummary, Refused<Entity>> {
        for (i, e) in entities.iter().enumerate() {
            if let Err(err) = validate::entity(e) {
                return Err((err.in_item(i), Some(entities)));
            }
        }
        let _w = self.lock_writer().map_err(|e| (e, None))?;
        self.store.write_entities(&entities).map_err(|e| (e.into(), None))?;
        let ids = entities.iter().map(|e| e.id.clone()).collect();
        // The linker is rebuilt lazily by the next query: rebuilding it here made a bulk
        // import quadratic (WordNet's 117,659 entities in batches of 512: 230 full rebuilds).
        self.graph_server_write("put entities", |g| g.upsert_entities(entities.clone()));
        let report = self.graph_write().import_entities(entities);
        Ok(WriteSummary { ids, written: report.written, unchanged: report.unchanged })
    }

    /// Inserts relations (all or none); both endpoints must exist.
    pub fn put_relations(&self, relations: Vec<Relation>) -> Result<WriteSummary, BraidError> {
        let _w = self.lock_writer()?;
        {
            let graph = self.graph_read();
            for (i, r) in relations.iter().enumerate() {
                validate::relation(&graph, r).map_err(|e| e.in_item(i))?;
            }
        }
        self.store.write_relations(&relations)?;
        let ids = relations.iter().map(relation_id).collect();
        self.graph_server_write("put relations", |g| g.add_relations(relations.clone()));
        let report = self.graph_write().import_relations(relations);
        Ok(WriteSummary { ids, written: report.written, unchanged: report.unchanged })
    }

    /// Inserts or replaces schema records, words for relation and entity types the graph has
    /// (all or none): the router understands questions in those words from the next query.
    pub fn put_schema(&self, records: Vec<SchemaRecord>) -> Result<WriteSummary, BraidError> {
        self.put_schema_or_return(records).map_err(|(e, _)| e)
    }

    /// [`KnowledgeBase::put_schema`], handing the records back when they are refused before
    /// anything is written (bad input).
    pub(crate) fn put_schema_or_return(
        &self,
        records: Vec<SchemaRecord>,
    ) -> Result<WriteSummary, Refused<SchemaRecord>> {
        let _w = self.lock_writer().map_err(|e| (e, None))?;
        {
            let graph = self.graph_read();
            for (i, r) in records.iter().enumerate() {
                let twice = records[..i].iter().any(|o| o.key() == r.key());
                let checked = if twice {
                    let field = match r {
                        SchemaRecord::Relation(_) => "relation_type",
                        SchemaRecord::EntityType(_) => "entity_type",
                    };
                    Err(BraidError::invalid(field, format!("{} is described twice in one write", r.key())))
                } else {
                    validate::schema_record(r, &graph)
                };
                if let Err(e) = checked {
                    drop(graph);
                    return Err((e.in_item(i), Some(records)));
                }
            }
        }
        self.store.write_schema(&records).map_err(|e| (e.into(), None))?;
        let ids = records.iter().map(SchemaRecord::key).collect();
        let written = records.len();
        self.schema_words.write().unwrap_or_else(|e| e.into_inner()).apply(records);
        self.schema_version.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Ok(WriteSummary { ids, written, unchanged: 0 })
    }

    /// Inserts or replaces documents (all or none).
    pub fn put_documents(&self, documents: Vec<DocumentRecord>) -> Result<WriteSummary, BraidError> {
        for (i, d) in documents.iter().enumerate() {
            validate::document(d).map_err(|err| err.in_item(i))?;
        }
        let vectors = self.embed_documents(&documents)?;
        let batch: Vec<(DocumentRecord, Vec<f32>)> = documents.into_iter().zip(vectors).collect();
        let _w = self.lock_writer()?;
        // Passages of a replaced version that the new version no longer has.
        let mut stale: Vec<String> = Vec::new();
        for (d, _) in &batch {
            if let Some(old) = self.store.document(&d.id)? {
                let new_ids = item_ids(d);
                stale.extend(item_ids(&old).into_iter().filter(|id| !new_ids.contains(id)));
            }
        }
        self.store.write(&WriteBatch { documents: batch.clone(), ..Default::default() })?;
        let ids: Vec<String> = batch.iter().map(|(d, _)| d.id.clone()).collect();
        {
            let mut graph = self.graph_write();
            for (d, _) in &batch {
                graph.unlink_item(&d.id);
                graph.link_item(&d.id, &d.entities);
            }
        }
        let written = batch.len();
        let dimension = self.embedder.dimension();
        let items = batch.iter().flat_map(|(d, v)| document_items(d, v, dimension)).collect();
        if let Err(e) = self.vectors.upsert_batch(items) {
            self.vector_index_lagged("upsert documents", &e);
        }
        for id in stale {
            if let Err(e) = self.vectors.remove(&id) {
                self.vector_index_lagged("remove stale passages", &e);
            }
        }
        Ok(WriteSummary { ids, written, unchanged: 0 })
    }

    /// Inserts or replaces images (all or none). `bytes[i]` holds the image's content, if any.
    pub fn put_images(&self, images: Vec<(ImageRecord, Option<Vec<u8>>)>) -> Result<WriteSummary, BraidError> {
        let mut prepared = Vec::with_capacity(images.len());
        for (i, (mut img, bytes)) in images.into_iter().enumerate() {
            validate::image(&img, bytes.as_deref()).map_err(|e| e.in_item(i))?;
            img.media_type = match &bytes {
                Some(b) => {
                    Some(sniff_media_type(b).map_err(|m| BraidError::invalid("image", m).in_item(i))?.to_string())
                }
                None => None,
            };
            img.base64 = None;
            img.indexed_text = self.enriched_image_text(&img);
            let vector = self.embed_image(&img, bytes.as_deref()).map_err(|e| e.in_item(i))?;
            prepared.push((img, bytes, vector));
        }
        let _w = self.lock_writer()?;
        self.store.write(&WriteBatch { images: prepared.clone(), ..Default::default() })?;
        let ids: Vec<String> = prepared.iter().map(|(img, _, _)| img.id.clone()).collect();
        {
            let mut graph = self.graph_write();
            for (img, _, _) in &prepared {
                graph.unlink_item(&img.id);
                graph.link_item(&img.id, &img.depicts);
            }
        }
        let written = prepared.len();
        if let Err(e) =
            self.vectors.upsert_batch(prepared.into_iter().map(|(img, _, v)| (image_item(&img), v)).collect())
        {
            self.vector_index_lagged("upsert images", &e);
        }
        Ok(WriteSummary { ids, written, unchanged: 0 })
    }

    /// Deletes a document from the store, the vector index and the graph's provenance.
    pub fn delete_document(&self, id: &str) -> Result<(), BraidError> {
        let _w = self.lock_writer()?;
        let Some(doc) = self.store.document(id)? else {
            return Err(BraidError::NotFound { what: "document", id: id.into() });
        };
        self.store.write(&WriteBatch { delete_documents: vec![id.into()], ..Default::default() })?;
        for item in item_ids(&doc) {
            if let Err(e) = self.vectors.remove(&item) {
                self.vector_index_lagged("delete document", &e);
            }
        }
        self.graph_write().unlink_item(id);
        Ok(())
    }

    /// Deletes an image everywhere.
    pub fn delete_image(&self, id: &str) -> Result<(), BraidError> {
        let _w = self.lock_writer()?;
        if self.store.image(id)?.is_none() {
            return Err(BraidError::NotFound { what: "image", id: id.into() });
        }
        self.store.write(&WriteBatch { delete_images: vec![id.into()], ..Default::default() })?;
        if let Err(e) = self.vectors.remove(id) {
            self.vector_index_lagged("delete image", &e);
        }
        self.graph_write().unlink_item(id);
        Ok(())
    }

    /// Deletes an entity and its relations.
    pub fn delete_entity(&self, id: &str) -> Result<(), BraidError> {
        let _w = self.lock_writer()?;
        let relations: Vec<Relation> = {
            let graph = self.graph_read();
            if !graph.contains(id) {
                return Err(BraidError::NotFound { what: "entity", id: id.into() });
            }
            graph.facts_of(id).into_iter().map(|f| Relation::new(f.source, f.relation, f.target)).collect()
        };
        self.store.write(&WriteBatch {
            delete_entities: vec![id.into()],
            delete_relations: relations,
            ..Default::default()
        })?;
        self.graph_server_write("delete entity", |g| g.remove_entity(id));
        self.graph_write().remove_entity(id);
        Ok(())
    }

    /// Caption and tags, plus the names of what the image depicts and their `is_a` ancestors,
    /// so a trumpet stamp is found by "musical instruments" without a multimodal model.
    pub(super) fn enriched_image_text(&self, img: &ImageRecord) -> String {
        let graph = self.graph_read();
        let mut parts: Vec<String> = vec![img.caption.clone()];
        parts.extend(img.tags.iter().cloned());
        let up = NeighborQuery {
            depth: 3,
            relation: Some("is_a".into()),
            direction: Direction::Out,
            limit: ENRICH_ANCESTORS,
        };
        for id in &img.depicts {
            let Some(e) = graph.entity(id) else { continue };
            parts.push(e.name.clone());
            if let Ok(n) = graph.neighbors(id, &up) {
                parts.extend(n.entities.into_iter().map(|a| a.name));
            }
        }
        let mut seen = HashSet::new();
        parts.retain(|p| !p.trim().is_empty() && seen.insert(p.to_lowercase()));
        parts.join(". ")
    }

    /// One concatenation of passage vectors per document, embedded in one batch.
    pub(super) fn embed_documents(&self, documents: &[DocumentRecord]) -> Result<Vec<Vec<f32>>, BraidError> {
        let texts: Vec<Vec<String>> = documents.iter().map(passage_texts).collect();
        let flat: Vec<&str> = texts.iter().flatten().map(String::as_str).collect();
        let mut vectors = self.embedder.embed_texts(&flat)?.into_iter();
        Ok(texts.iter().map(|t| vectors.by_ref().take(t.len()).flatten().collect()).collect())
    }

    pub(super) fn embed_image(&self, img: &ImageRecord, bytes: Option<&[u8]>) -> Result<Vec<f32>, BraidError> {
        match bytes {
            Some(b) if self.embedder.is_multimodal() => Ok(self
                .embedder
                .embed_images(&[b])?
                .pop()
                .ok_or_else(|| BraidError::Internal("embedder returned no vector".into()))?),
            _ => {
                let text = if img.indexed_text.is_empty() { &img.caption } else { &img.indexed_text };
                if text.trim().is_empty() {
                    // Depicted ids that are not (yet) in the graph add no text.
                    let why = if bytes.is_some() {
                        format!(
                            "the embedder {} cannot embed image bytes; give a caption, tags or known depicted entities",
                            self.embedder.name()
                        )
                    } else {
                        "an image needs a caption, tags, known depicted entities or its bytes".to_string()
                    };
                    return Err(BraidError::invalid("caption", why));
                }
                Ok(self.embedder.embed_text(text)?)
            }
        }
    }
}
