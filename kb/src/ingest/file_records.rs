//! What a file becomes: a document entity, a passage (document record) per section with its
//! heading path in the title, a section entity `part_of` the document for every section
//! under a heading, and for an image file an image record and an image entity.
//!
//! Ids are the file id (the root's folder name and the path below it) behind `file:`:
//! `file:book/ch04.html` for the document (and its passage before the first heading),
//! `file:book/ch04.html#the-stack` for a section (its anchor; `section-N` when it has none or
//! one of digits only, since `#N` is how long passages are numbered). These entities are
//! marked `"linkable": false`: the entity linker never offers a section called
//! "Introduction" for a query that says "introduction"; files are reached through the
//! entities they mention, their links and their structure.

use std::collections::HashSet;

use braid_files::{FileDocument, FileKind, LinkTarget};

use crate::knowledge_base::MAX_TEXT_BYTES;
use crate::records::{DocumentRecord, Entity, ImageRecord, Relation};

/// Before every id of a record made from a file.
pub const FILE_ID_PREFIX: &str = "file:";
/// Entity type of a file's document.
pub const DOCUMENT_TYPE: &str = "document";
/// Entity type of a section of a document.
pub const SECTION_TYPE: &str = "section";
/// Entity type of an image file.
pub const IMAGE_TYPE: &str = "image";
/// A section, or an image, is part of the document that holds (embeds) it.
pub const PART_OF: &str = "part_of";
/// A document links to another document, or to a section of it.
pub const LINKS_TO: &str = "links_to";
/// A section or image mentions an entity the graph has.
pub const MENTIONS: &str = "mentions";

/// Characters of a section's text kept as its entity's description.
const DESCRIPTION_CHARS: usize = 300;
/// Separates the headings of a path in a passage title.
const HEADING_SEPARATOR: &str = " › ";

/// The entity (and document) id of a file.
pub fn file_entity_id(file_id: &str) -> String {
    format!("{FILE_ID_PREFIX}{file_id}")
}

/// The records of one file, before mentions are linked.
#[derive(Debug, Default)]
pub(crate) struct FileRecords {
    pub entities: Vec<Entity>,
    pub documents: Vec<DocumentRecord>,
    pub relations: Vec<Relation>,
    pub images: Vec<(ImageRecord, Option<Vec<u8>>)>,
    /// Section anchors and the entity each names.
    pub anchors: Vec<(String, String)>,
    /// Links to other files: (file id, anchor), each once.
    pub links: Vec<(String, Option<String>)>,
    /// Images embedded: (file id, alt text).
    pub image_refs: Vec<(String, String)>,
}

/// The records of a Markdown, HTML, text or PDF file.
pub(crate) fn text_records(doc: &FileDocument) -> FileRecords {
    let doc_id = file_entity_id(&doc.id);
    let mut out = FileRecords::default();
    let mut keys: HashSet<String> = HashSet::new();
    let license = front_matter_text(doc, "license");
    let source = Some(doc.path.display().to_string());
    let mut first_text = String::new();
    for (n, section) in doc.sections().iter().enumerate() {
        if section.text.trim().is_empty() {
            continue;
        }
        if first_text.is_empty() {
            first_text = section.text.clone();
        }
        // The text before the first heading is the document's own passage.
        let lead = section.heading_path.is_empty() && section.page.is_none() && n == 0;
        let id = if lead {
            doc_id.clone()
        } else {
            let key = match (section.page, &section.anchor) {
                (Some(page), _) => format!("page={page}"),
                (None, Some(anchor)) if !anchor.is_empty() && !anchor.bytes().all(|b| b.is_ascii_digit()) => {
                    anchor.clone()
                }
                _ => format!("section-{}", n + 1),
            };
            format!("{doc_id}#{}", unique(key, &mut keys))
        };
        let headings: Vec<&str> =
            section.heading_path.iter().map(String::as_str).skip_while(|h| *h == doc.title).collect();
        let title = match (headings.is_empty(), section.page) {
            (true, Some(page)) => format!("{} (page {page})", doc.title),
            (true, None) => doc.title.clone(),
            (false, _) => format!("{}{HEADING_SEPARATOR}{}", doc.title, headings.join(HEADING_SEPARATOR)),
        };
        if !lead {
            let name = section.heading_path.last().cloned().unwrap_or_else(|| title.clone());
            let mut entity = unlinkable(Entity::new(id.clone(), name, SECTION_TYPE));
            entity.description = cut(&section.text, DESCRIPTION_CHARS);
            entity.props.insert("document".into(), doc_id.clone().into());
            entity.props.insert("heading_path".into(), section.heading_path.clone().into());
            if let Some(anchor) = &section.anchor {
                entity.props.insert("anchor".into(), anchor.clone().into());
                out.anchors.push((anchor.clone(), id.clone()));
            }
            if let Some(page) = section.page {
                entity.props.insert("page".into(), page.into());
            }
            out.entities.push(entity);
            out.relations.push(Relation::new(id.clone(), PART_OF, doc_id.clone()));
        }
        for (i, text) in split_oversized(&section.text).into_iter().enumerate() {
            let part_id = if i == 0 { id.clone() } else { format!("{id}~part-{}", i + 1) };
            let entities = if lead { vec![doc_id.clone()] } else { vec![doc_id.clone(), id.clone()] };
            out.documents.push(DocumentRecord {
                id: part_id,
                title: title.clone(),
                text,
                entities,
                source: source.clone(),
                license: license.clone(),
            });
        }
    }
    if out.documents.is_empty() {
        // A page with a title and no text still says what it is about.
        out.documents.push(DocumentRecord {
            id: doc_id.clone(),
            title: doc.title.clone(),
            text: doc.title.clone(),
            entities: vec![doc_id.clone()],
            source: source.clone(),
            license: license.clone(),
        });
    }
    let mut entity = unlinkable(Entity::new(doc_id.clone(), doc.title.clone(), DOCUMENT_TYPE));
    entity.description = cut(&first_text, DESCRIPTION_CHARS);
    entity.props.insert("path".into(), doc.id.clone().into());
    entity.props.insert("format".into(), format_name(doc.kind).into());
    out.entities.insert(0, entity);

    let mut seen = HashSet::new();
    for link in doc.links() {
        if let LinkTarget::File { id } = &link.target
            && *id != doc.id
            && seen.insert((id.clone(), link.anchor.clone()))
        {
            out.links.push((id.clone(), link.anchor.clone()));
        }
    }
    if let braid_files::Content::Text(text) = &doc.content {
        for image in &text.images {
            if let LinkTarget::File { id } = &image.target {
                out.image_refs.push((id.clone(), image.alt.clone()));
            }
        }
    }
    out
}

