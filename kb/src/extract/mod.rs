//! A graph from the files with a language model, when one is configured: each passage of
//! the ingested files is sent to an OpenAI-compatible chat endpoint ([`ChatClient`]), which
//! answers with the entities and typed relations the passage states, as JSON against a
//! schema ([`Extracted`]). Names are merged with the graph's entities (`resolve`); every
//! extracted relation records the passages that state it (`facts`); answers are cached in
//! the store by the passage's text, so re-ingesting costs no calls.
//!
//! Extraction runs after the files' own records are written, with bounded concurrency and
//! retries, and never stops the ingest: a passage whose call fails is reported and tried again
//! by the next ingest, and after [`Extractor::give_up_after`] failures in a row the remaining
//! passages wait for the next run instead of each waiting out the timeout.
//!
//! ```no_run
//! use braid_kb::extract::{Extractor, LlmConfig};
//! use braid_kb::ingest::IngestOptions;
//! use std::sync::Arc;
//!
//! let config = LlmConfig::from_lookup(|name| std::env::var(name).ok())?.expect("BRAID_LLM_URL is set");
//! let options = IngestOptions { extractor: Some(Arc::new(Extractor::new(config)?)), ..IngestOptions::default() };
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;

mod answer;
mod client;
mod facts;
mod resolve;

pub use answer::{Extracted, ExtractedEntity, ExtractedRelation};
pub use client::{ChatClient, DEFAULT_CONCURRENCY, DEFAULT_RETRIES, DEFAULT_TIMEOUT, LlmConfig, LlmError};
pub(crate) use facts::FactChanges;
pub use facts::{EXTRACTED_BY_PROP, PROVENANCE_PROP};
pub use resolve::EXTRACTED_ID_PREFIX;

use crate::error::BraidError;
use crate::ingest::IngestProgress;
use crate::ingest::file_records::{FILE_ID_PREFIX, LINKS_TO, MENTIONS};
use crate::ingest::manifest::{FileManifest, passage_hash};
use crate::knowledge_base::KnowledgeBase;
use crate::knowledge_base::files::FileChanges;
use crate::records::{Entity, Relation};
use resolve::EntityResolver;

/// Entity types and relation types named in the prompt, at most: the most common ones.
const VOCABULARY: usize = 40;
/// Files whose facts are written per transaction.
const FILES_PER_WRITE: usize = 64;

/// Extracts entities and relations from passages with a language model.
#[derive(Debug, Clone)]
pub struct Extractor {
    client: ChatClient,
    /// Linker confidence above which an extracted name is the entity the linker found for
    /// it. Default 0.7, the mention threshold (see [`crate::ingest::MentionOptions`]).
    pub merge_confidence: f32,
    /// Failed calls in a row after which the remaining passages are left for the next run.
    /// Default 5.
    pub give_up_after: usize,
}

impl Extractor {
    /// An extractor calling the endpoint `config` names.
    pub fn new(config: LlmConfig) -> Result<Extractor, LlmError> {
        Ok(Extractor { client: ChatClient::new(config)?, merge_confidence: 0.7, give_up_after: 5 })
    }

    /// The model's name.
    pub fn model(&self) -> &str {
        &self.client.config().model
    }

    /// Extracts one passage, retrying what may pass on another try (a malformed answer too:
    /// models do not always keep to the schema).
    pub async fn extract(&self, system: &str, title: &str, text: &str) -> Result<Extracted, LlmError> {
        let backoff = braid_web::Backoff { base: Duration::from_millis(500), max: Duration::from_secs(8) };
        let user = answer::user_prompt(title, text);
        let schema = answer::schema();
        let mut attempt = 0;
        loop {
            let result = match self.client.complete(system, &user, &schema).await {
                Ok(content) => answer::parse(&content).map_err(LlmError::Malformed),
                Err(e) => Err(e),
            };
            match result {
                Err(e) if e.is_retryable() && attempt < self.client.config().retries => {
                    attempt += 1;
                    tokio::time::sleep(backoff.delay(attempt)).await;
                }
                other => return other,
            }
        }
    }

    /// The cache key of a passage: the model, the prompt's version and the text.
    fn cache_key(&self, title: &str, text: &str) -> String {
        let input = format!("{}\0{}\0{title}\n{text}", self.model(), answer::PROMPT_VERSION);
        braid_files::ContentHash::of(input.as_bytes()).to_string()
    }
}

/// What extraction did in one ingest.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ExtractionReport {
    /// The model.
    pub model: String,
    /// Passages that needed extracting (new or changed, or failed before).
    pub passages: usize,
    /// Of those, answered from the cache.
    pub cached: usize,
    /// Of those, answered by the model now.
    pub answered: usize,
    /// Passages whose extraction failed, and why; tried again by the next ingest.
    pub failed: Vec<PassageFailure>,
    /// Passages not tried because the endpoint kept failing; tried by the next ingest.
    pub not_tried: usize,
    /// Entities the model introduced.
    pub entities: usize,
    /// Extracted names merged with an entity the graph had.
    pub merged: usize,
    /// Facts (relations) written or given more provenance.
    pub facts: usize,
    /// Facts deleted because no passage states them any more.
    pub retracted: usize,
}

