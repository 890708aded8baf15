//! Reading real folders written by the tests into temporary directories.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use braid_files::{
    CaptionSource, Content, ContentHash, FileDocument, FileError, FileKind, FileReader, FrontMatterValue, KnownFiles,
    LinkTarget, NoProgress, ProgressEvent, ReadOptions, Reading, Root, SkipReason, Warning,
};

/// Writes `content` at `relative` under `dir`, creating folders.
fn write(dir: &Path, relative: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(relative);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create folder");
    }
    fs::write(&path, content).expect("write file");
    path
}

fn read_with(dir: &Path, options: ReadOptions) -> Reading {
    FileReader::new(options).expect("valid options").read(&[Root::new(dir)], &NoProgress)
}

fn read(dir: &Path) -> Reading {
    read_with(dir, ReadOptions::default())
}

fn doc<'a>(reading: &'a Reading, id: &str) -> &'a FileDocument {
    reading.document(id).unwrap_or_else(|| {
        let ids: Vec<&str> = reading.documents.iter().map(|d| d.id.as_str()).collect();
        panic!("no document {id}; read: {ids:?}; failures: {:?}", reading.failures)
    })
}

fn skip_reason(reading: &Reading, path: &Path) -> Option<SkipReason> {
    reading.skipped.iter().find(|s| s.path == path).map(|s| s.reason.clone())
}

fn failure<'a>(reading: &'a Reading, path: &Path) -> &'a FileError {
    match reading.failures.iter().find(|f| f.path == path) {
        Some(f) => &f.error,
        None => panic!("{} did not fail; failures: {:?}", path.display(), reading.failures),
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// A minimal PDF, byte-exact with a correct cross-reference table: one page per string in
/// `pages`, each showing its text in Helvetica, and an information dictionary with `title`.
fn pdf(title: &str, pages: &[&str]) -> Vec<u8> {
    let n = pages.len();
    let font = 3 + n; // objects: 1 catalog, 2 pages, 3.. page objects, then font, contents, info
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 3 + i)).collect();
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")),
    ];
    for i in 0..n {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 {font} 0 R >> >> \
             /Contents {} 0 R >>",
            font + 1 + i
        ));
    }
    objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into());
    for text in pages {
        let stream = format!("BT /F1 18 Tf 72 720 Td ({text}) Tj ET");
        objects.push(format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()));
    }
    objects.push(format!("<< /Title ({title}) >>"));

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
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info {} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1,
            objects.len()
        )
        .as_bytes(),
    );
    out
}

