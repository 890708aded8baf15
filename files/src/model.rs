//! The document model: what one file becomes, as plain data.
//!
//! A caller stores a [`FileDocument`] under its [`id`](FileDocument::id); each
//! [`Section`] of its [`TextContent`] becomes a passage (`part_of` the document), each
//! [`Link`] to another file a `links_to` relation, and an [`ImageContent`]'s
//! [`Caption`] is what an image is indexed by when no multimodal embedder is at hand.
//! [`FileDocument::hash`] tells whether the bytes changed since the last ingest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::hash::ContentHash;

/// One file, read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileDocument {
    /// Stable id: the root's id prefix plus the path relative to the root, with `/`
    /// separators (`book/ch01.md`). The same file under the same root gets the same id on
    /// every run, whatever the current directory.
    pub id: String,
    /// Where the file is on disk (the root joined with the relative path).
    pub path: PathBuf,
    /// The format it was read as.
    pub kind: FileKind,
    /// Front matter `title`, else the first heading, else the HTML `<title>` or PDF title,
    /// else the file name turned into words. Never empty.
    pub title: String,
    /// What was extracted, by kind.
    pub content: Content,
    /// BLAKE3 of the file's bytes.
    pub hash: ContentHash,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time, when the file system records one.
    pub modified: Option<SystemTime>,
    /// Things the reader repaired or left out; the document is still usable.
    pub warnings: Vec<Warning>,
}

impl FileDocument {
    /// The sections of a text document; empty for records and images.
    pub fn sections(&self) -> &[Section] {
        match &self.content {
            Content::Text(text) => &text.sections,
            Content::Records | Content::Image(_) => &[],
        }
    }

    /// The links of a text document; empty for records and images.
    pub fn links(&self) -> &[Link] {
        match &self.content {
            Content::Text(text) => &text.links,
            Content::Records | Content::Image(_) => &[],
        }
    }
}

/// The format of a file, from its extension (case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// `.md`, `.markdown`
    Markdown,
    /// `.txt`
    Text,
    /// `.html`, `.htm`
    Html,
    /// `.pdf`
    Pdf,
    /// `.json`, `.jsonl`, `.ndjson`: records for the caller's own parser.
    Records,
    /// `.png`, `.jpg`, `.jpeg`, `.webp`, `.gif`, `.svg`
    Image,
}

impl FileKind {
    /// Every extension read, lowercase and without the dot.
    pub const EXTENSIONS: &'static [&'static str] = &[
        "md", "markdown", "txt", "html", "htm", "pdf", "json", "jsonl", "ndjson", "png", "jpg", "jpeg", "webp", "gif",
        "svg",
    ];

    /// The kind for a file extension (without the dot, any case), or `None` if it is not read.
    pub fn from_extension(extension: &str) -> Option<FileKind> {
        Some(match extension.to_ascii_lowercase().as_str() {
            "md" | "markdown" => FileKind::Markdown,
            "txt" => FileKind::Text,
            "html" | "htm" => FileKind::Html,
            "pdf" => FileKind::Pdf,
            "json" | "jsonl" | "ndjson" => FileKind::Records,
            "png" | "jpg" | "jpeg" | "webp" | "gif" | "svg" => FileKind::Image,
            _ => return None,
        })
    }

    /// The kind for a path, from its extension.
    pub fn from_path(path: &Path) -> Option<FileKind> {
        path.extension().and_then(|e| e.to_str()).and_then(FileKind::from_extension)
    }
}

/// What was extracted from a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    /// Markdown, text, HTML and PDF: sections, links and embedded images.
    Text(TextContent),
    /// JSON / JSON Lines: not parsed here; the caller's record parser reads
    /// [`FileDocument::path`]. Hashed while streaming, so no size limit applies.
    Records,
    /// An image file and the caption it is indexed by.
    Image(ImageContent),
}

/// The text of a document, split where its headings are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextContent {
    /// Markdown front matter (`---` … `---` at the top), by key. Empty for other kinds.
    pub front_matter: BTreeMap<String, FrontMatterValue>,
    /// The text in reading order. A section with no text of its own (a heading directly
    /// followed by a sub-heading) is left out; its heading still heads its children's paths.
    pub sections: Vec<Section>,
    /// Links to other files and to the web, in document order. Links to a place in the
    /// same document (`#anchor`) are left out.
    pub links: Vec<Link>,
    /// Images the document embeds, in document order.
    pub images: Vec<ImageRef>,
}

/// A run of text under one heading: the unit a caller stores as a passage.
///
/// Sections are not cut to a size here; a caller that embeds passages splits long ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// The headings above this text, outermost first, ending with its own
    /// (`["Chapter 3", "Ownership", "The Stack and the Heap"]`); empty for text before the
    /// first heading and for text and PDF files.
    pub heading_path: Vec<String>,
    /// The fragment that addresses the heading (`the-stack-and-the-heap`): the HTML `id`, the
    /// Markdown `{#id}`, or the GitHub-style slug of the Markdown heading text. A [`Link`]'s
    /// anchor names the section it points at this way.
    pub anchor: Option<String>,
    /// The page (from 1) a PDF section comes from.
    pub page: Option<u32>,
    /// The text: paragraphs separated by a blank line, code blocks verbatim.
    pub text: String,
}

