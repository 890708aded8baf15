//! The routing policy: a multinomial logistic model over [`QueryFeatures`] that gives a
//! calibrated probability per route, and the selection rule on top of it.
//!
//! The model is deliberately small and transparent: a few dozen named features, one weight per
//! (route, feature), softmax. Its weights ship as JSON (`weights/default.json`) and can be
//! retrained with [`crate::train::fit`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::features::{PATH_RELATION, QueryFeatures, QuestionShape, RelationCue};
use crate::plan::{RouteDecision, RoutePlan};
use crate::route::Route;

/// Names of the policy's input features, in order. Every feature is relative to the
/// knowledge base (its entities, relation types and entity types) or a general property of
/// the language (question shape, freshness, pictures): none names a domain's words, so one
/// set of weights serves any knowledge base.
pub const FEATURE_NAMES: [&str; 32] = [
    "bias",
    "linked_entity",
    "weak_link",
    "multi_entity",
    "no_confident_link",
    "relation_cue",
    "relation_exists",
    "relation_no_entity",
    "entity_without_relation",
    "type_named",
    "type_and_entity",
    "path_cue",
    "other_words",
    "freshness",
    "recent_year",
    "office_role",
    "office_role_now",
    "past_tense",
    "visual",
    "image_attached",
    "explanatory",
    "describes_unnamed",
    "has_number",
    "wh_question",
    "when_question",
    "yes_no_question",
    "keywords",
    "unlinked_names",
    "length",
    "exemplar_graph",
    "exemplar_vector",
    "exemplar_web",
];

/// Number of policy features.
pub const N_FEATURES: usize = FEATURE_NAMES.len();

/// Links at least this confident are exact or alias matches of a specific name; below it
/// are generic words and typo matches, weak evidence for the graph.
const CONFIDENT_LINK: f32 = 0.7;

