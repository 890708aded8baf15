//! What the store holds: an [`Item`] (a document or an image) and its filterable metadata.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What an item's vector was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Modality {
    /// A text document.
    Text,
    /// An image, embedded from its pixels (multimodal model) or from its caption text.
    Image,
}

impl Modality {
    /// The lowercase name used in JSON and in the lexical index.
    pub fn as_str(self) -> &'static str {
        match self {
            Modality::Text => "text",
            Modality::Image => "image",
        }
    }
}

/// One entry of a collection: a document or an image, with the text that is indexed for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Item {
    /// Caller-chosen unique id, e.g. `doc:wordnet:koala.n.01` or `img:flag:FRA`.
    pub id: String,
    /// Whether this is a text or an image item.
    pub modality: Modality,
    /// Free-form kind, e.g. `"document"` or `"image"`; filterable.
    pub kind: String,
    /// Title (BM25-boosted ×2).
    pub title: String,
    /// The text to index: a document's body, or caption + tags + enrichment for an image.
    pub text: String,
    /// Tags; filterable (exact, case-sensitive match).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Ids of graph entities the item mentions or depicts; filterable.
    #[serde(default)]
    pub entities: Vec<String>,
    /// Where the item came from; filterable by exact value.
    #[serde(default)]
    pub source: Option<String>,
}

impl Item {
    /// A borrowed view of the fields a [`Filter`](crate::Filter) can test.
    pub fn meta(&self) -> ItemMeta<'_> {
        ItemMeta {
            modality: self.modality,
            kind: &self.kind,
            tags: &self.tags,
            entities: &self.entities,
            source: self.source.as_deref(),
        }
    }
}

/// The filterable fields of an [`Item`], borrowed so that filtering never copies.
#[derive(Debug, Clone, Copy)]
pub struct ItemMeta<'a> {
    /// The item's modality.
    pub modality: Modality,
    /// The item's kind.
    pub kind: &'a str,
    /// The item's tags.
    pub tags: &'a [String],
    /// The item's entity ids.
    pub entities: &'a [String],
    /// The item's source, if any.
    pub source: Option<&'a str>,
}
