//! The graph's entity linker, as the router's [`EntityLinker`].

use std::sync::Arc;

use braid_graph::{Direction, Graph, GraphBackend, LinkMethod, LinkOptions};
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
        self.graph.link(text, &LinkOptions::default()).unwrap_or_default().into_iter().map(linked).collect()
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

/// The linker of an in-process graph the caller already holds (a read lock it keeps for a
/// whole compositional plan, which runs on the embedded graph).
pub(crate) struct BorrowedLinker<'a>(pub &'a Graph);

impl EntityLinker for BorrowedLinker<'_> {
    fn link(&self, text: &str) -> Vec<LinkedEntity> {
        self.0.link(text).into_iter().map(linked).collect()
    }

    fn named_like(&self, mention: &str, kinds: &[&str]) -> Option<LinkedEntity> {
        let words = normalize_words(mention);
        if words.is_empty() {
            return None;
        }
        let mut found = self.0.entities().filter(|e| kinds.contains(&e.kind.as_str())).filter(|e| {
            let name = normalize_words(&e.name);
            name.len() > words.len() && name.ends_with(&words)
        });
        let (one, other) = (found.next()?, found.next());
        other.is_none().then(|| LinkedEntity {
            id: one.id.clone(),
            name: one.name.clone(),
            kind: one.kind.clone(),
            mention: mention.to_string(),
            confidence: 0.5,
            method: "head".to_string(),
        })
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

/// The router's view of a link.
fn linked(l: braid_graph::EntityLink) -> LinkedEntity {
    LinkedEntity {
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
    }
}

/// Lower-case words of `text`, without punctuation.
fn normalize_words(text: &str) -> Vec<String> {
    braid_router::normalize::normalize(text).split(' ').filter(|w| !w.is_empty()).map(str::to_string).collect()
}
