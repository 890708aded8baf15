//! Mentions kept current when the graph's names change. A file is linked to the entities the
//! graph has when it is ingested; entities added later (a JSON Lines import after the
//! documents, facts a model extracted) would otherwise never be mentioned by files that do
//! not change. So the names the linker knows are fingerprinted, and when the fingerprint
//! differs from the one the stored files were linked against, the passages and captions of
//! every file not written in this run are linked again from the store and their `mentions`
//! updated (their vectors are kept: only their links change).

use std::collections::{BTreeMap, HashSet};

use braid_graph::Graph;

use super::file_records::{MENTIONS, file_entity_id};
use super::manifest::{FileManifest, relation_of, triple};
use super::mentions::{MentionOptions, link_records, section_of};
use crate::error::BraidError;
use crate::knowledge_base::KnowledgeBase;
use crate::knowledge_base::files::FileChanges;
use crate::records::{DocumentRecord, ImageRecord};

/// Where the fingerprint of the names the stored files were linked against is kept.
const META_KEY: &str = "files.linked_names";
/// Files relinked per write transaction.
const FILES_PER_WRITE: usize = 128;

/// A fingerprint of what the linker can link: every linkable entity's id, name, aliases and
/// type, independent of their order.
pub(crate) fn names_fingerprint(graph: &Graph) -> String {
    let (mut sum, mut count) = (0u64, 0u64);
    for e in graph.entities().filter(|e| braid_graph::is_linkable_entity(e)) {
        let key = format!("{}\u{1f}{}\u{1f}{}\u{1f}{}", e.id, e.name, e.kind, e.aliases.join("\u{1e}"));
        let hash = braid_files::ContentHash::of(key.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&hash.as_bytes()[..8]);
        sum = sum.wrapping_add(u64::from_le_bytes(first));
        count += 1;
    }
    format!("{count}:{sum:016x}")
}

/// Links again the files not in `written` when the names changed since they were linked;
/// returns how many files' mentions changed.
pub(crate) fn relink_if_names_changed(
    kb: &KnowledgeBase,
    manifests: &mut BTreeMap<String, FileManifest>,
    written: &HashSet<String>,
    options: &MentionOptions,
) -> Result<usize, BraidError> {
    let fingerprint = kb.with_graph(names_fingerprint);
    if kb.store().meta(META_KEY)?.as_deref() == Some(fingerprint.as_str()) {
        return Ok(0);
    }
    let ids: Vec<String> = manifests
        .values()
        .filter(|m| m.format != "records" && !written.contains(&m.id))
        .map(|m| m.id.clone())
        .collect();
    let mut relinked = 0;
    for group in ids.chunks(FILES_PER_WRITE) {
        let mut changes = FileChanges::default();
        let mut updated = Vec::new();
        for id in group {
            let Some(m) = manifests.get(id) else { continue };
            let Some(r) = relink(kb, m, options)? else { continue };
            let new: HashSet<&(String, String, String)> = r.manifest.records.relations.iter().collect();
            changes
                .delete_relations
                .extend(m.records.relations.iter().filter(|t| t.1 == MENTIONS && !new.contains(t)).map(relation_of));
            changes.documents.extend(r.documents);
            for img in r.images {
                let bytes = kb.store().image_bytes(&img.id)?;
                changes.images.push((img, bytes));
            }
            changes.relations.extend(r.relations);
            changes.manifests.push((r.manifest.id.clone(), r.manifest.encode()));
            updated.push(r.manifest);
        }
        relinked += updated.len();
        kb.write_file_changes(changes)?;
        for m in updated {
            manifests.insert(m.id.clone(), m);
        }
    }
    kb.store().set_meta(META_KEY, &fingerprint)?;
    Ok(relinked)
}

/// A file linked again: its records with their new links, its new `mentions` and manifest.
struct Relinked {
    documents: Vec<DocumentRecord>,
    images: Vec<ImageRecord>,
    relations: Vec<crate::records::Relation>,
    manifest: FileManifest,
}

/// One file linked again from the store: its documents and images with new links and its
/// manifest with the new mentions, or `None` when nothing changed.
fn relink(kb: &KnowledgeBase, m: &FileManifest, options: &MentionOptions) -> Result<Option<Relinked>, BraidError> {
    let doc_entity = file_entity_id(&m.id);
    let mut documents = Vec::new();
    let mut before = Vec::new();
    for id in &m.records.documents {
        let Some(mut d) = kb.store().document(id)? else { continue };
        before.push(d.entities.clone());
        // The file's own entities stay; mentions are found again.
        let section = section_of(&d.id).to_string();
        d.entities.retain(|e| *e == doc_entity || *e == section);
        documents.push(d);
    }
    let mut images = Vec::new();
    for id in &m.records.images {
        let Some(mut img) = kb.store().image(id)? else { continue };
        img.depicts.retain(|e| *e == img.id);
        images.push(img);
    }
    let relations = kb.with_graph(|graph| {
        let heading =
            |d: &DocumentRecord| graph.entity(section_of(&d.id)).map_or_else(|| d.title.clone(), |e| e.name.clone());
        let mut refs: Vec<&mut ImageRecord> = images.iter_mut().collect();
        link_records(graph, &mut documents, &mut refs, heading, options)
    });
    let old: HashSet<&(String, String, String)> = m.records.relations.iter().filter(|t| t.1 == MENTIONS).collect();
    let new: HashSet<(String, String, String)> = relations.iter().map(triple).collect();
    let after: Vec<Vec<String>> = documents.iter().map(|d| d.entities.clone()).collect();
    if old.len() == new.len() && new.iter().all(|t| old.contains(t)) && before == after {
        return Ok(None);
    }
    let mut manifest = m.clone();
    manifest.records.relations.retain(|t| t.1 != MENTIONS);
    manifest.records.relations.extend(new);
    Ok(Some(Relinked { documents, images, relations, manifest }))
}
