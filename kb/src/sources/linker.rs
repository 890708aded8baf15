//! The graph's entity linker, as the router's [`EntityLinker`].

use std::sync::{Arc, RwLock};

use braid_graph::{Direction, Graph, LinkMethod};
use braid_router::{CueDirection, EntityLinker, LinkedEntity};

/// The graph's entity linker, seen by the router.
pub struct GraphLinker {
    graph: Arc<RwLock<Graph>>,
}

impl GraphLinker {
    /// A linker over `graph`.
    pub fn new(graph: Arc<RwLock<Graph>>) -> Self {
        GraphLinker { graph }
    }
}

impl EntityLinker for GraphLinker {
    fn link(&self, text: &str) -> Vec<LinkedEntity> {
        BorrowedLinker(&self.graph.read().unwrap_or_else(|e| e.into_inner())).link(text)
    }

    fn count_related(&self, id: &str, relation: &str, direction: CueDirection) -> usize {
        let direction = match direction {
            CueDirection::Out => Direction::Out,
            CueDirection::In => Direction::In,
            CueDirection::Both => Direction::Both,
        };
        self.graph.read().unwrap_or_else(|e| e.into_inner()).count_related(id, relation, direction)
    }
}

/// The linker of a graph the caller already holds (a read lock it keeps for a whole plan).
pub(crate) struct BorrowedLinker<'a>(pub &'a Graph);

impl EntityLinker for BorrowedLinker<'_> {
    fn link(&self, text: &str) -> Vec<LinkedEntity> {
        self.0
            .link(text)
            .into_iter()
            .map(|l| LinkedEntity {
                id: l.entity_id,
                name: l.name,
                kind: l.kind,
                mention: l.mention,
                confidence: l.confidence,
                method: match l.method {
                    LinkMethod::Exact => "exact",
                    LinkMethod::Alias => "alias",
                    LinkMethod::Fuzzy => "fuzzy",
                }
                .to_string(),
            })
            .collect()
    }

    fn count_related(&self, id: &str, relation: &str, direction: CueDirection) -> usize {
        let direction = match direction {
            CueDirection::Out => Direction::Out,
            CueDirection::In => Direction::In,
            CueDirection::Both => Direction::Both,
        };
        self.0.count_related(id, relation, direction)
    }
}
