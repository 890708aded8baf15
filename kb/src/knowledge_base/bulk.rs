//! Bulk relation import: the write path of [`KnowledgeBase::put_relations`], arranged for millions
//! of records. Every record is checked up front, so a bad one is refused alone, and the
//! graph applies one committed batch on a second thread while the store commits the next.

use std::sync::mpsc;

use super::KnowledgeBase;
use crate::error::BraidError;
use crate::records::Relation;

/// What a bulk relation import did.
#[derive(Debug)]
pub(crate) struct BulkOutcome {
    /// Relations new to the graph.
    pub written: usize,
    /// Refused relations: their position in the input, and the error a write of that
    /// relation alone gives.
    pub refused: Vec<(usize, BraidError)>,
}

/// Committed batches waiting for the graph; one more is being committed meanwhile.
const BATCHES_IN_FLIGHT: usize = 2;

impl KnowledgeBase {
    /// Imports `relations` in transactions of `batch`, calling `progress` with the size of
    /// each batch once the graph has it. Every batch is durable before it is visible, as
    /// with [`KnowledgeBase::put_relations`]; the writer lock is held throughout, so the endpoint
    /// checks made at the start stay true. A fault of the store stops the import, after
    /// the batches already committed have reached the graph.
    pub(crate) fn import_relations_bulk(
        &self,
        relations: Vec<Relation>,
        batch: usize,
        progress: impl Fn(usize) + Sync,
    ) -> Result<BulkOutcome, BraidError> {
        let _w = self.lock_writer()?;
        let mut refused = Vec::new();
        // Collected in place: the accepted relations reuse the input's buffer.
        let accepted: Vec<Relation> = {
            let graph = self.graph_read();
            relations
                .into_iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    crate::validate::relation(&graph, &r).map(|()| r).map_err(|e| refused.push((i, e))).ok()
                })
                .collect()
        };
        let (to_graph, committed) = mpsc::sync_channel::<Vec<Relation>>(BATCHES_IN_FLIGHT);
        let (written, stored) = std::thread::scope(|scope| {
            let applier = scope.spawn(|| {
                let mut written = 0;
                for relations in committed {
                    let n = relations.len();
                    self.graph_server_write("import relations", |g| g.add_relations(relations.clone()));
                    written += self.graph_write().import_relations(relations).written;
                    progress(n);
                }
                written
            });
            let stored = commit_batches(self, accepted, batch, &to_graph);
            drop(to_graph);
            // The applier only fails by panicking, which is a bug: let it surface.
            let written = applier.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            (written, stored)
        });
        stored?;
        Ok(BulkOutcome { written, refused })
    }
}

/// Commits `relations` batch by batch, handing each committed batch to the graph.
fn commit_batches(
    kb: &KnowledgeBase,
    relations: Vec<Relation>,
    batch: usize,
    to_graph: &mpsc::SyncSender<Vec<Relation>>,
) -> Result<(), BraidError> {
    let mut rest = relations.into_iter();
    loop {
        let chunk: Vec<Relation> = rest.by_ref().take(batch.max(1)).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        kb.store.write_relations(&chunk)?;
        if to_graph.send(chunk).is_err() {
            // The applier is gone only if it panicked; the join reports that.
            return Ok(());
        }
    }
}
