//! Paths between entities: shortest path by bidirectional breadth-first search and Yen's
//! k shortest simple paths. Edges are walked in either direction (a path explains how two
//! entities are connected, whatever way each relation points) but reported in their
//! stored direction.
//!
//! The searches walk the compact adjacency snapshot ([`crate::adjacency`]) from both ends
//! at once, always expanding the smaller frontier by a whole level, so they meet after
//! visiting roughly the square root of what a one-sided search visits on a graph like
//! WordNet. Their per-node marks live in per-thread arrays stamped with a search number,
//! so nothing is cleared between searches.

use std::cell::RefCell;
use std::collections::HashSet;

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

/// `None` = every relation type; otherwise, per relation type id, whether it is walked.
type RelationFilter = Option<Vec<bool>>;

/// One side of a bidirectional search.
#[derive(Default)]
struct Side {
    /// Per row, the search number that reached it (0: never).
    seen: Vec<u32>,
    /// Per row reached, the row it was reached from and the edge walked.
    parent: Vec<u32>,
    via: Vec<u32>,
    frontier: Vec<u32>,
}

impl Side {
    fn start(&mut self, rows: usize, stamp: u32, row: usize) {
        if self.seen.len() < rows {
            self.seen.resize(rows, 0);
            self.parent.resize(rows, 0);
            self.via.resize(rows, 0);
        }
        self.seen[row] = stamp;
        self.frontier.clear();
        self.frontier.push(row as u32);
    }
}

/// Per-thread working memory of the path searches.
#[derive(Default)]
struct Scratch {
    stamp: u32,
    sides: [Side; 2],
    next: Vec<u32>,
}

impl Scratch {
    /// A fresh search number; on wrap-around the marks are cleared.
    fn next_stamp(&mut self) -> u32 {
        if self.stamp == u32::MAX {
            self.stamp = 0;
            self.sides.iter_mut().for_each(|side| side.seen.fill(0));
        }
        self.stamp += 1;
        self.stamp
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

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
        names.map(|names| {
            let ids: Vec<RelationTypeId> = names.iter().filter_map(|name| self.relation_id(name)).collect();
            let mut mask = vec![false; ids.iter().map(|&id| id as usize + 1).max().unwrap_or(0)];
            ids.into_iter().for_each(|id| mask[id as usize] = true);
            mask
        })
    }

    /// A shortest path from `source` to `target` avoiding the banned nodes and edges, by
    /// bidirectional breadth-first search over the adjacency snapshot.
    ///
    /// Each step expands every node of the smaller frontier (one whole level), and the
    /// search stops at the first edge joining the two searched regions. That path is a
    /// shortest one: before a level at forward depth `f` and backward depth `b` is
    /// expanded the regions are disjoint, so every path is longer than `f + b`, and the
    /// edge found has length at most `f + 1 + b`.
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
        let adjacency = self.adjacency();
        let walkable = |slot: usize| {
            filter.as_ref().is_none_or(|mask| mask.get(adjacency.relation(slot) as usize).copied().unwrap_or(false))
                && (banned_edges.is_empty() || !banned_edges.contains(&EdgeIndex::new(adjacency.edge(slot) as usize)))
        };
        let allowed = |row: usize| banned_nodes.is_empty() || !banned_nodes.contains(&NodeIndex::new(row));
        SCRATCH.with_borrow_mut(|scratch| {
            let stamp = scratch.next_stamp();
            let rows = adjacency.rows();
            let Scratch { sides, next, .. } = scratch;
            sides[0].start(rows, stamp, source.index());
            sides[1].start(rows, stamp, target.index());
            loop {
                let (forward, backward) = (&sides[0].frontier, &sides[1].frontier);
                if forward.is_empty() || backward.is_empty() {
                    return None;
                }
                // Expand the side whose next level is cheaper: fewer edges to walk.
                let cost = |frontier: &[u32]| frontier.iter().map(|&r| adjacency.degree(r as usize)).sum::<usize>();
                let expand = usize::from(cost(backward) < cost(forward));
                let [first, second] = &mut *sides;
                let (this, other) = if expand == 0 { (first, &*second) } else { (second, &*first) };
                next.clear();
                for &row in &this.frontier {
                    let row = row as usize;
                    for slot in adjacency.slots(row, Direction::Both) {
                        let to = adjacency.target(slot);
                        if this.seen[to] == stamp || !walkable(slot) || !allowed(to) {
                            continue;
                        }
                        this.seen[to] = stamp;
                        this.parent[to] = row as u32;
                        this.via[to] = adjacency.edge(slot);
                        if other.seen[to] == stamp {
                            let (from_source, from_target) =
                                if expand == 0 { (&*this, other) } else { (other, &*this) };
                            return Some(join(from_source, from_target, source, target, to));
                        }
                        next.push(to as u32);
                    }
                }
                std::mem::swap(&mut this.frontier, next);
            }
        })
    }

    fn path_facts(&self, path: &Path) -> Vec<Fact> {
        path.edges.iter().map(|&edge| self.fact(edge)).collect()
    }
}

/// The path through `meeting`: its chain back to `source` on the forward side, then its
/// chain on to `target` on the backward side.
fn join(forward: &Side, backward: &Side, source: NodeIndex, target: NodeIndex, meeting: usize) -> Path {
    let (source, target) = (source.index(), target.index());
    let mut nodes = vec![NodeIndex::new(meeting)];
    let mut edges = Vec::new();
    let mut at = meeting;
    while at != source {
        edges.push(EdgeIndex::new(forward.via[at] as usize));
        at = forward.parent[at] as usize;
        nodes.push(NodeIndex::new(at));
    }
    nodes.reverse();
    edges.reverse();
    let mut at = meeting;
    while at != target {
        edges.push(EdgeIndex::new(backward.via[at] as usize));
        at = backward.parent[at] as usize;
        nodes.push(NodeIndex::new(at));
    }
    Path { nodes, edges }
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
