//! JSON Lines files: parsed on every core when big (a file is cut at line ends into one
//! piece per thread), each line told apart by its fields ([`Record::from_value`]), each bad
//! line reported as `file:line: reason`.

use std::path::Path;
use std::sync::Arc;

use super::{IngestReport, Located, Origin, Parsed};
use crate::records::{ImageRecord, Record, Relation};

/// Reads one JSON Lines file into `parsed`; bad lines go to `report`. Returns the hash of
/// its bytes, or why the file as a whole cannot be read. With `found`, the file was found
/// while walking a folder rather than named: one whose first line is not a record (a
/// `package.json`, a search index) is then not Braid's records and fails as a file, instead
/// of refusing every line of it.
pub(super) fn read_jsonl(
    file: &Path,
    parsed: &mut Parsed,
    report: &mut IngestReport,
    found: bool,
) -> Result<braid_files::ContentHash, String> {
    let text = std::fs::read(file).map_err(|e| format!("cannot read: {e}"))?;
    if found && let Some(why) = not_records(&text) {
        return Err(why);
    }
    let hash = braid_files::ContentHash::of(&text);
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
    for (part, part_report) in parts {
        parsed.append(part);
        report.rejected.extend(part_report.rejected);
        report.skipped.extend(part_report.skipped);
    }
    Ok(hash)
}

/// Why `text` is not a file of Braid records, judged by its first non-empty line.
fn not_records(text: &[u8]) -> Option<String> {
    let line = text.split(|b| *b == b'\n').map(|l| l.trim_ascii()).find(|l| !l.is_empty())?;
    let value: serde_json::Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => return Some(format!("not JSON Lines records: the first line is not a JSON object ({e})")),
    };
    Record::from_value(value).err().map(|e| format!("not JSON Lines records: the first line is no record ({e})"))
}

/// Files at least this big are parsed on several threads.
const PARALLEL_PARSE_BYTES: usize = 1 << 20;

/// How many threads parse a file of `len` bytes: one per core, up to four.
pub(super) fn parse_threads(len: usize) -> usize {
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
        let without_entities = value.get("entities").is_none();
        match Record::from_value(value) {
            Ok(Record::Entity(e)) => parsed.entities.push(Located { at, record: e }),
            Ok(Record::Relation(r)) => parsed.relations.push(Located { at, record: r }),
            // Nothing to embed or search: skipped, not an error, in a bulk import. (The REST
            // API still answers 400 for one, since that client sent it on purpose.)
            Ok(Record::Document(d)) if d.title.trim().is_empty() && d.text.trim().is_empty() => {
                report.skipped.push(format!("{at}: document {} has no title and no text", d.id));
            }
            Ok(Record::Document(d)) => {
                if without_entities {
                    parsed.unlinked.insert(d.id.clone());
                }
                parsed.documents.push(Located { at, record: d })
            }
            Ok(Record::Schema(r)) => parsed.schema.push(Located { at, record: r }),
            Ok(Record::Image(img)) => match image_bytes(&img, base) {
                Ok(bytes) => {
                    if let Some(path) = &img.path {
                        parsed.image_paths.insert(super::sync::canonical(&base.join(path)));
                    }
                    parsed.images.push(Located { at, record: (img, bytes) })
                }
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
        return crate::validate::decode_base64("base64", b64).map(Some).map_err(|e| e.to_string());
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
    use super::*;

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
}
