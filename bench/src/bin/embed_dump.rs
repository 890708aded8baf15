//! Dumps the vectors Braid indexes the atlas by, and the vectors of extra texts (queries,
//! router choice descriptions), so that a peer (`bench/scripts/llamaindex_peer.py`) runs on
//! exactly the same embeddings.
//!
//! ```text
//! embed-dump --data DIR --atlas examples/data/atlas --texts texts.txt --out vectors.jsonl
//! ```
//!
//! `DIR` is a data directory the atlas was loaded into (`braid demo --data DIR`), so image
//! records carry the text Braid embedded them by (caption, tags and the names of what they
//! depict, enriched from the graph). Writes one JSON line per item:
//! `{"id", "kind": "document"|"image"|"entity"|"text", "title", "text", "vector"}`. Entities are
//! embedded by "name. description" for a vector baseline over the graph's nodes.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use braid_bench::flags::Flags;
use braid_bench::{open_kb, read_jsonl};
use braid_kb::records::{DocumentRecord, Entity};
use serde::Deserialize;

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("embed-dump: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut flags = Flags::from_env("usage: embed-dump --data DIR [--atlas DIR] [--texts FILE] [--out FILE]");
    let data: PathBuf = flags.get("--data", PathBuf::new())?;
    let atlas: PathBuf = flags.get("--atlas", PathBuf::from("examples/data/atlas"))?;
    let texts: PathBuf = flags.get("--texts", PathBuf::new())?;
    let out: PathBuf = flags.get("--out", PathBuf::from("vectors.jsonl"))?;
    flags.done()?;
    let braid = open_kb(&data)?;

    // (id, kind, title, embedded text)
    let mut rows: Vec<(String, &str, String, String)> = Vec::new();
    for d in read_jsonl::<DocumentRecord>(&atlas.join("documents.jsonl"))? {
        let text = if d.title.is_empty() { d.text.clone() } else { format!("{}\n{}", d.title, d.text) };
        rows.push((d.id, "document", d.title, text));
    }
    for i in read_jsonl::<IdOnly>(&atlas.join("images.jsonl"))? {
        let img = braid.image(&i.id).map_err(|e| format!("{}: {e}", i.id))?;
        let text = if img.indexed_text.is_empty() { img.caption.clone() } else { img.indexed_text.clone() };
        rows.push((img.id, "image", img.caption, text));
    }
    for e in read_jsonl::<Entity>(&atlas.join("entities.jsonl"))? {
        let text = if e.description.is_empty() { e.name.clone() } else { format!("{}. {}", e.name, e.description) };
        rows.push((e.id, "entity", e.name, text));
    }
    if !texts.as_os_str().is_empty() {
        let all = std::fs::read_to_string(&texts).map_err(|e| format!("{}: {e}", texts.display()))?;
        for line in all.lines().filter(|l| !l.trim().is_empty()) {
            rows.push((String::new(), "text", String::new(), line.to_string()));
        }
    }
    let file = std::fs::File::create(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut w = BufWriter::new(file);
    for chunk in rows.chunks(256) {
        let refs: Vec<&str> = chunk.iter().map(|r| r.3.as_str()).collect();
        let vectors = braid.embedder().embed_texts(&refs).map_err(|e| e.to_string())?;
        for (r, v) in chunk.iter().zip(vectors) {
            let line = serde_json::json!({"id": r.0, "kind": r.1, "title": r.2, "text": r.3, "vector": v});
            writeln!(w, "{line}").map_err(|e| e.to_string())?;
        }
    }
    w.flush().map_err(|e| e.to_string())?;
    eprintln!("embed-dump: {} vectors from `{}` written to {}", rows.len(), braid.embedder().name(), out.display());
    Ok(())
}
