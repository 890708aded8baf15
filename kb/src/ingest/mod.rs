//! Importing what users have: JSON Lines files of records (entities, relations, documents,
//! images) and folders of files (Markdown, HTML, text, PDF, images), kept in sync.
//!
//! Records are written in dependency order (entities before relations before items), in
//! batches; big files are parsed on every core (`jsonl`), and relations go through the bulk
//! path, where the graph takes one committed batch while the store commits the next. A
//! document record without an `entities` field is linked to the entities it mentions.
//!
//! Folders of files are read by [`braid_files`] and synchronised (`sync`): each file
//! becomes a document entity with a passage per section ([`file_records`]), its mentions of
//! known entities become `mentions` relations ([`mentions`]), links between files become
//! `links_to` relations (`links`), and a manifest per file (`manifest`) records its
//! content hash and what it produced, so a re-ingest only touches what changed and `--prune`
//! removes what is gone. How the inputs are told apart is in `inputs`. Progress is reported
//! through [`IngestProgress`] (the CLI draws a bar; a program can draw its own).
//!
//! ```
//! use std::sync::Arc;
//! use braid_kb::ingest::{IngestOptions, NoProgress, ingest_paths_with};
//! use braid_kb::{KnowledgeBase, Options, records::Entity};
//!
//! let dir = tempfile::tempdir()?;
//! let notes = dir.path().join("notes");
//! std::fs::create_dir(&notes)?;
//! std::fs::write(notes.join("trip.md"), "# Trip\n\n## Day one\n\nWe landed in Lisbon at noon.\n")?;
//! let kb = KnowledgeBase::open(Options::new(dir.path().join("data"), Arc::new(braid_vector::HashingEmbedder::new(64))))?;
//! kb.put_entities(vec![Entity::new("city:lisbon", "Lisbon", "city")])?;
//!
//! let report = ingest_paths_with(&kb, &[notes.clone()], &IngestOptions::default(), &NoProgress)?;
//! assert_eq!(report.files.summary(), "added 1, changed 0, unchanged 0, removed 0, skipped 0, failed 0");
//! // A section is a passage, and an entity that mentions what the graph knows.
//! assert!(kb.document("file:notes/trip.md#day-one")?.text.contains("Lisbon"));
//! let lisbon = kb.entity("city:lisbon")?;
//! assert!(lisbon.relations.iter().any(|f| f.source == "file:notes/trip.md#day-one" && f.relation == "mentions"));
//!
//! // Again, unchanged: hashed, not parsed, nothing written.
//! let again = ingest_paths_with(&kb, &[notes], &IngestOptions::default(), &NoProgress)?;
//! assert_eq!(again.files.unchanged, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::error::BraidError;
use crate::knowledge_base::KnowledgeBase;
use crate::knowledge_base::files::FileChanges;
use crate::records::{DocumentRecord, Entity, ImageRecord, Relation, SchemaRecord};

mod batches;
mod captions;
pub mod file_records;
mod inputs;
mod jsonl;
mod links;
pub(crate) mod manifest;
pub mod mentions;
mod relink;
mod sync;

use batches::{copying, write_batches, write_relations};
pub use braid_files::ReadOptions;
use manifest::{FileManifest, RECORDS_VERSION};
pub use mentions::{Mention, MentionOptions, find_mentions};

/// Documents and images per write transaction (each batch is embedded first).
const BATCH: usize = 512;
/// Entities and relations per write transaction: small records, where each commit's sync
/// to disk dominates, so bigger transactions import several times faster. (A bad entity
/// is found by splitting its batch in halves, a bad relation by checking every relation
/// up front, so a big batch does not make a rejection expensive; 8192, 16384 and 32768
/// measured alike for WordNet.)
const GRAPH_BATCH: usize = 8192;

/// How to ingest. `IngestOptions::default()` is `braid ingest` without flags.
#[derive(Clone, Default)]
pub struct IngestOptions {
    /// Remove the records of files that are gone from the folders given (`--prune`).
    pub prune: bool,
    /// How folders are walked and read: include and exclude globs, ignore files, hidden
    /// files, size and time limits.
    pub files: braid_files::ReadOptions,
    /// How sure a mention must be to link a passage to an entity.
    pub mentions: MentionOptions,
    /// Extracts entities and relations from passages with a language model, when one is
    /// configured (see [`crate::extract`]).
    pub extractor: Option<Arc<crate::extract::Extractor>>,
}

