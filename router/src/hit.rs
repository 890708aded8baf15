//! Ranked hits as sources return them and as fusion returns them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::route::Route;

/// What a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HitKind {
    /// A graph entity.
    Entity,
    /// A text document (or passage).
    Document,
    /// An image.
    Image,
    /// A web page or web image.
    Web,
}

/// The medium of a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum Modality {
    /// Text.
    #[default]
    Text,
    /// An image.
    Image,
}

/// One ranked result from one source, before fusion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Hit {
    /// Stable id: an entity id, a document or image id, or a canonical URL for web hits.
    /// Fusion merges hits with equal ids across sources.
    pub id: String,
    /// What the hit is.
    pub kind: HitKind,
    /// Its medium.
    pub modality: Modality,
    /// A display title.
    pub title: String,
    /// A short text to show.
    #[serde(default)]
    pub snippet: String,
    /// Image path or web URL, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// A URL the image bytes can be fetched from (images only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
    /// The source's raw score (higher is better; scales differ between sources).
    pub score: f32,
    /// Supporting facts as readable triples ("France —borders→ Germany"), for graph answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<String>,
}

/// How one source ranked a fused hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SourceRank {
    /// The source.
    pub route: Route,
    /// 1-based rank within that source.
    pub rank: usize,
    /// The source's raw score.
    pub score: f32,
    /// What this source added to the fused score.
    pub contribution: f32,
}

/// A result after fusion: the hit plus the provenance of every source that returned it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FusedHit {
    /// Stable id (see [`Hit::id`]).
    pub id: String,
    /// What the hit is.
    pub kind: HitKind,
    /// Its medium.
    pub modality: Modality,
    /// A display title.
    pub title: String,
    /// A short text to show.
    pub snippet: String,
    /// Image path or web URL, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// A URL the image bytes can be fetched from (images only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
    /// The fused score (higher is better).
    pub score: f32,
    /// Supporting facts, for graph answers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<String>,
    /// Every source that returned this hit, best first.
    pub sources: Vec<SourceRank>,
}
