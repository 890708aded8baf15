//! The result of a read: the documents, what was skipped and why, what failed and why,
//! and the [`Summary`] counts a command line prints.

use std::path::PathBuf;

use serde::{Serialize, Serializer};

use crate::error::FileError;
use crate::hash::ContentHash;
use crate::model::{FileDocument, FileKind, LinkTarget};

/// Everything one read produced. Each list is sorted (documents by id, the others by path),
/// so two reads of the same folder compare equal.
#[derive(Debug, Default, Serialize)]
pub struct Reading {
    /// The files read.
    pub documents: Vec<FileDocument>,
    /// Files the caller already had, hashed but not parsed (see
    /// [`FileReader::read_changed`](crate::FileReader::read_changed)); sorted by id.
    pub unchanged: Vec<UnchangedFile>,
    /// Entries left out on purpose, with the reason.
    pub skipped: Vec<SkippedFile>,
    /// Files that could not be read, with the reason.
    pub failures: Vec<FileFailure>,
}

impl Reading {
    /// The counts, derived from the lists.
    pub fn summary(&self) -> Summary {
        let mut s = Summary { failed: self.failures.len(), unchanged: self.unchanged.len(), ..Summary::default() };
        s.bytes += self.unchanged.iter().map(|f| f.size).sum::<u64>();
        for doc in &self.documents {
            s.read += 1;
            s.bytes += doc.size;
            match doc.kind {
                FileKind::Markdown => s.by_kind.markdown += 1,
                FileKind::Text => s.by_kind.text += 1,
                FileKind::Html => s.by_kind.html += 1,
                FileKind::Pdf => s.by_kind.pdf += 1,
                FileKind::Records => s.by_kind.records += 1,
                FileKind::Image => s.by_kind.image += 1,
            }
        }
        for skip in &self.skipped {
            let c = &mut s.skipped;
            match skip.reason {
                SkipReason::Ignored => c.ignored += 1,
                SkipReason::Hidden => c.hidden += 1,
                SkipReason::Excluded => c.excluded += 1,
                SkipReason::Unsupported => c.unsupported += 1,
                SkipReason::Empty => c.empty += 1,
                SkipReason::Sidecar { .. } => c.sidecar += 1,
                SkipReason::NoIndex => c.noindex += 1,
                SkipReason::Redirect { .. } => c.redirect += 1,
            }
        }
        s
    }

    /// The document with this id.
    pub fn document(&self, id: &str) -> Option<&FileDocument> {
        self.documents.binary_search_by(|d| d.id.as_str().cmp(id)).ok().map(|i| &self.documents[i])
    }
}

/// A file whose content the caller already had: hashed, not parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnchangedFile {
    /// Its id, as a [`FileDocument`] would have it.
    pub id: String,
    /// Where it is on disk.
    pub path: PathBuf,
    /// The format it would be read as.
    pub kind: FileKind,
    /// BLAKE3 of its bytes (the one the caller knew).
    pub hash: ContentHash,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time, when the file system records one.
    pub modified: Option<std::time::SystemTime>,
}

/// An entry the walk left out on purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedFile {
    /// The file or folder (a skipped folder counts once, whatever it holds).
    pub path: PathBuf,
    /// Why.
    pub reason: SkipReason,
}

/// Why an entry was left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SkipReason {
    /// Matched by a `.gitignore`, `.ignore` or git exclude file.
    Ignored,
    /// Its name starts with `.` and hidden files are not read.
    Hidden,
    /// Removed by an exclude glob, or matched by no include glob.
    Excluded,
    /// Its extension is not one that is read.
    Unsupported,
    /// The file is empty: nothing to store.
    Empty,
    /// A caption sidecar (`photo.png.txt`), consumed as the caption of that image.
    Sidecar {
        /// The image's id.
        image: String,
    },
    /// An HTML page that asks not to be indexed (`<meta name="robots" content="noindex">`).
    NoIndex,
    /// An HTML page that only sends the reader elsewhere (`<meta http-equiv="refresh">`).
    Redirect {
        /// Where it sends them.
        target: LinkTarget,
    },
}

/// A file that could not be read.
#[derive(Debug)]
pub struct FileFailure {
    /// The file (or folder) on disk.
    pub path: PathBuf,
    /// The id it would have had, when it has one (a caller keeps the stored copy of a
    /// document that fails this time rather than pruning it).
    pub id: Option<String>,
    /// Why.
    pub error: FileError,
}

impl Serialize for FileFailure {
    /// `{"path", "id", "reason"}`: the error as its message, for reports and JSON output.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = serializer.serialize_struct("FileFailure", 3)?;
        st.serialize_field("path", &self.path)?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("reason", &self.error.to_string())?;
        st.end()
    }
}

/// Counts of a read, for a summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Files read into documents.
    pub read: usize,
    /// Files the caller already had (hashed, not parsed).
    pub unchanged: usize,
    /// Of those, per kind.
    pub by_kind: KindCounts,
    /// Entries left out on purpose, per reason.
    pub skipped: SkipCounts,
    /// Files that could not be read.
    pub failed: usize,
    /// Bytes of the files read or hashed.
    pub bytes: u64,
}

/// Documents read, per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[allow(missing_docs)] // one field per FileKind, named after it
pub struct KindCounts {
    pub markdown: usize,
    pub text: usize,
    pub html: usize,
    pub pdf: usize,
    pub records: usize,
    pub image: usize,
}

/// Entries skipped, per [`SkipReason`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[allow(missing_docs)] // one field per SkipReason, named after it
pub struct SkipCounts {
    pub ignored: usize,
    pub hidden: usize,
    pub excluded: usize,
    pub unsupported: usize,
    pub empty: usize,
    pub sidecar: usize,
    pub noindex: usize,
    pub redirect: usize,
}

impl SkipCounts {
    /// All skipped entries.
    pub fn total(&self) -> usize {
        self.ignored
            + self.hidden
            + self.excluded
            + self.unsupported
            + self.empty
            + self.sidecar
            + self.noindex
            + self.redirect
    }
}