/// What an import did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct IngestReport {
    /// Entities written.
    pub entities: usize,
    /// Relations written.
    pub relations: usize,
    /// Documents written.
    pub documents: usize,
    /// Images written.
    pub images: usize,
    /// Schema records written (words for relation and entity types).
    pub schema: usize,
    /// Rejected records as `file:line: reason`.
    pub rejected: Vec<String>,
    /// Records skipped because they hold nothing to index (a document with neither title nor
    /// text, as real collections such as Cranfield contain), as `file:line: reason`.
    pub skipped: Vec<String>,
    /// Documents left as they were because the store already held them word for word.
    pub unchanged_documents: usize,
    /// Files: what was added, changed, left alone, removed, skipped and failed.
    pub files: FileReport,
    /// What the language model extracted, when one is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extraction: Option<crate::extract::ExtractionReport>,
}

/// What an ingest did with files (JSON Lines files among them).
#[derive(Debug, Default, Clone, Serialize)]
pub struct FileReport {
    /// Files read for the first time.
    pub added: usize,
    /// Files whose content changed (their records were replaced).
    pub changed: usize,
    /// Files whose content had not changed (left alone; JSON Lines files are imported
    /// again, and writing the same record again changes nothing).
    pub unchanged: usize,
    /// Files gone from disk whose records were removed (`--prune`).
    pub removed: usize,
    /// Entries left out on purpose.
    pub skipped: usize,
    /// Files that could not be read (their stored records, if any, are kept).
    pub failed: usize,
    /// Bytes of the files read or hashed.
    pub bytes: u64,
    /// Every file read, with its id and what became of it.
    pub imported: Vec<ImportedFile>,
    /// Every failure: the path and why.
    pub failures: Vec<FileIssue>,
    /// Files read with something repaired or left out (invalid UTF-8 replaced, a PDF page
    /// without text): the path and what.
    pub warnings: Vec<FileIssue>,
    /// Every skipped entry: the path and why.
    pub skips: Vec<FileIssue>,
    /// Paths of the files removed.
    pub removed_files: Vec<String>,
    /// Stored files that are gone from disk and were kept because `--prune` was not given.
    pub gone: usize,
    /// `mentions` relations written.
    pub mentions: usize,
    /// `links_to` relations added between files.
    pub links_added: usize,
    /// Files not changed whose mentions were found again because the graph's names changed
    /// since they were linked (entities imported after them).
    pub relinked: usize,
}

/// A file that was read, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedFile {
    /// The file on disk.
    pub path: String,
    /// Its id (documents and entities from it are `file:` and this id).
    pub id: String,
    /// `added`, `changed` or `unchanged`.
    pub status: &'static str,
}

/// A file that was skipped or failed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileIssue {
    /// The file (or folder) on disk.
    pub path: String,
    /// Why.
    pub reason: String,
}

impl FileReport {
    fn skip(&mut self, path: &Path, reason: impl Into<String>) {
        self.skipped += 1;
        self.skips.push(FileIssue { path: path.display().to_string(), reason: reason.into() });
    }

    fn imported(&mut self, path: &Path, id: &str, status: &'static str) {
        match status {
            "added" => self.added += 1,
            "changed" => self.changed += 1,
            _ => self.unchanged += 1,
        }
        self.imported.push(ImportedFile { path: path.display().to_string(), id: id.to_string(), status });
    }

    fn fail(&mut self, path: &Path, reason: impl Into<String>) {
        self.failed += 1;
        self.failures.push(FileIssue { path: path.display().to_string(), reason: reason.into() });
    }

    /// The summary line: `added A, changed C, unchanged U, removed R, skipped S, failed F`.
    pub fn summary(&self) -> String {
        format!(
            "added {}, changed {}, unchanged {}, removed {}, skipped {}, failed {}",
            self.added, self.changed, self.unchanged, self.removed, self.skipped, self.failed
        )
    }

    /// Files that were read (added, changed or unchanged).
    pub fn read(&self) -> usize {
        self.added + self.changed + self.unchanged
    }
}

/// How an import reports its progress. Every method has a default that does nothing.
pub trait IngestProgress: Sync {
    /// The stage that runs next: `reading`, `entities`, `relations`, `schema`, `documents`,
    /// `images`, `linking`, `files`, `links`, `extracting`, `linker`.
    fn stage(&self, stage: &str) {
        let _ = stage;
    }
    /// The stage has `total` units of work (records, or files to write).
    fn start(&self, total: u64) {
        let _ = total;
    }
    /// `n` more units were done.
    fn advance(&self, n: u64) {
        let _ = n;
    }
    /// While folders are read: files and bytes read so far (running totals, from several
    /// threads at once), for files/s and bytes/s.
    fn files_read(&self, files: u64, bytes: u64) {
        let _ = (files, bytes);
    }
    /// The import is over.
    fn finish(&self) {}
}

