//! [`FileReader`]: walks the roots, reads each file with the reader for its kind, then
//! settles what needs the whole walk (duplicate ids, caption sidecars, alt-text captions).

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::{ConfigError, FileError};
use crate::hash::ContentHash;
use crate::image;
use crate::links::LinkResolver;
use crate::model::{
    Caption, CaptionSource, Content, FileDocument, FileKind, ImageContent, LinkTarget, Warning, words_from_file_name,
};
use crate::options::{ReadOptions, Root};
use crate::outcome::{FileFailure, Reading, SkipReason, SkippedFile, UnchangedFile};
use crate::progress::{Progress, ProgressEvent};
use crate::walk::{FileEntry, PathFilter, lock, walk_root};
use crate::{html, markdown, pdf, text};

/// Reads folders of files into [`FileDocument`]s. Build it once from [`ReadOptions`]
/// (which checks the globs), then [`read`](FileReader::read) any number of times.
#[derive(Debug)]
pub struct FileReader {
    options: ReadOptions,
    filter: Arc<PathFilter>,
}

/// What became of one file.
enum FileOutcome {
    Document(Box<FileDocument>),
    Unchanged(UnchangedFile),
    Skipped(SkippedFile),
    Failed(FileFailure),
}

impl FileReader {
    /// A reader with these options; fails only on an invalid glob.
    pub fn new(options: ReadOptions) -> Result<FileReader, ConfigError> {
        let filter = Arc::new(PathFilter::new(&options)?);
        Ok(FileReader { options, filter })
    }

    /// The options it was built with.
    pub fn options(&self) -> &ReadOptions {
        &self.options
    }

    /// Reads every root. Never fails as a whole: a missing root, an unreadable folder or
    /// file is a [`FileFailure`] in the result, and the rest is read.
    pub fn read(&self, roots: &[Root], progress: &dyn Progress) -> Reading {
        self.read_changed(roots, progress, &NothingKnown)
    }

    /// Reads every root like [`read`](FileReader::read), but a file whose content `known`
    /// already has (same id and hash) is hashed and not parsed: it comes back in
    /// [`Reading::unchanged`] instead of [`Reading::documents`]. Image files and caption
    /// sidecars are always read, since a caption is settled across the whole walk.
    pub fn read_changed(&self, roots: &[Root], progress: &dyn Progress, known: &dyn KnownFiles) -> Reading {
        let threads = match self.options.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let counters = Counters::default();
        // (root index, outcome): the index decides which of two equal ids keeps it.
        let outcomes: Mutex<Vec<(usize, FileOutcome)>> = Mutex::new(Vec::new());
        let mut reading = Reading::default();
        for (index, root) in roots.iter().enumerate() {
            let visit = |entry: FileEntry| {
                progress.file_started(&entry.path);
                let outcome = read_file(&entry, root, &self.options, known);
                let bytes = match &outcome {
                    FileOutcome::Document(doc) => doc.size,
                    FileOutcome::Unchanged(file) => file.size,
                    FileOutcome::Skipped(_) | FileOutcome::Failed(_) => 0,
                };
                counters.done(progress, &entry.path, bytes);
                lock(&outcomes).push((index, outcome));
            };
            let report = walk_root(root, &self.options, &self.filter, threads, &visit);
            reading.skipped.extend(report.skipped);
            reading.failures.extend(report.failures);
        }
        let mut found = Vec::new();
        for (root_index, outcome) in outcomes.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
            match outcome {
                FileOutcome::Document(doc) => found.push((root_index, Found::Document(doc))),
                FileOutcome::Unchanged(file) => found.push((root_index, Found::Unchanged(file))),
                FileOutcome::Skipped(s) => reading.skipped.push(s),
                FileOutcome::Failed(f) => reading.failures.push(f),
            }
        }
        // By id, and for an id found under two roots, the earlier root first: it keeps the id.
        found.sort_by(|(ra, a), (rb, b)| a.id().cmp(b.id()).then(ra.cmp(rb)));
        let mut last: Option<(String, std::path::PathBuf)> = None;
        for (_, file) in found {
            if let Some((id, first)) = &last
                && id == file.id()
            {
                let (path, id) = file.into_path_and_id();
                reading.failures.push(FileFailure {
                    error: FileError::DuplicateId { first: first.clone() },
                    path,
                    id: Some(id),
                });
                continue;
            }
            last = Some((file.id().to_owned(), file.path().to_path_buf()));
            match file {
                Found::Document(doc) => reading.documents.push(*doc),
                Found::Unchanged(file) => reading.unchanged.push(file),
            }
        }
        attach_sidecars(&mut reading);
        attach_alt_texts(&mut reading);
        reading.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        reading.failures.sort_by(|a, b| a.path.cmp(&b.path));
        reading
    }
}

/// Progress totals shared by the worker threads.
#[derive(Default)]
struct Counters {
    files: AtomicU64,
    bytes: AtomicU64,
}