/// A link found in a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Where it points.
    pub target: LinkTarget,
    /// The fragment after `#`, percent-decoded, if any (`the-stack-and-the-heap`).
    pub anchor: Option<String>,
    /// The link's visible text, whitespace collapsed.
    pub text: String,
}

/// Where a link or image reference points.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LinkTarget {
    /// A file under the same root, by the id it would have (resolved against the linking
    /// file's folder, `.` and `..` applied, percent-decoded, query dropped). The target may
    /// not exist, or may have been skipped: check it against the ids read.
    File {
        /// The target's id.
        id: String,
    },
    /// A URL with a scheme (`https:`, `mailto:` …) or a protocol-relative `//host/…`, as written.
    External {
        /// The URL.
        url: String,
    },
    /// A relative path that climbs above the root it was found under; it can name no id.
    OutsideRoot {
        /// The reference as written.
        path: String,
    },
}

/// An image embedded by a document (`![alt](src)`, `<img src alt>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRef {
    /// Where the image is.
    pub target: LinkTarget,
    /// Its alt text, whitespace collapsed (may be empty).
    pub alt: String,
}

/// An image file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageContent {
    /// The media type from the file's first bytes (`image/png` …), which wins over the extension.
    pub media_type: String,
    /// What the image is indexed by.
    pub caption: Caption,
    /// Ids of the documents in the same read that embed it, sorted.
    pub embedded_in: Vec<String>,
}

/// An image caption and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caption {
    /// The caption text.
    pub text: String,
    /// Its origin, best first in the order they are tried.
    pub source: CaptionSource,
}

/// Where a caption came from, in the order they are tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CaptionSource {
    /// A sidecar text file named after the whole image file name: `photo.png.txt` for
    /// `photo.png` (so `photo.png` and `photo.jpg` can each have their own, and a
    /// `photo.txt` stays an ordinary document).
    Sidecar {
        /// The sidecar's id.
        id: String,
    },
    /// The alt text of the first document (by id) in the same read that embeds the image.
    AltText {
        /// That document's id.
        document: String,
    },
    /// The file name turned into words (`koala-in-tree_2.png` → `koala in tree 2`).
    FileName,
}

/// A front matter value: a scalar, or a list (`[a, b]` or `- a` lines).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FrontMatterValue {
    /// `key: value`, unquoted.
    Text(String),
    /// `key: [a, b]`, or `key:` followed by `- a` lines.
    List(Vec<String>),
}

impl FrontMatterValue {
    /// The scalar, if this is one.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            FrontMatterValue::Text(s) => Some(s),
            FrontMatterValue::List(_) => None,
        }
    }
}

/// Something the reader repaired or left out of a document it still returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Warning {
    /// Invalid UTF-8 was replaced by U+FFFD. Text files are read lossily rather than
    /// refused: one stray Latin-1 byte should not cost a whole document.
    InvalidUtf8 {
        /// How many invalid sequences were replaced.
        replaced: usize,
    },
    /// A PDF page whose text could not be extracted; the other pages were.
    PdfPage {
        /// The page number, from 1.
        page: u32,
        /// Why.
        reason: String,
    },
}

/// The file name of `path` turned into words: the extension dropped, `-`, `_` and `.`
/// turned into spaces, runs of spaces collapsed (`koala-in-tree_2.png` → `koala in tree 2`).
pub(crate) fn words_from_file_name(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy()).unwrap_or_default();
    let words: Vec<&str> = stem.split(['-', '_', '.', ' ']).filter(|w| !w.is_empty()).collect();
    if words.is_empty() { stem.into_owned() } else { words.join(" ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_extension_ignore_case() {
        assert_eq!(FileKind::from_path(Path::new("a/B.MD")), Some(FileKind::Markdown));
        assert_eq!(FileKind::from_path(Path::new("x.ndjson")), Some(FileKind::Records));
        assert_eq!(FileKind::from_path(Path::new("x.JPeG")), Some(FileKind::Image));
        assert_eq!(FileKind::from_path(Path::new("x.rs")), None);
        assert_eq!(FileKind::from_path(Path::new("Makefile")), None);
        for ext in FileKind::EXTENSIONS {
            assert!(FileKind::from_extension(ext).is_some(), "{ext}");
        }
    }

    #[test]
    fn file_names_become_words() {
        assert_eq!(words_from_file_name(Path::new("dir/koala-in-tree_2.png")), "koala in tree 2");
        assert_eq!(words_from_file_name(Path::new("v1.2.notes.txt")), "v1 2 notes");
        assert_eq!(words_from_file_name(Path::new("___.txt")), "___");
    }
}
