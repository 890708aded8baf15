//! Keeping the knowledge base in sync with folders of files.
//!
//! Each file read is compared with its manifest (see [`super::manifest`]): a file with the
//! same hash whose records are all still stored is **unchanged** and was not even parsed (the
//! reader only hashed it); a new file is **added**; any other is **changed**, and its new
//! records replace the old ones, whatever the old ones no longer have being deleted from every
//! index. With `--prune`, the records of files that are gone from disk (or now empty, or now
//! marked not to be indexed) are **removed**. Files that fail to read keep their stored
//! records: a transient error must not delete anything. Relations between files are derived
//! again at the end ([`super::links`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use braid_files::{ContentHash, FileDocument, FileKind, KnownFiles, Reading, SkipReason};

use super::captions::{alt_texts, caption};
use super::file_records::{FileRecords, MENTIONS, format_name, image_records, text_records};
use super::inputs::FileRoot;
use super::links::cross_file_changes;
use super::manifest::{FileManifest, Produced, RECORDS_VERSION, passage_hash, relation_of, triple};
use super::mentions::link_records;
use super::{FileReport, IngestOptions, IngestProgress};
use crate::error::BraidError;
use crate::extract::FactChanges;
use crate::knowledge_base::files::FileChanges;
use crate::knowledge_base::{KnowledgeBase, MAX_IMAGE_BYTES};
use crate::store::Store;

/// Files per write transaction is bounded by their passages: each batch is embedded at
/// once, and 256 passages is a few seconds of MiniLM on one core, so progress moves and a
/// crash loses little.
const BATCH_DOCUMENTS: usize = 256;

/// Every stored manifest, by file id; one that does not decode is left out (its file is
/// then read again as new).
pub(crate) fn load_manifests(store: &Store) -> Result<BTreeMap<String, FileManifest>, BraidError> {
    Ok(store
        .file_manifests()?
        .into_iter()
        .filter_map(|(id, bytes)| FileManifest::decode(&bytes).map(|m| (id, m)))
        .collect())
}

/// What the reader may skip parsing: files whose manifest has their hash and whose records
/// are all stored. Records files are always read (they are imported whole every time).
pub(crate) struct Known<'a> {
    pub manifests: &'a BTreeMap<String, FileManifest>,
    pub store: &'a Store,
}

impl KnownFiles for Known<'_> {
    fn is_known(&self, id: &str, kind: FileKind, hash: &ContentHash) -> bool {
        if kind == FileKind::Records {
            return false;
        }
        self.manifests.get(id).is_some_and(|m| m.is_current() && m.hash == hash.to_string() && stored(self.store, m))
    }
}

/// Whether every record a manifest lists is still in the store (a record deleted through the
/// API is put back by the next ingest of its file).
fn stored(store: &Store, m: &FileManifest) -> bool {
    let r = &m.records;
    store.has_all(&r.documents, &r.images, &r.entities).unwrap_or(false)
}

/// One file to write: its records and its new manifest, and the manifest it replaces.
struct FileWork {
    records: FileRecords,
    manifest: FileManifest,
    old: Option<FileManifest>,
    /// Heading (or title) of each document, linked along with its text.
    headings: HashMap<String, String>,
}

/// Where files are synchronised to, from which roots, and how.
pub(crate) struct FileSync<'a> {
    pub kb: &'a KnowledgeBase,
    pub roots: &'a [FileRoot],
    pub options: &'a IngestOptions,
    pub progress: &'a dyn IngestProgress,
}

