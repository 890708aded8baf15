//! The sync state of one ingested file: its content hash and every record it produced, kept
//! in the store of record (table `files`) and written in the same transaction as those
//! records. A re-ingest compares hashes to leave unchanged files alone, replaces the records
//! of a changed file by the manifest's list, and `--prune` deletes a vanished file's records
//! the same way; a crash leaves either the old manifest with the old records or the new with
//! the new, and the next run repairs whatever else lags (links between files are derived
//! again on every run).

use serde::{Deserialize, Serialize};

use crate::records::Relation;

/// Bumped when what a file becomes changes (ids, titles, relations), so a re-ingest after an
/// upgrade rebuilds every file instead of keeping records of the older shape.
pub(crate) const RECORDS_VERSION: u32 = 1;

/// What one file produced, and what the next run needs to know about it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct FileManifest {
    /// The file id (`book/ch04.html`): the root's folder name and the path below it.
    pub id: String,
    /// [`RECORDS_VERSION`] when it was written.
    pub version: u32,
    /// BLAKE3 of the bytes, as 64 hex digits.
    pub hash: String,
    /// Size in bytes.
    pub size: u64,
    /// Where the file was on disk when last read.
    pub path: String,
    /// `markdown`, `html`, `text`, `pdf`, `image` or `records`.
    pub format: String,
    /// The records it produced (none for a records file, whose records carry their own ids).
    pub records: Produced,
    /// Anchors of its sections and the entity each names, so links from other files resolve.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anchors: Vec<(String, String)>,
    /// Other files it links to: target file id and anchor, each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<(String, Option<String>)>,
    /// Images it embeds: target file id and alt text, in document order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<(String, String)>,
    /// For an image: the caption it was indexed by, so a new alt text elsewhere re-indexes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Facts extracted by the language model from its passages.
    #[serde(default, skip_serializing_if = "Extraction::is_empty")]
    pub extraction: Extraction,
}

/// The ids of the records a file produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Produced {
    /// The document entity, its sections' entities, an image's entity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<String>,
    /// The passages (one document record per section).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<String>,
    /// The image record of an image file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// `part_of` and `mentions` relations whose source is one of its entities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<(String, String, String)>,
}

/// What the extraction model found in a file's passages. A passage not in `done` (new, or
/// its text changed, or its extraction failed) is extracted by the next ingest that has a
/// model configured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Extraction {
    /// Passages extracted: id and the hash of the text (title and passage) extracted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub done: Vec<(String, String)>,
    /// Facts this file's passages state: (source, relation, target) and the passages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<((String, String, String), Vec<String>)>,
    /// Passages whose extraction failed last time, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<(String, String)>,
}

impl Extraction {
    /// Whether nothing was extracted or tried.
    pub fn is_empty(&self) -> bool {
        self.done.is_empty() && self.facts.is_empty() && self.failed.is_empty()
    }
}

/// The hash that says whether a passage's text changed since it was extracted.
pub(crate) fn passage_hash(title: &str, text: &str) -> String {
    braid_files::ContentHash::of(format!("{title}\n{text}").as_bytes()).to_string()
}

impl FileManifest {
    /// Encoded for the store.
    pub fn encode(&self) -> Vec<u8> {
        // Serialising these plain structs to JSON cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Decoded from the store; `None` for a manifest this version cannot read (it is then
    /// treated as missing, so the file is read again and the manifest rewritten).
    pub fn decode(bytes: &[u8]) -> Option<FileManifest> {
        serde_json::from_slice(bytes).ok()
    }

    /// Whether it was written by this version of the file-to-records mapping.
    pub fn is_current(&self) -> bool {
        self.version == RECORDS_VERSION
    }
}

/// A relation as the triple a manifest keeps.
pub(crate) fn triple(r: &Relation) -> (String, String, String) {
    (r.source.clone(), r.relation.clone(), r.target.clone())
}

/// The relation a manifest's triple names (props are not kept: deletes go by key).
pub(crate) fn relation_of(t: &(String, String, String)) -> Relation {
    Relation::new(t.0.clone(), t.1.clone(), t.2.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_round_trip_and_unknown_bytes_read_as_missing() {
        let m = FileManifest {
            id: "book/ch01.md".into(),
            version: RECORDS_VERSION,
            hash: "ab".repeat(32),
            size: 12,
            path: "/tmp/book/ch01.md".into(),
            format: "markdown".into(),
            records: Produced {
                entities: vec!["file:book/ch01.md".into()],
                documents: vec!["file:book/ch01.md".into()],
                images: vec![],
                relations: vec![("file:book/ch01.md".into(), "mentions".into(), "x:y".into())],
            },
            anchors: vec![("intro".into(), "file:book/ch01.md#intro".into())],
            links: vec![("book/ch02.md".into(), Some("rules".into()))],
            images: vec![],
            caption: None,
            extraction: Extraction::default(),
        };
        assert_eq!(FileManifest::decode(&m.encode()), Some(m.clone()));
        assert!(m.is_current());
        assert_eq!(FileManifest::decode(b"{not json"), None);
        assert_eq!(relation_of(&triple(&Relation::new("a", "r", "b"))), Relation::new("a", "r", "b"));
    }
}
