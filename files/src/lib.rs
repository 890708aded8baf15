//! `braid-files`: reads a user's folders of files into structured documents.
//!
//! A [`FileReader`] walks one or more [`Root`]s with ripgrep's walker (honouring
//! `.gitignore` and `.ignore`, skipping hidden files, narrowing by include and exclude
//! globs, in parallel) and reads every file by its extension:
//!
//! | kind | extensions | what comes out |
//! |---|---|---|
//! | [`FileKind::Markdown`] | `.md` `.markdown` | front matter, sections under their heading paths, links, images with alt text |
//! | [`FileKind::Html`] | `.html` `.htm` | the main text (no nav, scripts or page chrome) in sections, links, images |
//! | [`FileKind::Text`] | `.txt` | one section |
//! | [`FileKind::Pdf`] | `.pdf` | the text layer, one section per page (on a worker with a time limit) |
//! | [`FileKind::Records`] | `.json` `.jsonl` `.ndjson` | nothing parsed: the caller's record parser reads them |
//! | [`FileKind::Image`] | `.png` `.jpg` `.jpeg` `.webp` `.gif` `.svg` | media type and a caption: sidecar `photo.png.txt`, else alt text, else the file name |
//!
//! HTML pages that ask not to be indexed (`robots` `noindex`) or only redirect are skipped
//! with that reason ([`ReadOptions::honour_noindex`]). A caller that keeps what it read can
//! pass [`KnownFiles`] to [`FileReader::read_changed`]: files it already has (same id,
//! same hash) are hashed and not parsed, which is what makes re-reading a large unchanged
//! folder fast.
//!
//! Each [`FileDocument`] has a stable id (its path relative to the root), a title, a
//! BLAKE3 [`ContentHash`], its size and modification time. A file that cannot be read is a
//! [`FileFailure`] with a reason, and the walk goes on; [`Reading::summary`] counts what
//! was read, skipped and failed. This crate knows nothing about Braid's store: it turns
//! files into plain data.
//!
//! ```
//! use braid_files::{FileReader, LinkTarget, NoProgress, ReadOptions, Root};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::create_dir(dir.path().join("book"))?;
//! std::fs::write(
//!     dir.path().join("book/ch03.md"),
//!     "---\ntitle: Chapter 3\n---\n# Ownership\n\n## The Stack and the Heap\n\n\
//!      Values of known size live on the stack. See [borrowing](ch04.md#rules).\n",
//! )?;
//! std::fs::write(dir.path().join("book/ch04.md"), "# Borrowing\n\nReferences.\n")?;
//! std::fs::write(dir.path().join("notes.rs"), "fn main() {}")?;
//!
//! let reader = FileReader::new(ReadOptions::default())?;
//! let reading = reader.read(&[Root::new(dir.path())], &NoProgress);
//!
//! let ch03 = reading.document("book/ch03.md").expect("read");
//! assert_eq!(ch03.title, "Chapter 3");
//! let section = &ch03.sections()[0];
//! assert_eq!(section.heading_path, ["Ownership", "The Stack and the Heap"]);
//! assert!(section.text.starts_with("Values of known size"));
//! assert_eq!(ch03.links()[0].target, LinkTarget::File { id: "book/ch04.md".into() });
//! assert_eq!(ch03.links()[0].anchor.as_deref(), Some("rules"));
//!
//! let summary = reading.summary();
//! assert_eq!((summary.read, summary.skipped.unsupported, summary.failed), (2, 1, 0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod frontmatter;
mod hash;
mod html;
mod image;
mod links;
mod markdown;
mod model;
mod options;
mod outcome;
mod pdf;
mod progress;
mod reader;
mod sections;
mod text;
mod walk;

pub use error::{ConfigError, FileError};
pub use hash::{ContentHash, ParseHashError};
pub use model::{
    Caption, CaptionSource, Content, FileDocument, FileKind, FrontMatterValue, ImageContent, ImageRef, Link,
    LinkTarget, Section, TextContent, Warning,
};
pub use options::{ReadOptions, Root};
pub use outcome::{FileFailure, KindCounts, Reading, SkipCounts, SkipReason, SkippedFile, Summary, UnchangedFile};
pub use progress::{NoProgress, Progress, ProgressEvent};
pub use reader::{FileReader, KnownFiles};
