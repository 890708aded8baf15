//! The routing policy: a multinomial logistic model over [`QueryFeatures`] that gives a
//! calibrated probability per route, and the selection rule on top of it.
//!
//! The model is deliberately small and transparent: a dozen named features, one weight per
//! (route, feature), softmax. Its weights ship as JSON (`weights/default.json`) and can be
//! retrained with [`crate::train::fit`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::features::{QueryFeatures, QuestionShape};
use crate::plan::{RouteDecision, RoutePlan};
use crate::route::Route;

/// Names of the policy's input features, in order.
pub const FEATURE_NAMES: [&str; 17] = [
    "bias",
    "linked",
    "linked_geo",
    "linked_concept",
    "relation_cue",
    "relation_and_link",
    "path_cue",
    "freshness",
    "visual",
    "image_attached",
    "explanatory",
    "wh_question",
    "yes_no_question",
    "keywords",
    "unlinked_names",
    "length",
    "multi_entity",
];

/// Number of policy features.
pub const N_FEATURES: usize = FEATURE_NAMES.len();

const GEO_KINDS: &[&str] = &["country", "city", "region", "subregion", "language", "currency"];

/// The numeric feature vector the policy scores.
pub fn feature_vector(f: &QueryFeatures) -> [f32; N_FEATURES] {
    let best_of = |pred: &dyn Fn(&str) -> bool| {
        f.entities.iter().filter(|e| pred(&e.kind)).map(|e| e.confidence).fold(0.0, f32::max)
    };
    let linked = f.best_link();
    let relation = if f.relations.iter().any(|r| r.relation != crate::features::PATH_RELATION) { 1.0 } else { 0.0 };
    let multi = if f.entity_ids().len() >= 2 { 1.0 } else { 0.0 };
    let path = if f.wants_path() { multi } else { 0.0 };
    let frac = |n: usize, cap: usize| (n.min(cap) as f32) / cap as f32;
    [
        1.0,
        linked,
        best_of(&|k| GEO_KINDS.contains(&k)),
        best_of(&|k| k == "concept"),
        relation,
        relation * linked,
        path,
        frac(f.freshness.len(), 2),
        frac(f.visual.len(), 1),
        if f.has_image { 1.0 } else { 0.0 },
        frac(f.explanatory.len(), 1),
        if f.shape == QuestionShape::Wh { 1.0 } else { 0.0 },
        if f.shape == QuestionShape::YesNo { 1.0 } else { 0.0 },
        if f.shape == QuestionShape::Keywords { 1.0 } else { 0.0 },
        frac(f.unlinked_names.len(), 2),
        frac(f.tokens, 12),
        multi,
    ]
}

/// Weights and thresholds of the policy, as stored in a weights file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PolicyWeights {
    /// Feature names, in the order of each weight row (must equal [`FEATURE_NAMES`]).
    pub features: Vec<String>,
    /// One weight row per route: graph, vector, web.
    pub graph: Vec<f32>,
    /// Weights of the vector route.
    pub vector: Vec<f32>,
    /// Weights of the web route.
    pub web: Vec<f32>,
    /// Non-primary routes with at least this probability are also selected.
    pub select_threshold: f32,
    /// The web route, which costs money and time, needs at least this probability when not primary.
    pub web_threshold: f32,
    /// Where these weights came from.
    #[serde(default)]
    pub provenance: String,
}

/// Errors in a weights file.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The JSON did not parse.
    #[error("weights file is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Feature names or row lengths do not match this build.
    #[error("weights file does not match this build's features: {0}")]
    Shape(String),
}

impl PolicyWeights {
    /// Parses and checks a weights file.
    pub fn from_json(text: &str) -> Result<Self, PolicyError> {
        let w: PolicyWeights = serde_json::from_str(text)?;
        w.check()?;
        Ok(w)
    }

    /// The weights shipped with this build.
    pub fn shipped() -> Self {
        // The file is part of the crate and checked by a test, so this cannot fail at run time.
        Self::from_json(include_str!("../weights/default.json")).unwrap_or_else(|e| panic!("shipped weights: {e}"))
    }

    fn check(&self) -> Result<(), PolicyError> {
        if self.features.iter().map(String::as_str).ne(FEATURE_NAMES.iter().copied()) {
            return Err(PolicyError::Shape(format!("features {:?}, expected {:?}", self.features, FEATURE_NAMES)));
        }
        for (name, row) in [("graph", &self.graph), ("vector", &self.vector), ("web", &self.web)] {
            if row.len() != N_FEATURES {
                return Err(PolicyError::Shape(format!("{name} has {} weights, expected {N_FEATURES}", row.len())));
            }
            if row.iter().any(|w| !w.is_finite()) {
                return Err(PolicyError::Shape(format!("{name} has a non-finite weight")));
            }
        }
        if !(0.0..=1.0).contains(&self.select_threshold) || !(0.0..=1.0).contains(&self.web_threshold) {
            return Err(PolicyError::Shape("thresholds must be in [0, 1]".into()));
        }
        Ok(())
    }

    /// The weight row of `route`.
    pub fn row(&self, route: Route) -> &[f32] {
        match route {
            Route::Graph => &self.graph,
            Route::Vector => &self.vector,
            Route::Web => &self.web,
        }
    }

    /// Per-route probabilities (softmax of the linear scores), in [`Route::ALL`] order.
    pub fn probabilities(&self, x: &[f32; N_FEATURES]) -> [f32; 3] {
        let logits = Route::ALL.map(|r| self.row(r).iter().zip(x).map(|(w, v)| w * v).sum::<f32>());
        softmax(logits)
    }
}

