//! The typed answer of a question the graph answered exactly (a compositional question
//! compiled into a graph plan): what kind of answer it is, the answer itself, the plan that
//! found it and the facts that support it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What kind of answer a plan gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AnswerKind {
    /// A set of entities ("the currencies of Kenya's neighbours").
    Entities,
    /// A number of entities ("how many countries border China").
    Count,
    /// A property's value.
    Value,
    /// Yes or no ("does Kenya border Uganda").
    Boolean,
}

/// The exact answer to a question compiled into a graph plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Answer {
    /// What kind of answer it is.
    pub kind: AnswerKind,
    /// The answer entities' ids, best first (for a count, the entities counted, up to `k`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<String>,
    /// The number of entities, for a count (and the size of a set answer before the cut).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// The value, for a value (a number) or a boolean answer (`true`/`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    /// The plan, as a line: `borders(Kenya) → uses_currency`.
    pub plan: String,
    /// Facts that support the answer, as lines (`Kenya —borders→ Tanzania`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// Parse and execution time, in milliseconds.
    pub took_ms: f64,
}
