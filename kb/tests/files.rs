//! Folders of files through the knowledge base: what a folder becomes, that a second ingest
//! of an unchanged folder touches nothing, that a changed file is replaced and a deleted one
//! pruned from every index, and that broken files are reported, not fatal.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use braid_kb::ingest::{IngestOptions, IngestReport, NoProgress, ingest_paths_with};
use braid_kb::{KnowledgeBase, Options};
use braid_router::Route;
use braid_vector::{EmbedError, Embedder, HashingEmbedder, SearchMode, SearchRequest, VectorConfig, VectorStore};

/// The hashing embedder, counting the texts it embeds.
struct Counting {
    inner: HashingEmbedder,
    texts: AtomicUsize,
}

impl Embedder for Counting {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn dimension(&self) -> usize {
        self.inner.dimension()
    }
    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.texts.fetch_add(texts.len(), Ordering::SeqCst);
        self.inner.embed_texts(texts)
    }
}

struct Fixture {
    kb: KnowledgeBase,
    vectors: Arc<VectorStore>,
    embedder: Arc<Counting>,
}

fn open(data: &Path) -> Fixture {
    let embedder = Arc::new(Counting { inner: HashingEmbedder::new(64), texts: AtomicUsize::new(0) });
    let vectors = Arc::new(VectorStore::in_memory(VectorConfig::with_dimension(64)).expect("vector store"));
    let mut options = Options::new(data, embedder.clone());
    options.vectors = Some(vectors.clone());
    options.checkpoints = None;
    Fixture { kb: KnowledgeBase::open(options).expect("open"), vectors, embedder }
}

fn write(dir: &Path, relative: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(&path, content).expect("write");
    path
}

/// A 1×1 PNG.
fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde".to_vec();
    bytes.extend_from_slice(b"\0\0\0\x0cIDAT\x08\xd7c\xf8\xcf\xc0\0\0\x03\x01\x01\0\x18\xdd\x8d\xb0");
    bytes.extend_from_slice(b"\0\0\0\0IEND\xaeB`\x82");
    bytes
}

/// A one-page PDF showing `text` in Helvetica, with a correct cross-reference table.
fn pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 18 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            .to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

/// A small documentation folder with every kind of file, a broken one and some to skip.
fn corpus(dir: &Path) -> PathBuf {
    let docs = dir.join("docs");
    write(
        &docs,
        "guide/intro.md",
        "---\ntitle: Getting Started\n---\n# Getting Started\n\nThis guide is about Koalaland.\n\n## Install {#install}\n\n\
         Run the zanzibar installer first. See [the flags](usage.md#flags) and [the old page](../old.html).\n\n\
         ![a koala asleep in a tree](../img/koala.png)\n",
    );
    write(
        &docs,
        "guide/usage.md",
        "# Usage\n\n## Flags\n\nThe quokka flag turns on verbose output.\n\n## Introduction\n\nAn introduction to the tool.\n",
    );
    write(&docs, "notes.txt", "Koalaland exports eucalyptus and wombat wool.");
    write(&docs, "paper.pdf", pdf("Marsupial census of Koalaland"));
    write(&docs, "img/koala.png", png());
    write(&docs, "img/logo.png", png());
    write(&docs, "img/logo.png.txt", "The project logo, a smiling quokka.");
    write(&docs, "data/places.jsonl", "{\"id\": \"place:koalaland\", \"name\": \"Koalaland\", \"type\": \"place\"}\n");
    write(
        &docs,
        "old.html",
        "<html><head><meta http-equiv=\"refresh\" content=\"0; URL=guide/usage.md\"></head><body></body></html>",
    );
    write(
        &docs,
        "print.html",
        "<html><head><meta name=\"robots\" content=\"noindex\"></head><body><p>All.</p></body></html>",
    );
    write(&docs, "broken.txt", b"PK\x03\x04\0\0binary");
    write(&docs, "package.json", "{\n  \"name\": \"site\"\n}\n");
    write(&docs, ".hidden.md", "# Secret");
    write(&docs, ".gitignore", "build/\n");
    write(&docs, "build/out.md", "# Built");
    write(&docs, "style.css", "body {}");
    docs
}

fn ingest(kb: &KnowledgeBase, paths: &[PathBuf], prune: bool) -> IngestReport {
    let options = IngestOptions { prune, ..IngestOptions::default() };
    ingest_paths_with(kb, paths, &options, &NoProgress).expect("ingest")
}

fn relations_of(kb: &KnowledgeBase, id: &str) -> Vec<(String, String, String)> {
    kb.entity(id)
        .map(|v| v.relations.into_iter().map(|f| (f.source, f.relation, f.target)).collect())
        .unwrap_or_default()
}