/// Brings the stored files of `sync.roots` in line with `reading` (records files already
/// taken out by the caller; `record_images` are the image files records name), counting
/// into `report`.
pub(crate) fn sync_files(
    sync: &FileSync<'_>,
    reading: Reading,
    manifests: &mut BTreeMap<String, FileManifest>,
    record_images: &HashSet<PathBuf>,
    report: &mut FileReport,
) -> Result<(), BraidError> {
    let FileSync { kb, roots, options, progress } = *sync;
    let Reading { documents, unchanged, skipped, failures } = reading;
    let mut redirects: HashMap<String, String> = HashMap::new();
    let mut emptied: HashSet<PathBuf> = HashSet::new();
    for s in skipped {
        if let SkipReason::Redirect { target: braid_files::LinkTarget::File { id } } = &s.reason
            && let Some(from) = file_id(roots, &s.path)
        {
            redirects.insert(from, id.clone());
        }
        if matches!(s.reason, SkipReason::Empty | SkipReason::NoIndex | SkipReason::Redirect { .. }) {
            emptied.insert(canonical(&s.path));
        }
        report.skip(&s.path, skip_reason(&s.reason));
    }
    let mut seen: HashSet<String> = HashSet::new();
    for f in failures {
        if let Some(id) = &f.id {
            seen.insert(id.clone());
        }
        report.fail(&f.path, f.error.to_string());
    }
    for u in &unchanged {
        seen.insert(u.id.clone());
        report.imported(&u.path, &u.id, "unchanged");
    }

    // Alt texts of every document: read now, or unchanged and known from its manifest.
    let read_now: HashSet<&str> = documents.iter().map(|d| d.id.as_str()).collect();
    let alts = {
        let mut uses: Vec<(&str, &str, &str)> = Vec::new();
        for d in &documents {
            if let braid_files::Content::Text(text) = &d.content {
                for image in &text.images {
                    if let braid_files::LinkTarget::File { id } = &image.target {
                        uses.push((d.id.as_str(), id.as_str(), image.alt.as_str()));
                    }
                }
            }
        }
        for m in manifests.values().filter(|m| !read_now.contains(m.id.as_str())) {
            uses.extend(m.images.iter().map(|(image, alt)| (m.id.as_str(), image.as_str(), alt.as_str())));
        }
        alt_texts(uses.into_iter())
    };

    let mut work: Vec<FileWork> = Vec::new();
    for doc in documents {
        seen.insert(doc.id.clone());
        for w in &doc.warnings {
            let what = match w {
                braid_files::Warning::InvalidUtf8 { replaced } => {
                    format!("{replaced} invalid UTF-8 sequences replaced by U+FFFD")
                }
                braid_files::Warning::PdfPage { page, reason } => format!("page {page} left out: {reason}"),
            };
            report.warnings.push(super::FileIssue { path: doc.path.display().to_string(), reason: what });
        }
        match prepare(kb, &doc, manifests, &alts, record_images) {
            Ok(Prepared::Write(w)) => work.push(*w),
            Ok(Prepared::Unchanged) => report.imported(&doc.path, &doc.id, "unchanged"),
            Ok(Prepared::Skip(why)) => report.skip(&doc.path, why),
            Err(why) => report.fail(&doc.path, why),
        }
    }

    progress.stage("linking");
    link_mentions(kb, &mut work, options);

    progress.stage("files");
    progress.start(work.len() as u64);
    let written: HashSet<String> = work.iter().map(|w| w.manifest.id.clone()).collect();
    let mut batch: Vec<FileWork> = Vec::new();
    let mut documents_in_batch = 0;
    let total = work.len();
    for (i, w) in work.into_iter().enumerate() {
        documents_in_batch += w.records.documents.len() + w.records.images.len();
        batch.push(w);
        if documents_in_batch >= BATCH_DOCUMENTS || i + 1 == total {
            let n = batch.len() as u64;
            write_batch(kb, std::mem::take(&mut batch), manifests, report)?;
            documents_in_batch = 0;
            progress.advance(n);
        }
    }

    prune(kb, roots, &seen, &emptied, manifests, options, report)?;

    progress.stage("relinking");
    report.relinked = super::relink::relink_if_names_changed(kb, manifests, &written, &options.mentions)?;

    progress.stage("links");
    let changes = kb.with_graph(|graph| cross_file_changes(manifests, &redirects, graph));
    report.links_added += changes.add.iter().filter(|r| r.relation != super::file_records::PART_OF).count();
    kb.write_file_changes(FileChanges {
        relations: changes.add,
        delete_relations: changes.remove,
        ..FileChanges::default()
    })?;
    Ok(())
}

/// What to do with one file read this run.
enum Prepared {
    Write(Box<FileWork>),
    Unchanged,
    Skip(String),
}