#[test]
fn markdown_front_matter_nested_headings_links_and_images() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "book/ch03.md",
        "---\ntitle: \"Chapter 3: Ownership\"\ntags: [memory, rust]\n---\n\
         Before any heading.\n\n\
         # Chapter 3\n\n## Ownership\n\nEach value has an *owner*.\n\n\
         ### The Stack and the Heap {#stack-heap}\n\nThe stack is LIFO. See [moves](ch04.md#moves), \
         [the intro](../intro.md), [Rust](https://www.rust-lang.org/) and [here](#ownership).\n\n\
         ```rust\nlet s = String::from(\"hi\");\n```\n\n\
         ![The stack, drawn](img/stack.png \"title\")\n\n\
         ## Borrowing\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<p>Raw <a href=\"ch05.md\">html</a> <img src=\"img/raw.png\" alt=\"raw alt\"></p>\n",
    );
    write(dir.path(), "book/ch04.md", "# Moves\n\ntext\n");
    let reading = read(dir.path());
    let ch03 = doc(&reading, "book/ch03.md");
    assert_eq!(ch03.kind, FileKind::Markdown);
    assert_eq!(ch03.title, "Chapter 3: Ownership");
    let Content::Text(text) = &ch03.content else { panic!("text content") };
    assert_eq!(text.front_matter.get("tags"), Some(&FrontMatterValue::List(strings(&["memory", "rust"]))));

    let sections: Vec<(Vec<String>, Option<&str>, &str)> =
        text.sections.iter().map(|s| (s.heading_path.clone(), s.anchor.as_deref(), s.text.as_str())).collect();
    assert_eq!(sections.len(), 4, "{sections:#?}");
    assert_eq!(sections[0], (vec![], None, "Before any heading."));
    assert_eq!(sections[1], (strings(&["Chapter 3", "Ownership"]), Some("ownership"), "Each value has an owner."));
    assert_eq!(sections[2].0, strings(&["Chapter 3", "Ownership", "The Stack and the Heap"]));
    assert_eq!(sections[2].1, Some("stack-heap"));
    assert!(sections[2].2.starts_with("The stack is LIFO. See moves, the intro, Rust and here."), "{}", sections[2].2);
    assert!(sections[2].2.contains("\n\nlet s = String::from(\"hi\");"), "code kept verbatim: {}", sections[2].2);
    assert!(!sections[2].2.contains("The stack, drawn"), "alt text is not body text");
    assert_eq!(sections[3].0, strings(&["Chapter 3", "Borrowing"]));
    assert_eq!(sections[3].2, "a b\n1 2\n\nRaw html");

    let links: Vec<(&LinkTarget, Option<&str>, &str)> =
        text.links.iter().map(|l| (&l.target, l.anchor.as_deref(), l.text.as_str())).collect();
    assert_eq!(
        links,
        vec![
            (&LinkTarget::File { id: "book/ch04.md".into() }, Some("moves"), "moves"),
            (&LinkTarget::File { id: "intro.md".into() }, None, "the intro"),
            (&LinkTarget::External { url: "https://www.rust-lang.org/".into() }, None, "Rust"),
            (&LinkTarget::File { id: "book/ch05.md".into() }, None, "html"),
        ]
    );
    let images: Vec<(&LinkTarget, &str)> = text.images.iter().map(|i| (&i.target, i.alt.as_str())).collect();
    assert_eq!(
        images,
        vec![
            (&LinkTarget::File { id: "book/img/stack.png".into() }, "The stack, drawn"),
            (&LinkTarget::File { id: "book/img/raw.png".into() }, "raw alt"),
        ]
    );
    // The link's anchor names the section it points at.
    let ch04 = doc(&reading, "book/ch04.md");
    assert_eq!(ch04.title, "Moves");
    assert_eq!(ch04.sections()[0].anchor.as_deref(), Some("moves"));
}

#[test]
fn html_keeps_the_main_text_and_drops_boilerplate() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "site/guide.html",
        r##"<!DOCTYPE html><html><head><title>Guide - Site</title>
<script>var tracking = "TRACKED";</script><style>.x { color: red }</style></head>
<body><nav id="sidebar"><ol><li><a href="index.html">Home</a></li><li><a href="other.html">Other</a></li></ol></nav>
<div class="menu"><h1 class="menu-title">Site Name</h1><button>Theme</button></div>
<main><nav class="toc"><a href="#install">Install</a> <a href="other.html">On this site</a></nav>
<h1 id="guide">The Guide</h1><p>Welcome to   the
guide.</p>
<h2 id="install"><a class="header" href="#install">Install</a></h2>
<p>Run the <a href="../tools/setup.html#linux">setup</a>.</p><noscript>Enable JS</noscript>
<h3 id="windows">On Windows</h3><ul><li>one</li><li>two</li></ul>
<h2 id="use">Use</h2><p>Read <a href="https://example.org/doc">the docs</a>.</p>
</main>
<nav class="nav-wrapper"><a href="next.html">Next chapter</a></nav>
<footer>Copyright</footer></body></html>"##,
    );
    let reading = read(dir.path());
    let guide = doc(&reading, "site/guide.html");
    assert_eq!(guide.kind, FileKind::Html);
    assert_eq!(guide.title, "The Guide", "the first heading of the main text, not the menu's <h1>");
    let paths: Vec<Vec<String>> = guide.sections().iter().map(|s| s.heading_path.clone()).collect();
    assert_eq!(
        paths,
        vec![
            strings(&["The Guide"]),
            strings(&["The Guide", "Install"]),
            strings(&["The Guide", "Install", "On Windows"]),
            strings(&["The Guide", "Use"]),
        ]
    );
    let texts: Vec<&str> = guide.sections().iter().map(|s| s.text.as_str()).collect();
    assert_eq!(texts, ["Welcome to the guide.", "Run the setup.", "one\ntwo", "Read the docs."]);
    let all = texts.join(" ");
    for boilerplate in
        ["TRACKED", "color", "Home", "Site Name", "Theme", "On this site", "Enable JS", "Next chapter", "Copyright"]
    {
        assert!(!all.contains(boilerplate), "{boilerplate} leaked into {all}");
    }
    let links: Vec<(&LinkTarget, Option<&str>)> =
        guide.links().iter().map(|l| (&l.target, l.anchor.as_deref())).collect();
    assert_eq!(
        links,
        vec![
            (&LinkTarget::File { id: "tools/setup.html".into() }, Some("linux")),
            (&LinkTarget::External { url: "https://example.org/doc".into() }, None),
        ]
    );
    assert_eq!(guide.sections()[1].anchor.as_deref(), Some("install"));
}