/// The records of an image file captioned `caption`, with its bytes.
pub(crate) fn image_records(doc: &FileDocument, caption: &str, bytes: Vec<u8>) -> FileRecords {
    let id = file_entity_id(&doc.id);
    let path = doc.path.display().to_string();
    let mut entity = unlinkable(Entity::new(id.clone(), caption, IMAGE_TYPE));
    entity.props.insert("path".into(), doc.id.clone().into());
    let image = ImageRecord {
        id: id.clone(),
        path: Some(path.clone()),
        url: None,
        base64: None,
        caption: caption.to_string(),
        // Its own entity, so what the graph ranks near the image ranks the image.
        depicts: vec![id],
        tags: Vec::new(),
        source: Some(path),
        license: None,
        media_type: None,
        indexed_text: String::new(),
    };
    FileRecords { entities: vec![entity], images: vec![(image, Some(bytes))], ..FileRecords::default() }
}

/// The name a manifest gives a file's format.
pub(crate) fn format_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Markdown => "markdown",
        FileKind::Text => "text",
        FileKind::Html => "html",
        FileKind::Pdf => "pdf",
        FileKind::Records => "records",
        FileKind::Image => "image",
    }
}

fn unlinkable(mut entity: Entity) -> Entity {
    entity.props.insert(braid_graph::UNLINKABLE_PROP.into(), false.into());
    entity
}

/// `key`, or `key-2`, `key-3`… if an earlier section of the file has it.
fn unique(key: String, keys: &mut HashSet<String>) -> String {
    if keys.insert(key.clone()) {
        return key;
    }
    let mut n = 2;
    loop {
        let candidate = format!("{key}-{n}");
        if keys.insert(candidate.clone()) {
            return candidate;
        }
        n += 1;
    }
}

fn front_matter_text(doc: &FileDocument, key: &str) -> Option<String> {
    match &doc.content {
        braid_files::Content::Text(text) => text.front_matter.get(key)?.as_text().map(String::from),
        _ => None,
    }
}

/// The first `chars` characters of `text`, cut at a word boundary.
fn cut(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let head: String = text.chars().take(chars).collect();
    let at = head.rfind(char::is_whitespace).unwrap_or(head.len());
    format!("{}…", head[..at].trim_end())
}

/// A section longer than a document may be, cut at paragraph breaks (or anywhere on a
/// character boundary, for a paragraph longer than that) into parts that fit.
fn split_oversized(text: &str) -> Vec<String> {
    // Half the limit: room for the paragraph that tips a part over.
    const PART_BYTES: usize = MAX_TEXT_BYTES / 2;
    if text.len() <= MAX_TEXT_BYTES {
        return vec![text.to_string()];
    }
    let mut parts = Vec::new();
    let mut current = String::new();
    for paragraph in text.split("\n\n") {
        if !current.is_empty() && current.len() + paragraph.len() > PART_BYTES {
            parts.push(std::mem::take(&mut current));
        }
        let mut rest = paragraph;
        while rest.len() > PART_BYTES {
            let mut at = PART_BYTES;
            while !rest.is_char_boundary(at) {
                at -= 1;
            }
            parts.push(rest[..at].to_string());
            rest = &rest[at..];
        }
        if !current.is_empty() {
            current.push_str("\n\n");
        }
        current.push_str(rest);
    }
    if !current.trim().is_empty() {
        parts.push(current);
    }
    parts.retain(|p| !p.trim().is_empty());
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_sections_are_cut_into_parts_that_fit() {
        let paragraph = "word ".repeat(40_000);
        let text = [paragraph.as_str(); 8].join("\n\n");
        let parts = split_oversized(&text);
        assert!(parts.len() >= 4, "{}", parts.len());
        assert!(parts.iter().all(|p| p.len() <= MAX_TEXT_BYTES));
        let words: usize = parts.iter().map(|p| p.split_whitespace().count()).sum();
        assert_eq!(words, 320_000, "nothing lost");
        let long = "é".repeat(MAX_TEXT_BYTES);
        assert!(split_oversized(&long).iter().all(|p| p.len() <= MAX_TEXT_BYTES && !p.is_empty()));
        assert_eq!(split_oversized("short"), ["short"]);
    }

    #[test]
    fn keys_are_made_unique() {
        let mut keys = HashSet::new();
        assert_eq!(unique("a".into(), &mut keys), "a");
        assert_eq!(unique("a".into(), &mut keys), "a-2");
        assert_eq!(unique("a".into(), &mut keys), "a-3");
        assert_eq!(cut("one two three", 7), "one…");
    }
}
