//! Provenance of extracted facts. Every relation the model extracts carries, in its props,
//! `provenance`: the passages that state it (any file's), and `extracted_by`: the model. A
//! passage that changes or goes takes its support away ([`FactChanges::retract`]); a
//! relation left without support is deleted, and an extracted entity left without relations
//! with it. Relations Braid did not extract (the user's, the mention linker's) are never
//! touched: a fact the graph already holds is not asserted again.

use std::collections::{BTreeMap, HashSet};

use braid_graph::Graph;
use serde_json::Value;

use crate::ingest::manifest::Extraction;
use crate::records::Relation;

/// Prop of an extracted relation: the passages that state it.
pub const PROVENANCE_PROP: &str = "provenance";
/// Prop of an extracted relation or entity: the model that extracted it.
pub const EXTRACTED_BY_PROP: &str = "extracted_by";

type Triple = (String, String, String);

/// Extracted relations as they will be once these changes apply, over the graph as it is.
#[derive(Debug, Default)]
pub(crate) struct FactChanges {
    /// Relations changed so far: the new version, or `None` when deleted.
    overlay: BTreeMap<Triple, Option<Relation>>,
    /// Endpoints of deleted relations, to delete if nothing else holds them.
    orphans: Vec<String>,
}

impl FactChanges {
    /// The relation as it stands: changed here, else in the graph.
    fn current(&self, graph: &Graph, t: &Triple) -> Option<Relation> {
        match self.overlay.get(t) {
            Some(r) => r.clone(),
            None => graph.relation(&t.0, &t.1, &t.2),
        }
    }

    /// Takes the support of `passages` away from the facts `extraction` records, and forgets
    /// that those passages were extracted.
    pub fn retract(&mut self, graph: &Graph, extraction: &mut Extraction, passages: &HashSet<String>) -> usize {
        let mut retracted = 0;
        for (t, supported_by) in &mut extraction.facts {
            let before = supported_by.len();
            supported_by.retain(|p| !passages.contains(p));
            if supported_by.len() == before {
                continue;
            }
            let Some(mut relation) = self.current(graph, t) else { continue };
            if !relation.props.contains_key(PROVENANCE_PROP) {
                // Someone else's relation now (the mention linker's): not ours to delete.
                continue;
            }
            let mut provenance = provenance(&relation);
            provenance.retain(|p| !passages.contains(p));
            if provenance.is_empty() {
                self.overlay.insert(t.clone(), None);
                self.orphans.extend([t.0.clone(), t.2.clone()]);
                retracted += 1;
            } else {
                relation.props.insert(PROVENANCE_PROP.into(), provenance.into());
                self.overlay.insert(t.clone(), Some(relation));
            }
        }
        extraction.facts.retain(|(_, by)| !by.is_empty());
        extraction.done.retain(|(p, _)| !passages.contains(p));
        retracted
    }

    /// Records that `passage` states `fact` (extracted by `model`). A relation the graph
    /// holds without provenance is someone else's: left alone, and `false` is returned.
    pub fn assert(
        &mut self,
        graph: &Graph,
        extraction: &mut Extraction,
        fact: Relation,
        passage: &str,
        model: &str,
    ) -> bool {
        let t: Triple = (fact.source.clone(), fact.relation.clone(), fact.target.clone());
        let mut relation = match self.current(graph, &t) {
            Some(r) if !r.props.contains_key(PROVENANCE_PROP) => return false,
            Some(r) => r,
            None => fact,
        };
        let mut provenance = provenance(&relation);
        if !provenance.iter().any(|p| p == passage) {
            provenance.push(passage.to_string());
        }
        relation.props.insert(PROVENANCE_PROP.into(), provenance.into());
        relation.props.insert(EXTRACTED_BY_PROP.into(), model.into());
        self.overlay.insert(t.clone(), Some(relation));
        match extraction.facts.iter_mut().find(|(x, _)| *x == t) {
            Some((_, by)) if !by.iter().any(|p| p == passage) => by.push(passage.to_string()),
            Some(_) => {}
            None => extraction.facts.push((t, vec![passage.to_string()])),
        }
        true
    }

    /// The relations to write and to delete, and the entities that may be left alone.
    pub fn finish(self) -> (Vec<Relation>, Vec<Relation>, Vec<String>) {
        let mut upsert = Vec::new();
        let mut delete = Vec::new();
        for (t, r) in self.overlay {
            match r {
                Some(r) => upsert.push(r),
                None => delete.push(Relation::new(t.0, t.1, t.2)),
            }
        }
        (upsert, delete, self.orphans)
    }
}

/// The passages in a relation's `provenance` prop.
fn provenance(r: &Relation) -> Vec<String> {
    match r.props.get(PROVENANCE_PROP) {
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Entity;

    #[test]
    fn support_is_shared_between_passages_and_a_fact_goes_with_the_last() {
        let mut graph = Graph::new();
        for id in ["a", "b", "c"] {
            assert!(graph.upsert_entity(Entity::new(id, id, "t")).is_ok());
        }
        // The user's own relation: never claimed.
        assert!(graph.add_relation(Relation::new("a", "knows", "c")).is_ok());
        let mut one = Extraction::default();
        let mut two = Extraction::default();
        let mut changes = FactChanges::default();
        assert!(changes.assert(&graph, &mut one, Relation::new("a", "likes", "b"), "f:1#x", "m"));
        assert!(changes.assert(&graph, &mut two, Relation::new("a", "likes", "b"), "f:2", "m"));
        assert!(!changes.assert(&graph, &mut one, Relation::new("a", "knows", "c"), "f:1#x", "m"));
        let (upsert, delete, _) = changes.finish();
        assert!(delete.is_empty());
        assert_eq!(upsert.len(), 1);
        assert_eq!(upsert[0].props[PROVENANCE_PROP], serde_json::json!(["f:1#x", "f:2"]));
        for r in upsert {
            graph.remove_relation(&r.source, &r.relation, &r.target);
            assert!(graph.add_relation(r).is_ok());
        }

        // The first passage changes: the fact stays, held by the second.
        let mut changes = FactChanges::default();
        assert_eq!(changes.retract(&graph, &mut one, &HashSet::from(["f:1#x".to_string()])), 0);
        assert!(one.facts.is_empty());
        let (upsert, delete, _) = changes.finish();
        assert!(delete.is_empty());
        assert_eq!(upsert[0].props[PROVENANCE_PROP], serde_json::json!(["f:2"]));
        for r in upsert {
            graph.remove_relation(&r.source, &r.relation, &r.target);
            assert!(graph.add_relation(r).is_ok());
        }
        // The second goes too: so does the fact, and its endpoints are orphan candidates.
        let mut changes = FactChanges::default();
        assert_eq!(changes.retract(&graph, &mut two, &HashSet::from(["f:2".to_string()])), 1);
        let (upsert, delete, orphans) = changes.finish();
        assert!(upsert.is_empty());
        assert_eq!(delete, [Relation::new("a", "likes", "b")]);
        assert_eq!(orphans, ["a", "b"]);
    }
}