#[test]
fn html_without_a_heading_is_titled_by_its_title_element() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "a.htm", "<html><head><title>Release notes</title></head><body><p>Fixed.</p></body></html>");
    write(dir.path(), "release_notes-2024.html", "<p>No title at all.</p>");
    let reading = read(dir.path());
    assert_eq!(doc(&reading, "a.htm").title, "Release notes");
    assert_eq!(doc(&reading, "release_notes-2024.html").title, "release notes 2024");
}

#[test]
fn pdf_text_layer_is_read_page_by_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "papers/braid.pdf", pdf("Braid Test PDF", &["Hello from page one", "Second page text"]));
    let reading = read(dir.path());
    let paper = doc(&reading, "papers/braid.pdf");
    assert_eq!(paper.kind, FileKind::Pdf);
    assert_eq!(paper.title, "Braid Test PDF");
    let pages: Vec<(Option<u32>, &str)> = paper.sections().iter().map(|s| (s.page, s.text.as_str())).collect();
    assert_eq!(pages, vec![(Some(1), "Hello from page one"), (Some(2), "Second page text")]);
    assert!(paper.sections().iter().all(|s| s.heading_path.is_empty()));
}

#[test]
fn broken_pdfs_fail_with_a_reason_and_the_walk_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let whole = pdf("Whole", &["Complete text"]);
    let truncated = write(dir.path(), "truncated.pdf", &whole[..whole.len() / 3]);
    let garbage = write(dir.path(), "garbage.pdf", "this is not a PDF at all");
    write(dir.path(), "whole.pdf", &whole);
    write(dir.path(), "note.txt", "still read");
    let reading = read(dir.path());
    for path in [&truncated, &garbage] {
        let error = failure(&reading, path);
        assert!(matches!(error, FileError::Pdf(_) | FileError::PdfNoText), "{}: {error}", path.display());
        let id = reading.failures.iter().find(|f| &f.path == path).and_then(|f| f.id.clone());
        assert_eq!(id.as_deref(), path.file_name().and_then(|n| n.to_str()));
    }
    assert_eq!(doc(&reading, "whole.pdf").sections()[0].text, "Complete text");
    assert_eq!(doc(&reading, "note.txt").sections()[0].text, "still read");
    assert_eq!(reading.summary().failed, 2);
}

#[test]
fn invalid_utf8_is_read_lossily_and_binary_text_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "latin1.txt", b"caf\xe9 cr\xe8me\n".as_slice());
    write(dir.path(), "latin1.md", b"# Men\xfc\n\nSoup.\n".as_slice());
    let binary = write(dir.path(), "archive.txt", b"PK\x03\x04\x00\x00\x08\x00".as_slice());
    let reading = read(dir.path());
    let txt = doc(&reading, "latin1.txt");
    assert_eq!(txt.sections()[0].text, "caf\u{FFFD} cr\u{FFFD}me");
    assert_eq!(txt.warnings, vec![Warning::InvalidUtf8 { replaced: 2 }]);
    assert_eq!(txt.title, "latin1");
    assert_eq!(doc(&reading, "latin1.md").title, "Men\u{FFFD}");
    assert!(matches!(failure(&reading, &binary), FileError::Binary { extension } if extension == "txt"));
}