impl Counters {
    fn done(&self, progress: &dyn Progress, path: &Path, bytes: u64) {
        let files_done = self.files.fetch_add(1, Ordering::Relaxed) + 1;
        let bytes_done = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        progress.file_done(&ProgressEvent { files_done, bytes_done, path });
    }
}

/// A file read or found unchanged, before duplicate ids are settled.
enum Found {
    Document(Box<FileDocument>),
    Unchanged(UnchangedFile),
}

impl Found {
    fn id(&self) -> &str {
        match self {
            Found::Document(doc) => &doc.id,
            Found::Unchanged(file) => &file.id,
        }
    }

    fn path(&self) -> &Path {
        match self {
            Found::Document(doc) => &doc.path,
            Found::Unchanged(file) => &file.path,
        }
    }

    fn into_path_and_id(self) -> (std::path::PathBuf, String) {
        match self {
            Found::Document(doc) => (doc.path, doc.id),
            Found::Unchanged(file) => (file.path, file.id),
        }
    }
}

/// Whether the caller already has a file's content, so it need not be parsed again.
///
/// Called from the worker threads once a file is hashed; it should be a quick lookup.
pub trait KnownFiles: Sync {
    /// `true` when the file with this id and content hash was read before and is stored.
    fn is_known(&self, id: &str, kind: FileKind, hash: &ContentHash) -> bool;
}

/// Knows no file: every file is parsed.
struct NothingKnown;

impl KnownFiles for NothingKnown {
    fn is_known(&self, _: &str, _: FileKind, _: &ContentHash) -> bool {
        false
    }
}

/// Reads one file with the reader for its kind.
fn read_file(entry: &FileEntry, root: &Root, options: &ReadOptions, known: &dyn KnownFiles) -> FileOutcome {
    let path = &entry.path;
    let Some(kind) = FileKind::from_path(path) else {
        return FileOutcome::Skipped(SkippedFile { path: path.clone(), reason: SkipReason::Unsupported });
    };
    let id = format!("{}{}", root.id_prefix, entry.relative);
    let opened = File::open(path).and_then(|f| Ok((f.metadata()?, f)));
    let (metadata, file) = match opened {
        Ok(opened) => opened,
        Err(e) => return FileOutcome::Failed(FileFailure { path: path.clone(), id: Some(id), error: e.into() }),
    };
    if metadata.len() == 0 {
        return FileOutcome::Skipped(SkippedFile { path: path.clone(), reason: SkipReason::Empty });
    }
    let mut warnings = Vec::new();
    let read = if kind == FileKind::Records {
        // Not parsed here, so not held in memory: hashed in chunks, whatever its size.
        ContentHash::of_reader(file)
            .map(|hash| match known.is_known(&id, kind, &hash) {
                true => ReadOutcome::Unchanged(hash, metadata.len()),
                false => ReadOutcome::Content(hash, metadata.len(), words_from_file_name(path), Content::Records),
            })
            .map_err(FileError::from)
    } else {
        load(file, metadata.len(), options.max_file_size).and_then(|bytes| {
            let (hash, size) = (ContentHash::of(&bytes), bytes.len() as u64);
            // Images and sidecars are captioned across the walk, so they are always read.
            let always = kind == FileKind::Image || image::sidecar_image(&id).is_some();
            if !always && known.is_known(&id, kind, &hash) {
                return Ok(ReadOutcome::Unchanged(hash, size));
            }
            let resolver = LinkResolver::new(&root.id_prefix, &entry.relative);
            match read_content(kind, bytes, path, &resolver, options, &mut warnings)? {
                Parsed::Content(title, content) => Ok(ReadOutcome::Content(hash, size, title, content)),
                Parsed::Skip(reason) => Ok(ReadOutcome::Skip(reason)),
            }
        })
    };
    match read {
        Ok(ReadOutcome::Unchanged(hash, size)) => FileOutcome::Unchanged(UnchangedFile {
            id,
            path: path.clone(),
            kind,
            hash,
            size,
            modified: metadata.modified().ok(),
        }),
        Ok(ReadOutcome::Skip(reason)) => FileOutcome::Skipped(SkippedFile { path: path.clone(), reason }),
        Ok(ReadOutcome::Content(hash, size, title, content)) => FileOutcome::Document(Box::new(FileDocument {
            id,
            path: path.clone(),
            kind,
            title,
            content,
            hash,
            size,
            modified: metadata.modified().ok(),
            warnings,
        })),
        Err(error) => FileOutcome::Failed(FileFailure { path: path.clone(), id: Some(id), error }),
    }
}