/// The numeric feature vector the policy scores.
pub fn feature_vector(f: &QueryFeatures) -> [f32; N_FEATURES] {
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let frac = |n: usize, cap: usize| (n.min(cap) as f32) / cap as f32;

    let linked = f.best_link();
    let confident_ids = {
        let mut ids: Vec<&str> =
            f.entities.iter().filter(|e| e.confidence >= CONFIDENT_LINK).map(|e| e.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    };
    let relations: Vec<&RelationCue> = f.relations.iter().filter(|r| r.relation != PATH_RELATION).collect();
    let relation = relations.iter().map(|r| r.confidence).fold(0.0, f32::max);
    let exists = relations.iter().filter(|r| r.related > 0).map(|r| r.confidence).fold(0.0, f32::max);
    let multi = confident_ids >= 2;
    let recent_year = f.freshness.iter().any(|c| c.chars().all(|ch| ch.is_ascii_digit()));
    let role = !f.office_roles.is_empty();
    let exemplar = f.exemplar_similarity.unwrap_or([0.0; 3]);
    [
        1.0,
        linked,
        flag(linked > 0.0 && linked < CONFIDENT_LINK),
        flag(multi),
        flag(confident_ids == 0),
        relation,
        exists,
        flag(relation > 0.0 && f.entities.is_empty()),
        // An entity named with nothing said about how it is related: a picture of it, a
        // description, its news — or a question the graph has no word for.
        flag(confident_ids > 0 && relation == 0.0 && !f.wants_path()),
        flag(!f.types.is_empty()),
        flag(!f.types.is_empty() && confident_ids > 0),
        flag(f.wants_path() && multi),
        frac(f.other_words, 4),
        frac(f.freshness.len(), 2),
        flag(recent_year),
        flag(role),
        flag(role && f.present_tense && !f.past_tense),
        flag(f.past_tense),
        frac(f.visual.len(), 1),
        flag(f.has_image),
        frac(f.explanatory.len(), 1),
        flag(f.describes_unnamed),
        flag(!f.numbers.is_empty()),
        flag(f.shape == QuestionShape::Wh),
        flag(f.lead.as_deref() == Some("when")),
        flag(f.shape == QuestionShape::YesNo),
        flag(f.shape == QuestionShape::Keywords),
        frac(f.unlinked_names.len(), 2),
        frac(f.tokens, 12),
        // Standardised, so about -1.4..1.4; 0 without an embedder.
        exemplar[0],
        exemplar[1],
        exemplar[2],
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
                        if Some(route) == primary && route == order[0] {
                            reasons.push(format!("primary: highest probability ({score:.2})"));
                        } else if Some(route) == primary {
                            reasons.push(format!(
                                "primary: highest probability among available routes ({score:.2}); {} ({:.2}) is unavailable",
                                order[0],
                                probs[order[0].index()]
                            ));
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
                if r.relation == PATH_RELATION {
                    out.push(format!("path cue '{}'", r.cue));
                } else {
                    let direction = match r.direction {
                        crate::features::CueDirection::Out => "out",
                        crate::features::CueDirection::In => "in",
                        crate::features::CueDirection::Both => "both ways",
                    };
                    let why = if r.why.is_empty() { String::new() } else { format!(", {}", r.why) };
                    let exists = if r.related > 0 { format!("; {} such relations", r.related) } else { String::new() };
                    out.push(format!(
                        "relation cue '{}' → {} ({direction}{why}, {:.2}{exists})",
                        r.cue, r.relation, r.confidence
                    ));
                }
            }
            for t in &f.types {
                out.push(format!("entity type '{t}' named"));
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
            if f.other_words > 0 {
                out.push(format!("{} words beyond the graph's vocabulary", f.other_words));
            }
            if f.describes_unnamed {
                out.push("describes something without naming it".into());
            }
            if f.relations.is_empty() && f.visual.is_empty() && f.explanatory.is_empty() {
                out.push("no relation cue: passages may describe it".into());
            }
        }
        Route::Web => {
            for c in &f.freshness {
                out.push(format!("freshness cue '{c}'"));
            }
            for r in &f.office_roles {
                out.push(format!("office '{r}': holders change and are not in the graph"));
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
    use crate::features::LinkedEntity;
    use crate::introspect::{EntityLinker, Introspector};
    use crate::lexicon::Lexicon;
    use crate::schema::{EntityType, KbSchema, RelationType};

    /// The schema of a few atlas relations, as the knowledge base would report it (test data:
    /// the policy itself knows no relation).
    fn lexicon() -> Lexicon {
        let relation = |name: &str, source: &str, target: &str, symmetric: f32| RelationType {
            source_types: vec![source.into()],
            target_types: vec![target.into()],
            symmetric,
            ..RelationType::named(name, 100)
        };
        let mut is_a = relation("is_a", "concept", "concept", 0.0);
        is_a.aliases = vec!["kind of".into(), "type of".into()];
        let mut language = relation("official_language", "country", "language", 0.0);
        language.aliases = vec!["speak".into(), "spoken".into()];
        let kind = |name: &str, plural: &str| EntityType {
            name: name.into(),
            plural: Some(plural.into()),
            count: 10,
            ..EntityType::default()
        };
        Lexicon::compile(&KbSchema {
            relations: vec![
                relation("capital", "country", "city", 0.0),
                relation("borders", "country", "country", 1.0),
                relation("uses_currency", "country", "currency", 0.0),
                language,
                is_a,
                relation("located_in", "city", "country", 0.0),
            ],
            entity_types: vec![
                kind("country", "countries"),
                kind("city", "cities"),
                kind("currency", "currencies"),
                kind("language", "languages"),
                kind("concept", "concepts"),
            ],
        })
    }

    #[test]
    fn shipped_weights_load_and_softmax_is_a_distribution() {
        let w = PolicyWeights::shipped();
        let p = w.probabilities(&[0.5; N_FEATURES]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(p.iter().all(|x| (0.0..=1.0).contains(x)));
    }

    /// A stand-in for the graph's linker with a handful of atlas entities, linked by whole
    /// words, with the linker's confidence scale (generic words like "animal" link weakly).
    struct FewAtlasEntities;

    const FEW_ENTITIES: &[(&str, &str, &str, f32)] = &[
        ("france", "country:FRA", "country", 1.0),
        ("germany", "country:DEU", "country", 1.0),
        ("japan", "country:JPN", "country", 1.0),
        ("brazil", "country:BRA", "country", 1.0),
        ("kenya", "country:KEN", "country", 1.0),
        ("paris", "city:2988507", "city", 1.0),
        ("euro", "currency:EUR", "currency", 1.0),
        ("spanish", "language:spa", "language", 1.0),
        ("koalas", "concept:koala", "concept", 0.95),
        ("whale", "concept:whale.n.02", "concept", 1.0),
        ("whales", "concept:whale.n.02", "concept", 0.95),
        ("mammal", "concept:mammal", "concept", 1.0),
        ("violin", "concept:violin", "concept", 1.0),
        ("instrument", "concept:instrument", "concept", 0.85),
        ("animal", "concept:animal", "concept", 0.4),
        ("trees", "concept:tree", "concept", 0.95),
    ];

    impl EntityLinker for FewAtlasEntities {
        fn link(&self, text: &str) -> Vec<LinkedEntity> {
            let normalized = crate::normalize::normalize(text);
            normalized
                .split(' ')
                .filter_map(|w| FEW_ENTITIES.iter().find(|(name, ..)| *name == w))
                .map(|(name, id, kind, confidence)| LinkedEntity {
                    id: (*id).into(),
                    name: (*name).into(),
                    kind: (*kind).into(),
                    mention: (*name).into(),
                    confidence: *confidence,
                    method: "exact".into(),
                })
                .collect()
        }
    }

    /// Queries written for this test (not taken from the training or held-out files).
    const ROUTED: &[(&str, Route)] = &[
        ("what is the capital of kenya", Route::Graph),
        ("which countries border france", Route::Graph),
        ("currency of japan", Route::Graph),
        ("is a whale a mammal", Route::Graph),
        ("what kind of instrument is a violin", Route::Graph),
        ("how are france and germany connected", Route::Graph),
        ("countries that use the euro", Route::Graph),
        ("where is paris", Route::Graph),
        ("which countries speak spanish", Route::Graph),
        ("pictures of koalas", Route::Vector),
        ("why do whales sing", Route::Vector),
        ("a small animal that lives in trees", Route::Vector),
        ("history of the violin", Route::Vector),
        ("what does the flag of brazil look like", Route::Vector),
        ("boundary layer transition at supersonic mach numbers", Route::Vector),
        ("weather in paris tomorrow", Route::Web),
        ("who is the president of france", Route::Web),
        ("brazil election results", Route::Web),
        ("euro to dollar exchange rate today", Route::Web),
        ("latest iphone release date", Route::Web),
        ("who won the match last night", Route::Web),
    ];

    #[test]
    fn shipped_weights_route_typical_queries() {
        let policy = RoutePolicy::default();
        let introspector = Introspector::new();
        let misses: Vec<_> = ROUTED
            .iter()
            .filter_map(|(query, label)| {
                let plan = policy.plan(
                    &introspector.introspect(query, &FewAtlasEntities, &lexicon(), false),
                    &Availability::all(),
                    None,
                );
                (plan.primary != Some(*label)).then(|| format!("{query}: {label} → {:?}", plan.primary))
            })
            .collect();
        let accuracy = 1.0 - misses.len() as f32 / ROUTED.len() as f32;
        assert!(accuracy >= 0.85, "accuracy {accuracy:.2}, misses: {misses:?}");
    }

    #[test]
    fn planning_is_deterministic() {
        let policy = RoutePolicy::default();
        let introspector = Introspector::new();
        for (query, _) in ROUTED {
            let a = policy.plan(
                &introspector.introspect(query, &FewAtlasEntities, &lexicon(), false),
                &Availability::all(),
                None,
            );
            let b = RoutePolicy::new(PolicyWeights::shipped()).plan(
                &Introspector::new().introspect(query, &FewAtlasEntities, &lexicon(), false),
                &Availability::all(),
                None,
            );
            assert_eq!(serde_json::to_string(&a).ok(), serde_json::to_string(&b).ok(), "{query}");
        }
    }

    #[test]
    fn probabilities_are_calibrated_enough_to_mean_something() {
        // A confident graph question and a confident web question, each well above the
        // selection threshold for its own route and below it for the other.
        let policy = RoutePolicy::default();
        let introspector = Introspector::new();
        let graph = policy.plan(
            &introspector.introspect("which countries border france", &FewAtlasEntities, &lexicon(), false),
            &Availability::all(),
            None,
        );
        let web = policy.plan(
            &introspector.introspect("weather in paris tomorrow", &FewAtlasEntities, &lexicon(), false),
            &Availability::all(),
            None,
        );
        assert!(graph.routes[0].route == Route::Graph && graph.routes[0].score > 0.8);
        assert!(web.routes[0].route == Route::Web && web.routes[0].score > 0.8);
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