#[test]
fn an_oversized_file_is_refused_from_its_metadata() {
    let dir = tempfile::tempdir().expect("temp dir");
    let big = dir.path().join("huge.txt");
    // Sparse: 200 MB long, no data blocks; only reading it would cost anything.
    File::create(&big).and_then(|f| f.set_len(200_000_000)).expect("sparse file");
    write(dir.path(), "small.txt", "fits");
    let reading = read(dir.path());
    // Had the file been read, the size would be where reading stopped (limit + 1), not
    // the full length that only the metadata knows.
    let limit = ReadOptions::default().max_file_size;
    assert!(
        matches!(failure(&reading, &big), FileError::TooLarge { size: 200_000_000, limit: l } if *l == limit),
        "{}",
        failure(&reading, &big)
    );
    assert_eq!(doc(&reading, "small.txt").sections()[0].text, "fits");

    // The limit is configurable, and records files are hashed while streaming, so exempt.
    let record = "{\"id\": \"a\", \"text\": \"a record longer than the limit\"}\n";
    write(dir.path(), "data.jsonl", record);
    let reading = read_with(dir.path(), ReadOptions { max_file_size: 10, ..ReadOptions::default() });
    assert_eq!(doc(&reading, "small.txt").size, 4);
    let records = doc(&reading, "data.jsonl");
    assert_eq!((records.kind, &records.content), (FileKind::Records, &Content::Records));
    assert_eq!(records.size, record.len() as u64);
}

#[test]
fn empty_files_are_skipped_and_unsupported_ones_counted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = write(dir.path(), "empty.md", "");
    let code = write(dir.path(), "main.rs", "fn main() {}");
    write(dir.path(), "blank.md", "  \n\n");
    let reading = read(dir.path());
    assert_eq!(skip_reason(&reading, &empty), Some(SkipReason::Empty));
    assert_eq!(skip_reason(&reading, &code), Some(SkipReason::Unsupported));
    // Whitespace is not nothing: the file is read, and simply has no sections.
    assert!(doc(&reading, "blank.md").sections().is_empty());
    let summary = reading.summary();
    assert_eq!((summary.read, summary.skipped.empty, summary.skipped.unsupported, summary.failed), (1, 1, 1, 0));
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_reported_and_links_to_files_followed() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "a/inside.md", "# Inside\n");
    let looping = dir.path().join("a/loop");
    std::os::unix::fs::symlink(dir.path().join("a"), &looping).expect("symlink");
    std::os::unix::fs::symlink(dir.path().join("a/inside.md"), dir.path().join("alias.md")).expect("symlink");
    let dangling = dir.path().join("dangling.md");
    std::os::unix::fs::symlink(dir.path().join("nowhere.md"), &dangling).expect("symlink");
    let reading = read(dir.path());
    assert!(matches!(failure(&reading, &looping), FileError::SymlinkLoop { .. }), "{}", failure(&reading, &looping));
    assert!(matches!(failure(&reading, &dangling), FileError::Io(_)));
    assert_eq!(doc(&reading, "a/inside.md").title, "Inside");
    assert_eq!(doc(&reading, "alias.md").hash, doc(&reading, "a/inside.md").hash);
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let secret = write(dir.path(), "secret.md", "# Secret\n");
    write(dir.path(), "open.md", "# Open\n");
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).expect("chmod");
    let reading = read(dir.path());
    assert_eq!(doc(&reading, "open.md").title, "Open");
    if File::open(&secret).is_ok() {
        // Running as root (or with CAP_DAC_OVERRIDE): mode 000 does not stop reads, so
        // there is no failure to observe here.
        eprintln!("note: mode 000 is readable by this user (root?); skipping the permission assertion");
        return;
    }
    let error = failure(&reading, &secret);
    assert!(matches!(error, FileError::Io(e) if e.kind() == std::io::ErrorKind::PermissionDenied), "{error}");
    assert!(error.to_string().contains("ermission denied"), "{error}");
}

#[test]
fn gitignored_and_hidden_entries_are_skipped_and_counted() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), ".gitignore", "build/\n*.log.md\n");
    write(dir.path(), "docs/.ignore", "private.md\n");
    write(dir.path(), "build/out.md", "# Built\n");
    write(dir.path(), "build/more.md", "# More\n");
    write(dir.path(), "debug.log.md", "log");
    write(dir.path(), "docs/private.md", "# Private\n");
    write(dir.path(), "docs/public.md", "# Public\n");
    write(dir.path(), ".hidden.md", "# Hidden\n");
    write(dir.path(), ".obsidian/config.md", "# Config\n");
    let reading = read(dir.path());
    let ids: Vec<&str> = reading.documents.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["docs/public.md"]);
    let d = dir.path();
    for (path, reason) in [
        (d.join("build"), SkipReason::Ignored),
        (d.join("debug.log.md"), SkipReason::Ignored),
        (d.join("docs/private.md"), SkipReason::Ignored),
        (d.join(".hidden.md"), SkipReason::Hidden),
        (d.join(".obsidian"), SkipReason::Hidden),
        (d.join(".gitignore"), SkipReason::Hidden),
        (d.join("docs/.ignore"), SkipReason::Hidden),
    ] {
        assert_eq!(skip_reason(&reading, &path), Some(reason), "{}", path.display());
    }
    let summary = reading.summary();
    assert_eq!((summary.skipped.ignored, summary.skipped.hidden), (3, 4), "an ignored folder counts once");

    // Both can be switched off.
    let all = read_with(dir.path(), ReadOptions { hidden: true, ignore_files: false, ..ReadOptions::default() });
    assert_eq!(all.summary().read, 7, "{:?}", all.documents.iter().map(|d| &d.id).collect::<Vec<_>>());
}