/// A passage whose extraction failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PassageFailure {
    /// The passage (document) id.
    pub passage: String,
    /// Why.
    pub reason: String,
}

/// One passage to extract.
struct Job {
    file: String,
    passage: String,
    title: String,
    text: String,
    hash: String,
    key: String,
}

/// What became of a job.
enum Outcome {
    Answer(Extracted),
    Failed(String),
    NotTried,
}

/// Extracts every passage of the stored files that needs it, and writes the facts.
pub(crate) fn extract_files(
    kb: &KnowledgeBase,
    extractor: &Extractor,
    manifests: &mut BTreeMap<String, FileManifest>,
    progress: &dyn IngestProgress,
) -> Result<ExtractionReport, BraidError> {
    let mut report = ExtractionReport { model: extractor.model().to_string(), ..ExtractionReport::default() };
    let mut jobs: Vec<Job> = Vec::new();
    let mut stale: HashMap<String, HashSet<String>> = HashMap::new();
    for m in manifests.values().filter(|m| matches!(m.format.as_str(), "markdown" | "html" | "text" | "pdf")) {
        let mut current: HashMap<&str, String> = HashMap::new();
        for id in &m.records.documents {
            let Some(d) = kb.store().document(id)? else { continue };
            let hash = passage_hash(&d.title, &d.text);
            if !m.extraction.done.iter().any(|(p, h)| p == id && *h == hash) {
                jobs.push(Job {
                    file: m.id.clone(),
                    passage: id.clone(),
                    key: extractor.cache_key(&d.title, &d.text),
                    title: d.title,
                    text: d.text,
                    hash: hash.clone(),
                });
            }
            current.insert(id.as_str(), hash);
        }
        let gone: HashSet<String> = m
            .extraction
            .done
            .iter()
            .filter(|(p, h)| current.get(p.as_str()) != Some(h))
            .map(|(p, _)| p.clone())
            .collect();
        if !gone.is_empty() {
            stale.insert(m.id.clone(), gone);
        }
    }
    report.passages = jobs.len();
    if jobs.is_empty() && stale.is_empty() {
        return Ok(report);
    }
    progress.start(jobs.len() as u64);

    let mut outcomes: HashMap<usize, Outcome> = HashMap::new();
    let mut misses = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        match kb.store().extraction(&job.key)?.and_then(|b| serde_json::from_slice::<Extracted>(&b).ok()) {
            Some(answer) => {
                report.cached += 1;
                progress.advance(1);
                outcomes.insert(i, Outcome::Answer(answer));
            }
            None => misses.push(i),
        }
    }
    if !misses.is_empty() {
        let system = kb.with_graph(|graph| {
            let (entity_types, relation_types) = vocabulary(graph);
            answer::system_prompt(&entity_types, &relation_types)
        });
        let called = call_model(extractor, &system, &jobs, &misses, progress)?;
        let mut cache = Vec::new();
        for (i, outcome) in called {
            if let Outcome::Answer(a) = &outcome {
                report.answered += 1;
                cache.push((jobs[i].key.clone(), serde_json::to_vec(a).unwrap_or_default()));
            }
            outcomes.insert(i, outcome);
        }
        kb.store().put_extractions(&cache)?;
    }

    // Facts, file by file, a transaction per group of files.
    let mut by_file: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, job) in jobs.iter().enumerate() {
        by_file.entry(job.file.clone()).or_default().push(i);
    }
    for file in stale.keys() {
        by_file.entry(file.clone()).or_default();
    }
    let mut resolver = kb.with_graph(|g| EntityResolver::new(g, extractor.merge_confidence, extractor.model()));
    let files: Vec<(String, Vec<usize>)> = by_file.into_iter().collect();
    for group in files.chunks(FILES_PER_WRITE) {
        let mut changes = FactChanges::default();
        let mut entities: Vec<Entity> = Vec::new();
        let mut updated: Vec<FileManifest> = Vec::new();
        kb.with_graph(|graph| {
            for (file, indexes) in group {
                let Some(mut m) = manifests.get(file).cloned() else { continue };
                if let Some(gone) = stale.get(file) {
                    report.retracted += changes.retract(graph, &mut m.extraction, gone);
                }
                for &i in indexes {
                    let job = &jobs[i];
                    match outcomes.remove(&i) {
                        Some(Outcome::Answer(a)) => {
                            let source = crate::ingest::mentions::section_of(&job.passage).to_string();
                            for r in &a.relations {
                                let kind = |name: &str| {
                                    a.entities
                                        .iter()
                                        .find(|e| answer::same_name(&e.name, name))
                                        .map_or("thing", |e| &e.kind)
                                };
                                let mut ids = Vec::new();
                                for name in [&r.source, &r.target] {
                                    let (id, new) = resolver.resolve(graph, name, kind(name));
                                    if let Some(e) = new {
                                        entities.push(e);
                                    }
                                    ids.push(id);
                                }
                                let fact = Relation::new(ids[0].clone(), r.relation.clone(), ids[1].clone());
                                if changes.assert(graph, &mut m.extraction, fact, &job.passage, extractor.model()) {
                                    report.facts += 1;
                                }
                                for id in ids {
                                    let mention = Relation::new(source.clone(), MENTIONS, id);
                                    changes.assert(graph, &mut m.extraction, mention, &job.passage, extractor.model());
                                }
                            }
                            m.extraction.failed.retain(|(p, _)| *p != job.passage);
                            m.extraction.done.retain(|(p, _)| *p != job.passage);
                            m.extraction.done.push((job.passage.clone(), job.hash.clone()));
                        }
                        Some(Outcome::Failed(reason)) => {
                            m.extraction.failed.retain(|(p, _)| *p != job.passage);
                            m.extraction.failed.push((job.passage.clone(), reason.clone()));
                            report.failed.push(PassageFailure { passage: job.passage.clone(), reason });
                        }
                        Some(Outcome::NotTried) | None => report.not_tried += 1,
                    }
                }
                updated.push(m);
            }
        });
        report.entities += entities.len();
        let (relations, delete_relations, orphans) = changes.finish();
        kb.write_file_changes(FileChanges {
            entities,
            relations,
            delete_relations,
            orphans,
            manifests: updated.iter().map(|m| (m.id.clone(), m.encode())).collect(),
            ..FileChanges::default()
        })?;
        for m in updated {
            manifests.insert(m.id.clone(), m);
        }
    }
    report.merged = resolver.merged;
    Ok(report)
}

