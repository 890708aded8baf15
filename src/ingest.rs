//! Importing JSON Lines files (entities, relations, documents, images) and folders of images,
//! in dependency order (entities before relations before items), in batches, with progress.
//! Big files are parsed on every core, and relations go through the bulk path
//! (`Braid::import_relations_bulk`), where the graph takes one committed batch while the
//! store commits the next.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::error::BraidError;
use crate::knowledge::{Braid, Refused, WriteSummary};
use crate::records::{DocumentRecord, Entity, ImageRecord, Record, Relation};

/// Documents and images per write transaction (each batch is embedded first).
const BATCH: usize = 512;
/// Entities and relations per write transaction: small records, where each commit's sync
/// to disk dominates, so bigger transactions import several times faster. (A bad entity
/// is found by splitting its batch in halves, a bad relation by checking every relation
/// up front, so a big batch does not make a rejection expensive; 8192, 16384 and 32768
/// measured alike for WordNet.)
const GRAPH_BATCH: usize = 8192;
const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "gif", "webp", "svg"];

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
    /// Rejected records as `file:line: reason`.
    pub rejected: Vec<String>,
    /// Records skipped because they hold nothing to index (a document with neither title nor
    /// text, as real collections such as Cranfield contain), as `file:line: reason`.
    pub skipped: Vec<String>,
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

#[derive(Default)]
struct Parsed {
    entities: Vec<Located<Entity>>,
    relations: Vec<Located<Relation>>,
    documents: Vec<Located<DocumentRecord>>,
    images: Vec<Located<(ImageRecord, Option<Vec<u8>>)>>,
}

/// Imports `paths` (JSON Lines files, or folders holding them or holding images).
pub fn ingest_paths(braid: &Braid, paths: &[PathBuf], show_progress: bool) -> Result<IngestReport, BraidError> {
    let mut parsed = Parsed::default();
    let mut report = IngestReport::default();
    for path in paths {
        read_path(path, &mut parsed, &mut report)?;
    }
    let total = parsed.entities.len() + parsed.relations.len() + parsed.documents.len() + parsed.images.len();
    let bar = if show_progress { ProgressBar::new(total as u64) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );

    bar.set_message("entities");
    report.entities =
        write_batches(parsed.entities, GRAPH_BATCH, &bar, &mut report.rejected, |b| braid.put_entities_or_return(b))?;
    bar.set_message("relations");
    report.relations = write_relations(braid, parsed.relations, &bar, &mut report.rejected)?;
    bar.set_message("documents");
    report.documents =
        write_batches(parsed.documents, BATCH, &bar, &mut report.rejected, copying(|b| braid.put_documents(b)))?;
    bar.set_message("images");
    report.images = write_batches(parsed.images, BATCH, &bar, &mut report.rejected, copying(|b| braid.put_images(b)))?;
    if report.entities + report.relations > 0 {
        bar.set_message("linker");
        braid.prepare_graph();
    }
    bar.finish_and_clear();
    Ok(report)
}

/// Writes relations through the bulk path (see [`Braid::import_relations_bulk`]), each
/// refused one reported alone, with where it came from.
fn write_relations(
    braid: &Braid,
    relations: Vec<Located<Relation>>,
    bar: &ProgressBar,
    rejected: &mut Vec<String>,
) -> Result<usize, BraidError> {
    let (origins, relations): (Vec<Origin>, Vec<Relation>) = relations.into_iter().map(|l| (l.at, l.record)).unzip();
    let outcome = braid.import_relations_bulk(relations, GRAPH_BATCH, |n| bar.inc(n as u64))?;
    bar.inc(outcome.refused.len() as u64);
    rejected.extend(outcome.refused.iter().map(|(i, e)| format!("{}: {e}", origins[*i])));
    Ok(outcome.written)
}

/// Writes records batch by batch; a batch with a bad record is split in halves, and those
/// again, down to single records, so that only the bad ones are rejected (each with the
/// message a write of it alone gives) in a few transactions rather than one per record.
/// `write` hands a refused batch back (see [`Braid::put_entities_or_return`]). Faults
/// of the server stop the import.
fn write_batches<T>(
    records: Vec<Located<T>>,
    batch: usize,
    bar: &ProgressBar,
    rejected: &mut Vec<String>,
    write: impl Fn(Vec<T>) -> Result<WriteSummary, Refused<T>>,
) -> Result<usize, BraidError> {
    let (origins, records): (Vec<Origin>, Vec<T>) = records.into_iter().map(|l| (l.at, l.record)).unzip();
    let mut records = records.into_iter();
    let mut written = 0;
    for at in origins.chunks(batch.max(1)) {
        written += write_chunk(at, records.by_ref().take(at.len()).collect(), rejected, &write)?;
        bar.inc(at.len() as u64);
    }
    Ok(written)
}

