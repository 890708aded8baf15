//! Paths between entities: breadth-first shortest path and Yen's k shortest simple paths.
//! Edges are walked in either direction (a path explains how two entities are connected,
//! whatever way each relation points) but reported in their stored direction.

use std::collections::{HashMap, HashSet, VecDeque};

use petgraph::stable_graph::{EdgeIndex, NodeIndex};

use crate::GraphError;
use crate::graph::{Graph, RelationTypeId};
use crate::model::{Direction, Fact};

/// Most paths [`Graph::k_shortest_paths`] returns; each costs a few graph searches.
pub const MAX_PATHS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Path {
    nodes: Vec<NodeIndex>,
    edges: Vec<EdgeIndex>,
}

/// `None` = every relation type; otherwise only these.
type RelationFilter = Option<HashSet<RelationTypeId>>;

impl Graph {
    /// A shortest path from `from` to `to` as facts (empty when `from == to`), `None` when
    /// they are not connected. `relation_filter` restricts the relation types walked.
    pub fn shortest_path(
        &self,
        from: &str,
        to: &str,
        relation_filter: Option<&[String]>,
    ) -> Result<Option<Vec<Fact>>, GraphError> {
        let (source, target) = (self.node(from)?, self.node(to)?);
        let filter = self.relation_filter(relation_filter);
        Ok(self.bfs_path(source, target, &filter, &HashSet::new(), &HashSet::new()).map(|path| self.path_facts(&path)))
    }

    /// Up to `k` shortest simple paths (no entity twice) from `from` to `to`, shortest
    /// first, by Yen's algorithm with unit edge weights. Parallel relations between the
    /// same two entities make distinct paths.
    pub fn k_shortest_paths(
        &self,
        from: &str,
        to: &str,
        k: usize,
        relation_filter: Option<&[String]>,
    ) -> Result<Vec<Vec<Fact>>, GraphError> {
        if !(1..=MAX_PATHS).contains(&k) {
            return Err(GraphError::invalid("k", format!("must be between 1 and {MAX_PATHS}")));
        }
        let (source, target) = (self.node(from)?, self.node(to)?);
        let filter = self.relation_filter(relation_filter);
        let no_nodes = HashSet::new();
        let no_edges = HashSet::new();
        let Some(first) = self.bfs_path(source, target, &filter, &no_nodes, &no_edges) else {
            return Ok(Vec::new());
        };
        let mut accepted = vec![first];
        let mut candidates: Vec<Path> = Vec::new();
        while accepted.len() < k {
            let Some(previous) = accepted.last() else {
                break;
            };
            for spur_at in 0..previous.edges.len() {
                let root_nodes = &previous.nodes[..=spur_at];
                let root_edges = &previous.edges[..spur_at];
                // Block the next edge of every accepted path sharing this root, so the
                // spur search must deviate here.
                let banned_edges: HashSet<EdgeIndex> = accepted
                    .iter()
                    .filter(|path| {
                        path.edges.len() > spur_at
                            && path.nodes[..=spur_at] == *root_nodes
                            && path.edges[..spur_at] == *root_edges
                    })
                    .map(|path| path.edges[spur_at])
                    .collect();
                // The root's own nodes may not be revisited: paths stay simple.
                let banned_nodes: HashSet<NodeIndex> = root_nodes[..spur_at].iter().copied().collect();
                let spur = root_nodes[spur_at];
                let Some(spur_path) = self.bfs_path(spur, target, &filter, &banned_nodes, &banned_edges) else {
                    continue;
                };
                let mut nodes = root_nodes.to_vec();
                nodes.extend_from_slice(&spur_path.nodes[1..]);
                let mut edges = root_edges.to_vec();
                edges.extend_from_slice(&spur_path.edges);
                let path = Path { nodes, edges };
                if !accepted.contains(&path) && !candidates.contains(&path) {
                    candidates.push(path);
                }
            }
            // The shortest candidate, earliest found on ties, is the next path.
            let Some(best) = candidates
                .iter()
                .enumerate()
                .min_by_key(|(position, path)| (path.edges.len(), *position))
                .map(|(position, _)| position)
            else {
                break;
            };
            accepted.push(candidates.remove(best));
        }
        Ok(accepted.iter().map(|path| self.path_facts(path)).collect())
    }

    fn relation_filter(&self, names: Option<&[String]>) -> RelationFilter {
        names.map(|names| names.iter().filter_map(|name| self.relation_id(name)).collect())
    }

    fn bfs_path(
        &self,
        source: NodeIndex,
        target: NodeIndex,
        filter: &RelationFilter,
        banned_nodes: &HashSet<NodeIndex>,
        banned_edges: &HashSet<EdgeIndex>,
    ) -> Option<Path> {
        if source == target {
            return Some(Path { nodes: vec![source], edges: Vec::new() });
        }
        let mut came_from: HashMap<NodeIndex, (NodeIndex, EdgeIndex)> = HashMap::new();
        let mut queue = VecDeque::from([source]);
        'search: while let Some(node) = queue.pop_front() {
            for (edge, next, relation) in self.incident_edges(node, Direction::Both) {
                if next == source
                    || came_from.contains_key(&next)
                    || banned_nodes.contains(&next)
                    || banned_edges.contains(&edge)
                    || filter.as_ref().is_some_and(|f| !f.contains(&relation))
                {
                    continue;
                }
                came_from.insert(next, (node, edge));
                if next == target {
                    break 'search;
                }
                queue.push_back(next);
            }
        }
        let mut nodes = vec![target];
        let mut edges = Vec::new();
        let mut at = target;
        while at != source {
            let &(previous, edge) = came_from.get(&at)?;
            nodes.push(previous);
            edges.push(edge);
            at = previous;
        }
        nodes.reverse();
        edges.reverse();
        Some(Path { nodes, edges })
    }

    fn path_facts(&self, path: &Path) -> Vec<Fact> {
        path.edges.iter().map(|&edge| self.fact(edge)).collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Entity, Graph, Relation};

    /// a → b → d, a → c → d, a → d via e → f: three simple paths of lengths 2, 2, 3.
    fn diamond() -> Graph {
        let mut graph = Graph::new();
        for id in ["a", "b", "c", "d", "e", "f"] {
            graph.upsert_entity(Entity::new(id, id.to_uppercase(), "node")).unwrap();
        }
        for (s, t) in [("a", "b"), ("b", "d"), ("a", "c"), ("c", "d"), ("a", "e"), ("e", "f"), ("d", "f")] {
            graph.add_relation(Relation::new(s, "r", t)).unwrap();
        }
        graph
    }

    #[test]
    fn yen_lists_simple_paths_by_length() {
        let graph = diamond();
        let paths = graph.k_shortest_paths("a", "d", 10, None).unwrap();
        let lengths: Vec<usize> = paths.iter().map(Vec::len).collect();
        assert_eq!(lengths, [2, 2, 3]);
        // Walked against its direction, reported as stored: d -r-> f.
        assert_eq!(paths[2][2].source, "d");
        assert_eq!(paths[2][2].target, "f");
    }

    #[test]
    fn parallel_relations_are_distinct_paths() {
        let mut graph = diamond();
        graph.add_relation(Relation::new("a", "s", "b")).unwrap();
        let paths = graph.k_shortest_paths("a", "b", 5, None).unwrap();
        assert_eq!(paths[0].len(), 1);
        assert_eq!(paths[1].len(), 1);
        assert_ne!(paths[0][0].relation, paths[1][0].relation);
        let only_s = graph.shortest_path("a", "b", Some(&["s".to_string()])).unwrap().unwrap();
        assert_eq!(only_s[0].relation, "s");
    }
}
