//! Reads by id: entities with their relations, neighbourhoods, paths, stored documents and
//! images.

use std::collections::HashMap;

use braid_graph::{Entity, Fact, NeighborQuery, Neighborhood, Relation};

use super::KnowledgeBase;
use crate::error::BraidError;
use crate::records::{DocumentRecord, ImageRecord};
use crate::status::EntityView;
use crate::store::reservoir;

impl KnowledgeBase {
    /// An entity with its relations.
    pub fn entity(&self, id: &str) -> Result<EntityView, BraidError> {
        let graph = self.graph_read();
        let entity = graph.entity(id).cloned().ok_or_else(|| BraidError::NotFound { what: "entity", id: id.into() })?;
        Ok(EntityView { relations: graph.facts_of(id), items: graph.items_of(id), entity })
    }

    /// One relation with its props (a mention's confidence, an extracted fact's provenance).
    pub fn relation(&self, source: &str, relation: &str, target: &str) -> Result<Relation, BraidError> {
        self.graph_read()
            .relation(source, relation, target)
            .ok_or_else(|| BraidError::NotFound { what: "relation", id: format!("{source} {relation} {target}") })
    }

    /// Neighbours of an entity.
    pub fn neighbors(&self, id: &str, query: &NeighborQuery) -> Result<Neighborhood, BraidError> {
        let graph = self.graph_read();
        if !graph.contains(id) {
            return Err(BraidError::NotFound { what: "entity", id: id.into() });
        }
        Ok(graph.neighbors(id, query)?)
    }

    /// A shortest path between two entities.
    pub fn path(&self, from: &str, to: &str, relations: Option<&[String]>) -> Result<Option<Vec<Fact>>, BraidError> {
        let graph = self.graph_read();
        // "entity (from) 'x' not found": which end is unknown, and its id as given.
        for (what, id) in [("entity (from)", from), ("entity (to)", to)] {
            if !graph.contains(id) {
                return Err(BraidError::NotFound { what, id: id.into() });
            }
        }
        Ok(graph.shortest_path(from, to, relations)?)
    }

    /// A stored document.
    pub fn document(&self, id: &str) -> Result<DocumentRecord, BraidError> {
        self.store.document(id)?.ok_or_else(|| BraidError::NotFound { what: "document", id: id.into() })
    }

    /// A stored image record.
    pub fn image(&self, id: &str) -> Result<ImageRecord, BraidError> {
        self.store.image(id)?.ok_or_else(|| BraidError::NotFound { what: "image", id: id.into() })
    }

    /// A stored image's bytes and media type.
    pub fn image_content(&self, id: &str) -> Result<(Vec<u8>, String), BraidError> {
        let record = self.image(id)?;
        let bytes = self.store.image_bytes(id)?.ok_or_else(|| BraidError::NotFound {
            what: "image",
            id: format!("{id}' has no stored bytes (it was given by URL: {}", record.url.clone().unwrap_or_default()),
        })?;
        let media = record.media_type.unwrap_or_else(|| "application/octet-stream".into());
        Ok((bytes, media))
    }

    /// About `n` relations with their two entities, sampled evenly across relation types (a
    /// rare type gets its share), the same ones for the same seed.
    pub fn sample_relations(&self, n: usize, seed: u64) -> Result<Vec<(Relation, Entity, Entity)>, BraidError> {
        let graph = self.graph_read();
        let mut by_type: HashMap<String, Vec<Relation>> = HashMap::new();
        for r in graph.relations() {
            by_type.entry(r.relation.clone()).or_default().push(r);
        }
        let mut types: Vec<String> = by_type.keys().cloned().collect();
        types.sort();
        let share = n.div_ceil(types.len().max(1)).max(1);
        let mut out = Vec::new();
        for (i, t) in types.iter().enumerate() {
            let list = by_type.remove(t).unwrap_or_default();
            for r in reservoir(list.into_iter(), share, seed.wrapping_add(i as u64)) {
                if let (Some(s), Some(t)) = (graph.entity(&r.source), graph.entity(&r.target)) {
                    let (s, t) = (s.clone(), t.clone());
                    out.push((r, s, t));
                }
            }
        }
        Ok(out)
    }

    /// About `n` stored documents, sampled uniformly, the same ones for the same seed.
    pub fn sample_documents(&self, n: usize, seed: u64) -> Result<Vec<DocumentRecord>, BraidError> {
        Ok(self.store.sample_documents(n, seed)?)
    }
}
