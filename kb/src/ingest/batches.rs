//! Writing parsed records in transactions: a batch with a bad record is split in halves
//! until only the bad records are left, each rejected with the message a write of it alone
//! gives; relations go through the bulk path, checked up front.

use super::{IngestProgress, Located, Origin};
use crate::error::BraidError;
use crate::knowledge_base::KnowledgeBase;
use crate::knowledge_base::writes::Refused;
use crate::records::Relation;
use crate::status::WriteSummary;

/// Writes relations through the bulk path (see [`KnowledgeBase::import_relations_bulk`]),
/// in transactions of `batch`, each refused one reported alone, with where it came from.
pub(super) fn write_relations(
    kb: &KnowledgeBase,
    relations: Vec<Located<Relation>>,
    batch: usize,
    progress: &dyn IngestProgress,
    rejected: &mut Vec<String>,
) -> Result<usize, BraidError> {
    let (origins, relations): (Vec<Origin>, Vec<Relation>) = relations.into_iter().map(|l| (l.at, l.record)).unzip();
    let outcome = kb.import_relations_bulk(relations, batch, |n| progress.advance(n as u64))?;
    progress.advance(outcome.refused.len() as u64);
    rejected.extend(outcome.refused.iter().map(|(i, e)| format!("{}: {e}", origins[*i])));
    Ok(outcome.written)
}

/// Writes records batch by batch; a batch with a bad record is split in halves, and those
/// again, down to single records, so that only the bad ones are rejected (each with the
/// message a write of it alone gives) in a few transactions rather than one per record.
/// `write` hands a refused batch back (see [`KnowledgeBase::put_entities_or_return`]). Faults
/// of the server stop the import.
pub(super) fn write_batches<T>(
    records: Vec<Located<T>>,
    batch: usize,
    progress: &dyn IngestProgress,
    rejected: &mut Vec<String>,
    write: impl Fn(Vec<T>) -> Result<WriteSummary, Refused<T>>,
) -> Result<usize, BraidError> {
    let (origins, records): (Vec<Origin>, Vec<T>) = records.into_iter().map(|l| (l.at, l.record)).unzip();
    let mut records = records.into_iter();
    let mut written = 0;
    for at in origins.chunks(batch.max(1)) {
        written += write_chunk(at, records.by_ref().take(at.len()).collect(), rejected, &write)?;
        progress.advance(at.len() as u64);
    }
    Ok(written)
}

/// Writes `records` (from `at`, one origin each), splitting them on bad input.
fn write_chunk<T>(
    at: &[Origin],
    records: Vec<T>,
    rejected: &mut Vec<String>,
    write: &impl Fn(Vec<T>) -> Result<WriteSummary, Refused<T>>,
) -> Result<usize, BraidError> {
    match write(records) {
        Ok(s) => Ok(s.written),
        Err((e @ (BraidError::Invalid { .. } | BraidError::NotFound { .. }), Some(mut records))) => match at {
            [one] => {
                rejected.push(format!("{one}: {}", e.to_string().replace("items[0].", "")));
                Ok(0)
            }
            _ => {
                let (left, right) = at.split_at(at.len() / 2);
                let rest = records.split_off(left.len());
                Ok(write_chunk(left, records, rejected, write)? + write_chunk(right, rest, rejected, write)?)
            }
        },
        Err((e, _)) => Err(e),
    }
}

/// A write that cannot hand refused records back, made to keep a copy to hand back.
pub(super) fn copying<T: Clone>(
    write: impl Fn(Vec<T>) -> Result<WriteSummary, BraidError>,
) -> impl Fn(Vec<T>) -> Result<WriteSummary, Refused<T>> {
    move |records: Vec<T>| {
        let copy = records.clone();
        write(records).map_err(|e| (e, Some(copy)))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::sync::Arc;

    use super::*;
    use crate::ingest::NoProgress;

    #[test]
    fn a_bad_record_is_isolated_in_a_few_writes_and_reported_alone() -> Result<(), BraidError> {
        let file: Arc<str> = "r.jsonl".into();
        let records: Vec<Located<u32>> = (0..1000)
            .map(|i| Located { at: Origin { file: Arc::clone(&file), line: Some(i as usize + 1) }, record: i })
            .collect();
        let bad = |r: &u32| *r == 17 || *r == 18 || *r == 999;
        let calls = Cell::new(0);
        let write = |batch: Vec<u32>| {
            calls.set(calls.get() + 1);
            match batch.iter().position(bad) {
                Some(i) => {
                    let e = BraidError::invalid("source", format!("unknown entity '{}'", batch[i])).in_item(i);
                    Err((e, Some(batch)))
                }
                None => Ok(WriteSummary { ids: vec![], written: batch.len(), unchanged: 0 }),
            }
        };
        let mut rejected = Vec::new();
        let written = write_batches(records, 256, &NoProgress, &mut rejected, write)?;
        assert_eq!(written, 997);
        assert_eq!(rejected.len(), 3);
        assert!(rejected[0].starts_with("r.jsonl:18: ") && rejected[0].contains("unknown entity '17'"), "{rejected:?}");
        assert!(!rejected[0].contains("items[0]"), "{rejected:?}");
        assert!(rejected[1].starts_with("r.jsonl:19: ") && rejected[2].starts_with("r.jsonl:1000: "), "{rejected:?}");
        // Four batches, bisection in two of them: far fewer than a write per record.
        assert!(calls.get() < 60, "{} writes", calls.get());
        Ok(())
    }
}