fn has(relations: &[(String, String, String)], s: &str, r: &str, t: &str) -> bool {
    relations.iter().any(|(a, b, c)| a == s && b == r && c == t)
}

/// Item ids the vector store finds for `text`, by one mode.
fn found(vectors: &VectorStore, embedder: &dyn Embedder, text: &str, mode: SearchMode) -> Vec<String> {
    let vector = embedder.embed_text(text).expect("embed");
    let request =
        SearchRequest { text: Some(text.to_string()), vector: Some(vector), k: 20, mode, ..SearchRequest::default() };
    vectors.search(&request).expect("search").into_iter().map(|h| h.id).collect()
}

async fn vector_route(kb: &KnowledgeBase, query: &str) -> Vec<String> {
    let hits = kb.search_route(Route::Vector, query, 5, Default::default()).await.expect("search");
    hits.into_iter().map(|h| h.id).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_folder_becomes_searchable_text_and_a_linked_graph() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = corpus(dir.path());
    let f = open(&dir.path().join("data"));
    let report = ingest(&f.kb, std::slice::from_ref(&docs), false);
    let files = &report.files;

    // Every file is imported, skipped or failed, with its reason.
    assert_eq!(files.summary(), "added 7, changed 0, unchanged 0, removed 0, skipped 7, failed 2", "{files:#?}");
    let reason = |name: &str| -> String {
        files
            .skips
            .iter()
            .chain(&files.failures)
            .find(|i| i.path.ends_with(name))
            .map(|i| i.reason.clone())
            .unwrap_or_else(|| panic!("no report of {name}: {files:#?}"))
    };
    assert!(reason("broken.txt").contains("binary"), "{}", reason("broken.txt"));
    assert!(reason("package.json").contains("not JSON Lines records"), "{}", reason("package.json"));
    assert!(reason("old.html").contains("redirect to docs/guide/usage.md"));
    assert!(reason("print.html").contains("noindex"));
    assert!(reason("logo.png.txt").contains("caption of docs/img/logo.png"));
    assert!(reason(".hidden.md").contains("hidden"));
    assert!(reason("build").contains(".gitignore"));
    assert!(reason("style.css").contains("not a format"));
    assert_eq!(report.entities, 1, "the records file inside the folder is imported");

    // Documents and sections are entities, sections part of their document.
    let intro = f.kb.entity("file:docs/guide/intro.md").expect("document entity");
    assert_eq!((intro.entity.name.as_str(), intro.entity.kind.as_str()), ("Getting Started", "document"));
    let install = f.kb.entity("file:docs/guide/intro.md#install").expect("section entity");
    assert_eq!(install.entity.kind, "section");
    let rel = relations_of(&f.kb, "file:docs/guide/intro.md");
    assert!(has(&rel, "file:docs/guide/intro.md#install", "part_of", "file:docs/guide/intro.md"), "{rel:?}");
    // Links: to a section by its anchor, and through a redirect stub to its target.
    assert!(has(&rel, "file:docs/guide/intro.md", "links_to", "file:docs/guide/usage.md#flags"), "{rel:?}");
    assert!(has(&rel, "file:docs/guide/intro.md", "links_to", "file:docs/guide/usage.md"), "{rel:?}");
    // The image embedded with alt text is captioned by it and part of the page.
    assert!(has(&rel, "file:docs/img/koala.png", "part_of", "file:docs/guide/intro.md"), "{rel:?}");
    assert_eq!(f.kb.image("file:docs/img/koala.png").expect("image").caption, "a koala asleep in a tree");
    assert_eq!(f.kb.image("file:docs/img/logo.png").expect("image").caption, "The project logo, a smiling quokka.");
    // A PDF page is a passage.
    let page = f.kb.document("file:docs/paper.pdf#page=1").expect("pdf page");
    assert!(page.text.contains("Marsupial census"), "{}", page.text);

    // Mentions of an entity the graph has, with a confidence, from passages and the text file.
    let place = relations_of(&f.kb, "place:koalaland");
    for source in ["file:docs/guide/intro.md#getting-started", "file:docs/notes.txt", "file:docs/paper.pdf#page=1"] {
        assert!(has(&place, source, "mentions", "place:koalaland"), "{source}: {place:?}");
    }
    assert!(f.kb.entity("place:koalaland").expect("entity").items.contains(&"file:docs/notes.txt".to_string()));

    // The section titled "Introduction" is not a link target for queries saying so.
    let linked = f.kb.router().features("an introduction to koalas", false).entities;
    assert!(linked.iter().all(|e| !e.id.starts_with("file:")), "{linked:?}");

    // Questions find the section that answers them, and the graph reaches documents
    // through the entities they mention.
    assert_eq!(
        vector_route(&f.kb, "zanzibar installer").await.first().map(String::as_str),
        Some("file:docs/guide/intro.md#install")
    );
    assert!(
        vector_route(&f.kb, "quokka flag verbose output").await.contains(&"file:docs/guide/usage.md#flags".to_string())
    );
    let graph = f.kb.search_route(Route::Graph, "Koalaland", 10, Default::default()).await.expect("graph route");
    let graph: Vec<&str> = graph.iter().map(|h| h.id.as_str()).collect();
    assert!(graph.contains(&"file:docs/notes.txt"), "{graph:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unchanged_files_are_left_alone_changed_ones_replaced_and_gone_ones_pruned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = corpus(dir.path());
    let f = open(&dir.path().join("data"));
    ingest(&f.kb, std::slice::from_ref(&docs), false);
    let counts = f.kb.status().expect("status").counts;

    // Unchanged: nothing is embedded or written again.
    let embedded = f.embedder.texts.load(Ordering::SeqCst);
    let again = ingest(&f.kb, std::slice::from_ref(&docs), false);
    assert_eq!(again.files.summary(), "added 0, changed 0, unchanged 7, removed 0, skipped 7, failed 2");
    assert_eq!(f.embedder.texts.load(Ordering::SeqCst), embedded, "nothing embedded again");
    assert_eq!(f.kb.status().expect("status").counts, counts);

    // A changed file: its new sections replace the old ones everywhere; a section whose text
    // did not change keeps its vector.
    write(&docs, "guide/usage.md", "# Usage\n\n## Flags\n\nThe platypus flag prints timings.\n");
    let embedded = f.embedder.texts.load(Ordering::SeqCst);
    let changed = ingest(&f.kb, std::slice::from_ref(&docs), false);
    assert_eq!(f.embedder.texts.load(Ordering::SeqCst), embedded + 1, "only the changed section is embedded");
    assert_eq!(changed.files.summary(), "added 0, changed 1, unchanged 6, removed 0, skipped 7, failed 2");
    assert!(f.kb.entity("file:docs/guide/usage.md#introduction").is_err(), "a section the file no longer has");
    assert!(f.kb.document("file:docs/guide/usage.md#introduction").is_err());
    assert!(f.kb.document("file:docs/guide/usage.md#flags").expect("kept").text.contains("platypus"));
    assert!(
        !found(&f.vectors, f.embedder.as_ref(), "quokka verbose", SearchMode::Lexical)
            .iter()
            .any(|id| id.contains("usage.md"))
    );
    let rel = relations_of(&f.kb, "file:docs/guide/intro.md");
    assert!(has(&rel, "file:docs/guide/intro.md", "links_to", "file:docs/guide/usage.md#flags"), "still resolves");
    // A section added to a file: the file's other sections are not embedded again.
    let intro = std::fs::read_to_string(docs.join("guide/intro.md")).expect("read");
    write(&docs, "guide/intro.md", format!("{intro}\n## Uninstall\n\nRemove the wombat folder.\n"));
    let embedded = f.embedder.texts.load(Ordering::SeqCst);
    ingest(&f.kb, std::slice::from_ref(&docs), false);
    assert_eq!(f.embedder.texts.load(Ordering::SeqCst), embedded + 1, "only the new section is embedded");
    assert!(f.kb.document("file:docs/guide/intro.md#uninstall").is_ok());

    // A record deleted through the API is put back by the next ingest of its file.
    f.kb.delete_document("file:docs/notes.txt").expect("delete");
    let repaired = ingest(&f.kb, std::slice::from_ref(&docs), false);
    assert_eq!(repaired.files.changed, 1, "{:?}", repaired.files.summary());
    assert!(f.kb.document("file:docs/notes.txt").is_ok());

    // A deleted file: kept (and counted) without --prune, removed from every index with it.
    std::fs::remove_file(docs.join("notes.txt")).expect("remove");
    let kept = ingest(&f.kb, std::slice::from_ref(&docs), false);
    assert_eq!((kept.files.removed, kept.files.gone), (0, 1));
    assert!(f.kb.document("file:docs/notes.txt").is_ok());
    let embedder: &dyn Embedder = f.embedder.as_ref();
    assert!(
        found(&f.vectors, embedder, "wombat wool", SearchMode::Lexical).contains(&"file:docs/notes.txt".to_string())
    );
    let items = f.vectors.len();
    let pruned = ingest(&f.kb, std::slice::from_ref(&docs), true);
    assert_eq!(pruned.files.summary(), "added 0, changed 0, unchanged 6, removed 1, skipped 7, failed 2");
    assert!(f.kb.document("file:docs/notes.txt").is_err(), "store");
    assert!(f.kb.entity("file:docs/notes.txt").is_err(), "graph");
    assert!(!has(&relations_of(&f.kb, "place:koalaland"), "file:docs/notes.txt", "mentions", "place:koalaland"));
    for mode in [SearchMode::Lexical, SearchMode::Dense, SearchMode::Hybrid] {
        let ids = found(&f.vectors, embedder, "Koalaland exports eucalyptus and wombat wool", mode);
        assert!(!ids.contains(&"file:docs/notes.txt".to_string()), "{mode:?}: {ids:?}");
    }
    assert_eq!(f.vectors.len(), items - 1);
    assert!(!vector_route(&f.kb, "wombat wool").await.contains(&"file:docs/notes.txt".to_string()));

    // Reopened, the store of record rebuilds the same indexes.
    let data = dir.path().join("data");
    drop(f);
    let f = open(&data);
    assert!(f.kb.document("file:docs/notes.txt").is_err());
    assert_eq!(
        vector_route(&f.kb, "zanzibar installer").await.first().map(String::as_str),
        Some("file:docs/guide/intro.md#install")
    );
    let again = ingest(&f.kb, std::slice::from_ref(&docs), true);
    assert_eq!(again.files.summary(), "added 0, changed 0, unchanged 6, removed 0, skipped 7, failed 2");
}

#[tokio::test(flavor = "multi_thread")]
async fn files_ingested_before_an_entity_mention_it_once_it_is_imported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = dir.path().join("notes");
    write(&docs, "travel.md", "# Travel\n\nWe flew to Quokkaland in May.\n");
    write(&docs, "food.md", "# Food\n\nNothing about places here.\n");
    let f = open(&dir.path().join("data"));
    ingest(&f.kb, std::slice::from_ref(&docs), false);
    assert!(f.kb.entity("file:notes/travel.md#travel").is_ok());
    let embedded = f.embedder.texts.load(Ordering::SeqCst);

    // The entity arrives later, from records: the unchanged file is linked to it then.
    let places =
        write(dir.path(), "places.jsonl", "{\"id\": \"place:q\", \"name\": \"Quokkaland\", \"type\": \"place\"}\n");
    let report = ingest(&f.kb, std::slice::from_ref(&places), false);
    assert_eq!(report.files.relinked, 1, "only the file that mentions it changes");
    let rel = relations_of(&f.kb, "place:q");
    assert!(has(&rel, "file:notes/travel.md#travel", "mentions", "place:q"), "{rel:?}");
    assert!(f.kb.entity("place:q").expect("entity").items.contains(&"file:notes/travel.md#travel".to_string()));
    assert_eq!(f.embedder.texts.load(Ordering::SeqCst), embedded, "links change, vectors are kept");
    // Nothing new since: nothing to do.
    let again = ingest(&f.kb, &[docs.clone(), places.clone()], false);
    assert_eq!((again.files.relinked, again.files.unchanged), (0, 3));
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_files_are_reported_and_the_rest_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = dir.path().join("broken");
    write(&docs, "good.md", "# Good\n\nA readable page about wombats.\n");
    let mut truncated = pdf("Half a page");
    truncated.truncate(truncated.len() / 2);
    write(&docs, "truncated.pdf", truncated);
    write(&docs, "latin1.txt", b"caf\xe9 cr\xe8me, not UTF-8");
    write(&docs, "fake.png", "not an image at all");
    write(&docs, "big.md", "x".repeat(2048));
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&docs, docs.join("loop")).expect("symlink");
        let secret = write(&docs, "secret.md", "# Secret");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    }
    let f = open(&dir.path().join("data"));
    let options = IngestOptions {
        files: braid_kb::ingest::ReadOptions { max_file_size: 1024, ..Default::default() },
        ..IngestOptions::default()
    };
    let report = ingest_paths_with(&f.kb, std::slice::from_ref(&docs), &options, &NoProgress).expect("not fatal");
    let files = &report.files;
    let failed = |name: &str| files.failures.iter().find(|i| i.path.ends_with(name)).map(|i| i.reason.clone());
    assert!(failed("truncated.pdf").is_some_and(|r| r.contains("PDF")), "{files:#?}");
    assert!(failed("fake.png").is_some_and(|r| r.contains("not an image")), "{files:#?}");
    assert!(failed("big.md").is_some_and(|r| r.contains("over the limit")), "{files:#?}");
    #[cfg(unix)]
    {
        assert!(failed("loop").is_some_and(|r| r.contains("loop")), "{files:#?}");
        // Root reads every file whatever its permissions: then the file is simply read.
        let readable_anyway = files.imported.iter().any(|i| i.path.ends_with("secret.md"));
        assert!(readable_anyway || failed("secret.md").is_some_and(|r| r.contains("ermission")), "{files:#?}");
    }
    assert!(f.kb.document("file:broken/good.md#good").is_ok());
    assert!(f.kb.document("file:broken/latin1.txt").expect("read lossily").text.contains("caf\u{fffd}"));
}