/// Softmax of three logits.
pub fn softmax(logits: [f32; 3]) -> [f32; 3] {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps = logits.map(|l| (l - max).exp());
    let sum: f32 = exps.iter().sum();
    exps.map(|e| e / sum)
}

/// Whether each route can run, and why not.
#[derive(Debug, Clone, Default)]
pub struct Availability {
    /// `None` when available, otherwise the reason it is not, per route in [`Route::ALL`] order.
    pub unavailable: [Option<String>; 3],
}

impl Availability {
    /// Every route available.
    pub fn all() -> Self {
        Self::default()
    }

    /// Marks `route` unavailable because of `reason`.
    pub fn without(mut self, route: Route, reason: impl Into<String>) -> Self {
        self.unavailable[route.index()] = Some(reason.into());
        self
    }

    /// Whether `route` can run.
    pub fn is_available(&self, route: Route) -> bool {
        self.unavailable[route.index()].is_none()
    }
}

/// The routing policy.
#[derive(Debug, Clone)]
pub struct RoutePolicy {
    weights: PolicyWeights,
}

impl Default for RoutePolicy {
    fn default() -> Self {
        Self::new(PolicyWeights::shipped())
    }
}

impl RoutePolicy {
    /// A policy with the given weights.
    pub fn new(weights: PolicyWeights) -> Self {
        RoutePolicy { weights }
    }

    /// The weights in use.
    pub fn weights(&self) -> &PolicyWeights {
        &self.weights
    }

    /// Plans a query: probabilities, selection, primary and reasons. `forced` routes (from the
    /// request) replace the selection rule but keep the scores.
    pub fn plan(&self, f: &QueryFeatures, availability: &Availability, forced: Option<&[Route]>) -> RoutePlan {
        let probs = self.weights.probabilities(&feature_vector(f));
        let mut order: Vec<Route> = Route::ALL.to_vec();
        order.sort_by(|a, b| probs[b.index()].total_cmp(&probs[a.index()]).then(a.cmp(b)));
        let primary = order.iter().copied().find(|r| availability.is_available(*r));

        let routes = order
            .iter()
            .map(|&route| {
                let score = probs[route.index()];
                let available = availability.is_available(route);
                let mut reasons = route_reasons(route, f);
                let selected = match forced {
                    Some(list) => {
                        if list.contains(&route) {
                            reasons.push("requested by the caller".into());
                        }
                        available && list.contains(&route)
                    }
                    None => {
                        let threshold = if route == Route::Web {
                            self.weights.web_threshold
                        } else {
                            self.weights.select_threshold
                        };
                        let chosen = available && (Some(route) == primary || score >= threshold);
                        if Some(route) == primary {
                            reasons.push(format!("primary: highest probability ({score:.2})"));
                        } else if chosen {
                            reasons.push(format!("probability {score:.2} ≥ threshold {threshold:.2}"));
                        } else if available {
                            reasons.push(format!("probability {score:.2} < threshold {threshold:.2}"));
                        }
                        chosen
                    }
                };
                if let Some(why) = &availability.unavailable[route.index()] {
                    reasons.push(format!("{route}: {why}"));
                }
                RouteDecision { route, score, selected, available, reasons }
            })
            .collect();
        RoutePlan { routes, primary }
    }
}

/// The evidence that speaks for (or against) a route, in words.
fn route_reasons(route: Route, f: &QueryFeatures) -> Vec<String> {
    let mut out = Vec::new();
    match route {
        Route::Graph => {
            for e in f.entities.iter().take(4) {
                out.push(format!("entity '{}' linked to {} ({}, {:.2})", e.mention, e.id, e.method, e.confidence));
            }
            for r in &f.relations {
                if r.relation == crate::features::PATH_RELATION {
                    out.push(format!("path cue '{}'", r.cue));
                } else {
                    out.push(format!("relation cue '{}' → {}", r.cue, r.relation));
                }
            }
            if f.entities.is_empty() {
                out.push("no entity linked".into());
            }
        }
        Route::Vector => {
            for v in &f.visual {
                out.push(format!("visual cue '{v}'"));
            }
            if f.has_image {
                out.push("image attached".into());
            }
            for e in &f.explanatory {
                out.push(format!("descriptive cue '{e}'"));
            }
            if f.relations.is_empty() && f.visual.is_empty() && f.explanatory.is_empty() {
                out.push("no relation cue: passages may describe it".into());
            }
        }
        Route::Web => {
            for c in &f.freshness {
                out.push(format!("freshness cue '{c}'"));
            }
            for n in &f.unlinked_names {
                out.push(format!("'{n}' is not in the knowledge base"));
            }
            if f.freshness.is_empty() && f.unlinked_names.is_empty() {
                out.push("no freshness cue".into());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_weights_load_and_softmax_is_a_distribution() {
        let w = PolicyWeights::shipped();
        let p = w.probabilities(&[0.5; N_FEATURES]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(p.iter().all(|x| (0.0..=1.0).contains(x)));
    }

    #[test]
    fn rejects_mismatched_weights() {
        let mut w = PolicyWeights::shipped();
        w.graph.pop();
        let text = serde_json::to_string(&w).unwrap_or_default();
        assert!(matches!(PolicyWeights::from_json(&text), Err(PolicyError::Shape(_))));
        assert!(matches!(PolicyWeights::from_json("{"), Err(PolicyError::Json(_))));
    }
}
