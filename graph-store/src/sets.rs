//! Set-at-a-time operations: what a graph plan — a chain of relations, intersections,
//! property filters and orderings over sets of entities, compiled from a question — is
//! executed with. Each is one query a graph database server can answer as well (a
//! `MATCH … WHERE id IN $ids` over one relation type, a label scan), so a plan runs the same
//! on the embedded graph and, behind the backend seam, on a server; the set algebra itself
//! (intersection, difference, filters on `props`) works on ids and needs no graph.

use std::collections::{HashMap, HashSet, VecDeque};

use petgraph::stable_graph::{EdgeIndex, NodeIndex};

use crate::graph::{Graph, RelationTypeId};
use crate::model::{Direction, Fact};

/// Deepest chain a transitive step follows (the atlas's `part_of` needs 2, WordNet's
/// `is_a` about 18).
pub const MAX_TRANSITIVE_DEPTH: usize = 32;

/// An entity reached by [`Graph::follow_set`], with the facts that lead to it from a member
/// of the start set (one fact, or a chain for a transitive step).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    /// The entity's id.
    pub id: String,
    /// The chain of facts from the start set to it, in order.
    pub facts: Vec<Fact>,
}

/// A set operation that would produce more entities than its caller allowed: the plan is
/// stopped rather than left to exhaust memory or its deadline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} would exceed {limit} entities")]
pub struct SetTooLarge {
    /// What was being computed.
    pub what: String,
    /// The cap.
    pub limit: usize,
}

impl Graph {
    /// Ids of every entity of type `kind`, in id order; an error past `limit`.
    pub fn members_of_type(&self, kind: &str, limit: usize) -> Result<Vec<String>, SetTooLarge> {
        let mut ids: Vec<String> = Vec::new();
        for entity in self.graph.node_weights().filter(|e| e.kind == kind) {
            if ids.len() >= limit {
                return Err(SetTooLarge { what: format!("every {kind}"), limit });
            }
            ids.push(entity.id.clone());
        }
        ids.sort_unstable();
        Ok(ids)
    }

