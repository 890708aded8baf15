//! A semantic model by default: `braid model pull` fills the Hugging Face cache from a hub
//! (a fake one on loopback here, through `HF_ENDPOINT`), checks what it downloaded, and
//! `braid demo` then uses MiniLM with no variable set; without weights it says how to get them.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha1::Digest as _;

use crate::embedding_cache::minilm_dir;
use crate::harness::*;

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const REPO: &str = "sentence-transformers/all-MiniLM-L6-v2";

/// One file the fake hub serves: its bytes and the ETag it names them by.
struct HubFile {
    bytes: Vec<u8>,
    etag: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The file as the hub names it: SHA-256 for the weights (an LFS file), the git blob SHA-1
/// for the rest.
fn hub_file(name: &str, bytes: Vec<u8>) -> HubFile {
    let etag = if name.ends_with(".safetensors") {
        hex(&sha2::Sha256::digest(&bytes))
    } else {
        let mut git = sha1::Sha1::new();
        git.update(format!("blob {}\0", bytes.len()).as_bytes());
        git.update(&bytes);
        hex(&git.finalize())
    };
    HubFile { bytes, etag }
}

/// A hub on a loopback port answering `HEAD`/`GET /{repo}/resolve/{revision}/{file}` with the
/// headers the real one sends (`X-Repo-Commit`, `ETag`, `X-Linked-Etag` for LFS files), 404
/// for anything else. Serves until the test process ends.
fn fake_hub(files: HashMap<String, HubFile>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let mut parts = line.split_whitespace();
            let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let prefix = format!("/{REPO}/resolve/");
            let file = path.strip_prefix(&prefix).and_then(|rest| rest.split_once('/')).map(|(_, f)| f);
            let response = match file.and_then(|f| files.get(f)) {
                Some(f) => {
                    let mut head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nX-Repo-Commit: {COMMIT}\r\nETag: \"{}\"\r\n",
                        f.bytes.len(),
                        f.etag
                    );
                    if f.etag.len() == 64 {
                        head.push_str(&format!(
                            "X-Linked-Etag: \"{}\"\r\nX-Linked-Size: {}\r\n",
                            f.etag,
                            f.bytes.len()
                        ));
                    }
                    head.push_str("Connection: close\r\n\r\n");
                    let mut out = head.into_bytes();
                    if method == "GET" {
                        out.extend_from_slice(&f.bytes);
                    }
                    out
                }
                None => format!(
                    "HTTP/1.1 404 Not Found\r\nX-Repo-Commit: {COMMIT}\r\nX-Error-Code: EntryNotFound\r\n\
                     Content-Length: 0\r\nConnection: close\r\n\r\n"
                )
                .into_bytes(),
            };
            let _ = stream.write_all(&response);
            let _ = stream.flush();
            let mut rest = Vec::new();
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_millis(10)));
            let _ = stream.read_to_end(&mut rest);
        }
    });
    url
}

/// `braid model pull minilm` against `hub`, into `hf_home`.
fn pull(hub: &str, hf_home: &Path) -> std::process::Output {
    Command::new(BIN)
        .args(["model", "pull", "minilm"])
        .env("HF_ENDPOINT", hub)
        .env("HF_HOME", hf_home)
        .env_remove("HF_HUB_CACHE")
        .env_remove("HUGGINGFACE_HUB_CACHE")
        .env_remove("HF_TOKEN")
        .env("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
        .output()
        .expect("running braid model pull")
}

fn snapshot(hf_home: &Path) -> PathBuf {
    hf_home.join("hub/models--sentence-transformers--all-MiniLM-L6-v2/snapshots").join(COMMIT)
}

/// The variables that would choose an embedder, unset, and the cache pointed at `hf_home`.
fn no_choice(hf_home: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("BRAID_EMBEDDER", ""),
        ("BRAID_MODEL_DIR", ""),
        ("HF_HUB_CACHE", ""),
        ("HUGGINGFACE_HUB_CACHE", ""),
        ("HF_HOME", hf_home),
    ]
}

#[test]
fn pulled_minilm_is_the_default_embedder_of_the_demo() {
    let Some(model) = minilm_dir() else { return };
    let mut files = HashMap::new();
    for name in ["config.json", "tokenizer.json", "model.safetensors", "sentence_bert_config.json"] {
        let bytes = std::fs::read(model.join(name)).expect("model file");
        files.insert(name.to_string(), hub_file(name, bytes));
    }
    let hub = fake_hub(files);
    let home = tempfile::tempdir().expect("tempdir");
    let out = pull(&hub, home.path());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("checksums verified"), "{said}");
    for name in ["config.json", "tokenizer.json", "model.safetensors"] {
        assert!(snapshot(home.path()).join(name).is_file(), "{name} not in the snapshot: {said}");
    }
    // A second pull finds everything in the cache.
    assert!(pull(&hub, home.path()).status.success());

    let data = tempfile::tempdir().expect("tempdir");
    let log = data.path().join("server.log");
    let home_str = home.path().to_string_lossy().to_string();
    let s = Server::start_logged(&["demo"], &data.path().join("d"), &no_choice(&home_str), Some(&log));
    let (code, st) = s.get("/v1/status");
    assert_eq!((code, st["embedder"]["name"].as_str()), (200, Some("minilm-384")), "{st}");
    let reason = st["embedder"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("Hugging Face cache"), "{st}");
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(text.contains("embedder minilm-384: MiniLM weights in the Hugging Face cache"), "{text}");
    // The weights are the same files as the atlas cache's, so nothing was embedded again.
    assert!(text.contains(", 0 embedded now"), "{text}");
}

#[test]
fn a_pulled_file_that_does_not_match_its_checksum_is_refused_and_removed() {
    let mut files = HashMap::new();
    files.insert("config.json".to_string(), hub_file("config.json", b"{}".to_vec()));
    let mut weights = hub_file("model.safetensors", b"the weights".to_vec());
    weights.bytes = b"other bytes".to_vec();
    files.insert("model.safetensors".to_string(), weights);
    files.insert("tokenizer.json".to_string(), hub_file("tokenizer.json", b"{}".to_vec()));
    let hub = fake_hub(files);
    let home = tempfile::tempdir().expect("tempdir");
    let out = pull(&hub, home.path());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("model.safetensors") && said.contains("checksum mismatch"), "{said}");
    assert!(!snapshot(home.path()).join("model.safetensors").exists(), "the bad file stays out of the snapshot");
    // An unknown model name is refused before any download.
    let out = Command::new(BIN).args(["model", "pull", "gpt9"]).output().expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected one of minilm, clip"));
}

#[test]
fn without_weights_the_demo_says_how_to_get_a_semantic_model() {
    let home = tempfile::tempdir().expect("tempdir");
    let data = tempfile::tempdir().expect("tempdir");
    let log = data.path().join("server.log");
    let home_str = home.path().to_string_lossy().to_string();
    let s = Server::start_logged(&["demo"], &data.path().join("d"), &no_choice(&home_str), Some(&log));
    let (code, st) = s.get("/v1/status");
    assert_eq!((code, st["embedder"]["name"].as_str()), (200, Some("hash-384")), "{st}");
    let reason = st["embedder"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("braid model pull minilm"), "{st}");
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(text.contains("embedder hash-384: no MiniLM weights"), "{text}");
}
