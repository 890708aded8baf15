//! When the embedded vector index is checkpointed: in the background as changes accumulate,
//! and when the knowledge base is closed. A checkpoint is only a shortcut for the next
//! start (the store of record rebuilds everything), so a failed one is reported, not fatal.
//!
//! The policy lives here, not in a binary, so that a program embedding Braid restarts as
//! fast as `braid serve` does.

use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use braid_vector::{CheckpointInfo, VectorBackend};

use crate::error::BraidError;

/// Where the embedded vector index keeps its checkpoints, inside the data directory.
pub const VECTOR_CHECKPOINT_DIR: &str = "vector-index";

/// When the background checkpointer writes a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointPolicy {
    /// How often the number of changes not yet in a checkpoint is looked at.
    pub poll: Duration,
    /// A checkpoint is written once this many vector-index changes are not in one...
    pub min_changes: u64,
    /// ...or this fraction of the index (1/`index_fraction`) if that is more: writes wait
    /// while a checkpoint runs (about 9 s for a million items), so a big index is
    /// checkpointed less often.
    pub index_fraction: u64,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        CheckpointPolicy { poll: Duration::from_secs(30), min_changes: 10_000, index_fraction: 10 }
    }
}

impl CheckpointPolicy {
    /// Whether `changes` not yet checkpointed, in an index of `size` items, call for a checkpoint.
    pub fn is_due(&self, changes: u64, size: u64) -> bool {
        changes >= self.min_changes && changes >= (size / self.index_fraction.max(1)).max(self.min_changes)
    }
}

/// What made a checkpoint happen; its `Display` completes "checkpoint written …".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointTrigger {
    /// The background checkpointer, under its [`CheckpointPolicy`].
    Background,
    /// [`crate::KnowledgeBase::close`] (or dropping the knowledge base).
    Close,
    /// An explicit call of [`crate::KnowledgeBase::checkpoint_vectors`].
    Explicit,
}

impl std::fmt::Display for CheckpointTrigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CheckpointTrigger::Background => "in the background",
            CheckpointTrigger::Close => "on shutdown",
            CheckpointTrigger::Explicit => "on request",
        })
    }
}

/// One checkpoint attempt, as handed to [`crate::Options::on_checkpoint`].
#[derive(Debug)]
pub struct CheckpointReport {
    /// Why it ran.
    pub trigger: CheckpointTrigger,
    /// What was written (`None`: nothing to write, e.g. a remote backend), or why it failed.
    pub outcome: Result<Option<CheckpointInfo>, BraidError>,
    /// How long it took.
    pub took: Duration,
}

/// Called with every checkpoint the knowledge base writes on its own.
pub type CheckpointCallback = Arc<dyn Fn(&CheckpointReport) + Send + Sync>;

/// The default report: a log line.
pub(crate) fn log_report(report: &CheckpointReport) {
    match &report.outcome {
        Ok(Some(info)) => tracing::info!(
            generation = info.generation,
            items = info.items,
            bytes = info.bytes,
            seconds = report.took.as_secs_f64(),
            "vector index checkpoint written {}",
            report.trigger
        ),
        Ok(None) => {}
        Err(e) => tracing::warn!("the vector index checkpoint failed ({}): {e}", report.trigger),
    }
}

/// What writing a checkpoint needs, shared by the knowledge base and its background thread.
pub(crate) struct Checkpoints {
    vectors: Arc<dyn VectorBackend>,
    dir: PathBuf,
    /// One checkpoint at a time (the background checkpointer and close may overlap).
    running: Mutex<()>,
}

impl Checkpoints {
    pub(crate) fn new(vectors: Arc<dyn VectorBackend>, data_dir: &std::path::Path) -> Self {
        Checkpoints { vectors, dir: data_dir.join(VECTOR_CHECKPOINT_DIR), running: Mutex::new(()) }
    }

    /// Writes a checkpoint now; `None` when the backend persists itself.
    pub(crate) fn write(&self) -> Result<Option<CheckpointInfo>, BraidError> {
        let _one = self.running.lock().unwrap_or_else(|e| e.into_inner());
        Ok(self.vectors.checkpoint(&self.dir)?)
    }

    /// Writes a checkpoint and reports it.
    pub(crate) fn write_and_report(&self, trigger: CheckpointTrigger, report: &CheckpointCallback) {
        let started = Instant::now();
        let outcome = self.write();
        report(&CheckpointReport { trigger, outcome, took: started.elapsed() });
    }

    pub(crate) fn changes(&self) -> u64 {
        self.vectors.changes_since_checkpoint()
    }
}

/// The background checkpointer: a thread that polls the change count under a
/// [`CheckpointPolicy`]. Dropping it stops the thread (promptly: it waits on a channel,
/// not in a sleep).
pub(crate) struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    pub(crate) fn start(
        checkpoints: Arc<Checkpoints>,
        policy: CheckpointPolicy,
        report: CheckpointCallback,
    ) -> Result<Checkpointer, BraidError> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("checkpointer".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(policy.poll) {
                    let changes = checkpoints.changes();
                    // The index size is only read when the count could be due.
                    if changes >= policy.min_changes {
                        let size = checkpoints.vectors.len().unwrap_or(0) as u64;
                        if policy.is_due(changes, size) {
                            checkpoints.write_and_report(CheckpointTrigger::Background, &report);
                        }
                    }
                }
            })
            .map_err(|e| BraidError::Internal(format!("starting the checkpoint thread: {e}")))?;
        Ok(Checkpointer { stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            // The thread only fails by panicking; that was reported when it happened.
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_is_due_after_enough_changes_and_a_tenth_of_a_big_index() {
        let p = CheckpointPolicy::default();
        assert!(!p.is_due(9_999, 0));
        assert!(p.is_due(10_000, 0));
        assert!(p.is_due(10_000, 100_000));
        assert!(!p.is_due(10_000, 1_000_000), "a tenth of a million is 100k");
        assert!(p.is_due(100_000, 1_000_000));
    }
}