#[test]
fn include_globs_narrow_and_exclude_globs_remove() {
    let dir = tempfile::tempdir().expect("temp dir");
    for file in ["a.md", "notes/b.md", "notes/c.txt", "notes/drafts/d.md", "book/e.html", "book/old/f.html"] {
        write(dir.path(), file, "text");
    }
    let options = ReadOptions {
        include: strings(&["*.md", "book/**/*.html"]),
        exclude: strings(&["drafts", "book/old/**"]),
        ..ReadOptions::default()
    };
    let reading = read_with(dir.path(), options);
    let ids: Vec<&str> = reading.documents.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["a.md", "book/e.html", "notes/b.md"]);
    let d = dir.path();
    assert_eq!(skip_reason(&reading, &d.join("notes/c.txt")), Some(SkipReason::Excluded));
    assert_eq!(skip_reason(&reading, &d.join("notes/drafts")), Some(SkipReason::Excluded));
    assert_eq!(skip_reason(&reading, &d.join("book/old/f.html")), Some(SkipReason::Excluded));
    assert_eq!(reading.summary().skipped.excluded, 3);

    let bad = FileReader::new(ReadOptions { include: strings(&["{a,b"]), ..ReadOptions::default() });
    assert!(matches!(bad, Err(braid_files::ConfigError::InvalidGlob { .. })));
}

#[test]
fn images_are_captioned_by_sidecar_then_alt_text_then_file_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".as_slice();
    write(dir.path(), "img/koala.png", png);
    write(dir.path(), "img/koala.png.txt", "A koala asleep in a eucalyptus tree.\n");
    write(dir.path(), "img/river-delta_2.jpg", b"\xFF\xD8\xFF\xE0\0\x10JFIF");
    write(dir.path(), "img/map.webp", b"RIFF\x10\0\0\0WEBPVP8 ");
    write(dir.path(), "img/fake.png", "not an image");
    write(dir.path(), "img/orphan.gif.txt", "a caption whose image is missing");
    write(dir.path(), "a.md", "![](img/map.webp) and ![The koala](img/koala.png)\n");
    write(dir.path(), "b.html", "<main><p><img src=\"img/map.webp\" alt=\"A map of the delta\"></p></main>");
    write(dir.path(), "c.md", "![Another map caption](img/map.webp)\n");
    let reading = read(dir.path());

    let caption = |id: &str| match &doc(&reading, id).content {
        Content::Image(image) => image.clone(),
        other => panic!("{id} is not an image: {other:?}"),
    };
    let koala = caption("img/koala.png");
    assert_eq!(koala.caption.text, "A koala asleep in a eucalyptus tree.");
    assert_eq!(koala.caption.source, CaptionSource::Sidecar { id: "img/koala.png.txt".into() });
    assert_eq!(koala.media_type, "image/png");
    assert_eq!(koala.embedded_in, ["a.md"]);
    assert!(reading.document("img/koala.png.txt").is_none(), "a sidecar is not a document of its own");
    assert_eq!(
        skip_reason(&reading, &dir.path().join("img/koala.png.txt")),
        Some(SkipReason::Sidecar { image: "img/koala.png".into() })
    );

    let map = caption("img/map.webp");
    assert_eq!(map.caption.text, "A map of the delta", "a.md embeds it first, but without alt text");
    assert_eq!(map.caption.source, CaptionSource::AltText { document: "b.html".into() });
    assert_eq!(map.embedded_in, ["a.md", "b.html", "c.md"]);
    assert_eq!(map.media_type, "image/webp");

    let river = caption("img/river-delta_2.jpg");
    assert_eq!((river.caption.text.as_str(), &river.caption.source), ("river delta 2", &CaptionSource::FileName));
    assert!(river.embedded_in.is_empty());

    assert!(matches!(failure(&reading, &dir.path().join("img/fake.png")), FileError::NotAnImage));
    assert_eq!(doc(&reading, "img/orphan.gif.txt").kind, FileKind::Text, "no image: an ordinary text file");
    assert_eq!(reading.summary().skipped.sidecar, 1);
}

