//! The vector route's optional second stage: the top candidates of the hybrid ranking are
//! scored again by a [`Reranker`] (a cross-encoder, local or behind an HTTP `/rerank`
//! endpoint) under a deadline. A reranker that fails or is late is skipped: the hybrid
//! order stands and the query's `sources` say why.

use std::sync::Arc;
use std::time::{Duration, Instant};

use braid_router::{Hit, HitKind, SourceStatus, StageReport};
use braid_vector::Reranker;

use crate::store::Store;

/// Candidates reranked by default: a cross-encoder reads each (query, text) pair, so the
/// cost grows with this; 20 covers the first two pages of results.
pub const DEFAULT_RERANK_DEPTH: usize = 20;
/// The most candidates one query sends to a reranker.
pub const MAX_RERANK_DEPTH: usize = 100;
/// How long the stage may take by default before the hybrid order is served instead.
pub const DEFAULT_RERANK_DEADLINE: Duration = Duration::from_millis(1500);

/// A reranker and how the vector route uses it.
#[derive(Clone)]
pub struct Rerank {
    /// The reranker.
    pub reranker: Arc<dyn Reranker>,
    /// How many of the hybrid ranking's best candidates it scores (1..=100).
    pub depth: usize,
    /// How long it may take.
    pub deadline: Duration,
}

impl Rerank {
    /// `reranker` with the default depth and deadline.
    pub fn new(reranker: Arc<dyn Reranker>) -> Self {
        Rerank { reranker, depth: DEFAULT_RERANK_DEPTH, deadline: DEFAULT_RERANK_DEADLINE }
    }

    /// Candidates the hybrid stage should hand over for a query wanting `k` hits.
    pub(crate) fn candidates(&self, k: usize) -> usize {
        self.depth.clamp(1, MAX_RERANK_DEPTH).max(k)
    }

    /// Reorders the first [`Rerank::depth`] of `hits` by the reranker's scores (their
    /// `score` becomes the reranker's), or leaves them as they are when it fails or is late;
    /// says which in the report.
    pub(crate) fn apply(&self, store: &Store, query: &str, hits: &mut Vec<Hit>) -> StageReport {
        let started = Instant::now();
        let n = hits.len().min(self.depth.clamp(1, MAX_RERANK_DEPTH));
        let texts: Vec<String> = hits[..n].iter().map(|h| text_of(store, h)).collect();
        let (tx, rx) = std::sync::mpsc::channel();
        let reranker = self.reranker.clone();
        let query = query.to_string();
        // On its own thread, so a late answer can be abandoned.
        std::thread::spawn(move || {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let _ = tx.send(reranker.rerank(&query, &refs));
        });
        let report = |status, error: Option<String>| StageReport {
            stage: "rerank".into(),
            status,
            took_ms: started.elapsed().as_secs_f64() * 1e3,
            by: Some(self.reranker.name().to_string()),
            error,
        };
        let scores = match rx.recv_timeout(self.deadline) {
            Ok(Ok(scores)) if scores.len() == n => scores,
            Ok(Ok(scores)) => {
                return report(SourceStatus::Error, Some(format!("{} scores for {n} candidates", scores.len())));
            }
            Ok(Err(e)) => return report(SourceStatus::Error, Some(e.to_string())),
            Err(_) => {
                let why = format!("no answer within {} ms; the hybrid order was kept", self.deadline.as_millis());
                return report(SourceStatus::Timeout, Some(why));
            }
        };
        let mut head: Vec<(Hit, f32)> = hits.drain(..n).zip(scores).collect();
        // Stable: equal scores keep the hybrid order.
        head.sort_by(|a, b| b.1.total_cmp(&a.1));
        let floor = head.last().map_or(0.0, |(_, s)| *s);
        let mut reranked: Vec<Hit> = head.into_iter().map(|(hit, score)| Hit { score, ..hit }).collect();
        // What was not reranked follows, below every reranked score, in its order.
        for (i, mut hit) in hits.drain(..).enumerate() {
            hit.score = floor - 1.0 - i as f32;
            reranked.push(hit);
        }
        *hits = reranked;
        report(SourceStatus::Ok, None)
    }
}

/// The text a reranker reads for a hit: the title and the document's text (a passage's own
/// text for a long document), or an image's caption.
fn text_of(store: &Store, hit: &Hit) -> String {
    match hit.kind {
        HitKind::Document => match store.document(&hit.id) {
            Ok(Some(d)) => {
                let body = crate::passages::split(&d.text)
                    .into_iter()
                    .find(|p| p.contains(hit.snippet.trim_end_matches('…').trim()))
                    .unwrap_or(d.text);
                if d.title.is_empty() { body } else { format!("{}\n{body}", d.title) }
            }
            _ => format!("{}\n{}", hit.title, hit.snippet),
        },
        _ => format!("{}\n{}", hit.title, hit.snippet),
    }
}
