//! Which entity an extracted name is: one the graph has with the same normalised name (or
//! alias) and type; else one the entity linker finds for the whole name with confidence at
//! least [`super::Extractor::merge_confidence`]; else a new entity, `extracted:{type}:{name}`,
//! that later passages naming it the same way merge into.

use std::collections::HashMap;

use braid_graph::{Graph, LinkMethod};

use super::answer::{normalise_name, snake_case};
use super::facts::EXTRACTED_BY_PROP;
use crate::records::Entity;

/// Before the id of an entity the model introduced.
pub const EXTRACTED_ID_PREFIX: &str = "extracted:";

/// Resolves extracted names to entity ids over one snapshot of the graph.
pub(crate) struct EntityResolver {
    /// (normalised name or alias, type) → id, of the graph's linkable entities.
    by_name: HashMap<(String, String), String>,
    /// Entities introduced so far in this run.
    created: HashMap<(String, String), Entity>,
    merge_confidence: f32,
    model: String,
    /// Names merged with an entity the graph had.
    pub merged: usize,
}

impl EntityResolver {
    /// A resolver over `graph` as it is now.
    pub fn new(graph: &Graph, merge_confidence: f32, model: &str) -> EntityResolver {
        let mut by_name = HashMap::new();
        for e in graph.entities().filter(|e| braid_graph::is_linkable_entity(e)) {
            for name in std::iter::once(&e.name).chain(&e.aliases) {
                by_name.entry((normalise_name(name), e.kind.clone())).or_insert_with(|| e.id.clone());
            }
        }
        EntityResolver { by_name, created: HashMap::new(), merge_confidence, model: model.to_string(), merged: 0 }
    }

    /// The id for `name` of type `kind`, and the entity to create when it is new.
    pub fn resolve(&mut self, graph: &Graph, name: &str, kind: &str) -> (String, Option<Entity>) {
        let key = (normalise_name(name), snake_case(kind));
        if let Some(id) = self.by_name.get(&key) {
            self.merged += 1;
            return (id.clone(), None);
        }
        if let Some(e) = self.created.get(&key) {
            return (e.id.clone(), None);
        }
        let trimmed = name.trim();
        let whole = graph.link(trimmed).into_iter().find(|l| {
            l.start == 0
                && l.end == trimmed.len()
                && l.method != LinkMethod::Fuzzy
                && l.confidence >= self.merge_confidence
        });
        if let Some(link) = whole {
            self.merged += 1;
            self.by_name.insert(key, link.entity_id.clone());
            return (link.entity_id, None);
        }
        let id = format!("{EXTRACTED_ID_PREFIX}{}:{}", key.1, key.0.replace(' ', "-"));
        if graph.contains(&id) {
            return (id, None);
        }
        let mut entity = Entity::new(id.clone(), trimmed, key.1.clone());
        entity.props.insert(EXTRACTED_BY_PROP.into(), self.model.clone().into());
        self.created.insert(key, entity.clone());
        (id, Some(entity))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_merge_by_name_and_type_then_by_the_linker_else_are_new() {
        let mut graph = Graph::new();
        let tokio = Entity::new("crate:tokio", "Tokio", "crate").with_aliases(["tokio-rs"]);
        let rust = Entity::new("lang:rust", "Rust programming language", "language").with_aliases(["Rust"]);
        let mut section = Entity::new("file:a.md#tokio", "Tokio", "crate");
        section.props.insert(braid_graph::UNLINKABLE_PROP.into(), false.into());
        for e in [tokio, rust, section] {
            assert!(graph.upsert_entity(e).is_ok());
        }
        let mut r = EntityResolver::new(&graph, 0.7, "m");
        assert_eq!(r.resolve(&graph, "TOKIO", "Crate"), ("crate:tokio".into(), None), "same name and type");
        assert_eq!(r.resolve(&graph, "tokio rs", "crate").0, "crate:tokio", "an alias");
        assert_eq!(r.resolve(&graph, "Rust", "programming_language").0, "lang:rust", "the linker, whatever the type");
        let (id, new) = r.resolve(&graph, "Hyper", "Library");
        assert_eq!(id, "extracted:library:hyper");
        assert_eq!(new.map(|e| (e.name, e.kind)), Some(("Hyper".to_string(), "library".to_string())));
        assert_eq!(r.resolve(&graph, "hyper", "library"), ("extracted:library:hyper".into(), None), "created once");
        assert_eq!(r.merged, 3);
    }
}
