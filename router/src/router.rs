//! The `Router`: introspect, plan, run the selected sources concurrently under deadlines,
//! escalate once on weak evidence, fuse, and report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;

use crate::features::QueryFeatures;
use crate::fusion::{DEFAULT_RRF_K, RankedList, fuse};
use crate::hit::Hit;
use crate::introspect::{EntityLinker, Introspector};
use crate::lexicon::Lexicon;
use crate::plan::RoutePlan;
use crate::policy::{Availability, FEATURE_NAMES, RoutePolicy, feature_vector};
use crate::request::{
    Escalation, FusionMethod, FusionTrace, InvalidRequest, MAX_K, QueryRequest, QueryResponse, SourceReport,
    SourceStatus, StageReport, Trace,
};
use crate::route::Route;
use crate::schema::{NoSchema, SchemaSource};
use crate::source::{Source, SourceError, SourceRequest};

/// Settings of a [`Router`].
#[derive(Debug, Clone)]
pub struct RouterConfig {
    /// Deadline per route, in [`Route::ALL`] order.
    pub deadlines: [Duration; 3],
    /// Default fusion method.
    pub fusion: FusionMethod,
    /// RRF constant.
    pub rrf_k: f32,
    /// Smallest weight a fused route gets, so a low-probability route still contributes.
    pub min_weight: f32,
    /// Whether weak evidence triggers one escalation to the next route.
    pub escalate: bool,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            deadlines: [Duration::from_millis(2_000), Duration::from_millis(5_000), Duration::from_millis(4_000)],
            fusion: FusionMethod::Rrf,
            rrf_k: DEFAULT_RRF_K,
            min_weight: 0.25,
            escalate: true,
        }
    }
}

/// Errors of a routed query.
#[derive(Debug, thiserror::Error)]
pub enum RouterError {
    /// A request value is out of range.
    #[error(transparent)]
    Invalid(#[from] InvalidRequest),
}

/// The query router.
pub struct Router {
    introspector: Introspector,
    policy: RoutePolicy,
    linker: Arc<dyn EntityLinker>,
    schema: Arc<dyn SchemaSource>,
    /// The lexicon of the schema version it was compiled from (see [`Router::lexicon`]).
    lexicon: std::sync::RwLock<(u64, Arc<Lexicon>)>,
    sources: [Option<Arc<dyn Source>>; 3],
    config: RouterConfig,
}

impl Router {
    /// A router with the shipped policy, default settings and no sources.
    pub fn new(linker: Arc<dyn EntityLinker>) -> Self {
        Router {
            introspector: Introspector::new(),
            policy: RoutePolicy::default(),
            linker,
            schema: Arc::new(NoSchema),
            lexicon: std::sync::RwLock::new((u64::MAX, Arc::new(Lexicon::default()))),
            sources: [None, None, None],
            config: RouterConfig::default(),
        }
    }

    /// Reads the knowledge base's schema from `schema`, so that questions are understood in
    /// its vocabulary (see [`crate::lexicon`]).
    pub fn with_schema(mut self, schema: Arc<dyn SchemaSource>) -> Self {
        self.schema = schema;
        self
    }

    /// The lexicon of the current schema, compiled now if the schema changed since the last
    /// query (a write added a relation type, say).
    pub fn lexicon(&self) -> Arc<Lexicon> {
        let version = self.schema.version();
        {
            let current = self.lexicon.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            if current.0 == version {
                return Arc::clone(&current.1);
            }
        }
        let compiled = Arc::new(Lexicon::compile(&self.schema.schema()));
        let mut slot = self.lexicon.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        *slot = (version, Arc::clone(&compiled));
        compiled
    }

    /// Adds (or replaces) the source of its route.
    pub fn with_source(mut self, source: Arc<dyn Source>) -> Self {
        let at = source.route().index();
        self.sources[at] = Some(source);
        self
    }