#[test]
fn ids_hashes_and_roots_are_stable() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "one/book/ch01.md", "# One\n");
    write(dir.path(), "two/book/ch01.md", "# Two\n");
    write(dir.path(), "single.txt", "a single file root");
    let reader = FileReader::new(ReadOptions::default()).expect("options");

    let first = reader.read(&[Root::new(dir.path().join("one"))], &NoProgress);
    let again = reader.read(&[Root::new(dir.path().join("one/./"))], &NoProgress);
    let ch01 = doc(&first, "book/ch01.md");
    assert_eq!(doc(&again, "book/ch01.md").hash, ch01.hash, "same bytes, same hash");
    assert!(ch01.modified.is_some());
    assert_eq!(ch01.size, 6);
    assert_eq!(ch01.hash.to_string().parse::<braid_files::ContentHash>().ok(), Some(ch01.hash));

    write(dir.path(), "one/book/ch01.md", "# One, edited\n");
    let edited = reader.read(&[Root::new(dir.path().join("one"))], &NoProgress);
    assert_ne!(doc(&edited, "book/ch01.md").hash, ch01.hash);

    // Two roots with the same relative path: the second is a duplicate unless prefixed.
    let both = reader.read(&[Root::new(dir.path().join("one")), Root::new(dir.path().join("two"))], &NoProgress);
    assert_eq!(doc(&both, "book/ch01.md").title, "One, edited", "the first root keeps the id");
    let dup = failure(&both, &dir.path().join("two/book/ch01.md"));
    assert!(matches!(dup, FileError::DuplicateId { .. }), "{dup}");
    let prefixed = reader.read(
        &[Root::new(dir.path().join("one")).with_prefix("one/"), Root::new(dir.path().join("two")).with_prefix("two/")],
        &NoProgress,
    );
    let ids: Vec<&str> = prefixed.documents.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["one/book/ch01.md", "two/book/ch01.md"]);

    // A file given as a root is read under its file name; a missing root is a failure.
    let missing = dir.path().join("missing");
    let mixed = reader.read(&[Root::new(dir.path().join("single.txt")), Root::new(&missing)], &NoProgress);
    assert_eq!(doc(&mixed, "single.txt").sections()[0].text, "a single file root");
    assert!(matches!(failure(&mixed, &missing), FileError::Io(e) if e.kind() == std::io::ErrorKind::NotFound));
}

/// What a caller stored after a first read: ids and hashes, and every id it was asked about.
struct Stored {
    hashes: Vec<(String, ContentHash)>,
    asked: Mutex<Vec<String>>,
}

impl KnownFiles for Stored {
    fn is_known(&self, id: &str, _: FileKind, hash: &ContentHash) -> bool {
        braid_files_lock(&self.asked).push(id.to_owned());
        self.hashes.iter().any(|(i, h)| i == id && h == hash)
    }
}