/// Writes `records` (from `at`, one origin each), splitting them on bad input.
fn write_chunk<T>(
    at: &[Origin],
    records: Vec<T>,
    rejected: &mut Vec<String>,
    write: &impl Fn(Vec<T>) -> Result<WriteSummary, Refused<T>>,
) -> Result<usize, BraidError> {
    match write(records) {
        Ok(s) => Ok(s.written),
        Err((e @ (BraidError::Invalid { .. } | BraidError::NotFound { .. }), Some(mut records))) => match at {
            [one] => {
                rejected.push(format!("{one}: {}", e.to_string().replace("items[0].", "")));
                Ok(0)
            }
            _ => {
                let (left, right) = at.split_at(at.len() / 2);
                let rest = records.split_off(left.len());
                Ok(write_chunk(left, records, rejected, write)? + write_chunk(right, rest, rejected, write)?)
            }
        },
        Err((e, _)) => Err(e),
    }
}

/// A write that cannot hand refused records back, made to keep a copy to hand back.
fn copying<T: Clone>(
    write: impl Fn(Vec<T>) -> Result<WriteSummary, BraidError>,
) -> impl Fn(Vec<T>) -> Result<WriteSummary, Refused<T>> {
    move |records: Vec<T>| {
        let copy = records.clone();
        write(records).map_err(|e| (e, Some(copy)))
    }
}

fn read_path(path: &Path, parsed: &mut Parsed, report: &mut IngestReport) -> Result<(), BraidError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| BraidError::invalid("path", format!("cannot read {}: {e}", path.display())))?;
    if meta.is_file() {
        if is_image_file(path) {
            read_image_file(path, path.parent().unwrap_or(Path::new(".")), parsed, report);
            return Ok(());
        }
        return read_jsonl(path, parsed, report);
    }
    let mut jsonl: Vec<PathBuf> =
        list_dir(path)?.into_iter().filter(|p| p.extension().is_some_and(|e| e == "jsonl" || e == "ndjson")).collect();
    if !jsonl.is_empty() {
        jsonl.sort();
        for file in jsonl {
            read_jsonl(&file, parsed, report)?;
        }
        return Ok(());
    }
    // A folder of images: every image file below it.
    let mut stack = vec![path.to_path_buf()];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        for p in list_dir(&dir)? {
            if p.is_dir() {
                stack.push(p);
            } else if is_image_file(&p) {
                files.push(p);
            }
        }
    }
    files.sort();
    for file in files {
        read_image_file(&file, path, parsed, report);
    }
    Ok(())
}

fn list_dir(dir: &Path) -> Result<Vec<PathBuf>, BraidError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| BraidError::invalid("path", format!("cannot list {}: {e}", dir.display())))?;
    Ok(entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
}

fn is_image_file(p: &Path) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// An image file becomes an image record captioned by its file name.
fn read_image_file(file: &Path, root: &Path, parsed: &mut Parsed, report: &mut IngestReport) {
    let at = Origin { file: file.display().to_string().into(), line: None };
    let rel = file.strip_prefix(root).unwrap_or(file).to_string_lossy().replace('\\', "/");
    let caption = file.file_stem().map(|s| s.to_string_lossy().replace(['-', '_'], " ")).unwrap_or_default();
    match std::fs::read(file) {
        Ok(bytes) => parsed.images.push(Located {
            at,
            record: (
                ImageRecord {
                    id: format!("img:file:{rel}"),
                    path: Some(rel),
                    url: None,
                    base64: None,
                    caption,
                    depicts: vec![],
                    tags: vec![],
                    source: Some(root.display().to_string()),
                    license: None,
                    media_type: None,
                    indexed_text: String::new(),
                },
                Some(bytes),
            ),
        }),
        Err(e) => report.rejected.push(format!("{at}: cannot read: {e}")),
    }
}

