//! Importing JSON Lines files (entities, relations, documents, images) and folders of images,
//! in dependency order (entities before relations before items), in batches, with progress.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::error::BraidError;
use crate::knowledge::Braid;
use crate::records::{DocumentRecord, Entity, ImageRecord, Record, Relation};

/// Documents and images per write transaction (each batch is embedded first).
const BATCH: usize = 512;
/// Entities and relations per write transaction: small records, where each commit's sync
/// to disk dominates, so bigger transactions import several times faster.
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
    at: String,
    record: T,
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
        write_batches(parsed.entities, GRAPH_BATCH, &bar, &mut report.rejected, |b| braid.put_entities(b))?;
    bar.set_message("relations");
    report.relations =
        write_batches(parsed.relations, GRAPH_BATCH, &bar, &mut report.rejected, |b| braid.put_relations(b))?;
    bar.set_message("documents");
    report.documents = write_batches(parsed.documents, BATCH, &bar, &mut report.rejected, |b| braid.put_documents(b))?;
    bar.set_message("images");
    report.images = write_batches(parsed.images, BATCH, &bar, &mut report.rejected, |b| braid.put_images(b))?;
    if report.entities + report.relations > 0 {
        bar.set_message("linker");
        braid.prepare_graph();
    }
    bar.finish_and_clear();
    Ok(report)
}

/// Writes records batch by batch; a batch with a bad record is retried one record at a time
/// so that only the bad ones are rejected. Faults of the server stop the import.
fn write_batches<T: Clone>(
    records: Vec<Located<T>>,
    batch: usize,
    bar: &ProgressBar,
    rejected: &mut Vec<String>,
    write: impl Fn(Vec<T>) -> Result<crate::knowledge::WriteSummary, BraidError>,
) -> Result<usize, BraidError> {
    let mut written = 0;
    for chunk in records.chunks(batch) {
        match write(chunk.iter().map(|l| l.record.clone()).collect()) {
            Ok(s) => written += s.written,
            Err(BraidError::Invalid { .. } | BraidError::NotFound { .. }) => {
                for one in chunk {
                    match write(vec![one.record.clone()]) {
                        Ok(s) => written += s.written,
                        Err(e @ (BraidError::Invalid { .. } | BraidError::NotFound { .. })) => {
                            rejected.push(format!("{}: {}", one.at, e.to_string().replace("items[0].", "")));
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(e) => return Err(e),
        }
        bar.inc(chunk.len() as u64);
    }
    Ok(written)
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
    let at = file.display().to_string();
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
    for (i, line) in text.split(|b| *b == b'\n').enumerate() {
        let at = format!("{}:{}", file.display(), i + 1);
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
    Ok(())
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