fn prepare(
    kb: &KnowledgeBase,
    doc: &FileDocument,
    manifests: &BTreeMap<String, FileManifest>,
    alts: &HashMap<String, String>,
    record_images: &HashSet<PathBuf>,
) -> Result<Prepared, String> {
    let old = manifests.get(&doc.id).cloned();
    let mut hash = doc.hash;
    let mut size = doc.size;
    let mut image_caption = None;
    let records = match doc.kind {
        FileKind::Image => {
            if record_images.contains(&canonical(&doc.path)) {
                return Ok(Prepared::Skip("an image of a JSON Lines record, read through that record".into()));
            }
            let text = caption(doc, alts);
            if let Some(m) = &old
                && m.is_current()
                && m.hash == doc.hash.to_string()
                && m.caption.as_deref() == Some(text.as_str())
                && stored(kb.store(), m)
            {
                return Ok(Prepared::Unchanged);
            }
            let bytes = read_image(&doc.path)?;
            // The bytes stored are the ones hashed, even if the file changed since the walk.
            hash = ContentHash::of(&bytes);
            size = bytes.len() as u64;
            image_caption = Some(text.clone());
            image_records(doc, &text, bytes)
        }
        FileKind::Records => return Ok(Prepared::Skip("records".into())),
        FileKind::Markdown | FileKind::Html | FileKind::Text | FileKind::Pdf => text_records(doc),
    };
    kb.check_file_records(&records.entities, &records.documents, &records.images).map_err(|e| e.to_string())?;
    let headings = records
        .documents
        .iter()
        .map(|d| {
            let heading = records
                .entities
                .iter()
                .find(|e| Some(&e.id) == d.entities.last())
                .map_or_else(|| d.title.clone(), |e| e.name.clone());
            (d.id.clone(), heading)
        })
        .collect();
    let manifest = FileManifest {
        id: doc.id.clone(),
        version: RECORDS_VERSION,
        hash: hash.to_string(),
        size,
        path: doc.path.display().to_string(),
        format: format_name(doc.kind).to_string(),
        records: Produced::default(),
        anchors: records.anchors.clone(),
        links: records.links.clone(),
        images: records.image_refs.clone(),
        caption: image_caption,
        extraction: old.as_ref().map(|m| m.extraction.clone()).unwrap_or_default(),
    };
    Ok(Prepared::Write(Box::new(FileWork { records, manifest, old, headings })))
}

/// An image file's bytes, refused over the size an image may have.
fn read_image(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_IMAGE_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(format!("image is over the limit of {MAX_IMAGE_BYTES} bytes"));
    }
    Ok(bytes)
}

/// Links the mentions of every passage and caption (on every core: the graph is read-only
/// meanwhile), adding `mentions` relations and the entities to each record's links.
fn link_mentions(kb: &KnowledgeBase, work: &mut [FileWork], options: &IngestOptions) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(work.len().max(1));
    let chunk = work.len().div_ceil(threads).max(1);
    kb.with_graph(|graph| {
        std::thread::scope(|scope| {
            for part in work.chunks_mut(chunk) {
                scope.spawn(move || {
                    for w in part {
                        link_file(graph, w, options);
                    }
                });
            }
        });
    });
}

fn link_file(graph: &braid_graph::Graph, w: &mut FileWork, options: &IngestOptions) {
    let headings = &w.headings;
    let heading = |d: &crate::records::DocumentRecord| headings.get(&d.id).cloned().unwrap_or_default();
    let mut images: Vec<&mut crate::records::ImageRecord> = w.records.images.iter_mut().map(|(i, _)| i).collect();
    let relations = link_records(graph, &mut w.records.documents, &mut images, heading, &options.mentions);
    w.records.relations.extend(relations);
}

/// Writes a batch of files in one transaction, with what their old versions leave behind.
fn write_batch(
    kb: &KnowledgeBase,
    batch: Vec<FileWork>,
    manifests: &mut BTreeMap<String, FileManifest>,
    report: &mut FileReport,
) -> Result<(), BraidError> {
    let mut changes = FileChanges::default();
    let mut facts = FactChanges::default();
    let mut written: Vec<FileManifest> = Vec::new();
    for w in batch {
        let FileWork { records, mut manifest, old, .. } = w;
        manifest.records = Produced {
            entities: records.entities.iter().map(|e| e.id.clone()).collect(),
            documents: records.documents.iter().map(|d| d.id.clone()).collect(),
            images: records.images.iter().map(|(i, _)| i.id.clone()).collect(),
            relations: records.relations.iter().map(triple).collect(),
        };
        report.mentions += records.relations.iter().filter(|r| r.relation == MENTIONS).count();
        // Facts extracted from passages that changed or went lose those passages' support.
        let current: HashSet<(String, String)> =
            records.documents.iter().map(|d| (d.id.clone(), passage_hash(&d.title, &d.text))).collect();
        let changed: HashSet<String> =
            manifest.extraction.done.iter().filter(|done| !current.contains(*done)).map(|(p, _)| p.clone()).collect();
        if !changed.is_empty() {
            kb.with_graph(|graph| facts.retract(graph, &mut manifest.extraction, &changed));
        }
        if let Some(old) = &old {
            let new = &manifest.records;
            let gone = |old: &[String], new: &[String]| -> Vec<String> {
                let keep: HashSet<&String> = new.iter().collect();
                old.iter().filter(|id| !keep.contains(id)).cloned().collect()
            };
            changes.delete_entities.extend(gone(&old.records.entities, &new.entities));
            changes.delete_documents.extend(gone(&old.records.documents, &new.documents));
            changes.delete_images.extend(gone(&old.records.images, &new.images));
            let keep: HashSet<&(String, String, String)> = new.relations.iter().collect();
            changes
                .delete_relations
                .extend(old.records.relations.iter().filter(|t| !keep.contains(t)).map(relation_of));
            report.imported(Path::new(&manifest.path), &manifest.id, "changed");
        } else {
            report.imported(Path::new(&manifest.path), &manifest.id, "added");
        }
        changes.entities.extend(records.entities);
        changes.relations.extend(records.relations);
        changes.documents.extend(records.documents);
        changes.images.extend(records.images);
        changes.manifests.push((manifest.id.clone(), manifest.encode()));
        written.push(manifest);
    }
    let (relations, delete_relations, orphans) = facts.finish();
    changes.relations.extend(relations);
    changes.delete_relations.extend(delete_relations);
    changes.orphans = orphans;
    kb.write_file_changes(changes)?;
    for m in written {
        manifests.insert(m.id.clone(), m);
    }
    Ok(())
}

