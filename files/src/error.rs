//! What can go wrong: [`ConfigError`] stops a read before it starts (a bad glob);
//! [`FileError`] is the reason one file could not be read, and never stops the others.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// A reader cannot be built from these options.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// An `--include` or `--exclude` pattern is not a valid glob.
    #[error("invalid glob '{glob}': {source}")]
    InvalidGlob {
        /// The pattern as given.
        glob: String,
        /// Why `globset` refused it.
        source: globset::Error,
    },
}

/// Why one file (or folder) could not be read. The walk goes on after each of these.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The operating system refused: permissions, a vanished file, a broken symlink.
    #[error("cannot read: {0}")]
    Io(#[from] io::Error),
    /// Larger than [`ReadOptions::max_file_size`](crate::ReadOptions::max_file_size); refused
    /// from its metadata, before a byte is read.
    #[error("file is {size} bytes, over the limit of {limit} bytes (raise max_file_size to read it)")]
    TooLarge {
        /// Its size in bytes.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// A text-kind file (by its extension) whose bytes are not text: a NUL byte in its head.
    #[error("not a text file: binary content (a NUL byte) in a .{extension} file")]
    Binary {
        /// The extension that promised text.
        extension: String,
    },
    /// An image file whose first bytes match none of the image formats read here.
    #[error("not an image: the content is not PNG, JPEG, WebP, GIF or SVG")]
    NotAnImage,
    /// lopdf or pdf-extract refused the file: truncated, corrupt, encrypted with a password.
    #[error("unreadable PDF: {0}")]
    Pdf(String),
    /// The PDF parser panicked (it can on malformed files); the panic was caught.
    #[error("the PDF parser crashed on this file: {0}")]
    PdfPanicked(String),
    /// The PDF parser did not finish within the time limit.
    #[error("PDF text extraction took longer than {0:?}; abandoned")]
    PdfTimeout(Duration),
    /// The PDF parsed but has no text layer (a scan without OCR, or only images).
    #[error("the PDF has no text layer (scanned pages need OCR first)")]
    PdfNoText,
    /// Following a symlink leads back to one of its own ancestors.
    #[error("symbolic link loop: leads back to {ancestor}")]
    SymlinkLoop {
        /// The folder the link points back to.
        ancestor: PathBuf,
    },
    /// The path is not valid UTF-8, so it cannot become a document id.
    #[error("the path is not valid UTF-8, so it cannot become a document id")]
    NonUtf8Path,
    /// Two roots yield the same id; the file read first keeps it.
    #[error("duplicate id: {first} already has it (give one root an id prefix)")]
    DuplicateId {
        /// The file that kept the id.
        first: PathBuf,
    },
    /// Any other failure reported by the directory walker (e.g. an unreadable ignore file).
    #[error("walk error: {0}")]
    Walk(String),
}

impl FileError {
    /// Maps an error from the `ignore` walker, unwrapping the path and depth it wraps errors in.
    pub(crate) fn from_walk(err: ignore::Error) -> (Option<PathBuf>, FileError) {
        match err {
            ignore::Error::WithPath { path, err } => {
                let (_, inner) = FileError::from_walk(*err);
                (Some(path), inner)
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                FileError::from_walk(*err)
            }
            ignore::Error::Loop { ancestor, child } => (Some(child), FileError::SymlinkLoop { ancestor }),
            ignore::Error::Io(e) => (None, FileError::Io(e)),
            other => (None, FileError::Walk(other.to_string())),
        }
    }
}
