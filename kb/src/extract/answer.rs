//! What the model is asked and what it must answer: entities and typed relations stated in
//! one passage, as JSON against a schema (sent as the `response_format` of an
//! OpenAI-compatible chat call), checked and normalised here before anything is stored.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Bumped when the prompt or the schema changes, so cached answers to the old ones are not
/// reused.
pub(crate) const PROMPT_VERSION: &str = "extract-v1";

/// Longest entity name or type kept, in characters; longer ones are not names.
const MAX_NAME_CHARS: usize = 120;
/// Most entities and relations taken from one answer.
const MAX_ITEMS: usize = 64;

/// The model's answer for one passage, checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extracted {
    /// Entities the passage names.
    pub entities: Vec<ExtractedEntity>,
    /// Relations it states between them.
    pub relations: Vec<ExtractedRelation>,
}

/// An entity as the model named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractedEntity {
    /// Its name as written.
    pub name: String,
    /// Its type, in snake_case.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A relation between two entities of the answer, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractedRelation {
    /// The source entity's name.
    pub source: String,
    /// The relation type, in snake_case.
    pub relation: String,
    /// The target entity's name.
    pub target: String,
}

/// The JSON schema the answer must follow (strict: every field required, nothing more).
pub(crate) fn schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["entities", "relations"],
        "properties": {
            "entities": {"type": "array", "items": {
                "type": "object", "additionalProperties": false, "required": ["name", "type"],
                "properties": {"name": {"type": "string"}, "type": {"type": "string"}}}},
            "relations": {"type": "array", "items": {
                "type": "object", "additionalProperties": false, "required": ["source", "relation", "target"],
                "properties": {"source": {"type": "string"}, "relation": {"type": "string"}, "target": {"type": "string"}}}}
        }
    })
}

/// The instructions, naming the types the graph already uses so the model reuses them.
pub(crate) fn system_prompt(entity_types: &[String], relation_types: &[String]) -> String {
    let list = |v: &[String]| if v.is_empty() { "(none yet)".to_string() } else { v.join(", ") };
    format!(
        "You extract a knowledge graph from one passage of a document. List the named entities the \
         passage is about and the relations between them that the passage states. Use only what the \
         passage says; do not add outside knowledge. Name each entity as the passage names it. Give \
         each a short type in snake_case, and each relation a type in snake_case that reads \
         source-relation-target (for example depends_on, written_by, part_of). Prefer these entity \
         types where they fit: {}. Prefer these relation types where they fit: {}. Every relation's \
         source and target must be names from your entities list. Answer with JSON only, following \
         the schema.",
        list(entity_types),
        list(relation_types)
    )
}

/// The user message: the passage with its title.
pub(crate) fn user_prompt(title: &str, text: &str) -> String {
    format!("Title: {title}\n\nPassage:\n{text}")
}

/// Parses the model's message content: JSON (a Markdown code fence around it is tolerated),
/// checked and normalised. Relations naming an entity the answer does not list are dropped.
pub(crate) fn parse(content: &str) -> Result<Extracted, String> {
    let trimmed = content.trim();
    let body = trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|rest| rest.strip_suffix("```"))
        .unwrap_or(trimmed);
    let raw: Extracted =
        serde_json::from_str(body.trim()).map_err(|e| format!("the answer is not the JSON asked for: {e}"))?;
    let mut out = Extracted::default();
    for e in raw.entities.into_iter().take(MAX_ITEMS) {
        let name = collapse(&e.name);
        let kind = snake_case(&e.kind);
        if name.is_empty() || kind.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            continue;
        }
        if !out.entities.iter().any(|x| same_name(&x.name, &name)) {
            out.entities.push(ExtractedEntity { name, kind });
        }
    }
    for r in raw.relations.into_iter().take(MAX_ITEMS) {
        let relation = snake_case(&r.relation);
        let find = |n: &str| out.entities.iter().find(|e| same_name(&e.name, n)).map(|e| e.name.clone());
        let (Some(source), Some(target)) = (find(&r.source), find(&r.target)) else { continue };
        if relation.is_empty() || source == target {
            continue;
        }
        let r = ExtractedRelation { source, relation, target };
        if !out.relations.contains(&r) {
            out.relations.push(r);
        }
    }
    Ok(out)
}

/// Names compared without case and extra whitespace.
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    normalise_name(a) == normalise_name(b)
}

/// A name lowercased, with runs of non-alphanumeric characters as one space.
pub(crate) fn normalise_name(name: &str) -> String {
    let lower = name.to_lowercase();
    lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `Depends On` → `depends_on`; empty when nothing alphanumeric is left.
pub(crate) fn snake_case(s: &str) -> String {
    let words: Vec<String> =
        s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    let joined = words.join("_");
    joined.chars().take(MAX_NAME_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_checked_and_normalised() -> Result<(), String> {
        let content = "```json\n{\"entities\": [{\"name\": \" Tokio  runtime\", \"type\": \"Software Library\"}, \
                       {\"name\": \"Rust\", \"type\": \"language\"}, {\"name\": \"rust\", \"type\": \"language\"}, \
                       {\"name\": \"\", \"type\": \"x\"}], \
                       \"relations\": [{\"source\": \"tokio runtime\", \"relation\": \"Written In\", \"target\": \"RUST\"}, \
                       {\"source\": \"Tokio runtime\", \"relation\": \"uses\", \"target\": \"Nobody\"}, \
                       {\"source\": \"Rust\", \"relation\": \"is\", \"target\": \"Rust\"}]}\n```";
        let got = parse(content)?;
        assert_eq!(
            got.entities,
            [
                ExtractedEntity { name: "Tokio runtime".into(), kind: "software_library".into() },
                ExtractedEntity { name: "Rust".into(), kind: "language".into() }
            ]
        );
        assert_eq!(
            got.relations,
            [ExtractedRelation {
                source: "Tokio runtime".into(),
                relation: "written_in".into(),
                target: "Rust".into()
            }]
        );
        assert!(parse("I think the entities are Tokio and Rust.").is_err());
        assert!(parse("{\"entities\": 3}").is_err());
        assert_eq!(parse("{\"entities\": [], \"relations\": []}")?, Extracted::default());
        Ok(())
    }
}