    /// The entities reached from the entities `from` over any of `relations` in
    /// `direction` — one hop, or with `transitive` every hop to a fixed point — keeping those
    /// of type `kind` when given, each with the chain of facts that reaches it. Unknown ids
    /// and relation types reach nothing. A member of `from` is in the answer only when
    /// another member (or, transitively, anything reached) leads to it. Breadth-first
    /// order, so nearer entities come first; an error past `limit` entities reached.
    pub fn follow_set(
        &self,
        from: &[String],
        relations: &[String],
        direction: Direction,
        transitive: bool,
        kind: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Reached>, SetTooLarge> {
        let wanted: HashSet<RelationTypeId> = relations.iter().filter_map(|r| self.relation_id(r)).collect();
        let mut seeds: Vec<NodeIndex> = from.iter().filter_map(|id| self.ids.get(id.as_str()).copied()).collect();
        seeds.sort_unstable();
        seeds.dedup();
        if wanted.is_empty() || seeds.is_empty() {
            return Ok(Vec::new());
        }
        let max_depth = if transitive { MAX_TRANSITIVE_DEPTH } else { 1 };
        // Each entity reached: the entity and edge it was reached by, and its depth.
        let mut came: HashMap<NodeIndex, (NodeIndex, EdgeIndex)> = HashMap::new();
        let mut order: Vec<NodeIndex> = Vec::new();
        let mut expanded: HashSet<NodeIndex> = seeds.iter().copied().collect();
        let mut queue: VecDeque<(NodeIndex, usize)> = seeds.iter().map(|&s| (s, 0)).collect();
        while let Some((node, depth)) = queue.pop_front() {
            if depth >= max_depth {
                continue;
            }
            for (edge, next, relation) in self.incident_edges(node, direction) {
                if !wanted.contains(&relation) || came.contains_key(&next) {
                    continue;
                }
                if order.len() >= limit {
                    return Err(SetTooLarge { what: format!("following {}", relations.join("|")), limit });
                }
                came.insert(next, (node, edge));
                order.push(next);
                if transitive && expanded.insert(next) {
                    queue.push_back((next, depth + 1));
                }
            }
        }
        let seed_set: HashSet<NodeIndex> = seeds.iter().copied().collect();
        Ok(order
            .into_iter()
            .filter(|&node| kind.is_none_or(|k| self.graph[node].kind == k))
            .map(|node| {
                let mut facts = Vec::new();
                let mut at = node;
                // A chain ends at a start entity; the length bound guards against a cycle
                // through start entities reached from each other.
                while let Some(&(previous, edge)) = came.get(&at) {
                    facts.push(self.fact(edge));
                    at = previous;
                    if seed_set.contains(&at) || facts.len() > max_depth {
                        break;
                    }
                }
                facts.reverse();
                Reached { id: self.graph[node].id.clone(), facts }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Entity, Relation};

    fn atlas() -> Result<Graph, crate::GraphError> {
        let mut g = Graph::new();
        for (id, kind) in [
            ("ken", "country"),
            ("tza", "country"),
            ("uga", "country"),
            ("tzs", "currency"),
            ("ugx", "currency"),
            ("east", "subregion"),
            ("africa", "region"),
        ] {
            g.upsert_entity(Entity::new(id, id.to_uppercase(), kind))?;
        }
        for (s, r, t) in [
            ("ken", "borders", "tza"),
            ("tza", "borders", "ken"),
            ("ken", "borders", "uga"),
            ("uga", "borders", "ken"),
            ("tza", "borders", "uga"),
            ("uga", "borders", "tza"),
            ("tza", "uses_currency", "tzs"),
            ("uga", "uses_currency", "ugx"),
            ("ken", "part_of", "east"),
            ("tza", "part_of", "east"),
            ("east", "part_of", "africa"),
        ] {
            g.add_relation(Relation::new(s, r, t))?;
        }
        Ok(g)
    }

    fn ids(reached: &[Reached]) -> Vec<&str> {
        let mut v: Vec<&str> = reached.iter().map(|r| r.id.as_str()).collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn steps_chain_with_their_facts() -> Result<(), Box<dyn std::error::Error>> {
        let g = atlas()?;
        let rel = |r: &str| vec![r.to_string()];
        let neighbours = g.follow_set(&["ken".into()], &rel("borders"), Direction::Out, false, None, 100)?;
        assert_eq!(ids(&neighbours), ["tza", "uga"]);
        let from: Vec<String> = neighbours.iter().map(|r| r.id.clone()).collect();
        let currencies = g.follow_set(&from, &rel("uses_currency"), Direction::Out, false, None, 100)?;
        assert_eq!(ids(&currencies), ["tzs", "ugx"]);
        assert_eq!(currencies[0].facts.len(), 1);
        // Two start entities that border each other reach each other.
        let both = g.follow_set(&["tza".into(), "uga".into()], &rel("borders"), Direction::Out, false, None, 100)?;
        assert_eq!(ids(&both), ["ken", "tza", "uga"]);
        // Countries in Africa: part_of followed in, to a fixed point, keeping countries.
        let african = g.follow_set(&["africa".into()], &rel("part_of"), Direction::In, true, Some("country"), 100)?;
        assert_eq!(ids(&african), ["ken", "tza"]);
        let chain: Vec<String> = african[0].facts.iter().map(Fact::text).collect();
        assert_eq!(chain.len(), 2, "{chain:?}");
        assert_eq!(g.members_of_type("country", 10)?, vec!["ken", "tza", "uga"]);
        Ok(())
    }

    #[test]
    fn caps_and_unknowns() -> Result<(), Box<dyn std::error::Error>> {
        let g = atlas()?;
        let rel = vec!["borders".to_string()];
        assert!(g.follow_set(&["ken".into()], &rel, Direction::Out, false, None, 1).is_err());
        assert!(g.members_of_type("country", 2).is_err());
        assert!(g.follow_set(&["nowhere".into()], &rel, Direction::Out, false, None, 10)?.is_empty());
        assert!(g.follow_set(&["ken".into()], &["nothing".into()], Direction::Out, false, None, 10)?.is_empty());
        Ok(())
    }
}
