//! Importing JSON Lines files (entities, relations, documents, images) and folders of images,
//! in dependency order (entities before relations before items), in batches, with progress
//! reported through [`IngestProgress`] (the CLI draws a bar; a program can draw its own).
//! Big files are parsed on every core ([`jsonl`]), and relations go through the bulk path,
//! where the graph takes one committed batch while the store commits the next.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::error::BraidError;
use crate::knowledge_base::KnowledgeBase;
use crate::records::{DocumentRecord, Entity, ImageRecord, Relation, SchemaRecord};

mod batches;
mod image_files;
mod jsonl;

use batches::{copying, write_batches, write_relations};

/// Documents and images per write transaction (each batch is embedded first).
const BATCH: usize = 512;
/// Entities and relations per write transaction: small records, where each commit's sync
/// to disk dominates, so bigger transactions import several times faster. (A bad entity
/// is found by splitting its batch in halves, a bad relation by checking every relation
/// up front, so a big batch does not make a rejection expensive; 8192, 16384 and 32768
/// measured alike for WordNet.)
const GRAPH_BATCH: usize = 8192;

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
}

/// How an import reports its progress. Every method has a default that does nothing.
pub trait IngestProgress: Sync {
    /// The import starts: `total` records are to be written.
    fn start(&self, total: u64) {
        let _ = total;
    }
    /// The stage that runs next: `entities`, `relations`, `schema`, `documents`, `images`, `linker`.
    fn stage(&self, stage: &str) {
        let _ = stage;
    }
    /// `n` more records were written or refused.
    fn advance(&self, n: u64) {
        let _ = n;
    }
    /// The import is over.
    fn finish(&self) {}
}

/// Progress nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl IngestProgress for NoProgress {}

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
}

impl Parsed {
    fn append(&mut self, mut other: Parsed) {
        self.entities.append(&mut other.entities);
        self.relations.append(&mut other.relations);
        self.schema.append(&mut other.schema);
        self.documents.append(&mut other.documents);
        self.images.append(&mut other.images);
    }
}

/// Imports `paths` (JSON Lines files, or folders holding them or holding images). Records
/// are written in dependency order: entities, relations, schema records (words for the
/// relation and entity types, e.g. from a `schema.jsonl` beside the data), documents, images.
pub fn ingest_paths(
    kb: &KnowledgeBase,
    paths: &[PathBuf],
    progress: &dyn IngestProgress,
) -> Result<IngestReport, BraidError> {
    let mut parsed = Parsed::default();
    let mut report = IngestReport::default();
    for path in paths {
        read_path(path, &mut parsed, &mut report)?;
    }
    let total = parsed.entities.len()
        + parsed.relations.len()
        + parsed.schema.len()
        + parsed.documents.len()
        + parsed.images.len();
    progress.start(total as u64);

    progress.stage("entities");
    report.entities =
        write_batches(parsed.entities, GRAPH_BATCH, progress, &mut report.rejected, |b| kb.put_entities_or_return(b))?;
    progress.stage("relations");
    report.relations = write_relations(kb, parsed.relations, GRAPH_BATCH, progress, &mut report.rejected)?;
    // After the relations: a schema record must name a type the graph has.
    progress.stage("schema");
    report.schema =
        write_batches(parsed.schema, GRAPH_BATCH, progress, &mut report.rejected, |b| kb.put_schema_or_return(b))?;
    progress.stage("documents");
    report.documents =
        write_batches(parsed.documents, BATCH, progress, &mut report.rejected, copying(|b| kb.put_documents(b)))?;
    progress.stage("images");
    report.images = write_batches(parsed.images, BATCH, progress, &mut report.rejected, copying(|b| kb.put_images(b)))?;
    if report.entities + report.relations > 0 {
        progress.stage("linker");
        kb.prepare_graph();
    }
    progress.finish();
    Ok(report)
}

/// Reads one input: a JSON Lines file, an image file, a folder of JSON Lines files, or a
/// folder of images.
fn read_path(path: &Path, parsed: &mut Parsed, report: &mut IngestReport) -> Result<(), BraidError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| BraidError::invalid("path", format!("cannot read {}: {e}", path.display())))?;
    if meta.is_file() {
        if image_files::is_image_file(path) {
            image_files::read_image_file(path, path.parent().unwrap_or(Path::new(".")), parsed, report);
            return Ok(());
        }
        return jsonl::read_jsonl(path, parsed, report);
    }
    let mut files: Vec<PathBuf> = image_files::list_dir(path)?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl" || e == "ndjson"))
        .collect();
    if !files.is_empty() {
        files.sort();
        for file in files {
            jsonl::read_jsonl(&file, parsed, report)?;
        }
        return Ok(());
    }
    image_files::read_image_folder(path, parsed, report)
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