fn read_jsonl(file: &Path, parsed: &mut Parsed, report: &mut IngestReport) -> Result<(), BraidError> {
    let text =
        std::fs::read(file).map_err(|e| BraidError::invalid("path", format!("cannot read {}: {e}", file.display())))?;
    let base = file.parent().unwrap_or(Path::new("."));
    let name: Arc<str> = file.display().to_string().into();
    let chunks = line_chunks(&text, parse_threads(text.len()));
    let name = &name;
    // Every chunk, a lone one too, is parsed on a thread of its own: one path for all sizes.
    let parts: Vec<(Parsed, IngestReport)> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            chunks.iter().map(|&(first, lines)| scope.spawn(move || parse_lines(lines, first, name, base))).collect();
        // A parser only fails by panicking, which is a bug: let it surface.
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    for (mut part, part_report) in parts {
        parsed.entities.append(&mut part.entities);
        parsed.relations.append(&mut part.relations);
        parsed.documents.append(&mut part.documents);
        parsed.images.append(&mut part.images);
        report.rejected.extend(part_report.rejected);
        report.skipped.extend(part_report.skipped);
    }
    Ok(())
}

/// Files at least this big are parsed on several threads.
const PARALLEL_PARSE_BYTES: usize = 1 << 20;

/// How many threads parse a file of `len` bytes: one per core, up to four.
fn parse_threads(len: usize) -> usize {
    if len < PARALLEL_PARSE_BYTES {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// `text` cut at line ends into about `parts` pieces, each with the number of its first line.
fn line_chunks(text: &[u8], parts: usize) -> Vec<(usize, &[u8])> {
    let mut chunks = Vec::with_capacity(parts);
    let (mut rest, mut first_line) = (text, 1);
    for left in (1..=parts).rev() {
        let cut = if left == 1 {
            rest.len()
        } else {
            let target = rest.len() / left;
            rest[target..].iter().position(|&b| b == b'\n').map_or(rest.len(), |p| target + p + 1)
        };
        let (chunk, after) = rest.split_at(cut);
        if !chunk.is_empty() {
            chunks.push((first_line, chunk));
        }
        first_line += chunk.iter().filter(|&&b| b == b'\n').count();
        rest = after;
    }
    if chunks.is_empty() {
        chunks.push((1, text));
    }
    chunks
}

/// Parses JSON Lines whose first line is number `first_line` of the file `name`.
fn parse_lines(text: &[u8], first_line: usize, name: &Arc<str>, base: &Path) -> (Parsed, IngestReport) {
    let mut parsed = Parsed::default();
    let mut report = IngestReport::default();
    let mut lines = text.split(|b| *b == b'\n');
    // A chunk ending in a newline would otherwise yield an empty last "line" that belongs
    // to the next chunk; empty lines are skipped anyway, so this changes no result.
    if text.ends_with(b"\n") {
        lines.next_back();
    }
    for (i, line) in lines.enumerate() {
        let at = Origin { file: Arc::clone(name), line: Some(first_line + i) };
        let line = match std::str::from_utf8(line) {
            Ok(l) => l.trim(),
            Err(_) => {
                report.rejected.push(format!("{at}: not valid UTF-8"));
                continue;
            }
        };
        if line.is_empty() {
            continue;
        }
        // Fast path for the bulk of a graph import: an object that parses as a relation
        // straight away has a "relation" field, so it is the relation `Record::from_value`
        // would make of it. Anything else (and any error) takes the general path below.
        if line.starts_with('{')
            && let Ok(r) = serde_json::from_str::<Relation>(line)
        {
            parsed.relations.push(Located { at, record: r });
            continue;
        }
        let value: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                report.rejected.push(format!("{at}: invalid JSON: {e}"));
                continue;
            }
        };
        match Record::from_value(value) {
            Ok(Record::Entity(e)) => parsed.entities.push(Located { at, record: e }),
            Ok(Record::Relation(r)) => parsed.relations.push(Located { at, record: r }),
            // Nothing to embed or search: skipped, not an error, in a bulk import. (The REST
            // API still answers 400 for one, since that client sent it on purpose.)
            Ok(Record::Document(d)) if d.title.trim().is_empty() && d.text.trim().is_empty() => {
                report.skipped.push(format!("{at}: document {} has no title and no text", d.id));
            }
            Ok(Record::Document(d)) => parsed.documents.push(Located { at, record: d }),
            Ok(Record::Image(img)) => match image_bytes(&img, base) {
                Ok(bytes) => parsed.images.push(Located { at, record: (img, bytes) }),
                Err(e) => report.rejected.push(format!("{at}: {e}")),
            },
            Err(e) => report.rejected.push(format!("{at}: {e}")),
        }
    }
    (parsed, report)
}

