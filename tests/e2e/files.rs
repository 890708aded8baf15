//! Folders of files through the `braid` binary: a real documentation tree nobody on the team
//! wrote (the Rust book that ships with the toolchain, copied so it can be changed; a small
//! tree written here when the toolchain has no documentation) is ingested; every file is
//! imported or reported with its reason; a question finds its page; an unchanged re-ingest
//! changes nothing; a deleted page is pruned from REST search, the graph and the indexes.
//! Broken files are reported, not fatal.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::{Value, json};

use crate::harness::*;

/// A tree to ingest: where it is, a question one page answers, that page's id, and a page to
/// delete with words only it has.
struct Tree {
    root: PathBuf,
    question: &'static str,
    answer: &'static str,
    delete: &'static str,
    delete_words: &'static str,
}

fn rust_book() -> Option<PathBuf> {
    let out = Command::new("rustc").args(["--print", "sysroot"]).output().ok()?;
    let book = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim()).join("share/doc/rust/html/book");
    book.join("ch04-01-what-is-ownership.html").is_file().then_some(book)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("list").flatten() {
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        match entry.file_type() {
            Ok(t) if t.is_dir() => copy_tree(&source, &target),
            Ok(t) if t.is_file() => {
                std::fs::copy(&source, &target).expect("copy");
            }
            _ => {}
        }
    }
}

fn tree(dir: &Path) -> Tree {
    let root = dir.join("book");
    if let Some(book) = rust_book() {
        copy_tree(&book, &root);
        return Tree {
            root,
            question: "what are the rules of ownership",
            answer: "file:book/ch04-01-what-is-ownership.html",
            delete: "ch15-04-rc.html",
            delete_words: "Rc<T>, the Reference Counted Smart Pointer",
        };
    }
    eprintln!("note: no Rust documentation under the sysroot (rustup component rust-docs); using a tree written here");
    let pages = [
        (
            "ch01.md",
            "# Getting started\n\nInstall the toolchain with the installer.\n\nSee [ownership](ch04.md#rules).\n",
        ),
        (
            "ch04.md",
            "# Ownership\n\n## Rules {#rules}\n\nEach value has an owner. There can only be one owner at a time.\n",
        ),
        ("ch15.md", "# Reference counting\n\nThe reference counted smart pointer shares ownership among owners.\n"),
        ("style.css", "body {}"),
    ];
    for (name, text) in pages {
        std::fs::create_dir_all(&root).expect("mkdir");
        std::fs::write(root.join(name), text).expect("write");
    }
    Tree {
        root,
        question: "what are the rules of ownership",
        answer: "file:book/ch04.md",
        delete: "ch15.md",
        delete_words: "reference counted smart pointer shares ownership",
    }
}

fn braid(args: &[&str], paths: &[&Path]) -> Output {
    let mut cmd = braid_command();
    cmd.args(args).env_remove("BRAID_WEB_PROVIDER").env_remove("BRAID_LLM_URL");
    for p in paths {
        cmd.arg(p);
    }
    cmd.output().expect("run braid")
}

fn summary(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).lines().find(|l| l.starts_with("added ")).unwrap_or_default().to_string()
}

/// The number in `summary` after `word`.
fn count(summary: &str, word: &str) -> usize {
    summary
        .split(", ")
        .find_map(|part| part.strip_prefix(word)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {word} in '{summary}'"))
}

fn report(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("report")).expect("report JSON")
}

fn files_below(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("list").flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            files_below(&entry.path(), out);
        } else {
            out.push(entry.path());
        }
    }
}

fn encode(id: &str) -> String {
    id.replace('%', "%25").replace('/', "%2F").replace('#', "%23").replace(' ', "%20")
}

fn ids_of(results: &Value) -> Vec<String> {
    ids(results)
}