fn braid_files_lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn files_the_caller_has_are_hashed_not_parsed_but_images_and_sidecars_always_are() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "a.md", "# A\n\n![a koala](img/k.png)\n");
    write(dir.path(), "b.md", "# B\n\nbee\n");
    write(dir.path(), "c.jsonl", "{\"id\": \"x\", \"name\": \"x\", \"type\": \"t\"}\n");
    write(dir.path(), "img/k.png", b"\x89PNG\r\n\x1a\n0000");
    write(dir.path(), "img/k.png.txt", "A koala asleep.");
    let reader = FileReader::new(ReadOptions::default()).expect("options");
    let first = reader.read(&[Root::new(dir.path())], &NoProgress);
    let stored = Stored {
        hashes: first.documents.iter().map(|d| (d.id.clone(), d.hash)).collect(),
        asked: Mutex::new(Vec::new()),
    };
    write(dir.path(), "b.md", "# B\n\nbees, edited\n");
    let again = reader.read_changed(&[Root::new(dir.path())], &NoProgress, &stored);

    let unchanged: Vec<&str> = again.unchanged.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(unchanged, ["a.md", "c.jsonl"]);
    assert_eq!(again.unchanged[0].hash, doc(&first, "a.md").hash);
    assert_eq!(again.unchanged[1].kind, FileKind::Records);
    let read: Vec<&str> = again.documents.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(read, ["b.md", "img/k.png"], "the edited file and the image are read");
    let Content::Image(image) = &doc(&again, "img/k.png").content else { panic!("an image") };
    assert_eq!(image.caption.text, "A koala asleep.", "the sidecar still captions it");
    let mut asked = braid_files_lock(&stored.asked).clone();
    asked.sort();
    assert_eq!(asked, ["a.md", "b.md", "c.jsonl"], "images and sidecars are never looked up");
    let summary = again.summary();
    assert_eq!((summary.read, summary.unchanged, summary.skipped.sidecar), (2, 2, 1));
    let size = |f: &str| fs::metadata(dir.path().join(f)).map_or(0, |m| m.len());
    assert_eq!(summary.bytes, ["a.md", "b.md", "c.jsonl", "img/k.png"].iter().map(|f| size(f)).sum::<u64>());
}

#[test]
fn html_pages_that_ask_not_to_be_indexed_or_redirect_are_skipped_with_the_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    let print = write(
        dir.path(),
        "print.html",
        r#"<html><head><meta name="robots" content="noindex"></head><body><p>Everything.</p></body></html>"#,
    );
    let stub = write(
        dir.path(),
        "old.html",
        r#"<html><head><meta http-equiv="refresh" content="0; URL=new.html"></head><body></body></html>"#,
    );
    write(dir.path(), "new.html", "<html><body><h1>New</h1><p>Here.</p></body></html>");
    let reading = read(dir.path());
    assert_eq!(skip_reason(&reading, &print), Some(SkipReason::NoIndex));
    assert_eq!(
        skip_reason(&reading, &stub),
        Some(SkipReason::Redirect { target: LinkTarget::File { id: "new.html".into() } })
    );
    assert_eq!(reading.documents.len(), 1);
    let all = read_with(dir.path(), ReadOptions { honour_noindex: false, ..ReadOptions::default() });
    assert_eq!(all.documents.len(), 3, "told to, every page is read");
}

#[test]
fn progress_hears_about_every_file_with_running_totals() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut total = 0;
    for i in 0..40 {
        let body = format!("# Note {i}\n\n{}\n", "word ".repeat(i));
        total += body.len() as u64;
        write(dir.path(), &format!("n{}/note{i}.md", i % 4), body);
    }
    write(dir.path(), "skip.rs", "fn x() {}");
    let files = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let paths = Mutex::new(Vec::new());
    let progress = |e: &ProgressEvent<'_>| {
        files.fetch_max(e.files_done, Ordering::Relaxed);
        bytes.fetch_max(e.bytes_done, Ordering::Relaxed);
        paths.lock().expect("lock").push(e.path.to_path_buf());
    };
    let reader = FileReader::new(ReadOptions { threads: 3, ..ReadOptions::default() }).expect("options");
    let reading = reader.read(&[Root::new(dir.path())], &progress);
    assert_eq!(reading.summary().read, 40);
    assert_eq!(files.load(Ordering::Relaxed), 41, "every file, read or skipped");
    assert_eq!(bytes.load(Ordering::Relaxed), total);
    assert_eq!(reading.summary().bytes, total);
    assert_eq!(paths.lock().expect("lock").len(), 41);
}

#[cfg(unix)]
#[test]
fn a_fifo_is_skipped_instead_of_blocking_the_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("pipe.md");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("note: mkfifo is not available here; skipping");
        return;
    }
    write(dir.path(), "real.md", "# Real\n");
    let reading = read(dir.path());
    assert_eq!(skip_reason(&reading, &fifo), Some(SkipReason::Unsupported));
    assert_eq!(doc(&reading, "real.md").title, "Real");
}