    /// Replaces the policy.
    pub fn with_policy(mut self, policy: RoutePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Adds exemplar similarity to introspection (see [`crate::exemplars`]).
    pub fn with_exemplars(mut self, exemplars: Arc<crate::exemplars::Exemplars>) -> Self {
        self.introspector = self.introspector.with_exemplars(exemplars);
        self
    }

    /// Replaces the settings.
    pub fn with_config(mut self, config: RouterConfig) -> Self {
        self.config = config;
        self
    }

    /// The policy in use.
    pub fn policy(&self) -> &RoutePolicy {
        &self.policy
    }

    /// The settings in use.
    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    /// Whether each route can run now, and why not.
    pub fn availability(&self) -> Availability {
        let mut a = Availability::all();
        for route in Route::ALL {
            match &self.sources[route.index()] {
                None => a = a.without(route, "no source configured"),
                Some(s) => {
                    if let Err(why) = s.availability() {
                        a = a.without(route, why);
                    }
                }
            }
        }
        a
    }

    /// Introspects a query.
    pub fn features(&self, query: &str, has_image: bool) -> QueryFeatures {
        self.introspector.introspect(query, self.linker.as_ref(), &self.lexicon(), has_image)
    }

    /// Plans a query without running anything.
    pub fn plan(&self, query: &str, has_image: bool, forced: Option<&[Route]>) -> (QueryFeatures, RoutePlan) {
        let features = self.features(query, has_image);
        let plan = self.policy.plan(&features, &self.availability(), forced);
        (features, plan)
    }

    /// Runs one source directly (`POST /v1/search/{route}`), under its deadline.
    pub async fn search_source(&self, route: Route, request: SourceRequest) -> Result<Vec<Hit>, SourceError> {
        let source = self.sources[route.index()]
            .as_ref()
            .ok_or_else(|| SourceError::Unavailable(format!("{route}: no source configured")))?;
        source.availability().map_err(SourceError::Unavailable)?;
        match tokio::time::timeout(self.config.deadlines[route.index()], source.search(&request)).await {
            Ok(result) => result,
            Err(_) => Err(SourceError::Failed(format!(
                "{route} timed out after {} ms",
                self.config.deadlines[route.index()].as_millis()
            ))),
        }
    }

    /// Answers a query: plan, execute, escalate on weak evidence, fuse.
    pub async fn query(&self, req: &QueryRequest, image: Option<Arc<Vec<u8>>>) -> Result<QueryResponse, RouterError> {
        req.validate()?;
        let started = Instant::now();
        let (features, mut plan) = self.plan(&req.query, image.is_some(), req.routes.as_deref());
        let features = Arc::new(features);
        // Reordering for variety (MMR, interleaving) picks k from a deeper pool.
        let diversity = req.diversity.filter(|&d| d > 0.0);
        let pool = if diversity.is_some() || req.interleave { (req.k * 3).min(MAX_K) } else { req.k };
        let source_request = SourceRequest {
            query: req.query.clone(),
            features: features.clone(),
            k: pool,
            filters: req.filters.clone(),
            image,
            ef: req.ef,
        };

        let mut outcomes = self.run(&plan.selected(), &source_request).await;
        let mut escalation = None;
        if self.config.escalate
            && req.routes.is_none()
            && let Some(why) = weak_evidence(&features, &plan, &outcomes)
        {
            let availability = self.availability();
            let next = plan.routes.iter().find(|d| !d.selected && availability.is_available(d.route)).map(|d| d.route);
            if let Some(route) = next {
                if let Some(d) = plan.decision_mut(route) {
                    d.selected = true;
                    d.reasons.push(format!("escalated: {why}"));
                }
                outcomes.extend(self.run(&[route], &source_request).await);
                escalation = Some(Escalation { route, reason: why });
            }
        }

        let max_score = plan.routes.iter().filter(|d| d.selected).map(|d| d.score).fold(f32::EPSILON, f32::max);
        let lists: Vec<RankedList> = outcomes
            .iter()
            .filter_map(|o| match &o.result {
                Outcome::Hits(hits, ..) => Some(RankedList {
                    route: o.route,
                    weight: plan
                        .decision(o.route)
                        .map_or(self.config.min_weight, |d| (d.score / max_score).max(self.config.min_weight)),
                    hits: hits.clone(),
                }),
                _ => None,
            })
            .collect();
        let method = req.fusion.unwrap_or(self.config.fusion);
        let fused = fuse(&lists, method, self.config.rrf_k, pool);
        // A relational question's graph answers lead; variety reorders what follows them.
        let (mut results, mut rest) =
            if features.relations.is_empty() { (Vec::new(), fused) } else { crate::fusion::answers_first(fused) };
        let answers = results.len();
        let room = req.k.saturating_sub(answers);
        if let Some(d) = diversity {
            rest = crate::diversity::mmr(rest, d, if req.interleave { pool } else { room });
        }
        if req.interleave {
            rest = crate::diversity::interleave_modalities(rest, room);
        }
        results.extend(rest);
        results.truncate(req.k);

        let sources = Route::ALL
            .iter()
            .map(|&route| match outcomes.iter().find(|o| o.route == route) {
                Some(o) => o.report(),
                None => SourceReport {
                    route,
                    status: SourceStatus::Skipped,
                    took_ms: 0.0,
                    hits: 0,
                    total: None,
                    error: None,
                    stages: Vec::new(),
                },
            })
            .collect();

        let trace = req.explain.then(|| {
            let x = feature_vector(&features);
            let probs = self.policy.weights().probabilities(&x);
            Trace {
                features: (*features).clone(),
                feature_vector: FEATURE_NAMES.iter().zip(x).map(|(n, v)| ((*n).to_string(), v)).collect(),
                probabilities: Route::ALL.iter().map(|r| (*r, probs[r.index()])).collect(),
                select_threshold: self.policy.weights().select_threshold,
                web_threshold: self.policy.weights().web_threshold,
                escalation: escalation.clone(),
                fusion: FusionTrace {
                    method,
                    rrf_k: self.config.rrf_k,
                    weights: lists.iter().map(|l| (l.route, l.weight)).collect(),
                    results: results.iter().map(|h| (h.id.clone(), h.sources.clone())).collect(),
                    diversity,
                    interleaved: req.interleave,
                    answers_first: answers.min(req.k),
                },
            }
        });

        Ok(QueryResponse {
            query: req.query.clone(),
            plan,
            results,
            sources,
            took_ms: started.elapsed().as_secs_f64() * 1e3,
            trace,
            answer: None,
        })
    }

    /// Runs `routes` concurrently, each under its deadline; a late source is cancelled.
    async fn run(&self, routes: &[Route], request: &SourceRequest) -> Vec<RouteOutcome> {
        let tasks = routes.iter().filter_map(|&route| {
            let source = self.sources[route.index()].clone()?;
            let deadline = self.config.deadlines[route.index()];
            Some(async move {
                let started = Instant::now();
                let result = match tokio::time::timeout(deadline, source.answer(request)).await {
                    Ok(Ok(answer)) => Outcome::Hits(answer.hits, answer.total, answer.stages),
                    Ok(Err(e)) => Outcome::Failed(e.to_string()),
                    Err(_) => Outcome::TimedOut(deadline),
                };
                RouteOutcome { route, took: started.elapsed(), result }
            })
        });
        join_all(tasks).await
    }
}

#[derive(Debug)]
enum Outcome {
    Hits(Vec<Hit>, Option<usize>, Vec<StageReport>),
    Failed(String),
    TimedOut(Duration),
}

#[derive(Debug)]
struct RouteOutcome {
    route: Route,
    took: Duration,
    result: Outcome,
}

impl RouteOutcome {
    fn report(&self) -> SourceReport {
        let took_ms = self.took.as_secs_f64() * 1e3;
        match &self.result {
            Outcome::Hits(h, total, stages) => SourceReport {
                route: self.route,
                status: SourceStatus::Ok,
                took_ms,
                hits: h.len(),
                total: *total,
                error: None,
                stages: stages.clone(),
            },
            Outcome::Failed(e) => SourceReport {
                route: self.route,
                status: SourceStatus::Error,
                took_ms,
                hits: 0,
                total: None,
                error: Some(e.clone()),
                stages: Vec::new(),
            },
            Outcome::TimedOut(d) => SourceReport {
                route: self.route,
                status: SourceStatus::Timeout,
                took_ms,
                hits: 0,
                total: None,
                error: Some(format!("deadline of {} ms passed", d.as_millis())),
                stages: Vec::new(),
            },
        }
    }
}

/// Why the evidence of the executed routes is too weak to stand alone, if it is.
fn weak_evidence(features: &QueryFeatures, plan: &RoutePlan, outcomes: &[RouteOutcome]) -> Option<String> {
    let hits: usize = outcomes.iter().map(|o| if let Outcome::Hits(h, ..) = &o.result { h.len() } else { 0 }).sum();
    if hits == 0 {
        let failed: Vec<String> =
            outcomes.iter().filter(|o| !matches!(o.result, Outcome::Hits(..))).map(|o| o.route.to_string()).collect();
        return Some(if failed.is_empty() {
            "the selected routes returned nothing".to_string()
        } else {
            format!("no results; failed: {}", failed.join(", "))
        });
    }
    if plan.primary == Some(Route::Graph) && !features.relations.is_empty() && features.entities.is_empty() {
        return Some("relational question but no entity linked".to_string());
    }
    None
}