/// Progress nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl IngestProgress for NoProgress {}

/// The reader's progress, passed on.
struct ReadProgress<'a>(&'a dyn IngestProgress);

impl braid_files::Progress for ReadProgress<'_> {
    fn file_done(&self, event: &braid_files::ProgressEvent<'_>) {
        self.0.files_read(event.files_done, event.bytes_done);
    }
}

/// A record with where it came from, for error messages.
struct Located<T> {
    at: Origin,
    record: T,
}

/// A file, and the line in it for JSON Lines: shown as `file:line` only when a record is
/// rejected, so a bulk import formats no location for the records that go through.
#[derive(Clone)]
struct Origin {
    file: Arc<str>,
    line: Option<usize>,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.file),
            None => f.write_str(&self.file),
        }
    }
}

/// The records read from the inputs, by kind, in the order they are written.
#[derive(Default)]
struct Parsed {
    entities: Vec<Located<Entity>>,
    relations: Vec<Located<Relation>>,
    schema: Vec<Located<SchemaRecord>>,
    documents: Vec<Located<DocumentRecord>>,
    images: Vec<Located<(ImageRecord, Option<Vec<u8>>)>>,
    /// Documents given without an `entities` field: linked to what they mention.
    unlinked: HashSet<String>,
    /// Image files read through records' `path`, canonical.
    image_paths: HashSet<PathBuf>,
}

impl Parsed {
    fn append(&mut self, mut other: Parsed) {
        self.entities.append(&mut other.entities);
        self.relations.append(&mut other.relations);
        self.schema.append(&mut other.schema);
        self.documents.append(&mut other.documents);
        self.images.append(&mut other.images);
        self.unlinked.extend(other.unlinked);
        self.image_paths.extend(other.image_paths);
    }
}

/// Imports `paths` with the default [`IngestOptions`].
pub fn ingest_paths(
    kb: &KnowledgeBase,
    paths: &[PathBuf],
    progress: &dyn IngestProgress,
) -> Result<IngestReport, BraidError> {
    ingest_paths_with(kb, paths, &IngestOptions::default(), progress)
}