/// The bytes of a file of `size` bytes (by its metadata), refused without reading when
/// that is over `limit`.
fn load(file: File, size: u64, limit: u64) -> Result<Vec<u8>, FileError> {
    if size > limit {
        return Err(FileError::TooLarge { size, limit });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // `take` guards against a file that grew since its metadata was read.
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    let read = bytes.len() as u64;
    if read > limit {
        return Err(FileError::TooLarge { size: read, limit });
    }
    Ok(bytes)
}

/// What reading one file's bytes gave.
enum ReadOutcome {
    /// Parsed: hash, size, title, content.
    Content(ContentHash, u64, String, Content),
    /// Hashed only: the caller has this content already.
    Unchanged(ContentHash, u64),
    /// Left out on purpose once read (a page that asks not to be indexed).
    Skip(SkipReason),
}

/// What a reader made of a file's content.
enum Parsed {
    Content(String, Content),
    Skip(SkipReason),
}

/// The title and content of a file whose bytes are loaded.
fn read_content(
    kind: FileKind,
    bytes: Vec<u8>,
    path: &Path,
    resolver: &LinkResolver<'_>,
    options: &ReadOptions,
    warnings: &mut Vec<Warning>,
) -> Result<Parsed, FileError> {
    let (title, text) = match kind {
        FileKind::Markdown => markdown::read_markdown(&text::decode(&bytes, path, warnings)?, path, resolver),
        FileKind::Html => {
            let text = text::decode(&bytes, path, warnings)?;
            match html::read_html(&text, path, resolver, options.honour_noindex) {
                html::Page::Content(title, text) => (title, text),
                html::Page::NoIndex => return Ok(Parsed::Skip(SkipReason::NoIndex)),
                html::Page::Redirect(target) => return Ok(Parsed::Skip(SkipReason::Redirect { target })),
            }
        }
        FileKind::Text => text::read_text(&text::decode(&bytes, path, warnings)?, path),
        FileKind::Pdf => pdf::read_pdf(bytes, path, options.pdf_timeout, warnings)?,
        FileKind::Image => {
            let media_type = image::media_type(&bytes)?.to_owned();
            // The caption is settled once the whole walk is known; the file name until then.
            let title = words_from_file_name(path);
            let caption = Caption { text: title.clone(), source: CaptionSource::FileName };
            let content = Content::Image(ImageContent { media_type, caption, embedded_in: Vec::new() });
            return Ok(Parsed::Content(title, content));
        }
        // Records are normally streamed, not loaded (see `read_file`); loaded, they are the same.
        FileKind::Records => return Ok(Parsed::Content(words_from_file_name(path), Content::Records)),
    };
    Ok(Parsed::Content(title, Content::Text(text)))
}

/// Caption sidecars (`photo.png.txt`) become the caption of their image, when that image
/// was read too; otherwise they stay ordinary text documents.
fn attach_sidecars(reading: &mut Reading) {
    let index: HashMap<String, usize> = image_index(reading);
    let mut captions: Vec<(usize, Caption)> = Vec::new();
    let mut consumed: Vec<usize> = Vec::new();
    for (i, doc) in reading.documents.iter().enumerate() {
        if doc.kind != FileKind::Text {
            continue;
        }
        let Some(&image) = image::sidecar_image(&doc.id).and_then(|image_id| index.get(image_id)) else { continue };
        let text = doc.sections().iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join("\n\n");
        if !text.is_empty() {
            captions.push((image, Caption { text, source: CaptionSource::Sidecar { id: doc.id.clone() } }));
        }
        consumed.push(i);
    }
    for (image, caption) in captions {
        if let Content::Image(content) = &mut reading.documents[image].content {
            content.caption = caption;
        }
    }
    for i in consumed.into_iter().rev() {
        let sidecar = reading.documents.remove(i);
        let image = image::sidecar_image(&sidecar.id).unwrap_or_default().to_owned();
        reading.skipped.push(SkippedFile { path: sidecar.path, reason: SkipReason::Sidecar { image } });
    }
}

/// Records which documents embed each image, and gives an image without a sidecar the alt
/// text of the first (by id) document that embeds it with a non-empty one.
fn attach_alt_texts(reading: &mut Reading) {
    let index = image_index(reading);
    let mut uses: Vec<(usize, String, String)> = Vec::new();
    for doc in &reading.documents {
        let Content::Text(text) = &doc.content else { continue };
        for image_ref in &text.images {
            if let LinkTarget::File { id } = &image_ref.target
                && let Some(&image) = index.get(id)
            {
                uses.push((image, doc.id.clone(), image_ref.alt.clone()));
            }
        }
    }
    // Documents are sorted by id, so the first use of an image is the first document's.
    for (image, document, alt) in uses {
        let Content::Image(content) = &mut reading.documents[image].content else { continue };
        if content.caption.source == CaptionSource::FileName && !alt.is_empty() {
            content.caption = Caption { text: alt, source: CaptionSource::AltText { document: document.clone() } };
        }
        if content.embedded_in.last() != Some(&document) {
            content.embedded_in.push(document);
        }
    }
}

/// Image documents by id.
fn image_index(reading: &Reading) -> HashMap<String, usize> {
    reading
        .documents
        .iter()
        .enumerate()
        .filter(|(_, d)| d.kind == FileKind::Image)
        .map(|(i, d)| (d.id.clone(), i))
        .collect()
}
