//! Checkpoints of the dense index: the usearch graph saved to disk with the item ids and a
//! digest of each item's vector, so a restart reloads the graph instead of rebuilding it
//! (a million 384-d vectors take tens of minutes to insert, seconds to load).
//!
//! A checkpoint is a generation in one folder: `index-<g>.usearch` (usearch's own format),
//! `keys-<g>.bin` (below) and `CURRENT`, which names the live generation and is replaced
//! atomically after both files are synced. A crash mid-checkpoint leaves the previous
//! generation live. A checkpoint is only ever a shortcut: the caller replays its store of
//! record over it, and items whose vector digest differs are re-indexed.
//!
//! `keys-<g>.bin`: the magic `BRAIDKEYS1`, a little-endian `u32` length and that many bytes
//! of JSON header (`config`, `next_key`, `items`), then per item its key (`u64`), vector
//! digest (`u64`), id length (`u32`) and id bytes, and last the SHA-256 of everything before.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::VectorConfig;
use crate::dense::DenseIndex;
use crate::error::VectorError;

const MAGIC: &[u8] = b"BRAIDKEYS1";
const CURRENT: &str = "CURRENT";
/// Ids are at most `MAX_KEYWORD_BYTES` long; anything longer in a file is damage.
const MAX_ID_BYTES: usize = crate::validate::MAX_KEYWORD_BYTES;

/// What a checkpoint holds, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointInfo {
    /// Items in the checkpoint.
    pub items: usize,
    /// Bytes of the index and key files together.
    pub bytes: u64,
    /// The generation number (grows by one per checkpoint in a folder).
    pub generation: u64,
}

/// How a store was brought up from a checkpoint and its caller's replay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoreStats {
    /// Items in the checkpoint that was opened.
    pub checkpointed: usize,
    /// Items taken over from the checkpoint as they were (same id, same vector).
    pub reused: usize,
    /// Items inserted anew: new since the checkpoint, or changed.
    pub reindexed: usize,
    /// Checkpointed items the replay did not confirm, dropped from the index.
    pub dropped: usize,
}

#[derive(Serialize, Deserialize)]
struct Header {
    config: VectorConfig,
    next_key: u64,
    items: usize,
}

/// One checkpointed item.
pub(crate) struct Entry {
    pub id: String,
    pub key: u64,
    pub digest: u64,
}

/// A checkpoint read back: where its index file is, and its keys.
pub(crate) struct Saved {
    pub index_path: PathBuf,
    pub config: VectorConfig,
    pub next_key: u64,
    pub entries: Vec<Entry>,
}

/// A digest of a vector's exact bits: equal digests mean the index entry is still right.
pub(crate) fn digest(vector: &[f32]) -> u64 {
    let mut hasher = Sha256::new();
    for x in vector {
        hasher.update(x.to_le_bytes());
    }
    let out = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&out[..8]);
    u64::from_le_bytes(first)
}

/// Writes a new generation into `dir` and makes it live; older generations are removed.
pub(crate) fn write(
    dir: &Path,
    dense: &DenseIndex,
    config: &VectorConfig,
    next_key: u64,
    entries: &[Entry],
) -> Result<CheckpointInfo, VectorError> {
    std::fs::create_dir_all(dir).map_err(|e| VectorError::checkpoint(dir, e))?;
    let generation = current_generation(dir)?.map_or(1, |g| g + 1);
    let index_path = dir.join(format!("index-{generation}.usearch"));
    let keys_path = dir.join(format!("keys-{generation}.bin"));

    dense.save(&index_path)?;
    sync_file(&index_path)?;
    write_keys(&keys_path, config, next_key, entries)?;

    // Switch generations: write CURRENT aside, sync, rename over, sync the folder.
    let staged = dir.join(format!("{CURRENT}.tmp"));
    std::fs::write(&staged, format!("{generation}\n")).map_err(|e| VectorError::checkpoint(&staged, e))?;
    sync_file(&staged)?;
    let current = dir.join(CURRENT);
    std::fs::rename(&staged, &current).map_err(|e| VectorError::checkpoint(&current, e))?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| VectorError::checkpoint(dir, e))?;

    remove_other_generations(dir, generation);
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    Ok(CheckpointInfo { items: entries.len(), bytes: size(&index_path) + size(&keys_path), generation })
}

/// The live checkpoint in `dir`, if there is one. A damaged one is an error (the caller
/// decides whether to rebuild instead).
pub(crate) fn read(dir: &Path) -> Result<Option<Saved>, VectorError> {
    let Some(generation) = current_generation(dir)? else {
        return Ok(None);
    };
    let index_path = dir.join(format!("index-{generation}.usearch"));
    if !index_path.is_file() {
        return Err(VectorError::checkpoint(&index_path, "missing (CURRENT names it)"));
    }
    let keys_path = dir.join(format!("keys-{generation}.bin"));
    let (header, entries) = read_keys(&keys_path)?;
    Ok(Some(Saved { index_path, config: header.config, next_key: header.next_key, entries }))
}

