//! What the vector index holds of a record: a document is one item, or one item per passage
//! when it is long (see [`crate::passages`]); an image is one item indexed by its caption
//! and what it depicts.

use braid_vector::{Item, Modality as VectorModality};

use crate::records::{DocumentRecord, ImageRecord};

/// The texts a document is embedded by: each passage with the title before it.
pub(crate) fn passage_texts(d: &DocumentRecord) -> Vec<String> {
    crate::passages::split(&d.text)
        .into_iter()
        .map(|p| if d.title.is_empty() { p } else { format!("{}\n{}", d.title, p) })
        .collect()
}

/// The vector-index ids of a document: its id, or one per passage.
pub(crate) fn item_ids(d: &DocumentRecord) -> Vec<String> {
    match crate::passages::split(&d.text).len() {
        1 => vec![d.id.clone()],
        n => (1..=n).map(|i| crate::passages::passage_id(&d.id, i)).collect(),
    }
}

/// The vector-index items of a document and their vectors, cut from the concatenation
/// of its passage vectors.
pub(crate) fn document_items(d: &DocumentRecord, vectors: &[f32], dimension: usize) -> Vec<(Item, Vec<f32>)> {
    let passages = crate::passages::split(&d.text);
    if passages.len() == 1 {
        return vec![(document_item(d), vectors.to_vec())];
    }
    passages
        .into_iter()
        .zip(vectors.chunks(dimension.max(1)))
        .enumerate()
        .map(|(i, (text, v))| {
            let item = Item {
                id: crate::passages::passage_id(&d.id, i + 1),
                kind: crate::passages::PASSAGE_KIND.into(),
                text,
                ..document_item(d)
            };
            (item, v.to_vec())
        })
        .collect()
}

pub(crate) fn document_item(d: &DocumentRecord) -> Item {
    Item {
        id: d.id.clone(),
        modality: VectorModality::Text,
        kind: "document".into(),
        title: d.title.clone(),
        text: d.text.clone(),
        tags: Vec::new(),
        entities: d.entities.clone(),
        source: d.source.clone(),
    }
}

pub(crate) fn image_item(img: &ImageRecord) -> Item {
    Item {
        id: img.id.clone(),
        modality: VectorModality::Image,
        kind: "image".into(),
        title: img.caption.clone(),
        text: if img.indexed_text.is_empty() { img.caption.clone() } else { img.indexed_text.clone() },
        tags: img.tags.clone(),
        entities: img.depicts.clone(),
        source: img.source.clone(),
    }
}
