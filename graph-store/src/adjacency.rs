//! A compact, read-only snapshot of the graph's adjacency (compressed sparse rows), for
//! the traversals that walk many edges: personalised PageRank, shortest paths, and every
//! neighbourhood walk while a snapshot is current.
//!
//! petgraph's `StableDiGraph` keeps each node's edges in linked lists threaded through
//! the edge array, so walking a neighbourhood chases a pointer per edge and reads the
//! edge's whole record. The snapshot lays every node's incident edges out contiguously —
//! outgoing first, then incoming, each in petgraph's own order, so a walk over the
//! snapshot visits edges exactly as a walk over petgraph would — as three parallel arrays
//! (other endpoint with its degree, edge index, relation type), with degrees precomputed.
//!
//! A node's row is its `NodeIndex::index()`: the indices of removed nodes (holes of the
//! stable graph) are empty rows, so no mapping between node indices and positions is
//! needed and none can go stale. The snapshot is built on first use after a write and
//! dropped by every write that changes the node set or the edges (see
//! `Graph::invalidate_adjacency`); it takes two slots of 16 bytes per edge plus 20 bytes
//! per node (≈ 14 MiB for WordNet's 117k synsets and 365k edges).

use std::fmt;
use std::ops::Range;

use petgraph::Direction as PetDirection;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use petgraph::visit::{EdgeRef, NodeIndexable};

use crate::graph::{EdgeData, RelationTypeId};
use crate::model::{Direction, Entity};

/// The other endpoint of a slot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Neighbour {
    pub row: u32,
    pub degree: u32,
}

/// The adjacency of one graph version. See the module documentation.
pub(crate) struct Adjacency {
    /// Per row, where its slots start; one more entry than rows.
    offsets: Vec<usize>,
    /// Per row, where its incoming slots start (its outgoing slots come before).
    incoming: Vec<usize>,
    /// Per row, the number of slots (in + out; a self-loop counts twice), as the
    /// PageRank push divides by it.
    degrees: Vec<u32>,
    /// Per slot, the other endpoint's row and degree: the PageRank push reads both for
    /// every edge it walks, and side by side they cost one cache miss, not two.
    targets: Vec<Neighbour>,
    /// Per slot, the edge's index.
    edges: Vec<u32>,
    /// Per slot, the edge's relation type.
    relations: Vec<RelationTypeId>,
}

impl fmt::Debug for Adjacency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Adjacency").field("rows", &self.rows()).field("slots", &self.targets.len()).finish()
    }
}

impl Adjacency {
    pub(crate) fn build(graph: &StableDiGraph<Entity, EdgeData>) -> Self {
        let rows = graph.node_bound();
        let slots = 2 * graph.edge_count();
        let mut adjacency = Self {
            offsets: Vec::with_capacity(rows + 1),
            incoming: Vec::with_capacity(rows),
            degrees: Vec::with_capacity(rows),
            targets: Vec::with_capacity(slots),
            edges: Vec::with_capacity(slots),
            relations: Vec::with_capacity(slots),
        };
        adjacency.offsets.push(0);
        for row in 0..rows {
            let node = NodeIndex::new(row);
            let start = adjacency.targets.len();
            if graph.contains_node(node) {
                for edge in graph.edges_directed(node, PetDirection::Outgoing) {
                    adjacency.push(edge.target(), edge.id().index(), edge.weight().relation);
                }
                adjacency.incoming.push(adjacency.targets.len());
                for edge in graph.edges_directed(node, PetDirection::Incoming) {
                    adjacency.push(edge.source(), edge.id().index(), edge.weight().relation);
                }
            } else {
                adjacency.incoming.push(start);
            }
            let end = adjacency.targets.len();
            adjacency.offsets.push(end);
            adjacency.degrees.push(u32::try_from(end - start).unwrap_or(u32::MAX));
        }
        for neighbour in &mut adjacency.targets {
            neighbour.degree = adjacency.degrees[neighbour.row as usize];
        }
        adjacency
    }

    fn push(&mut self, other: NodeIndex, edge: usize, relation: RelationTypeId) {
        // Node and edge indices of the graph are `u32` (petgraph's default index type).
        self.targets.push(Neighbour { row: other.index() as u32, degree: 0 });
        self.edges.push(edge as u32);
        self.relations.push(relation);
    }

    /// Number of rows: the graph's node bound when the snapshot was taken.
    #[inline]
    pub(crate) fn rows(&self) -> usize {
        self.degrees.len()
    }

    /// Edges at `row`, in and out; 0 for rows past the end.
    #[inline]
    pub(crate) fn degree(&self, row: usize) -> usize {
        self.degrees.get(row).map_or(0, |&d| d as usize)
    }

    /// Degrees of all rows, for hot loops that index them directly.
    #[inline]
    pub(crate) fn degrees(&self) -> &[u32] {
        &self.degrees
    }

    /// The slots of `row` in `direction`; empty for rows past the end.
    #[inline]
    pub(crate) fn slots(&self, row: usize, direction: Direction) -> Range<usize> {
        if row >= self.rows() {
            return 0..0;
        }
        let (start, middle, end) = (self.offsets[row], self.incoming[row], self.offsets[row + 1]);
        match direction {
            Direction::Out => start..middle,
            Direction::In => middle..end,
            Direction::Both => start..end,
        }
    }

    /// The other endpoint of every slot of `row`, in and out.
    #[inline]
    pub(crate) fn neighbours(&self, row: usize) -> &[Neighbour] {
        &self.targets[self.slots(row, Direction::Both)]
    }

    /// The other endpoint of a slot.
    #[inline]
    pub(crate) fn target(&self, slot: usize) -> usize {
        self.targets[slot].row as usize
    }

    /// The edge index of a slot.
    #[inline]
    pub(crate) fn edge(&self, slot: usize) -> u32 {
        self.edges[slot]
    }

    /// The relation type of a slot.
    #[inline]
    pub(crate) fn relation(&self, slot: usize) -> RelationTypeId {
        self.relations[slot]
    }
}