fn current_generation(dir: &Path) -> Result<Option<u64>, VectorError> {
    let path = dir.join(CURRENT);
    match std::fs::read_to_string(&path) {
        Ok(text) => text
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| VectorError::checkpoint(&path, format!("expected a generation number, found {text:?}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(VectorError::checkpoint(&path, e)),
    }
}

fn remove_other_generations(dir: &Path, live: u64) {
    let Ok(listing) = std::fs::read_dir(dir) else { return };
    for entry in listing.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let generation = name
            .strip_prefix("index-")
            .and_then(|rest| rest.strip_suffix(".usearch"))
            .or_else(|| name.strip_prefix("keys-").and_then(|rest| rest.strip_suffix(".bin")))
            .and_then(|g| g.parse::<u64>().ok());
        if generation.is_some_and(|g| g != live) {
            // A leftover file only costs disk space; the next checkpoint tries again.
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn sync_file(path: &Path) -> Result<(), VectorError> {
    File::open(path).and_then(|f| f.sync_all()).map_err(|e| VectorError::checkpoint(path, e))
}

/// A writer that hashes what it writes, for the trailing checksum.
struct Hashing<W: Write> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn write_keys(path: &Path, config: &VectorConfig, next_key: u64, entries: &[Entry]) -> Result<(), VectorError> {
    let fail = |e: std::io::Error| VectorError::checkpoint(path, e);
    let header = serde_json::to_vec(&Header { config: config.clone(), next_key, items: entries.len() })
        .map_err(|e| VectorError::checkpoint(path, e))?;
    let header_len = u32::try_from(header.len()).map_err(|_| VectorError::checkpoint(path, "header too large"))?;
    let file = File::create(path).map_err(fail)?;
    let mut out = Hashing { inner: BufWriter::with_capacity(1 << 20, file), hasher: Sha256::new() };
    out.write_all(MAGIC).map_err(fail)?;
    out.write_all(&header_len.to_le_bytes()).map_err(fail)?;
    out.write_all(&header).map_err(fail)?;
    for entry in entries {
        let id_len = u32::try_from(entry.id.len()).map_err(|_| VectorError::checkpoint(path, "id too long"))?;
        out.write_all(&entry.key.to_le_bytes()).map_err(fail)?;
        out.write_all(&entry.digest.to_le_bytes()).map_err(fail)?;
        out.write_all(&id_len.to_le_bytes()).map_err(fail)?;
        out.write_all(entry.id.as_bytes()).map_err(fail)?;
    }
    let checksum = out.hasher.finalize();
    let mut inner = out.inner;
    inner.write_all(&checksum).map_err(fail)?;
    let file = inner.into_inner().map_err(|e| fail(e.into_error()))?;
    file.sync_all().map_err(fail)
}

fn read_keys(path: &Path) -> Result<(Header, Vec<Entry>), VectorError> {
    let mut bytes = Vec::new();
    File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)).map_err(|e| VectorError::checkpoint(path, e))?;
    let damaged = |what: &str| VectorError::checkpoint(path, format!("damaged: {what}"));
    if bytes.len() < MAGIC.len() + 4 + 32 || !bytes.starts_with(MAGIC) {
        return Err(damaged("not a Braid key file"));
    }
    let (body, checksum) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(body).as_slice() != checksum {
        return Err(damaged("checksum mismatch"));
    }
    let mut cursor = Cursor { bytes: body, at: MAGIC.len() };
    let header_len = cursor.u32().ok_or_else(|| damaged("header length"))? as usize;
    let header: Header = cursor
        .take(header_len)
        .ok_or_else(|| damaged("header"))
        .and_then(|h| serde_json::from_slice(h).map_err(|e| damaged(&e.to_string())))?;
    // Each entry takes at least 20 bytes: never trust the count beyond what the file holds.
    let mut entries = Vec::with_capacity(header.items.min(body.len() / 20));
    for _ in 0..header.items {
        let key = cursor.u64().ok_or_else(|| damaged("truncated entry"))?;
        let digest = cursor.u64().ok_or_else(|| damaged("truncated entry"))?;
        let id_len = cursor.u32().ok_or_else(|| damaged("truncated entry"))? as usize;
        if id_len > MAX_ID_BYTES {
            return Err(damaged("id length out of range"));
        }
        let id = cursor.take(id_len).ok_or_else(|| damaged("truncated id"))?;
        let id = String::from_utf8(id.to_vec()).map_err(|_| damaged("id is not UTF-8"))?;
        entries.push(Entry { id, key, digest });
    }
    if cursor.at != body.len() {
        return Err(damaged("trailing bytes"));
    }
    Ok((header, entries))
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let out = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(out)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.take(8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes)
    }
}
