//! Hits as the router shows them: an entity from the graph, a document or image from the
//! store of record, with a snippet cut at a word boundary.

use braid_graph::Entity;
use braid_router::{Hit, HitKind, Modality};

use crate::records::ImageRecord;
use crate::store::Store;

/// Longest snippet shown for a hit, in characters.
const SNIPPET_CHARS: usize = 240;

/// The hit for entity `e`.
pub(crate) fn entity_hit(e: &Entity, score: f32, facts: Vec<String>) -> Hit {
    Hit {
        id: e.id.clone(),
        kind: HitKind::Entity,
        modality: Modality::Text,
        title: e.name.clone(),
        snippet: snippet(&e.description),
        uri: None,
        thumbnail: None,
        score,
        facts,
    }
}

/// A document or image hit, looked up in the store of record.
/// The hit for item `id`; for passage `n` (from 1) of a document, the snippet is that
/// passage's, from the sentence that shares most words with `query`.
pub(crate) fn item_hit(store: &Store, id: &str, score: f32, passage: Option<(usize, &str)>) -> Option<Hit> {
    if let Ok(Some(d)) = store.document(id) {
        let text = passage
            .and_then(|(n, query)| {
                let text = crate::passages::split(&d.text).into_iter().nth(n.saturating_sub(1))?;
                Some(crate::passages::from_best_sentence(&text, query).to_string())
            })
            .unwrap_or_else(|| d.text.clone());
        return Some(Hit {
            id: d.id,
            kind: HitKind::Document,
            modality: Modality::Text,
            title: d.title,
            snippet: snippet(&text),
            uri: None,
            thumbnail: None,
            score,
            facts: Vec::new(),
        });
    }
    let img = store.image(id).ok()??;
    Some(image_hit(img, score))
}

fn image_hit(img: ImageRecord, score: f32) -> Hit {
    let thumbnail = img.media_type.as_ref().map(|_| format!("/v1/images/{}/content", img.id));
    Hit {
        uri: img.path.clone().or(img.url.clone()),
        thumbnail,
        id: img.id,
        kind: HitKind::Image,
        modality: Modality::Image,
        title: img.caption.clone(),
        snippet: snippet(&img.caption),
        score,
        facts: Vec::new(),
    }
}

/// The first [`SNIPPET_CHARS`] characters, cut at a word boundary.
pub fn snippet(text: &str) -> String {
    if text.chars().count() <= SNIPPET_CHARS {
        return text.to_string();
    }
    let cut: String = text.chars().take(SNIPPET_CHARS).collect();
    let at = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end())
}
