//! Image captions across files: a caption sidecar (`photo.png.txt`, found by the reader),
//! else the alt text of the first document (by id) that embeds the image with one, else the
//! file name in words. Documents not read again this run (unchanged) still count: their alt
//! texts are in their manifests, so an unchanged folder captions its images as a fresh one.

use std::collections::HashMap;

use braid_files::{CaptionSource, Content, FileDocument};

/// Alt texts by image file id, from `(document id, image id, alt)` uses: the first
/// document by id with a non-empty alt text wins.
pub(crate) fn alt_texts<'a>(uses: impl Iterator<Item = (&'a str, &'a str, &'a str)>) -> HashMap<String, String> {
    let mut uses: Vec<(&str, &str, &str)> = uses.filter(|(_, _, alt)| !alt.trim().is_empty()).collect();
    uses.sort();
    let mut out = HashMap::new();
    for (_, image, alt) in uses {
        out.entry(image.to_string()).or_insert_with(|| alt.to_string());
    }
    out
}

/// The caption of an image file read this run.
pub(crate) fn caption(image: &FileDocument, alts: &HashMap<String, String>) -> String {
    let Content::Image(content) = &image.content else { return image.title.clone() };
    match &content.caption.source {
        CaptionSource::Sidecar { .. } => content.caption.text.clone(),
        CaptionSource::AltText { .. } | CaptionSource::FileName => {
            alts.get(&image.id).cloned().unwrap_or_else(|| match content.caption.source {
                // The reader saw an alt text this run that the uses above do not hold.
                CaptionSource::AltText { .. } => content.caption.text.clone(),
                _ => image.title.clone(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_document_with_an_alt_text_captions_the_image() {
        let uses =
            [("b.md", "img/k.png", "a koala"), ("a.md", "img/k.png", " "), ("c.md", "img/k.png", "koala, later")];
        let alts = alt_texts(uses.iter().copied());
        assert_eq!(alts.get("img/k.png").map(String::as_str), Some("a koala"));
        assert_eq!(alts.len(), 1);
    }
}
