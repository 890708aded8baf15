//! The graph's own schema, read from its data: each relation type with how often it occurs,
//! between which entity types, how symmetric it is and whether its chains compose; each
//! entity type with its count. Nothing here knows any domain: a knowledge base's vocabulary
//! is whatever its relations and types are called, and the router builds its lexicon of
//! questions from this (see `braid_router::lexicon`).

use std::collections::HashMap;
use std::sync::Arc;

use petgraph::visit::{EdgeRef, IntoEdgeReferences};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::graph::{Graph, RelationTypeId};

/// A relation type as the data shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RelationTypeStats {
    /// Its name, e.g. `directed_by`.
    pub name: String,
    /// Relations of this type.
    pub count: usize,
    /// Entity types of the sources, most frequent first, with their counts.
    pub source_types: Vec<(String, usize)>,
    /// Entity types of the targets, most frequent first, with their counts.
    pub target_types: Vec<(String, usize)>,
    /// Share of its relations whose reverse (target → source, same type) also exists:
    /// near 1 for relations such as "borders", near 0 for directed ones.
    pub symmetric: f32,
    /// Share of its relations whose target has a relation of the same type going on: near 1
    /// for chains such as "is a kind of" or "part of", 0 for relations that end in one hop.
    pub chaining: f32,
    /// Distinct sources.
    pub sources: usize,
    /// Distinct targets.
    pub targets: usize,
}

impl RelationTypeStats {
    /// Whether entities of type `kind` appear as sources of this relation.
    pub fn has_source_type(&self, kind: &str) -> bool {
        self.source_types.iter().any(|(t, _)| t == kind)
    }

    /// Whether entities of type `kind` appear as targets of this relation.
    pub fn has_target_type(&self, kind: &str) -> bool {
        self.target_types.iter().any(|(t, _)| t == kind)
    }
}

/// An entity type and how many entities have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EntityTypeStats {
    /// Its name, e.g. `film`.
    pub name: String,
    /// Entities of this type.
    pub count: usize,
}

/// What the values of an entity property are, as the data shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PropertyKind {
    /// Numbers (`area_km2`, `population`): compared, ordered, summed up in superlatives.
    Number,
    /// Booleans (`landlocked`, `essential`): a property that holds or not.
    Boolean,
    /// Strings (`priority`, `first_weekday`).
    Text,
}

/// An entity property (a key of `props`) as the data shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PropertyStats {
    /// The key, e.g. `area_km2`.
    pub name: String,
    /// What its values are: the kind of at least [`PROPERTY_KIND_SHARE`] of the entities
    /// that carry it with a number, a boolean or a string.
    pub kind: PropertyKind,
    /// Entity types carrying it with a value of that kind, most frequent first, with counts.
    pub entity_types: Vec<(String, usize)>,
    /// Entities carrying it with a value of that kind.
    pub count: usize,
}

/// Share of a property's scalar values that must be of one kind for the property to have
/// that kind: a few nulls or strings among numbers (a country without an area) do not
/// change what the property is; a property of mixed values has no kind and is left out.
pub const PROPERTY_KIND_SHARE: f32 = 0.8;

/// The schema of one graph version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SchemaStats {
    /// Relation types in use, most frequent first.
    pub relations: Vec<RelationTypeStats>,
    /// Entity types in use, most frequent first.
    pub entity_types: Vec<EntityTypeStats>,
    /// Numeric, boolean and text properties of the entities, most frequent first.
    #[serde(default)]
    pub properties: Vec<PropertyStats>,
}

impl SchemaStats {
    /// The relation type called `name`.
    pub fn relation(&self, name: &str) -> Option<&RelationTypeStats> {
        self.relations.iter().find(|r| r.name == name)
    }

    /// The property called `name`.
    pub fn property(&self, name: &str) -> Option<&PropertyStats> {
        self.properties.iter().find(|p| p.name == name)
    }
}

/// Relations at least this chaining are followed transitively by [`Graph::answer`]: a
/// quarter of their relations continue one more hop (WordNet's `is_a` and the atlas's
/// `part_of` chain far more often; one-hop relations such as `capital` never do).
pub const TRANSITIVE_CHAINING: f32 = 0.25;

pub(crate) fn ranked(counts: HashMap<&str, usize>) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = counts.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

