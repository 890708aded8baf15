//! Fitting the router to knowledge bases. The routing policy's features are relative to a
//! knowledge base (its entities, relation and entity types), so labelled queries are read
//! against the knowledge base they were written for:
//! - [`featurize`]: one knowledge base, its labelled queries → training rows;
//! - [`suite`]: several knowledge bases of different domains → shipped weights, and
//!   leave-one-domain-out evaluation (a domain is scored by weights that never saw it);
//! - [`auto`]: labelled queries written from a knowledge base itself (templates over its
//!   relation words and entity names, sentences of its documents, freshness phrasings), so
//!   `braid router fit --auto` fits the router to a user's data without a labelled file.

use std::path::{Path, PathBuf};

use braid_router::policy::feature_vector;
use braid_router::train::Example;
use braid_router::{PolicyWeights, Route};
use serde::{Deserialize, Serialize};

use crate::error::BraidError;
use crate::knowledge_base::KnowledgeBase;

pub mod auto;
pub mod suite;

/// A labelled query: `{"query", "route", "also"?, "gold"?, "class"?, "style"?}` (other
/// fields are ignored), as in `routing-dev.jsonl` and the domain query sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelledQuery {
    /// The query.
    pub query: String,
    /// The route that should answer it.
    pub route: Route,
    /// Other acceptable routes.
    #[serde(default)]
    pub also: Vec<Route>,
    /// Ids of the right answers, when there are some (entities for relational questions).
    #[serde(default)]
    pub gold: Vec<String>,
    /// What kind of question it is (e.g. `forward`, `reverse`, `need`), for reports.
    #[serde(default)]
    pub class: Option<String>,
}

/// Reads labelled queries from JSON Lines; a bad line is an error naming its file and line.
pub fn read_labelled(path: &Path) -> Result<Vec<LabelledQuery>, BraidError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| BraidError::invalid("path", format!("cannot read {}: {e}", path.display())))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| BraidError::invalid("labelled", format!("{}:{}: {e}", path.display(), i + 1)))
        })
        .collect()
}

/// The training rows of `queries` against `kb`: each query introspected as the router
/// would, against this knowledge base's entities and schema.
pub fn featurize(kb: &KnowledgeBase, queries: &[LabelledQuery]) -> Vec<Example> {
    queries
        .iter()
        .map(|q| Example {
            x: feature_vector(&kb.router().features(&q.query, false)),
            route: q.route,
            also: q.also.clone(),
        })
        .collect()
}

/// Where a knowledge base keeps routing weights fitted to it (`braid router fit --auto`),
/// inside its data directory: `weights.json` and the `exemplars.jsonl` they were fitted with.
pub const FITTED_ROUTER_DIR: &str = "router";

/// Routing weights fitted to one knowledge base, and the exemplar queries they use.
#[derive(Debug, Clone)]
pub struct FittedRouter {
    /// The weights.
    pub weights: PolicyWeights,
    /// Exemplar queries written from the knowledge base, added to the shipped ones.
    pub exemplars: Vec<(String, Route)>,
}

fn fitted_paths(data_dir: &Path) -> (PathBuf, PathBuf) {
    let dir = data_dir.join(FITTED_ROUTER_DIR);
    (dir.join("weights.json"), dir.join("exemplars.jsonl"))
}

fn io(what: &str, path: &Path, e: std::io::Error) -> BraidError {
    BraidError::Internal(format!("{what} {}: {e}", path.display()))
}

/// Stores `fitted` in `data_dir`, each file replaced whole (written aside, then renamed).
pub fn save_fitted(data_dir: &Path, fitted: &FittedRouter) -> Result<(), BraidError> {
    let (weights, exemplars) = fitted_paths(data_dir);
    if let Some(dir) = weights.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io("creating", dir, e))?;
    }
    let lines: Vec<String> =
        fitted.exemplars.iter().map(|(q, r)| serde_json::json!({"query": q, "route": r}).to_string()).collect();
    let weights_json = serde_json::to_string_pretty(&fitted.weights)
        .map_err(|e| BraidError::Internal(format!("serialising weights: {e}")))?;
    for (path, text) in [(&exemplars, lines.join("\n") + "\n"), (&weights, weights_json)] {
        let aside = path.with_extension("tmp");
        std::fs::write(&aside, text).map_err(|e| io("writing", &aside, e))?;
        std::fs::rename(&aside, path).map_err(|e| io("renaming", path, e))?;
    }
    Ok(())
}

/// The weights fitted to the knowledge base in `data_dir`, if there are any.
pub fn load_fitted(data_dir: &Path) -> Result<Option<FittedRouter>, BraidError> {
    let (weights, exemplars) = fitted_paths(data_dir);
    if !weights.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&weights).map_err(|e| io("reading", &weights, e))?;
    let parsed = PolicyWeights::from_json(&text).map_err(|e| {
        BraidError::invalid(
            "router",
            format!("{} does not fit this build ({e}); run `braid router fit --auto` again", weights.display()),
        )
    })?;
    let exemplars = if exemplars.is_file() {
        read_labelled(&exemplars)?.into_iter().map(|q| (q.query, q.route)).collect()
    } else {
        Vec::new()
    };
    Ok(Some(FittedRouter { weights: parsed, exemplars }))
}
