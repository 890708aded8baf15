//! Checks of records before anything is written: each names the offending field, so a bad
//! record is refused at the edge with a message its sender can act on.

use braid_graph::Graph;

use crate::error::BraidError;
use crate::knowledge_base::{MAX_IMAGE_BYTES, MAX_TEXT_BYTES};
use crate::records::{DocumentRecord, Entity, ImageRecord, Relation, SchemaRecord};

/// Longest id accepted, in bytes.
pub const MAX_ID_BYTES: usize = 512;

/// An id is not blank, not too long and holds no control characters.
pub fn id(id: &str) -> Result<(), BraidError> {
    if id.trim().is_empty() {
        return Err(BraidError::invalid("id", "must not be empty"));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(BraidError::invalid("id", "is longer than 512 bytes"));
    }
    if id.chars().any(char::is_control) {
        return Err(BraidError::invalid("id", "must not contain control characters"));
    }
    Ok(())
}

/// Both endpoints of `r` exist in `graph` and its type is not blank.
pub fn relation(graph: &Graph, r: &Relation) -> Result<(), BraidError> {
    if r.relation.trim().is_empty() {
        return Err(BraidError::invalid("relation", "must not be empty"));
    }
    for (field, id) in [("source", &r.source), ("target", &r.target)] {
        if !graph.contains(id) {
            return Err(BraidError::invalid(field, format!("unknown entity '{id}'")));
        }
    }
    Ok(())
}

/// An entity has an id, a name and a type.
pub fn entity(e: &Entity) -> Result<(), BraidError> {
    id(&e.id)?;
    if e.name.trim().is_empty() {
        return Err(BraidError::invalid("name", "must not be empty"));
    }
    if e.kind.trim().is_empty() {
        return Err(BraidError::invalid("type", "must not be empty"));
    }
    Ok(())
}

/// A document has an id and some text, within the size limit.
pub fn document(d: &DocumentRecord) -> Result<(), BraidError> {
    id(&d.id)?;
    if d.text.trim().is_empty() {
        return Err(BraidError::invalid("text", "must not be empty"));
    }
    if d.text.len() > MAX_TEXT_BYTES {
        return Err(BraidError::invalid("text", format!("is {} bytes; the limit is {MAX_TEXT_BYTES}", d.text.len())));
    }
    Ok(())
}

/// An image has an id and something to index it by; its URL, if any, is public.
pub fn image(img: &ImageRecord, bytes: Option<&[u8]>) -> Result<(), BraidError> {
    id(&img.id)?;
    let blank = |v: &[String]| v.iter().all(|s| s.trim().is_empty());
    if img.caption.trim().is_empty() && blank(&img.tags) && blank(&img.depicts) && bytes.is_none() {
        return Err(BraidError::invalid("caption", "an image needs a caption, tags, depicted entities or its bytes"));
    }
    if let Some(i) = img.depicts.iter().position(|d| d.trim().is_empty()) {
        return Err(BraidError::invalid(format!("depicts[{i}]"), "must not be empty"));
    }
    if let Some(b) = bytes
        && b.len() > MAX_IMAGE_BYTES
    {
        return Err(BraidError::invalid("image", format!("is {} bytes; the limit is {MAX_IMAGE_BYTES}", b.len())));
    }
    if let Some(url) = &img.url {
        let parsed = url::Url::parse(url).map_err(|e| BraidError::invalid("url", format!("not a URL: {e}")))?;
        braid_web::check_public_url(&parsed).map_err(|e| BraidError::invalid("url", e.to_string()))?;
    }
    Ok(())
}

/// Longest label, inverse label, plural or alias of a schema record, in characters.
pub const MAX_LABEL_CHARS: usize = 200;

/// A schema record names a relation or entity type the graph has, and gives words that are
/// words: not blank, not too long, no control characters, a letter somewhere.
pub fn schema_record(record: &SchemaRecord, graph: &Graph) -> Result<(), BraidError> {
    let label = |field: &str, text: &str| -> Result<(), BraidError> {
        if text.trim().is_empty() {
            return Err(BraidError::invalid(field, "must not be empty"));
        }
        if text.chars().count() > MAX_LABEL_CHARS {
            return Err(BraidError::invalid(field, format!("is longer than {MAX_LABEL_CHARS} characters")));
        }
        if text.chars().any(char::is_control) || !text.chars().any(char::is_alphabetic) {
            return Err(BraidError::invalid(field, format!("'{text}' is not a word or phrase")));
        }
        Ok(())
    };
    let stats = graph.schema_stats();
    match record {
        SchemaRecord::Relation(r) => {
            if stats.relation(&r.relation_type).is_none() {
                let known: Vec<&str> = stats.relations.iter().map(|r| r.name.as_str()).take(20).collect();
                return Err(BraidError::invalid(
                    "relation_type",
                    format!("unknown relation type '{}'; the graph has: {}", r.relation_type, known.join(", ")),
                ));
            }
            for (field, text) in [("label", &r.label), ("inverse", &r.inverse)] {
                if let Some(text) = text {
                    label(field, text)?;
                }
            }
            for (i, alias) in r.aliases.iter().enumerate() {
                label(&format!("aliases[{i}]"), alias)?;
            }
        }
        SchemaRecord::EntityType(e) => {
            if !stats.entity_types.iter().any(|t| t.name == e.entity_type) {
                let known: Vec<&str> = stats.entity_types.iter().map(|t| t.name.as_str()).take(20).collect();
                return Err(BraidError::invalid(
                    "entity_type",
                    format!("unknown entity type '{}'; the graph has: {}", e.entity_type, known.join(", ")),
                ));
            }
            for (field, text) in [("label", &e.label), ("plural", &e.plural)] {
                if let Some(text) = text {
                    label(field, text)?;
                }
            }
            for (i, alias) in e.aliases.iter().enumerate() {
                label(&format!("aliases[{i}]"), alias)?;
            }
        }
    }
    Ok(())
}

/// Decodes standard base64 (with or without padding, whitespace ignored).
pub fn decode_base64(field: &str, text: &str) -> Result<Vec<u8>, BraidError> {
    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    // Accept data URLs ("data:image/png;base64,....") as browsers produce them.
    let payload = cleaned.split_once("base64,").map_or(cleaned.as_str(), |(_, b)| b);
    if payload.is_empty() {
        return Err(BraidError::invalid(field, "is empty"));
    }
    LENIENT.decode(payload).map_err(|e| BraidError::invalid(field, format!("not valid base64: {e}")))
}