/// The graph's most common entity types and relation types, for the prompt. Files' own
/// vocabulary (documents, sections, mentions, links) is left out: the model is not to use it.
fn vocabulary(graph: &braid_graph::Graph) -> (Vec<String>, Vec<String>) {
    let mut kinds: HashMap<&str, usize> = HashMap::new();
    for e in graph.entities().filter(|e| braid_graph::is_linkable_entity(e) && !e.id.starts_with(FILE_ID_PREFIX)) {
        *kinds.entry(e.kind.as_str()).or_default() += 1;
    }
    let mut kinds: Vec<(&str, usize)> = kinds.into_iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut relations: HashMap<String, usize> = HashMap::new();
    for r in graph.relations() {
        if r.relation != MENTIONS && r.relation != LINKS_TO {
            *relations.entry(r.relation).or_default() += 1;
        }
    }
    let mut relations: Vec<(String, usize)> = relations.into_iter().collect();
    relations.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    (
        kinds.into_iter().take(VOCABULARY).map(|(k, _)| k.to_string()).collect(),
        relations.into_iter().take(VOCABULARY).map(|(r, _)| r).collect(),
    )
}

/// Calls the model for `misses` (indexes into `jobs`) with bounded concurrency, on a
/// runtime of its own (the caller may or may not be inside one).
fn call_model(
    extractor: &Extractor,
    system: &str,
    jobs: &[Job],
    misses: &[usize],
    progress: &dyn IngestProgress,
) -> Result<Vec<(usize, Outcome)>, BraidError> {
    let failures_in_a_row = AtomicUsize::new(0);
    let concurrency = extractor.client.config().concurrency.max(1);
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| BraidError::Internal(format!("cannot start the extraction runtime: {e}")))?;
                Ok(runtime.block_on(
                    futures::stream::iter(misses.iter().copied())
                        .map(|i| {
                            let job = &jobs[i];
                            let failures_in_a_row = &failures_in_a_row;
                            async move {
                                if failures_in_a_row.load(Ordering::Relaxed) >= extractor.give_up_after {
                                    progress.advance(1);
                                    return (i, Outcome::NotTried);
                                }
                                let outcome = match extractor.extract(system, &job.title, &job.text).await {
                                    Ok(answer) => {
                                        failures_in_a_row.store(0, Ordering::Relaxed);
                                        Outcome::Answer(answer)
                                    }
                                    Err(e) => {
                                        failures_in_a_row.fetch_add(1, Ordering::Relaxed);
                                        Outcome::Failed(e.to_string())
                                    }
                                };
                                progress.advance(1);
                                (i, outcome)
                            }
                        })
                        .buffer_unordered(concurrency)
                        .collect::<Vec<_>>(),
                ))
            })
            .join()
            // The runtime thread only fails by panicking, which is a bug: let it surface.
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}
