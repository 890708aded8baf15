//! Progress reporting: the caller draws the bar; this crate only counts.

use std::path::Path;

/// Told about each file as the read goes on. Called from the worker threads, concurrently,
/// so implementations are `Sync` and should be quick (a counter, an atomic, a bar update).
pub trait Progress: Sync {
    /// A file is about to be opened (useful to show which PDF is taking its time).
    fn file_started(&self, path: &Path) {
        let _ = path;
    }

    /// A file is done: read, failed, or skipped after its name was seen.
    fn file_done(&self, event: &ProgressEvent<'_>);
}

/// Totals so far, after one more file.
#[derive(Debug, Clone, Copy)]
pub struct ProgressEvent<'a> {
    /// Files done so far, this one included.
    pub files_done: u64,
    /// Bytes read so far, this file's included. With the time since the read started,
    /// this gives bytes/s; `files_done` gives files/s.
    pub bytes_done: u64,
    /// The file just done.
    pub path: &'a Path,
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn file_done(&self, _: &ProgressEvent<'_>) {}
}

/// Any `Fn(&ProgressEvent)` closure is a [`Progress`] that hears about finished files.
impl<F: Fn(&ProgressEvent<'_>) + Sync> Progress for F {
    fn file_done(&self, event: &ProgressEvent<'_>) {
        self(event)
    }
}
