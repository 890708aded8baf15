//! Searching images: image records are stored with their bytes and found by what they
//! show. With a text-only embedder (the default) an image is indexed by its caption, tags and
//! the names of what it depicts; with a multimodal one (`BRAID_EMBEDDER=clip`) by its pixels,
//! in the same space as text queries.
//!
//! ```sh
//! cargo run --example image_search -- "pictures of birds that cannot fly"
//! ```
//!
//! Look at: `put_images` (a record plus its bytes; Braid sniffs the media type), the
//! `modality: image` filter, and the hits' `uri` (where the image came from) and `thumbnail`
//! (the bytes served by `GET /v1/images/{id}/content`).

use std::path::PathBuf;

use anyhow::{Context, Result};
use braid_kb::records::{Entity, ImageRecord};
use braid_kb::{KnowledgeBase, Options};
use braid_router::{Filters, Modality, Route};

fn main() -> Result<()> {
    let query = std::env::args().nth(1).unwrap_or_else(|| "pictures of birds that cannot fly".into());
    let stamps = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data/atlas/images/stamps");
    // The embedder `braid serve` would use: hashing, or MiniLM/CLIP when configured.
    let embedder = braid::config::embedder(&braid::config::ConfigFile::default())?;
    let dir = tempfile::tempdir()?;
    let kb = KnowledgeBase::open(Options::new(dir.path(), embedder))?;

    // What the images depict, so "birds that cannot fly" can use the graph's words too.
    kb.put_entities(vec![
        Entity::new("animal:ostrich", "ostrich", "animal"),
        Entity::new("animal:penguin", "penguin", "animal"),
        Entity::new("animal:owl", "owl", "animal"),
        Entity::new("animal:frog", "frog", "animal"),
    ])?;
    let images = [
        ("animals-birds-ostrich.png", "An ostrich, a large bird that cannot fly.", "animal:ostrich"),
        ("animals-birds-penguin.png", "A penguin, a flightless sea bird.", "animal:penguin"),
        ("animals-birds-owl.png", "An owl.", "animal:owl"),
        ("animals-amphibians-frog.png", "A frog.", "animal:frog"),
    ];
    let mut records = Vec::new();
    for (file, caption, depicts) in images {
        let bytes = std::fs::read(stamps.join(file)).with_context(|| format!("reading {file}"))?;
        records.push((
            ImageRecord {
                id: format!("img:{file}"),
                path: Some(format!("stamps/{file}")),
                url: None,
                base64: None,
                caption: caption.into(),
                depicts: vec![depicts.into()],
                tags: vec!["animal".into()],
                source: Some("Tux Paint stamps".into()),
                license: Some("GPL-2.0-or-later".into()),
                media_type: None,
                indexed_text: String::new(),
            },
            Some(bytes),
        ));
    }
    kb.put_images(records)?;

    let filters = Filters { modality: Some(Modality::Image), ..Filters::default() };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let hits = runtime.block_on(kb.search_route(Route::Vector, &query, 3, filters))?;
    println!("{query} (embedder {}):", kb.embedder().name());
    for (i, hit) in hits.iter().enumerate() {
        println!(
            "{:>2}. {} — {} (thumbnail {})",
            i + 1,
            hit.title,
            hit.uri.as_deref().unwrap_or(""),
            hit.thumbnail.as_deref().unwrap_or("none")
        );
    }
    let (bytes, media) = kb.image_content(&hits.first().context("no image found")?.id)?;
    println!("the first one is {} bytes of {media}", bytes.len());
    Ok(())
}
