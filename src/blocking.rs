//! Blocking knowledge-base work (a write, a status read: redb commits and index updates)
//! moved off the async runtime's threads, for handlers and tools alike.

use braid_kb::BraidError;

/// Runs `f` on tokio's blocking pool; a panic in it is an internal error.
pub async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BraidError> + Send + 'static,
) -> Result<T, BraidError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| BraidError::Internal(format!("task failed: {e}")))?
}
