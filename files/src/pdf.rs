//! The PDF reader: the text layer, page by page, through pdf-extract (lopdf underneath).
//!
//! pdf-extract can panic or spin on malformed files, so it runs on a worker thread of its
//! own: a panic is caught and reported, and after the time limit the file is reported and
//! the worker abandoned. A thread cannot be killed, so an abandoned worker runs on until
//! the parser returns (or the process ends); the read does not wait for it. The worker
//! gets a large stack because lopdf recurses into nested objects, and a stack overflow
//! would abort the whole process where a panic does not. A panic still prints the default
//! panic message on stderr: the hook is process-wide and not this library's to replace.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use pdf_extract::{Document, Object, PlainTextOutput};

use crate::error::FileError;
use crate::model::{Section, TextContent, Warning, words_from_file_name};

/// The PDF worker's stack: lopdf recurses on nested objects.
const WORKER_STACK_BYTES: usize = 64 * 1024 * 1024;

/// What the worker extracted.
struct Extracted {
    title: Option<String>,
    /// (page number, text) for every page that has text.
    pages: Vec<(u32, String)>,
    warnings: Vec<Warning>,
}

/// Reads a PDF: one section per page that has text (`page` set, no heading path). Title:
/// the document information `Title`, else the file name in words.
pub(crate) fn read_pdf(
    bytes: Vec<u8>,
    path: &Path,
    timeout: Duration,
    warnings: &mut Vec<Warning>,
) -> Result<(String, TextContent), FileError> {
    let extracted = on_worker(move || extract(&bytes), timeout)?;
    if extracted.pages.is_empty() {
        return Err(FileError::PdfNoText);
    }
    warnings.extend(extracted.warnings);
    let sections = extracted
        .pages
        .into_iter()
        .map(|(page, text)| Section { heading_path: Vec::new(), anchor: None, page: Some(page), text })
        .collect();
    let title = extracted.title.unwrap_or_else(|| words_from_file_name(path));
    Ok((title, TextContent { sections, ..TextContent::default() }))
}

/// Runs `job` on a worker thread of its own and waits at most `timeout` for it, turning a
/// panic into [`FileError::PdfPanicked`] and a late answer into [`FileError::PdfTimeout`].
fn on_worker<T: Send + 'static>(
    job: impl FnOnce() -> Result<T, FileError> + Send + 'static,
    timeout: Duration,
) -> Result<T, FileError> {
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new().name("braid-files-pdf".into()).stack_size(WORKER_STACK_BYTES).spawn(move || {
        let result = catch_unwind(AssertUnwindSafe(job))
            .unwrap_or_else(|panic| Err(FileError::PdfPanicked(panic_message(panic))));
        // The reader may have given up waiting; then nobody needs the result.
        let _ = tx.send(result);
    })?;
    match rx.recv_timeout(timeout) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(FileError::PdfTimeout(timeout)),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err(FileError::PdfPanicked("the worker ended without a result".into()))
        }
    }
}

fn extract(bytes: &[u8]) -> Result<Extracted, FileError> {
    let mut doc = Document::load_mem(bytes).map_err(|e| FileError::Pdf(e.to_string()))?;
    if doc.is_encrypted() {
        // Many PDFs are "encrypted" with an empty user password only to set permissions.
        doc.decrypt("").map_err(|e| FileError::Pdf(format!("encrypted, and not with an empty password: {e}")))?;
    }
    let mut pages = Vec::new();
    let mut warnings = Vec::new();
    let page_numbers: Vec<u32> = doc.get_pages().keys().copied().collect();
    for page in page_numbers {
        let mut text = String::new();
        match pdf_extract::output_doc_page(&doc, &mut PlainTextOutput::new(&mut text), page) {
            Ok(()) => {
                let text = tidy(&text);
                if !text.is_empty() {
                    pages.push((page, text));
                }
            }
            Err(e) => warnings.push(Warning::PdfPage { page, reason: e.to_string() }),
        }
    }
    Ok(Extracted { title: info_title(&doc), pages, warnings })
}

/// The `Title` of the document information dictionary, if it has a non-empty one.
fn info_title(doc: &Document) -> Option<String> {
    let info = match doc.trailer.get(b"Info").ok()? {
        Object::Reference(id) => doc.get_dictionary(*id).ok()?,
        Object::Dictionary(d) => d,
        _ => return None,
    };
    let title = pdf_extract::decode_text_string(info.get(b"Title").ok()?).ok()?;
    let title = title.trim();
    (!title.is_empty()).then(|| title.to_owned())
}

/// Trims each line and collapses runs of blank lines to one.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { "\n" });
        }
        out.push_str(line);
        blank = false;
    }
    out
}

fn panic_message(panic: Box<dyn Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_trims_lines_and_blank_runs() {
        assert_eq!(tidy("\n\n  a  \n b\n\n\n\nc \n\n"), "a\nb\n\nc");
        assert_eq!(tidy(" \n "), "");
    }

    #[test]
    fn the_worker_reports_panics_and_gives_up_after_the_limit() {
        let limit = Duration::from_secs(30);
        assert!(matches!(on_worker(|| Ok(7), limit), Ok(7)));
        let panicked = on_worker(|| -> Result<(), FileError> { panic!("bad xref") }, limit);
        assert!(matches!(panicked, Err(FileError::PdfPanicked(m)) if m == "bad xref"));
        // A job far slower than the limit: the answer is the timeout, long before the job ends.
        let started = std::time::Instant::now();
        let slow = on_worker(
            || {
                std::thread::sleep(Duration::from_secs(5));
                Ok(())
            },
            Duration::from_millis(50),
        );
        assert!(matches!(slow, Err(FileError::PdfTimeout(_))));
        assert!(started.elapsed() < Duration::from_secs(4));
    }

    #[test]
    fn panics_become_messages() {
        assert_eq!(panic_message(Box::new("boom")), "boom");
        assert_eq!(panic_message(Box::new(String::from("bang"))), "bang");
        assert_eq!(panic_message(Box::new(3)), "a panic without a message");
    }
}