/// Imports `paths`: JSON Lines files, folders of them (with images named by the records), and
/// folders (or single files) of documents and images, which are kept in sync.
pub fn ingest_paths_with(
    kb: &KnowledgeBase,
    paths: &[PathBuf],
    options: &IngestOptions,
    progress: &dyn IngestProgress,
) -> Result<IngestReport, BraidError> {
    let mut report = IngestReport::default();
    let inputs = inputs::sort_out(paths);
    for (path, why) in &inputs.skipped {
        report.files.skip(path, why.clone());
    }
    for (path, why) in &inputs.failed {
        report.files.fail(path, why.clone());
    }
    let mut manifests = sync::load_manifests(kb.store())?;

    // Folders first: JSON Lines files found in them are imported with the rest of the records.
    let mut reading = braid_files::Reading::default();
    if !inputs.roots.is_empty() {
        progress.stage("reading");
        let reader = braid_files::FileReader::new(options.files.clone())
            .map_err(|e| BraidError::invalid("include", e.to_string()))?;
        let roots: Vec<braid_files::Root> = inputs.roots.iter().map(|r| r.root.clone()).collect();
        let known = sync::Known { manifests: &manifests, store: kb.store() };
        reading = reader.read_changed(&roots, &ReadProgress(progress), &known);
    }
    report.files.bytes = reading.summary().bytes;
    let (record_files, documents): (Vec<_>, Vec<_>) =
        std::mem::take(&mut reading.documents).into_iter().partition(|d| d.kind == braid_files::FileKind::Records);
    reading.documents = documents;

    let mut parsed = Parsed::default();
    let mut record_manifests: Vec<FileManifest> = Vec::new();
    for path in &inputs.records {
        let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
        report.files.bytes += bytes;
        match jsonl::read_jsonl(path, &mut parsed, &mut report, false) {
            Ok(hash) => record_manifests.push(records_manifest(records_key(path), path, hash, bytes)),
            Err(why) => report.files.fail(path, why),
        }
    }
    for file in &record_files {
        match jsonl::read_jsonl(&file.path, &mut parsed, &mut report, true) {
            Ok(hash) => record_manifests.push(records_manifest(file.id.clone(), &file.path, hash, file.size)),
            Err(why) => report.files.fail(&file.path, why),
        }
    }
    for m in &record_manifests {
        let status = match manifests.get(&m.id) {
            Some(old) if old.hash == m.hash => "unchanged",
            Some(_) => "changed",
            None => "added",
        };
        report.files.imported(Path::new(&m.path), &m.id, status);
    }
    let record_images = std::mem::take(&mut parsed.image_paths);
    for folder in &inputs.records_folders {
        for file in inputs::files_below(folder) {
            if !inputs.records.contains(&file) && !record_images.contains(&sync::canonical(&file)) {
                report.files.skip(&file, inputs::BESIDE_RECORDS);
            }
        }
    }
    write_records(kb, parsed, &mut report, options, progress)?;
    if !record_manifests.is_empty() {
        let manifests_changes = FileChanges {
            manifests: record_manifests.iter().map(|m| (m.id.clone(), m.encode())).collect(),
            ..FileChanges::default()
        };
        kb.write_file_changes(manifests_changes)?;
        for m in record_manifests {
            manifests.insert(m.id.clone(), m);
        }
    }

    if !inputs.roots.is_empty() {
        let files = sync::FileSync { kb, roots: &inputs.roots, options, progress };
        sync::sync_files(&files, reading, &mut manifests, &record_images, &mut report.files)?;
    } else if manifests.values().any(|m| m.format != "records") {
        // Records only: files ingested before may mention what they brought.
        progress.stage("relinking");
        report.files.relinked =
            relink::relink_if_names_changed(kb, &mut manifests, &HashSet::new(), &options.mentions)?;
    }
    if let Some(extractor) = &options.extractor {
        progress.stage("extracting");
        report.extraction = Some(crate::extract::extract_files(kb, extractor, &mut manifests, progress)?);
    }
    if report.entities + report.relations + report.files.added + report.files.changed + report.files.removed > 0 {
        progress.stage("linker");
        kb.prepare_graph();
    }
    progress.finish();
    Ok(report)
}

/// The manifest key of a records file given by path: its absolute path, which no file id
/// (a folder name and a path below it) can equal.
fn records_key(path: &Path) -> String {
    sync::canonical(path).display().to_string()
}

fn records_manifest(id: String, path: &Path, hash: braid_files::ContentHash, size: u64) -> FileManifest {
    FileManifest {
        id,
        version: RECORDS_VERSION,
        hash: hash.to_string(),
        size,
        path: path.display().to_string(),
        format: file_records::format_name(braid_files::FileKind::Records).to_string(),
        ..FileManifest::default()
    }
}

