//! Compositional questions: the question compiled into a graph plan ([`braid_compose`]),
//! answered exactly by the graph, and put at the head of the routed answer; or, when it
//! cannot be, the routed answer as before with the reason in the graph route's reasons.

use std::time::{Duration, Instant};

use braid_compose::{NotComposed, Vocabulary};
use braid_graph::Graph;
use braid_graph::plan::{GraphPlan, Limits, PlanEntity, PlanError, PlanOutput};
use braid_router::{Answer, AnswerKind, FusedHit, QueryResponse, Route, SourceRank};

use super::KnowledgeBase;
use crate::sources::hits::entity_hit;
use crate::sources::linker::BorrowedLinker;

/// Time a plan may take, parse included: far above the microseconds a plan needs on the
/// atlas, far below a request's timeout, so a pathological question still answers.
pub const COMPOSE_DEADLINE: Duration = Duration::from_millis(250);

/// Largest intermediate set of a plan.
pub const COMPOSE_MAX_SET: usize = 200_000;

/// A question answered by a graph plan.
#[derive(Debug, Clone)]
pub struct Composition {
    /// The typed answer, as the query response carries it.
    pub answer: Answer,
    /// The plan.
    pub plan: GraphPlan,
    /// What the plan evaluated to.
    pub output: PlanOutput,
    /// How the question was read.
    pub reasons: Vec<String>,
}

/// Why a question has no composed answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompositionFailure {
    /// The parser did not compile it.
    #[error(transparent)]
    NotComposed(#[from] NotComposed),
    /// The plan stopped (a cap, the deadline, a missing value).
    #[error("the plan {plan} stopped: {error}")]
    Failed {
        /// The plan, as a line.
        plan: String,
        /// Why.
        error: PlanError,
    },
    /// The plan found no entity.
    #[error("the plan {0} found nothing")]
    Empty(String),
}

impl KnowledgeBase {
    /// Compiles `query` into a graph plan and runs it; `k` answer entities at most are
    /// listed (a count still counts them all).
    pub fn compose(&self, query: &str, k: usize) -> Result<Composition, CompositionFailure> {
        let started = Instant::now();
        // The lexicon first: compiling it reads the graph too.
        let lexicon = self.router.lexicon();
        let graph = self.graph_read();
        let stats = graph.schema_stats();
        let vocabulary = Vocabulary::new(&stats);
        let composed = braid_compose::compose(query, &BorrowedLinker(&graph), &lexicon, &stats, &vocabulary)?;
        let limits =
            Limits { max_set: COMPOSE_MAX_SET, deadline: Some(started + COMPOSE_DEADLINE), ..Limits::default() };
        let line = graph.describe_plan(&composed.plan);
        let output = graph
            .execute(&composed.plan, &limits)
            .map_err(|error| CompositionFailure::Failed { plan: line.clone(), error })?;
        let answer = typed_answer(&graph, &output, &line, k, started)?;
        Ok(Composition { answer, plan: composed.plan, output, reasons: composed.reasons })
    }

    /// Puts the composed answer of `response`'s question at its head, or says in the graph
    /// route's reasons why there is none.
    pub(super) fn attach_answer(&self, response: &mut QueryResponse, k: usize) {
        match self.compose(&response.query, k) {
            Ok(composition) => {
                let graph = self.graph_read();
                lead_with(&graph, response, &composition);
                if let Some(route) = response.plan.routes.iter_mut().find(|r| r.route == Route::Graph) {
                    route.reasons.push(format!("compositional plan: {}", composition.answer.plan));
                }
                response.answer = Some(composition.answer);
                response.results.truncate(k);
            }
            // Questions with nothing compositional in them are not worth a reason.
            Err(CompositionFailure::NotComposed(NotComposed::OneHop | NotComposed::NoStart)) => {}
            Err(why) => {
                if let Some(route) = response.plan.routes.iter_mut().find(|r| r.route == Route::Graph) {
                    route.reasons.push(format!("not answered by a graph plan: {why}"));
                }
            }
        }
    }
}

fn typed_answer(
    graph: &Graph,
    output: &PlanOutput,
    line: &str,
    k: usize,
    started: Instant,
) -> Result<Answer, CompositionFailure> {
    let evidence_of = |members: &[PlanEntity]| -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        members
            .iter()
            .take(k)
            .flat_map(|m| m.facts.iter())
            .filter(|f| seen.insert(f.text()))
            .map(|f| f.text())
            .collect()
    };
    let (kind, entities, count, value, evidence) = match output {
        PlanOutput::Entities(members) if members.is_empty() => return Err(CompositionFailure::Empty(line.to_string())),
        PlanOutput::Entities(members) => (
            AnswerKind::Entities,
            members.iter().take(k).map(|m| m.id.clone()).collect(),
            Some(members.len()),
            None,
            evidence_of(members),
        ),
        PlanOutput::Count(n) => (AnswerKind::Count, Vec::new(), Some(*n), None, Vec::new()),
        PlanOutput::Number(x) => (AnswerKind::Value, Vec::new(), None, Some(serde_json::json!(x)), Vec::new()),
        PlanOutput::Boolean(b) => (AnswerKind::Boolean, Vec::new(), None, Some(serde_json::json!(b)), Vec::new()),
    };
    let _ = graph;
    Ok(Answer {
        kind,
        entities,
        count,
        value,
        plan: line.to_string(),
        evidence,
        took_ms: started.elapsed().as_secs_f64() * 1e3,
    })
}

/// The answer entities first, in the plan's order, each with its supporting facts; the rest
/// of the fused results after them.
fn lead_with(graph: &Graph, response: &mut QueryResponse, composition: &Composition) {
    let PlanOutput::Entities(members) = &composition.output else { return };
    let top = response.results.first().map_or(1.0, |h| h.score.max(f32::EPSILON));
    let mut lead: Vec<FusedHit> = Vec::new();
    for (rank, id) in composition.answer.entities.iter().enumerate() {
        let facts: Vec<String> = members
            .iter()
            .find(|m| &m.id == id)
            .map(|m| m.facts.iter().map(|f| f.text()).collect())
            .unwrap_or_default();
        let score = top * (1.0 + 1.0 / (rank as f32 + 1.0));
        let existing = response.results.iter().position(|h| &h.id == id).map(|i| response.results.remove(i));
        let hit = match existing {
            Some(mut hit) => {
                hit.facts = facts;
                hit.score = score;
                hit
            }
            None => {
                let Some(entity) = graph.entity(id) else { continue };
                let h = entity_hit(entity, score, facts);
                FusedHit {
                    id: h.id,
                    kind: h.kind,
                    modality: h.modality,
                    title: h.title,
                    snippet: h.snippet,
                    uri: h.uri,
                    thumbnail: h.thumbnail,
                    score,
                    facts: h.facts,
                    sources: vec![SourceRank { route: Route::Graph, rank: rank + 1, score: 1.0, contribution: score }],
                }
            }
        };
        lead.push(hit);
    }
    lead.append(&mut response.results);
    response.results = lead;
}
