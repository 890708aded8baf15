//! How fast does `braid-files` read a folder?
//!
//! ```sh
//! # The Rust book and reference that ship with the toolchain (the default):
//! cargo run --release -p braid-files --example read_speed
//! # Any folders:
//! cargo run --release -p braid-files --example read_speed -- ~/notes ~/papers
//! # A generated folder of 10 000 small Markdown files:
//! cargo run --release -p braid-files --example read_speed -- --generate 10000
//! # One document as read (title, sections, links), to see what a reader extracts:
//! cargo run --release -p braid-files --example read_speed -- --show book/ch04-01-what-is-ownership.html
//! ```
//!
//! Each root is read with a [`Progress`] that counts files and bytes as they finish, which
//! is what a command line's progress bar would show; the totals are printed as files/s and
//! MB/s. The operating system's page cache is warm after the first run, so the numbers
//! measure parsing rather than the disk; run twice and take the second.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use braid_files::{Content, FileReader, Progress, ProgressEvent, ReadOptions, Root};

/// Counts what a progress bar would draw.
#[derive(Default)]
struct Counting {
    files: AtomicU64,
    bytes: AtomicU64,
}

impl Progress for Counting {
    fn file_done(&self, event: &ProgressEvent<'_>) {
        self.files.fetch_max(event.files_done, Ordering::Relaxed);
        self.bytes.fetch_max(event.bytes_done, Ordering::Relaxed);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut roots: Vec<Root> = Vec::new();
    let mut show: Option<String> = None;
    let mut threads = 0;
    let mut generated = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--generate" => {
                let n: usize = args.next().ok_or("--generate needs a count")?.parse()?;
                let dir = tempfile::tempdir()?;
                generate_markdown(dir.path(), n)?;
                roots.push(Root::new(dir.path()));
                generated = Some(dir);
            }
            "--show" => show = Some(args.next().ok_or("--show needs an id")?),
            "--threads" => threads = args.next().ok_or("--threads needs a count")?.parse()?,
            path => roots.push(Root::new(path)),
        }
    }
    if roots.is_empty() {
        let sysroot = Command::new("rustc").args(["--print", "sysroot"]).output()?;
        let html = PathBuf::from(String::from_utf8(sysroot.stdout)?.trim()).join("share/doc/rust/html");
        // Prefixes keep the ids of the two books apart and equal to their paths under html/.
        roots.push(Root::new(html.join("book")).with_prefix("book/"));
        roots.push(Root::new(html.join("reference")).with_prefix("reference/"));
    }

    let reader = FileReader::new(ReadOptions { threads, ..ReadOptions::default() })?;
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    for root in &roots {
        let progress = Counting::default();
        let started = Instant::now();
        let reading = reader.read(std::slice::from_ref(root), &progress);
        let seconds = started.elapsed().as_secs_f64();
        let summary = reading.summary();
        let files = progress.files.load(Ordering::Relaxed);
        let mb = progress.bytes.load(Ordering::Relaxed) as f64 / 1e6;
        let sections: usize = reading.documents.iter().map(|d| d.sections().len()).sum();
        let links: usize = reading.documents.iter().map(|d| d.links().len()).sum();
        println!("{}", root.path.display());
        println!(
            "  {files} files, {mb:.1} MB in {seconds:.2} s on {threads} threads: {:.0} files/s, {:.1} MB/s",
            files as f64 / seconds,
            mb / seconds
        );
        println!(
            "  read {} ({:?}), skipped {} ({:?}), failed {}; {sections} sections, {links} links",
            summary.read,
            summary.by_kind,
            summary.skipped.total(),
            summary.skipped,
            summary.failed
        );
        for failure in reading.failures.iter().take(5) {
            println!("  failed: {}: {}", failure.path.display(), failure.error);
        }
        if let Some(doc) = show.as_deref().and_then(|id| reading.document(id)) {
            println!("\n{} — {:?} ({} bytes, {})", doc.id, doc.title, doc.size, doc.hash);
            match &doc.content {
                Content::Text(text) => {
                    for s in &text.sections {
                        let head: String = s.text.chars().take(160).collect();
                        println!("  {:?} #{:?}\n    {}", s.heading_path, s.anchor, head.replace('\n', "⏎"));
                    }
                    for l in &text.links {
                        println!("  link {:?} #{:?} {:?}", l.target, l.anchor, l.text);
                    }
                    for i in &text.images {
                        println!("  image {:?} alt {:?}", i.target, i.alt);
                    }
                }
                other => println!("  {other:?}"),
            }
        }
    }
    drop(generated);
    Ok(())
}

/// `n` small Markdown files in 100 folders, each with front matter, two headings, a
/// paragraph and a link to its neighbour: the shape of a notes folder.
fn generate_markdown(dir: &Path, n: usize) -> std::io::Result<()> {
    for i in 0..n {
        let folder = dir.join(format!("d{:02}", i % 100));
        std::fs::create_dir_all(&folder)?;
        let body = format!(
            "---\ntitle: Note {i}\ntags: [generated, n{}]\n---\n# Note {i}\n\nThis note is number {i}. It links to \
             [the next one](../d{:02}/note{}.md#details) and says a little about nothing in particular, \
             enough for a paragraph.\n\n## Details\n\n- item one\n- item two with `code`\n\n```rust\nfn note() -> u32 {{ {i} }}\n```\n",
            i % 7,
            (i + 1) % 100,
            i + 1
        );
        std::fs::write(folder.join(format!("note{i}.md")), body)?;
    }
    Ok(())
}
