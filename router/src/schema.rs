//! What the router knows of a knowledge base's schema: its relation types and entity types,
//! what the data says about them (counts, the types at each end, symmetry), and the words a
//! user may give them (labels, inverse labels, aliases, plurals). The knowledge base hands
//! it over through [`SchemaSource`]; [`crate::lexicon`] turns it into the vocabulary of
//! questions. Nothing about any one domain is built in.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A relation type of the knowledge base.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RelationType {
    /// Its name in the data, e.g. `directed_by`.
    pub name: String,
    /// How a person would say it, e.g. `directed by` (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// How the relation reads from its target, e.g. `directed` for `directed_by` or
    /// `required by` for `depends_on` (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inverse: Option<String>,
    /// Other ways to say it, read like the name (e.g. `made by`, `filmmaker`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Relations of this type.
    pub count: usize,
    /// Entity types of its sources, most frequent first.
    #[serde(default)]
    pub source_types: Vec<String>,
    /// Entity types of its targets, most frequent first.
    #[serde(default)]
    pub target_types: Vec<String>,
    /// Share of its relations whose reverse exists too (1 for "borders").
    #[serde(default)]
    pub symmetric: f32,
}

impl RelationType {
    /// A relation type with only a name and a count (labels and types unknown).
    pub fn named(name: impl Into<String>, count: usize) -> Self {
        RelationType { name: name.into(), count, ..RelationType::default() }
    }
}

/// An entity type of the knowledge base.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EntityType {
    /// Its name in the data, e.g. `virtual_package`.
    pub name: String,
    /// How a person would say it, e.g. `virtual package` (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Its plural when it is not regular (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plural: Option<String>,
    /// Other words for it (e.g. `library`, `tool`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Entities of this type.
    pub count: usize,
}

/// The schema of a knowledge base.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct KbSchema {
    /// Its relation types.
    pub relations: Vec<RelationType>,
    /// Its entity types.
    pub entity_types: Vec<EntityType>,
}

impl KbSchema {
    /// The relation type called `name`.
    pub fn relation(&self, name: &str) -> Option<&RelationType> {
        self.relations.iter().find(|r| r.name == name)
    }
}

/// Where the router reads the schema from: the knowledge base, which knows when it changed.
pub trait SchemaSource: Send + Sync {
    /// A number that changes whenever the schema may have changed (cheap: asked per query).
    fn version(&self) -> u64;
    /// The schema now.
    fn schema(&self) -> KbSchema;
}

/// No schema: a router over sources without a graph.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSchema;

impl SchemaSource for NoSchema {
    fn version(&self) -> u64 {
        0
    }

    fn schema(&self) -> KbSchema {
        KbSchema::default()
    }
}