impl Graph {
    /// The schema of the current graph version, computed on first use after a write (one
    /// pass over the relations: about 30 ms for WordNet's 365k) and shared by readers.
    pub fn schema_stats(&self) -> Arc<SchemaStats> {
        Arc::clone(self.schema.get_or_init(|| Arc::new(self.compute_schema())))
    }

    fn compute_schema(&self) -> SchemaStats {
        struct Acc<'a> {
            count: usize,
            sources: HashMap<&'a str, usize>,
            targets: HashMap<&'a str, usize>,
            reciprocated: usize,
            chained: usize,
            distinct_sources: std::collections::HashSet<petgraph::stable_graph::NodeIndex>,
            distinct_targets: std::collections::HashSet<petgraph::stable_graph::NodeIndex>,
        }
        let mut by_type: HashMap<RelationTypeId, Acc<'_>> = HashMap::new();
        // Whether a node has an outgoing relation of a type, for the chaining share.
        let mut has_out: std::collections::HashSet<(petgraph::stable_graph::NodeIndex, RelationTypeId)> =
            std::collections::HashSet::new();
        for edge in (&self.graph).edge_references() {
            has_out.insert((edge.source(), edge.weight().relation));
        }
        for edge in (&self.graph).edge_references() {
            let relation = edge.weight().relation;
            let acc = by_type.entry(relation).or_insert_with(|| Acc {
                count: 0,
                sources: HashMap::new(),
                targets: HashMap::new(),
                reciprocated: 0,
                chained: 0,
                distinct_sources: Default::default(),
                distinct_targets: Default::default(),
            });
            acc.count += 1;
            *acc.sources.entry(self.graph[edge.source()].kind.as_str()).or_default() += 1;
            *acc.targets.entry(self.graph[edge.target()].kind.as_str()).or_default() += 1;
            acc.distinct_sources.insert(edge.source());
            acc.distinct_targets.insert(edge.target());
            if self.has_triple(edge.target(), relation, edge.source()) {
                acc.reciprocated += 1;
            }
            if has_out.contains(&(edge.target(), relation)) {
                acc.chained += 1;
            }
        }
        let mut relations: Vec<RelationTypeStats> = by_type
            .into_iter()
            .map(|(id, acc)| RelationTypeStats {
                name: self.relation_name(id).to_string(),
                count: acc.count,
                symmetric: acc.reciprocated as f32 / acc.count.max(1) as f32,
                chaining: acc.chained as f32 / acc.count.max(1) as f32,
                sources: acc.distinct_sources.len(),
                targets: acc.distinct_targets.len(),
                source_types: ranked(acc.sources),
                target_types: ranked(acc.targets),
            })
            .collect();
        relations.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        let mut kinds: HashMap<&str, usize> = HashMap::new();
        for entity in self.graph.node_weights() {
            *kinds.entry(entity.kind.as_str()).or_default() += 1;
        }
        let entity_types = ranked(kinds).into_iter().map(|(name, count)| EntityTypeStats { name, count }).collect();
        SchemaStats { relations, entity_types, properties: self.compute_properties() }
    }

    /// Each property key with the kind most of its values have and the types carrying it.
    fn compute_properties(&self) -> Vec<PropertyStats> {
        property_stats(self.graph.node_weights().map(|e| (e.kind.as_str(), &e.props)))
    }
}

