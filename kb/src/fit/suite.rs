//! Several knowledge bases of different domains, each with labelled queries: what the
//! shipped routing weights are fitted on, and how they are judged without flattering them —
//! leave one domain out: a domain's test queries are scored by weights (and exemplars)
//! fitted on the other domains only, as a user's own knowledge base would be.
//!
//! A suite is a TOML file; paths are relative to it:
//!
//! ```toml
//! [[domain]]
//! name = "debian"
//! data = ["debian/entities.jsonl", "debian/relations.jsonl", "debian/documents.jsonl"]
//! train = ["debian/dev.jsonl"]
//! test = ["debian/test.jsonl"]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use braid_router::policy::{FEATURE_NAMES, feature_vector};
use braid_router::train::{EvalReport, Example, FitOptions, evaluate, fit_with_summary};
use braid_router::{Exemplars, PolicyWeights, QueryEmbedder, QueryRequest, Route, RoutePolicy};
use braid_vector::Embedder;
use serde::{Deserialize, Serialize};

use super::{LabelledQuery, read_labelled};
use crate::error::BraidError;
use crate::ingest::{NoProgress, ingest_paths};
use crate::knowledge_base::{KnowledgeBase, Options};

/// One domain of a suite.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    /// Its name.
    pub name: String,
    /// What to import (JSON Lines files or folders).
    pub data: Vec<PathBuf>,
    /// Labelled queries to fit on.
    #[serde(default)]
    pub train: Vec<PathBuf>,
    /// Labelled queries to report on.
    #[serde(default)]
    pub test: Vec<PathBuf>,
}

/// A suite of domains.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// The domains.
    pub domain: Vec<Domain>,
}

impl Suite {
    /// Reads a suite file; its paths become relative to the file's folder.
    pub fn load(path: &Path) -> Result<Suite, BraidError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| BraidError::invalid("suite", format!("cannot read {}: {e}", path.display())))?;
        let mut suite: Suite =
            toml::from_str(&text).map_err(|e| BraidError::invalid("suite", format!("{}: {e}", path.display())))?;
        let root = path.parent().unwrap_or(Path::new("."));
        for d in &mut suite.domain {
            for p in d.data.iter_mut().chain(d.train.iter_mut()).chain(d.test.iter_mut()) {
                *p = root.join(&*p);
            }
        }
        if suite.domain.is_empty() {
            return Err(BraidError::invalid("suite", format!("{} names no domain", path.display())));
        }
        Ok(suite)
    }
}

/// Which labelled queries of each domain to score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Split {
    /// The test queries (reported in aggregate only).
    #[default]
    Test,
    /// The training queries: with leave-one-domain-out, still unseen by the weights that
    /// score them, and free to look at.
    Train,
}

/// How a suite is run.
pub struct SuiteOptions {
    /// The embedder of the knowledge bases and of the exemplar queries.
    pub embedder: Arc<dyn Embedder>,
    /// Thresholds (and the provenance prefix) of fitted weights come from here.
    pub base: PolicyWeights,
    /// Settings of the fit.
    pub fit: FitOptions,
    /// Which queries to score.
    pub split: Split,
    /// Also fit on queries written from each domain's own data ([`super::auto`]), the held-out
    /// domain's included, as `braid router fit --auto` does for a user's knowledge base.
    pub auto: bool,
}

/// A domain's scores.
#[derive(Debug, Clone, Serialize)]
pub struct DomainReport {
    /// The domain.
    pub name: String,
    /// Routing on its test queries: accuracy, macro-F1, confusion, calibration error.
    pub routing: EvalReport,
    /// Relational questions (route graph, with gold answers) and how many had a right answer
    /// in the top 5 of the fused results.
    pub relational: usize,
    /// See [`DomainReport::relational`].
    pub relational_hit5: usize,
    /// Routing accuracy by question class: (queries, right).
    pub classes: BTreeMap<String, (usize, usize)>,
    /// Relational questions without a right answer in the top 5: (query, the top 5 ids).
    pub relational_misses: Vec<(String, Vec<String>)>,
}

impl DomainReport {
    /// Share of relational questions with a right answer in the top 5.
    pub fn hit5(&self) -> f32 {
        self.relational_hit5 as f32 / self.relational.max(1) as f32
    }
}