/// The bytes of an image record: from `path` (relative to the JSON Lines file), from
/// `base64`, or none for a URL-only record.
fn image_bytes(img: &ImageRecord, base: &Path) -> Result<Option<Vec<u8>>, String> {
    if let Some(b64) = &img.base64 {
        return crate::knowledge::decode_base64("base64", b64).map(Some).map_err(|e| e.to_string());
    }
    let Some(path) = &img.path else { return Ok(None) };
    // A JSON Lines file may only name images inside its own folder.
    let relative = Path::new(path);
    if relative.is_absolute() || relative.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
        return Err(format!(
            "image {}: path '{path}' must be relative to the JSON Lines file and stay inside its folder",
            img.id
        ));
    }
    let full = base.join(relative);
    std::fs::read(&full).map(Some).map_err(|e| format!("image {}: cannot read {}: {e}", img.id, full.display()))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[test]
    fn a_bad_record_is_isolated_in_a_few_writes_and_reported_alone() -> Result<(), BraidError> {
        let file: Arc<str> = "r.jsonl".into();
        let records: Vec<Located<u32>> = (0..1000)
            .map(|i| Located { at: Origin { file: Arc::clone(&file), line: Some(i as usize + 1) }, record: i })
            .collect();
        let bad = |r: &u32| *r == 17 || *r == 18 || *r == 999;
        let calls = Cell::new(0);
        let write = |batch: Vec<u32>| {
            calls.set(calls.get() + 1);
            match batch.iter().position(bad) {
                Some(i) => {
                    let e = BraidError::invalid("source", format!("unknown entity '{}'", batch[i])).in_item(i);
                    Err((e, Some(batch)))
                }
                None => Ok(WriteSummary { ids: vec![], written: batch.len(), unchanged: 0 }),
            }
        };
        let mut rejected = Vec::new();
        let written = write_batches(records, 256, &ProgressBar::hidden(), &mut rejected, write)?;
        assert_eq!(written, 997);
        assert_eq!(rejected.len(), 3);
        assert!(rejected[0].starts_with("r.jsonl:18: ") && rejected[0].contains("unknown entity '17'"), "{rejected:?}");
        assert!(!rejected[0].contains("items[0]"), "{rejected:?}");
        assert!(rejected[1].starts_with("r.jsonl:19: ") && rejected[2].starts_with("r.jsonl:1000: "), "{rejected:?}");
        // Four batches, bisection in two of them: far fewer than a write per record.
        assert!(calls.get() < 60, "{} writes", calls.get());
        Ok(())
    }

    #[test]
    fn line_chunks_cover_the_text_and_number_their_first_lines() {
        let texts: [&[u8]; 6] =
            [b"", b"\n", b"a", b"a\nb\nc", b"a\n\n\nbb\nccc\n", b"{\"x\":1}\n{\"y\":2}\n\n{\"z\":3}"];
        for text in texts {
            for parts in 1..6 {
                let chunks = line_chunks(text, parts);
                assert!(!chunks.is_empty() && chunks.len() <= parts.max(1));
                let joined: Vec<u8> = chunks.iter().flat_map(|(_, c)| c.iter().copied()).collect();
                assert_eq!(joined, text, "parts {parts}");
                let mut offset = 0;
                for &(first, chunk) in &chunks {
                    let before = text[..offset].iter().filter(|&&b| b == b'\n').count();
                    assert_eq!(first, before + 1, "{:?} in {parts}", String::from_utf8_lossy(chunk));
                    assert!(offset == 0 || text[offset - 1] == b'\n', "cut inside a line");
                    offset += chunk.len();
                }
            }
        }
    }

    fn test_braid(dir: &Path) -> Result<Braid, BraidError> {
        Braid::open(crate::BraidOptions {
            data_dir: dir.to_path_buf(),
            embedder: Arc::new(braid_vector::HashingEmbedder::new(64)),
            web: None,
            router: braid_router::RouterConfig::default(),
            policy: braid_router::RoutePolicy::default(),
            vectors: None,
            read_only: false,
        })
    }

    /// A file big enough to be parsed on several threads, with bad lines at the start, the
    /// end and around the middle, imported through the bulk relation path in small batches.
    #[test]
    fn a_big_import_reports_each_bad_line_where_it_is_and_keeps_the_rest() -> Result<(), BraidError> {
        let dir = tempfile::tempdir().map_err(|e| BraidError::invalid("tempdir", e.to_string()))?;
        let braid = test_braid(&dir.path().join("data"))?;
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
        assert!(parse_threads(text.len()) > 1 || std::thread::available_parallelism().map_or(1, |n| n.get()) == 1);
        std::fs::write(&file, text).map_err(|e| BraidError::invalid("write", e.to_string()))?;

        let report = ingest_paths(&braid, std::slice::from_ref(&file), false)?;
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
        let again = ingest_paths(&braid, std::slice::from_ref(&file), false)?;
        assert_eq!(again.relations, 0);
        Ok(())
    }
}