#[test]
fn reading_serialises_for_json_reports() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "a.md", "# A\n\ntext [b](b.md)\n");
    write(dir.path(), "bad.pdf", "%PDF-1.4 nothing else");
    let reading = read(dir.path());
    let json = serde_json::to_value(&reading).expect("serialise");
    assert_eq!(json["documents"][0]["id"], "a.md");
    assert_eq!(json["documents"][0]["content"]["type"], "text");
    assert_eq!(json["documents"][0]["content"]["links"][0]["target"]["id"], "b.md");
    assert_eq!(json["documents"][0]["hash"].as_str().map(str::len), Some(64));
    assert!(json["failures"][0]["reason"].as_str().is_some_and(|r| r.contains("PDF")), "{}", json["failures"]);
    let back: FileDocument = serde_json::from_value(json["documents"][0].clone()).expect("deserialise");
    assert_eq!(&back, doc(&reading, "a.md"));
}

/// The Rust book and reference that ship with the toolchain: real mdBook HTML.
#[test]
fn the_rust_book_html_reads_cleanly() {
    let Some(html) = rust_doc_html() else {
        eprintln!("note: no Rust documentation under the sysroot (rustup component rust-docs); skipping");
        return;
    };
    let book = html.join("book");
    let reader = FileReader::new(ReadOptions { pdf_timeout: Duration::from_secs(60), ..ReadOptions::default() })
        .expect("options");
    let reading = reader.read(
        &[Root::new(&book).with_prefix("book/"), Root::new(html.join("reference")).with_prefix("reference/")],
        &NoProgress,
    );
    assert!(reading.failures.is_empty(), "{:?}", reading.failures);
    let summary = reading.summary();
    assert!(summary.by_kind.html > 400, "{summary:?}");

    let ownership = doc(&reading, "book/ch04-01-what-is-ownership.html");
    assert_eq!(ownership.title, "What Is Ownership?");
    let stack = ownership
        .sections()
        .iter()
        .find(|s| s.heading_path == ["What Is Ownership?", "The Stack and the Heap"])
        .expect("a section under its heading path");
    assert_eq!(stack.anchor.as_deref(), Some("the-stack-and-the-heap"));
    assert!(stack.text.contains("last in, first out"), "{}", stack.text);
    let moves = ownership.sections().iter().find(|s| s.heading_path.len() == 3).expect("a third-level section");
    assert_eq!(moves.heading_path[1], "Memory and Allocation");

    // Page chrome (sidebar, menu bar, help popup, scripts, prev/next) stays out.
    for doc in reading.documents.iter().filter(|d| d.kind == FileKind::Html) {
        assert!(!doc.title.is_empty(), "{}", doc.id);
        for s in doc.sections() {
            for chrome in ["Keyboard shortcuts", "localStorage", "Toggle Table of Contents", "Print this book"] {
                assert!(!s.text.contains(chrome), "{chrome} in {} {:?}", doc.id, s.heading_path);
            }
            // The menu bar's book-wide <h1> must not head the chapters.
            if doc.id.starts_with("book/ch") {
                assert_ne!(
                    s.heading_path.first().map(String::as_str),
                    Some("The Rust Programming Language"),
                    "{}",
                    doc.id
                );
            }
        }
    }

    // Links resolve to the ids of pages that were read, anchors apart.
    let link =
        ownership.links().iter().find(|l| l.anchor.as_deref() == Some("data-types")).expect("the link to “Data Types”");
    assert_eq!(link.target, LinkTarget::File { id: "book/ch03-02-data-types.html".into() });
    let internal: Vec<&str> = reading
        .documents
        .iter()
        .flat_map(|d| d.links())
        .filter_map(|l| match &l.target {
            LinkTarget::File { id } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    let resolved = internal.iter().filter(|id| reading.document(id).is_some()).count();
    assert!(resolved * 100 >= internal.len() * 95, "{resolved} of {} internal links name a page read", internal.len());

    // Figures are captioned by the alt text of the chapter that embeds them.
    let figure = doc(&reading, "book/img/trpl04-01.svg");
    let Content::Image(image) = &figure.content else { panic!("an image") };
    assert_eq!(image.caption.source, CaptionSource::AltText { document: ownership.id.clone() });
    assert!(image.caption.text.starts_with("Two tables"), "{}", image.caption.text);
    assert!(image.embedded_in.contains(&ownership.id));

    let if_expr = doc(&reading, "reference/expressions/if-expr.html");
    assert_eq!(if_expr.title, "if expressions");
}

fn rust_doc_html() -> Option<PathBuf> {
    let out = std::process::Command::new("rustc").args(["--print", "sysroot"]).output().ok()?;
    let html = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim()).join("share/doc/rust/html");
    html.join("book/ch04-01-what-is-ownership.html").is_file().then_some(html)
}