/// The active embedder as the router's query embedder.
struct Queries(Arc<dyn Embedder>);

impl QueryEmbedder for Queries {
    fn embed(&self, text: &str) -> Option<Vec<f32>> {
        self.0.embed_text(text).ok()
    }
}

/// A domain imported into a fresh data directory.
struct Loaded {
    name: String,
    dir: tempfile::TempDir,
    train: Vec<LabelledQuery>,
    test: Vec<LabelledQuery>,
    /// Queries written from the domain's data (no labels by anyone).
    auto: Vec<LabelledQuery>,
}

fn read_all(paths: &[PathBuf]) -> Result<Vec<LabelledQuery>, BraidError> {
    let mut out = Vec::new();
    for p in paths {
        out.extend(read_labelled(p)?);
    }
    Ok(out)
}

fn open(
    dir: &Path,
    options: &SuiteOptions,
    policy: RoutePolicy,
    exemplars: Vec<(String, Route)>,
) -> Result<KnowledgeBase, BraidError> {
    let mut o = Options::new(dir, options.embedder.clone());
    o.policy = policy;
    o.exemplars = Some(exemplars);
    o.checkpoints = None;
    KnowledgeBase::open(o)
}

fn load(domain: &Domain, options: &SuiteOptions) -> Result<Loaded, BraidError> {
    let dir = tempfile::Builder::new()
        .prefix("braid-suite-")
        .tempdir()
        .map_err(|e| BraidError::Internal(format!("temp dir: {e}")))?;
    {
        let kb = open(dir.path(), options, RoutePolicy::new(options.base.clone()), Vec::new())?;
        let report = ingest_paths(&kb, &domain.data, &NoProgress)?;
        if let Some(first) = report.rejected.first() {
            return Err(BraidError::invalid(
                "data",
                format!("domain {}: {} records refused, first: {first}", domain.name, report.rejected.len()),
            ));
        }
        // A checkpoint, so each later open of this domain starts fast.
        kb.checkpoint_vectors()?;
        let auto =
            if options.auto { super::auto::synthesize(&kb, &super::auto::AutoOptions::default())? } else { Vec::new() };
        Ok(Loaded {
            name: domain.name.clone(),
            dir,
            train: read_all(&domain.train)?,
            test: read_all(&domain.test)?,
            auto,
        })
    }
}

/// Training rows of `queries` against `kb` (opened without exemplars), with the exemplar
/// features computed against `exemplars`.
fn rows(kb: &KnowledgeBase, queries: &[LabelledQuery], exemplars: &Exemplars) -> Vec<Example> {
    queries
        .iter()
        .map(|q| {
            let mut f = kb.router().features(&q.query, false);
            f.exemplar_similarity = exemplars.similarities(&q.query).map(|(z, _)| z);
            Example { x: feature_vector(&f), route: q.route, also: q.also.clone() }
        })
        .collect()
}

fn exemplar_list(domains: &[&Loaded]) -> Vec<(String, Route)> {
    domains.iter().flat_map(|d| d.train.iter().map(|q| (q.query.clone(), q.route))).collect()
}

/// Weights fitted on the training queries of `train` (and the queries written from the
/// data of `auto_only`, a held-out domain's own), with their exemplars.
fn fit_on(
    train: &[&Loaded],
    auto_only: Option<&Loaded>,
    options: &SuiteOptions,
    note: &str,
) -> Result<(PolicyWeights, Vec<(String, Route)>), BraidError> {
    let exemplar_queries = exemplar_list(train);
    let exemplars = Exemplars::new(Arc::new(Queries(options.embedder.clone())), exemplar_queries.clone());
    let mut examples = Vec::new();
    for d in train {
        let kb = open(d.dir.path(), options, RoutePolicy::new(options.base.clone()), Vec::new())?;
        examples.extend(rows(&kb, &d.train, &exemplars));
        examples.extend(rows(&kb, &d.auto, &exemplars));
    }
    if let Some(d) = auto_only {
        let kb = open(d.dir.path(), options, RoutePolicy::new(options.base.clone()), Vec::new())?;
        examples.extend(rows(&kb, &d.auto, &exemplars));
    }
    let names: Vec<&str> = train.iter().map(|d| d.name.as_str()).collect();
    let provenance =
        format!("{note}: fit on {} queries of {} ({} features)", examples.len(), names.join(", "), FEATURE_NAMES.len());
    let (weights, _) = fit_with_summary(&examples, &options.base, &options.fit, provenance);
    Ok((weights, exemplar_queries))
}

