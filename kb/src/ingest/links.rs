//! Relations between files, derived on every run from all manifests: a document `links_to`
//! the document (or the section, when the link's anchor names one) it links to, following
//! redirect stubs; an image is `part_of` each document that embeds it. Derived rather than
//! stored with the file, because either end may change alone: a link to a page that appears
//! later resolves then, and one to a page that is gone is removed with it.

use std::collections::{BTreeMap, HashMap, HashSet};

use braid_graph::Graph;

use super::file_records::{LINKS_TO, PART_OF, file_entity_id};
use super::manifest::FileManifest;
use crate::records::Relation;

/// Redirect hops followed before a link is given up.
const MAX_REDIRECTS: usize = 5;

/// The changes that bring the graph's cross-file relations in line with the manifests.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct CrossFileChanges {
    /// Relations to add.
    pub add: Vec<Relation>,
    /// Relations to remove.
    pub remove: Vec<Relation>,
}

/// What the graph should hold between files, against what it holds.
pub(crate) fn cross_file_changes(
    manifests: &BTreeMap<String, FileManifest>,
    redirects: &HashMap<String, String>,
    graph: &Graph,
) -> CrossFileChanges {
    let has_entity = |id: &str| manifests.get(id).is_some_and(|m| m.format != "records");
    let resolve = |target: &str| -> Option<String> {
        let mut target = target.to_string();
        for _ in 0..MAX_REDIRECTS {
            if has_entity(&target) {
                return Some(target);
            }
            target = redirects.get(&target)?.clone();
        }
        has_entity(&target).then_some(target)
    };
    let mut wanted: HashSet<(String, &'static str, String)> = HashSet::new();
    for m in manifests.values() {
        let source = file_entity_id(&m.id);
        for (target, anchor) in &m.links {
            let Some(target) = resolve(target) else { continue };
            let Some(target_manifest) = manifests.get(&target) else { continue };
            let to = anchor
                .as_ref()
                .and_then(|a| target_manifest.anchors.iter().find(|(anchor, _)| anchor == a))
                .map_or_else(|| file_entity_id(&target), |(_, entity)| entity.clone());
            if to != source {
                wanted.insert((source.clone(), LINKS_TO, to));
            }
        }
        for (image, _) in &m.images {
            if manifests.get(image).is_some_and(|i| i.format == "image") {
                wanted.insert((file_entity_id(image), PART_OF, source.clone()));
            }
        }
    }
    let mut held: HashSet<(String, &'static str, String)> = HashSet::new();
    for m in manifests.values().filter(|m| m.format != "records") {
        let entity = file_entity_id(&m.id);
        let relation = if m.format == "image" { PART_OF } else { LINKS_TO };
        for fact in graph.facts_of(&entity) {
            if fact.source == entity && fact.relation == relation {
                held.insert((fact.source, relation, fact.target));
            }
        }
    }
    let mut changes = CrossFileChanges {
        add: wanted.difference(&held).map(|(s, r, t)| Relation::new(s.clone(), *r, t.clone())).collect(),
        remove: held.difference(&wanted).map(|(s, r, t)| Relation::new(s.clone(), *r, t.clone())).collect(),
    };
    let key = |r: &Relation| (r.source.clone(), r.relation.clone(), r.target.clone());
    changes.add.sort_by_key(key);
    changes.remove.sort_by_key(key);
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Entity;

    fn manifest(id: &str, format: &str) -> FileManifest {
        FileManifest { id: id.into(), format: format.into(), ..FileManifest::default() }
    }

    #[test]
    fn links_resolve_to_sections_through_redirects_and_stale_ones_go() {
        let mut a = manifest("d/a.md", "markdown");
        a.links =
            vec![("d/b.md".into(), Some("rules".into())), ("d/old.html".into(), None), ("d/missing.md".into(), None)];
        a.images = vec![("d/k.png".into(), "a koala".into())];
        let mut b = manifest("d/b.md", "markdown");
        b.anchors = vec![("rules".into(), "file:d/b.md#rules".into())];
        let c = manifest("d/c.md", "markdown");
        let k = manifest("d/k.png", "image");
        let manifests: BTreeMap<String, FileManifest> = [a, b, c, k].into_iter().map(|m| (m.id.clone(), m)).collect();
        let redirects = HashMap::from([("d/old.html".to_string(), "d/c.md".to_string())]);
        let mut graph = Graph::new();
        for id in ["file:d/a.md", "file:d/b.md", "file:d/b.md#rules", "file:d/c.md", "file:d/k.png"] {
            assert!(graph.upsert_entity(Entity::new(id, id, "document")).is_ok());
        }
        // A link the file no longer has.
        assert!(graph.add_relation(Relation::new("file:d/a.md", LINKS_TO, "file:d/b.md")).is_ok());
        let changes = cross_file_changes(&manifests, &redirects, &graph);
        assert_eq!(
            changes.add,
            [
                Relation::new("file:d/a.md", LINKS_TO, "file:d/b.md#rules"),
                Relation::new("file:d/a.md", LINKS_TO, "file:d/c.md"),
                Relation::new("file:d/k.png", PART_OF, "file:d/a.md"),
            ]
        );
        assert_eq!(changes.remove, [Relation::new("file:d/a.md", LINKS_TO, "file:d/b.md")]);
    }
}
