//! The import records for documents and images (JSON Lines and REST bodies). Entities and
//! relations are the graph store's own types.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use braid_graph::{Entity, Relation};

/// A text document: `{"id", "title", "text", "entities", "source", "license"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DocumentRecord {
    /// Unique id, e.g. `doc:enwiki:koala:1`.
    pub id: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Body text.
    pub text: String,
    /// Ids of entities the document is about.
    #[serde(default)]
    pub entities: Vec<String>,
    /// Where it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Its licence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
}

/// An image: `{"id", "path" | "url" | "base64", "caption", "depicts", "tags", "source", "license"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ImageRecord {
    /// Unique id, e.g. `img:stamp:koala`.
    pub id: String,
    /// A file path relative to the JSON Lines file (only `braid ingest` reads files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A public http(s) URL of the image (recorded, not fetched).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The image bytes, base64-encoded (REST uploads).
    #[serde(default, skip_serializing)]
    #[schemars(skip)]
    pub base64: Option<String>,
    /// What the image shows, in words.
    #[serde(default)]
    pub caption: String,
    /// Ids of entities it depicts.
    #[serde(default)]
    pub depicts: Vec<String>,
    /// Free tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Where it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Its licence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// The media type of the stored bytes (set by Braid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The text the image is indexed by: caption, tags and the names of what it depicts (set by Braid).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub indexed_text: String,
}

/// Words for a relation type, so questions can name it the way people do:
/// `{"relation_type": "directed_by", "label": "directed by", "inverse": "directed",
/// "aliases": ["made by", "filmmaker"]}`. Every field but the type is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationTypeRecord {
    /// The relation type, as the relations name it.
    pub relation_type: String,
    /// How a person would say it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// How it reads from the target ("required by" for `depends_on`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inverse: Option<String>,
    /// Other ways to say it, read like the name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

/// Words for an entity type: `{"entity_type": "package", "label": "package", "plural":
/// "packages", "aliases": ["library"]}`. Every field but the type is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EntityTypeRecord {
    /// The entity type, as the entities name it.
    pub entity_type: String,
    /// How a person would say it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Its plural, when it is not regular.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plural: Option<String>,
    /// Other words for it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

/// A schema record: words for a relation type or an entity type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SchemaRecord {
    /// Words for a relation type.
    Relation(RelationTypeRecord),
    /// Words for an entity type.
    EntityType(EntityTypeRecord),
}

impl SchemaRecord {
    /// The type the record describes, as `relation:NAME` or `entity_type:NAME`.
    pub fn key(&self) -> String {
        match self {
            SchemaRecord::Relation(r) => format!("relation:{}", r.relation_type),
            SchemaRecord::EntityType(e) => format!("entity_type:{}", e.entity_type),
        }
    }
}

/// One line of a JSON Lines import, told apart by its fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// Has `name` and `type`.
    Entity(Entity),
    /// Has `relation`.
    Relation(Relation),
    /// Has `text`.
    Document(DocumentRecord),
    /// Has `caption`, `path`, `url` or `base64`.
    Image(ImageRecord),
    /// Has `relation_type` or `entity_type`.
    Schema(SchemaRecord),
}

impl Record {
    /// Parses one JSON object into the record its fields name.
    pub fn from_value(value: serde_json::Value) -> Result<Record, String> {
        let obj = value.as_object().ok_or("each line must be a JSON object")?;
        let has = |k: &str| obj.contains_key(k);
        let parsed = if has("relation_type") {
            serde_json::from_value(value).map(|r| Record::Schema(SchemaRecord::Relation(r)))
        } else if has("entity_type") {
            serde_json::from_value(value).map(|r| Record::Schema(SchemaRecord::EntityType(r)))
        } else if has("relation") {
            serde_json::from_value(value).map(Record::Relation)
        } else if has("text") {
            serde_json::from_value(value).map(Record::Document)
        } else if has("caption") || has("path") || has("url") || has("base64") || has("depicts") {
            serde_json::from_value(value).map(Record::Image)
        } else if has("name") || has("type") {
            serde_json::from_value(value).map(Record::Entity)
        } else {
            return Err("cannot tell the record type: expected an entity (name, type), relation (source, relation, target), document (text), image (path, url or caption) or schema record (relation_type or entity_type)".into());
        };
        parsed.map_err(|e| e.to_string())
    }
}