/// Writes parsed records: entities, relations, then documents (linked to what they mention
/// when they came without `entities`, and left alone when stored word for word), then images.
fn write_records(
    kb: &KnowledgeBase,
    mut parsed: Parsed,
    report: &mut IngestReport,
    options: &IngestOptions,
    progress: &dyn IngestProgress,
) -> Result<(), BraidError> {
    let total = parsed.entities.len()
        + parsed.relations.len()
        + parsed.schema.len()
        + parsed.documents.len()
        + parsed.images.len();
    if total == 0 {
        return Ok(());
    }
    progress.stage("entities");
    progress.start(total as u64);
    report.entities =
        write_batches(parsed.entities, GRAPH_BATCH, progress, &mut report.rejected, |b| kb.put_entities_or_return(b))?;
    progress.stage("relations");
    report.relations = write_relations(kb, parsed.relations, GRAPH_BATCH, progress, &mut report.rejected)?;
    // After the relations: a schema record must name a type the graph has.
    progress.stage("schema");
    report.schema =
        write_batches(parsed.schema, GRAPH_BATCH, progress, &mut report.rejected, |b| kb.put_schema_or_return(b))?;
    progress.stage("documents");
    if !parsed.unlinked.is_empty() {
        kb.with_graph(|graph| {
            for d in parsed.documents.iter_mut().filter(|d| parsed.unlinked.contains(&d.record.id)) {
                let text = format!("{}\n{}", d.record.title, d.record.text);
                d.record.entities =
                    find_mentions(graph, &text, &options.mentions).into_iter().map(|m| m.entity).collect();
            }
        });
    }
    let before = parsed.documents.len();
    parsed.documents.retain(|d| kb.store().document(&d.record.id).ok().flatten().as_ref() != Some(&d.record));
    report.unchanged_documents = before - parsed.documents.len();
    progress.advance(report.unchanged_documents as u64);
    report.documents =
        write_batches(parsed.documents, BATCH, progress, &mut report.rejected, copying(|b| kb.put_documents(b)))?;
    progress.stage("images");
    report.images = write_batches(parsed.images, BATCH, progress, &mut report.rejected, copying(|b| kb.put_images(b)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_kb(dir: &Path) -> Result<KnowledgeBase, BraidError> {
        KnowledgeBase::open(crate::Options::new(dir, Arc::new(braid_vector::HashingEmbedder::new(64))))
    }

    /// A file big enough to be parsed on several threads, with bad lines at the start, the
    /// end and around the middle, imported through the bulk relation path in small batches.
    #[test]
    fn a_big_import_reports_each_bad_line_where_it_is_and_keeps_the_rest() -> Result<(), BraidError> {
        let dir = tempfile::tempdir().map_err(|e| BraidError::invalid("tempdir", e.to_string()))?;
        let braid = test_kb(&dir.path().join("data"))?;
        let entities: Vec<Entity> =
            (0..200).map(|i| Entity::new(format!("e:{i}"), format!("entity {i}"), "thing")).collect();
        braid.put_entities(entities)?;
        let mut lines = Vec::new();
        let mut bad = Vec::new();
        let mut good = std::collections::HashSet::new();
        for i in 0..30_000usize {
            let line = match i {
                0 | 14_999 | 15_000 | 15_001 => {
                    bad.push((i + 1, "invalid JSON"));
                    "{\"source\": \"e:1\", ".to_string()
                }
                7_000 => {
                    bad.push((i + 1, "unknown entity 'e:nope'"));
                    serde_json::json!({"source": "e:nope", "relation": "r", "target": "e:1"}).to_string()
                }
                29_999 => {
                    bad.push((i + 1, "relation: must not be empty"));
                    serde_json::json!({"source": "e:1", "relation": " ", "target": "e:2"}).to_string()
                }
                20_000 => String::new(),
                _ => {
                    let (s, t, r) = (i % 200, (i * 7 + 3) % 200, format!("r{}", i % 97));
                    good.insert((s, r.clone(), t));
                    serde_json::json!({"source": format!("e:{s}"), "relation": r, "target": format!("e:{t}")})
                        .to_string()
                }
            };
            lines.push(line);
        }
        let file = dir.path().join("relations.jsonl");
        let text = lines.join("\n");
        assert!(
            jsonl::parse_threads(text.len()) > 1 || std::thread::available_parallelism().map_or(1, |n| n.get()) == 1
        );
        std::fs::write(&file, text).map_err(|e| BraidError::invalid("write", e.to_string()))?;

        let report = ingest_paths(&braid, std::slice::from_ref(&file), &NoProgress)?;
        assert_eq!(report.files.summary(), "added 1, changed 0, unchanged 0, removed 0, skipped 0, failed 0");
        assert_eq!(report.relations, good.len(), "duplicate triples count once");
        assert_eq!(report.rejected.len(), bad.len(), "{:?}", report.rejected);
        let name = file.display().to_string();
        for (line, reason) in &bad {
            let prefix = format!("{name}:{line}: ");
            assert!(
                report.rejected.iter().any(|r| r.starts_with(&prefix) && r.contains(reason)),
                "no '{reason}' at line {line}: {:?}",
                report.rejected
            );
        }
        assert!(report.rejected.iter().all(|r| !r.contains("items[")), "{:?}", report.rejected);
        // Everything accepted is in the store and in the graph.
        assert_eq!(braid.status()?.counts.relations as usize, good.len());
        let mut in_graph = std::collections::HashSet::new();
        for s in 0..200usize {
            for fact in braid.entity(&format!("e:{s}"))?.relations {
                if fact.source == format!("e:{s}") {
                    let target = fact.target.trim_start_matches("e:").parse::<usize>().unwrap_or(usize::MAX);
                    in_graph.insert((s, fact.relation, target));
                }
            }
        }
        assert!(in_graph == good, "{} in the graph, {} accepted", in_graph.len(), good.len());
        // The same relations again: nothing new.
        let again = ingest_paths(&braid, std::slice::from_ref(&file), &NoProgress)?;
        assert_eq!(again.relations, 0);
        Ok(())
    }
}