/// Scores `weights` (with `exemplars`) on the test queries of `domain`: routing from the
/// features, relational answers from real queries through the knowledge base.
async fn score(
    domain: &Loaded,
    weights: &PolicyWeights,
    exemplars: Vec<(String, Route)>,
    options: &SuiteOptions,
) -> Result<DomainReport, BraidError> {
    let kb = open(domain.dir.path(), options, RoutePolicy::new(weights.clone()), exemplars)?;
    let queries = match options.split {
        Split::Test => &domain.test,
        Split::Train => &domain.train,
    };
    let examples: Vec<Example> = queries
        .iter()
        .map(|q| Example {
            x: feature_vector(&kb.router().features(&q.query, false)),
            route: q.route,
            also: q.also.clone(),
        })
        .collect();
    let texts: Vec<String> = queries.iter().map(|q| q.query.clone()).collect();
    let routing = evaluate(weights, &examples, &texts);
    let mut classes: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut relational, mut relational_hit5) = (0, 0);
    let mut relational_misses = Vec::new();
    for (q, ex) in queries.iter().zip(&examples) {
        let p = weights.probabilities(&ex.x);
        let best = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a))).unwrap_or(0);
        let right = Route::ALL[best] == q.route || q.also.contains(&Route::ALL[best]);
        let class = classes.entry(q.class.clone().unwrap_or_else(|| q.route.to_string())).or_default();
        class.0 += 1;
        class.1 += usize::from(right);
        if q.route == Route::Graph && !q.gold.is_empty() {
            relational += 1;
            let answer = kb.query(&QueryRequest::new(q.query.clone())).await?;
            if answer.results.iter().take(5).any(|h| q.gold.contains(&h.id)) {
                relational_hit5 += 1;
            } else {
                relational_misses
                    .push((q.query.clone(), answer.results.iter().take(5).map(|h| h.id.clone()).collect()));
            }
        }
    }
    Ok(DomainReport { name: domain.name.clone(), routing, relational, relational_hit5, classes, relational_misses })
}

/// Weights (and exemplar queries) fitted on every domain's training queries: what ships.
pub fn fit_suite(suite: &Suite, options: &SuiteOptions) -> Result<(PolicyWeights, Vec<(String, Route)>), BraidError> {
    let loaded = suite.domain.iter().map(|d| load(d, options)).collect::<Result<Vec<_>, _>>()?;
    let all: Vec<&Loaded> = loaded.iter().collect();
    fit_on(&all, None, options, "suite")
}

/// Each domain scored by weights fitted on the other domains only (leave one domain out).
pub async fn evaluate_leave_one_out(suite: &Suite, options: &SuiteOptions) -> Result<Vec<DomainReport>, BraidError> {
    let loaded = suite.domain.iter().map(|d| load(d, options)).collect::<Result<Vec<_>, _>>()?;
    let mut reports = Vec::new();
    for (i, held_out) in loaded.iter().enumerate() {
        let others: Vec<&Loaded> = loaded.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, d)| d).collect();
        let own = options.auto.then_some(held_out);
        let (weights, exemplars) = fit_on(&others, own, options, &format!("without {}", held_out.name))?;
        reports.push(score(held_out, &weights, exemplars, options).await?);
    }
    Ok(reports)
}

/// Each domain scored by the given weights and exemplars (e.g. the shipped ones).
pub async fn evaluate_with(
    suite: &Suite,
    weights: &PolicyWeights,
    exemplars: Vec<(String, Route)>,
    options: &SuiteOptions,
) -> Result<Vec<DomainReport>, BraidError> {
    let mut reports = Vec::new();
    for domain in &suite.domain {
        let loaded = load(domain, options)?;
        reports.push(score(&loaded, weights, exemplars.clone(), options).await?);
    }
    Ok(reports)
}