/// Each property key of these entities (type, props) with the kind most of its values have
/// and the types carrying it, most frequent first: the `properties` of [`SchemaStats`], for
/// any backend that can list its entities' props.
pub fn property_stats<'a>(
    entities: impl Iterator<Item = (&'a str, &'a serde_json::Map<String, serde_json::Value>)>,
) -> Vec<PropertyStats> {
    // Per key: entities with a number, a boolean, a string, and per kind the types.
    #[derive(Default)]
    struct Acc<'a> {
        by_kind: [usize; 3],
        types: [HashMap<&'a str, usize>; 3],
    }
    let mut keys: HashMap<&str, Acc<'_>> = HashMap::new();
    for (entity_kind, props) in entities {
        for (key, value) in props {
            let kind = match value {
                serde_json::Value::Number(_) => 0,
                serde_json::Value::Bool(_) => 1,
                serde_json::Value::String(_) => 2,
                _ => continue,
            };
            let acc = keys.entry(key.as_str()).or_default();
            acc.by_kind[kind] += 1;
            *acc.types[kind].entry(entity_kind).or_default() += 1;
        }
    }
    let mut properties: Vec<PropertyStats> = keys
        .into_iter()
        .filter_map(|(name, mut acc)| {
            let total: usize = acc.by_kind.iter().sum();
            let (kind, &count) = acc.by_kind.iter().enumerate().max_by_key(|&(i, n)| (*n, std::cmp::Reverse(i)))?;
            if (count as f32) < PROPERTY_KIND_SHARE * total as f32 {
                return None;
            }
            let property_kind = [PropertyKind::Number, PropertyKind::Boolean, PropertyKind::Text][kind];
            Some(PropertyStats {
                name: name.to_string(),
                kind: property_kind,
                entity_types: ranked(std::mem::take(&mut acc.types[kind])),
                count,
            })
        })
        .collect();
    properties.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    properties
}

#[cfg(test)]
mod tests {
    use crate::{Entity, Graph, Relation};

    #[test]
    fn the_schema_is_read_from_the_data() -> Result<(), crate::GraphError> {
        let mut g = Graph::new();
        for (id, kind) in [("a", "place"), ("b", "place"), ("c", "place"), ("x", "thing"), ("y", "thing")] {
            g.upsert_entity(Entity::new(id, id.to_uppercase(), kind))?;
        }
        for (s, r, t) in [
            ("a", "next_to", "b"),
            ("b", "next_to", "a"),
            ("x", "inside", "a"),
            ("y", "inside", "b"),
            ("a", "within", "b"),
            ("b", "within", "c"),
        ] {
            g.add_relation(Relation::new(s, r, t))?;
        }
        let schema = g.schema_stats();
        let next = schema.relation("next_to").expect("next_to");
        assert_eq!((next.count, next.symmetric), (2, 1.0));
        let inside = schema.relation("inside").expect("inside");
        assert_eq!(inside.source_types, vec![("thing".to_string(), 2)]);
        assert_eq!(inside.target_types, vec![("place".to_string(), 2)]);
        assert_eq!((inside.symmetric, inside.chaining), (0.0, 0.0));
        assert!(inside.has_source_type("thing") && !inside.has_target_type("thing"));
        assert_eq!(schema.relation("within").map(|r| r.chaining), Some(0.5));
        assert_eq!(schema.entity_types[0].name, "place");
        assert!(schema.properties.is_empty(), "no entity has props");

        // A write makes a new version.
        g.add_relation(Relation::new("c", "next_to", "a"))?;
        assert_eq!(g.schema_stats().relation("next_to").map(|r| r.count), Some(3));
        Ok(())
    }

    #[test]
    fn property_kinds_are_read_from_the_values() -> Result<(), crate::GraphError> {
        let mut g = Graph::new();
        let props = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
        for (id, kind, p) in [
            ("a", "place", serde_json::json!({"area_km2": 10, "landlocked": true, "code": "A", "mixed": 1})),
            ("b", "place", serde_json::json!({"area_km2": 2.5, "landlocked": false, "code": "B", "mixed": "x"})),
            ("c", "place", serde_json::json!({"area_km2": null, "landlocked": true, "tags": ["x"]})),
            ("d", "town", serde_json::json!({"area_km2": 3})),
        ] {
            let mut e = Entity::new(id, id.to_uppercase(), kind);
            e.props = props(p);
            g.upsert_entity(e)?;
        }
        let schema = g.schema_stats();
        let area = schema.property("area_km2").expect("area_km2");
        assert_eq!((area.kind, area.count), (super::PropertyKind::Number, 3));
        assert_eq!(area.entity_types, vec![("place".to_string(), 2), ("town".to_string(), 1)]);
        assert_eq!(schema.property("landlocked").map(|p| p.kind), Some(super::PropertyKind::Boolean));
        assert_eq!(schema.property("code").map(|p| p.kind), Some(super::PropertyKind::Text));
        assert!(schema.property("mixed").is_none(), "half numbers, half strings: no kind");
        assert!(schema.property("tags").is_none(), "lists are not compared");
        Ok(())
    }
}