/// Removes (with `--prune`) or counts the stored files of these roots that are gone.
fn prune(
    kb: &KnowledgeBase,
    roots: &[FileRoot],
    seen: &HashSet<String>,
    emptied: &HashSet<PathBuf>,
    manifests: &mut BTreeMap<String, FileManifest>,
    options: &IngestOptions,
    report: &mut FileReport,
) -> Result<(), BraidError> {
    let gone: Vec<String> = manifests
        .values()
        .filter(|m| m.format != "records" && !seen.contains(&m.id) && roots.iter().any(|r| r.owns(&m.id)))
        .filter(|m| {
            let path = Path::new(&m.path);
            !path.exists() || emptied.contains(&canonical(path))
        })
        .map(|m| m.id.clone())
        .collect();
    if !options.prune {
        report.gone += gone.len();
        return Ok(());
    }
    for ids in gone.chunks(BATCH_DOCUMENTS) {
        let mut changes = FileChanges::default();
        let mut facts = FactChanges::default();
        for id in ids {
            let Some(m) = manifests.get(id) else { continue };
            let mut extraction = m.extraction.clone();
            let passages: HashSet<String> = extraction.facts.iter().flat_map(|(_, by)| by.iter().cloned()).collect();
            kb.with_graph(|graph| facts.retract(graph, &mut extraction, &passages));
            changes.delete_entities.extend(m.records.entities.iter().cloned());
            changes.delete_documents.extend(m.records.documents.iter().cloned());
            changes.delete_images.extend(m.records.images.iter().cloned());
            changes.delete_relations.extend(m.records.relations.iter().map(relation_of));
            changes.delete_manifests.push(id.clone());
        }
        let (relations, delete_relations, orphans) = facts.finish();
        changes.relations.extend(relations);
        changes.delete_relations.extend(delete_relations);
        changes.orphans = orphans;
        kb.write_file_changes(changes)?;
        for id in ids {
            if let Some(m) = manifests.remove(id) {
                report.removed += 1;
                report.removed_files.push(m.path);
            }
        }
    }
    Ok(())
}

/// The path with links and `.`/`..` resolved, or as given when it cannot be.
pub(crate) fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The id a file under one of the roots has.
fn file_id(roots: &[FileRoot], path: &Path) -> Option<String> {
    roots.iter().find_map(|r| {
        if !r.is_dir {
            return (r.root.path == path)
                .then(|| Some(format!("{}{}", r.root.id_prefix, path.file_name()?.to_str()?)))
                .flatten();
        }
        let relative = path.strip_prefix(&r.root.path).ok()?;
        let parts: Option<Vec<&str>> = relative.components().map(|c| c.as_os_str().to_str()).collect();
        Some(format!("{}{}", r.root.id_prefix, parts?.join("/")))
    })
}

/// Why an entry was skipped, in words.
fn skip_reason(reason: &SkipReason) -> String {
    match reason {
        SkipReason::Ignored => "ignored by a .gitignore or .ignore file".into(),
        SkipReason::Hidden => "hidden (its name starts with a dot)".into(),
        SkipReason::Excluded => "left out by --include/--exclude".into(),
        SkipReason::Unsupported => {
            "not a format that is read (md, markdown, txt, html, htm, pdf, json, jsonl, ndjson, png, jpg, jpeg, webp, \
             gif, svg)"
                .into()
        }
        SkipReason::Empty => "empty".into(),
        SkipReason::Sidecar { image } => format!("the caption of {image}"),
        SkipReason::NoIndex => "the page asks not to be indexed (robots noindex)".into(),
        SkipReason::Redirect { target } => match target {
            braid_files::LinkTarget::File { id } => format!("a redirect to {id}"),
            braid_files::LinkTarget::External { url } => format!("a redirect to {url}"),
            braid_files::LinkTarget::OutsideRoot { path } => format!("a redirect to {path}"),
        },
    }
}