#[test]
fn a_documentation_tree_is_ingested_kept_in_sync_and_pruned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tree = tree(dir.path());
    let data = dir.path().join("data");
    let data_arg = data.to_str().expect("utf-8 path");

    // First ingest: every file imported, skipped or failed, each with its reason.
    let first_report = dir.path().join("first.json");
    let started = Instant::now();
    let out = braid(&["ingest", "--data", data_arg, "--report", first_report.to_str().expect("path")], &[&tree.root]);
    let first_secs = started.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let first = summary(&out);
    let added = count(&first, "added");
    assert!(added > 0 && count(&first, "changed") == 0, "{first}");
    let r = report(&first_report);
    let files = &r["files"];
    let mut accounted: HashSet<PathBuf> = HashSet::new();
    for list in ["imported", "skips", "failures"] {
        for item in files[list].as_array().expect("a list") {
            accounted.insert(PathBuf::from(item["path"].as_str().expect("a path")));
        }
    }
    let mut on_disk = Vec::new();
    files_below(&tree.root, &mut on_disk);
    for file in &on_disk {
        // A skipped folder stands for everything in it.
        assert!(file.ancestors().any(|p| accounted.contains(p)), "{} neither imported nor reported", file.display());
    }
    for f in files["failures"].as_array().expect("failures") {
        assert!(!f["reason"].as_str().unwrap_or_default().is_empty(), "{f}");
    }

    // A question answered by one page finds that page in the top 5.
    let s = Server::start(&["serve"], &data, &[]);
    let (code, answer) = s.post("/v1/query", json!({"query": tree.question, "k": 5}));
    assert_eq!(code, 200, "{answer}");
    let top = ids_of(&answer["results"]);
    assert!(top.iter().any(|id| id.starts_with(tree.answer)), "{} not in the top 5: {top:?}", tree.answer);
    let (_, status) = s.get("/v1/status");
    drop(s);

    // Unchanged: nothing changes, and the second run reads hashes instead of parsing.
    let again_report = dir.path().join("again.json");
    let started = Instant::now();
    let out = braid(&["ingest", "--data", data_arg, "--report", again_report.to_str().expect("path")], &[&tree.root]);
    let again_secs = started.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again = summary(&out);
    assert_eq!(
        again,
        format!(
            "added 0, changed 0, unchanged {added}, removed 0, skipped {}, failed {}",
            count(&first, "skipped"),
            count(&first, "failed")
        )
    );
    eprintln!(
        "first ingest {first_secs:.2}s, unchanged re-ingest {again_secs:.2}s (debug build, wall time of the process)"
    );
    let s = Server::start(&["serve"], &data, &[]);
    let (_, status_again) = s.get("/v1/status");
    assert_eq!(status_again["counts"], status["counts"]);
    assert_eq!(status_again["indexed_items"], status["indexed_items"]);

    // The page to delete is there before.
    let page_id = format!("file:book/{}", tree.delete);
    assert_eq!(s.get(&format!("/v1/entities/{}", encode(&page_id))).0, 200);
    let (_, hits) = s.post("/v1/search/vector", json!({"query": tree.delete_words, "k": 10}));
    assert!(ids_of(&hits["results"]).iter().any(|id| id.starts_with(&page_id)), "{hits}");
    drop(s);

    // Deleted from disk and pruned: gone from REST search, the graph, the vector index.
    std::fs::remove_file(tree.root.join(tree.delete)).expect("delete");
    let out = braid(&["ingest", "--data", data_arg], &[&tree.root]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--prune"), "a hint about the file that is gone");
    let out = braid(&["ingest", "--prune", "--data", data_arg], &[&tree.root]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(count(&summary(&out), "removed"), 1, "{}", summary(&out));
    let s = Server::start(&["serve"], &data, &[]);
    assert_eq!(s.get(&format!("/v1/entities/{}", encode(&page_id))).0, 404, "graph");
    assert_eq!(s.get(&format!("/v1/documents/{}", encode(&page_id))).0, 404, "store");
    for route in ["vector", "graph"] {
        let (code, hits) = s.post(&format!("/v1/search/{route}"), json!({"query": tree.delete_words, "k": 20}));
        assert_eq!(code, 200, "{hits}");
        assert!(!ids_of(&hits["results"]).iter().any(|id| id.starts_with(&page_id)), "{route}: {hits}");
    }
    let (_, q) = s.post("/v1/query", json!({"query": tree.delete_words, "k": 20}));
    assert!(!ids_of(&q["results"]).iter().any(|id| id.starts_with(&page_id)), "query: {q}");
    let (_, status_after) = s.get("/v1/status");
    assert!(status_after["indexed_items"].as_u64() < status["indexed_items"].as_u64(), "{status_after}");
    assert!(status_after["counts"]["documents"].as_u64() < status["counts"]["documents"].as_u64());
}

#[test]
fn broken_files_are_reported_not_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("broken");
    std::fs::create_dir_all(&root).expect("mkdir");
    std::fs::write(root.join("good.md"), "# Good\n\nA page about wombats.\n").expect("write");
    std::fs::write(
        root.join("truncated.pdf"),
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\nxref\n0 3\n",
    )
    .expect("write");
    std::fs::write(root.join("latin1.txt"), b"caf\xe9 cr\xe8me").expect("write");
    // 200 MB, sparse: refused from its size without being read.
    std::fs::File::create(root.join("huge.md")).and_then(|f| f.set_len(200 << 20)).expect("sparse file");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&root, root.join("loop")).expect("symlink");
        std::fs::write(root.join("locked.md"), "# Locked").expect("write");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root.join("locked.md"), std::fs::Permissions::from_mode(0o000)).expect("chmod");
    }
    let data = dir.path().join("data");
    let out = braid(&["ingest", "--data", data.to_str().expect("path")], &[&root]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "broken files are not fatal: {stderr}");
    assert!(stderr.contains("truncated.pdf: unreadable PDF") || stderr.contains("truncated.pdf: the PDF"), "{stderr}");
    assert!(stderr.contains("huge.md: file is 209715200 bytes, over the limit"), "{stderr}");
    assert!(stderr.contains("latin1.txt: 2 invalid UTF-8 sequences replaced"), "{stderr}");
    #[cfg(unix)]
    {
        assert!(stderr.contains("loop: symbolic link loop"), "{stderr}");
        // Root may read any file; anyone else is refused, with the reason.
        let added = count(&summary(&out), "added");
        assert!(stderr.contains("locked.md: cannot read: Permission denied") || added == 3, "{stderr}");
    }

    // Nothing readable at all: that is an error.
    let only_broken = dir.path().join("only-broken");
    std::fs::create_dir_all(&only_broken).expect("mkdir");
    std::fs::File::create(only_broken.join("huge.md")).and_then(|f| f.set_len(200 << 20)).expect("sparse file");
    let out = braid(&["ingest", "--data", data.to_str().expect("path")], &[&only_broken]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing could be read"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
