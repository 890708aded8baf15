//! The graph's entity linker, as the router's [`EntityLinker`].

use std::sync::Arc;

use braid_graph::{Direction, GraphBackend, LinkMethod, LinkOptions};
use braid_router::{CueDirection, EntityLinker, LinkedEntity};

/// The graph's entity linker, seen by the router, over any [`GraphBackend`]. The router's
/// linker cannot fail: when the backend does (a graph server that is down), the query is
/// linked to nothing, and the graph route reports the backend's error itself.
pub struct GraphLinker {
    graph: Arc<dyn GraphBackend>,
}

impl GraphLinker {
    /// A linker over `graph`.
    pub fn new(graph: Arc<dyn GraphBackend>) -> Self {
        GraphLinker { graph }
    }
}

impl EntityLinker for GraphLinker {
    fn link(&self, text: &str) -> Vec<LinkedEntity> {
        self.graph
            .link(text, &LinkOptions::default())
            .unwrap_or_default()
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
        self.graph.count_related(id, relation, direction).unwrap_or(0)
    }
}
