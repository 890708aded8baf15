//! Finding model files on disk: a plain folder, or a snapshot in the Hugging Face hub cache;
//! and reading the JSON configs in it.
//!
//! Nothing here touches the network. The hub cache is the layout `huggingface_hub` writes
//! (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`):
//!
//! ```text
//! models--sentence-transformers--all-MiniLM-L6-v2/
//!   refs/main                  the commit hash of the snapshot `main` points to
//!   snapshots/<commit>/        config.json, model.safetensors, tokenizer.json, ...
//! ```

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::error::EmbedError;

/// A model folder whose required files were checked to exist.
#[derive(Debug, Clone)]
pub(crate) struct ModelDir {
    pub(crate) root: PathBuf,
}

impl ModelDir {
    /// Checks that `root` is a folder holding every file in `required`; the error names
    /// the folder and each missing file, so a user can fix the path in one go.
    pub(crate) fn open(root: &Path, required: &[&str]) -> Result<ModelDir, EmbedError> {
        if !root.is_dir() {
            return Err(EmbedError::Backend(format!(
                "model folder {} does not exist or is not a folder",
                root.display()
            )));
        }
        let missing: Vec<&str> = required.iter().copied().filter(|f| !root.join(f).is_file()).collect();
        if !missing.is_empty() {
            return Err(EmbedError::Backend(format!(
                "model folder {} is missing {}",
                root.display(),
                missing.join(", ")
            )));
        }
        Ok(ModelDir { root: root.to_path_buf() })
    }

    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Reads an optional JSON file of the folder; `Ok(None)` when it is absent.
    pub(crate) fn optional_json(&self, name: &str) -> Result<Option<serde_json::Value>, EmbedError> {
        let path = self.file(name);
        if !path.is_file() {
            return Ok(None);
        }
        read_json(&path).map(Some)
    }

    /// Reads a JSON file of the folder as a `T`; the error names the file and what it should
    /// have been (`what`, e.g. "a BERT config").
    pub(crate) fn config<T: DeserializeOwned>(&self, name: &str, what: &str) -> Result<T, EmbedError> {
        let path = self.file(name);
        parse_config(&path, read_json(&path)?, what)
    }

    /// Like [`config`](Self::config), but `Ok(None)` when the file is absent.
    pub(crate) fn optional_config<T: DeserializeOwned>(&self, name: &str, what: &str) -> Result<Option<T>, EmbedError> {
        match self.optional_json(name)? {
            Some(json) => parse_config(&self.file(name), json, what).map(Some),
            None => Ok(None),
        }
    }
}

fn parse_config<T: DeserializeOwned>(path: &Path, json: serde_json::Value, what: &str) -> Result<T, EmbedError> {
    serde_json::from_value(json).map_err(|e| EmbedError::Backend(format!("{} is not {what}: {e}", path.display())))
}

fn read_json(path: &Path) -> Result<serde_json::Value, EmbedError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| EmbedError::Backend(format!("reading {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| EmbedError::Backend(format!("parsing {}: {e}", path.display())))
}

/// The root of the Hugging Face hub cache, following the `huggingface_hub` variables.
pub fn hub_cache_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = var("HF_HUB_CACHE").or_else(|| var("HUGGINGFACE_HUB_CACHE")) {
        return Some(dir);
    }
    if let Some(home) = var("HF_HOME") {
        return Some(home.join("hub"));
    }
    let base = var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|h| h.join(".cache")))?;
    Some(base.join("huggingface").join("hub"))
}

/// The snapshot folder of `repo` (e.g. `sentence-transformers/all-MiniLM-L6-v2`) in the
/// hub cache: the one `refs/main` names, else the newest snapshot holding every file of
/// `required`. Never downloads; the error says how to fill the cache or where to point
/// `BRAID_MODEL_DIR` instead.
pub(crate) fn hub_snapshot(repo: &str, required: &[&str]) -> Result<ModelDir, EmbedError> {
    let cache = hub_cache_dir().ok_or_else(|| {
        EmbedError::Backend("cannot locate the Hugging Face hub cache: set HF_HOME or BRAID_MODEL_DIR".into())
    })?;
    hub_snapshot_in(&cache, repo, required)
}

pub(crate) fn hub_snapshot_in(cache: &Path, repo: &str, required: &[&str]) -> Result<ModelDir, EmbedError> {
    if repo.split('/').count() != 2 || repo.contains("..") {
        return Err(EmbedError::Backend(format!("hub repository must look like `owner/name`, got `{repo}`")));
    }
    let repo_dir = cache.join(format!("models--{}", repo.replace('/', "--")));
    let snapshots = repo_dir.join("snapshots");
    let not_cached = || {
        EmbedError::Backend(format!(
            "{repo} is not in the Hugging Face hub cache ({}); download it once with \
             `huggingface-cli download {repo}` or point BRAID_MODEL_DIR at a folder with {}",
            snapshots.display(),
            required.join(", ")
        ))
    };
    // The snapshot `main` points at, when the ref file exists and is complete.
    if let Ok(commit) = std::fs::read_to_string(repo_dir.join("refs").join("main")) {
        let dir = snapshots.join(commit.trim());
        if let Ok(found) = ModelDir::open(&dir, required) {
            return Ok(found);
        }
    }
    let entries = std::fs::read_dir(&snapshots).map_err(|_| not_cached())?;
    let mut complete: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| required.iter().all(|f| p.join(f).is_file()))
        .map(|p| (std::fs::metadata(&p).and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH), p))
        .collect();
    complete.sort();
    match complete.pop() {
        Some((_, dir)) => ModelDir::open(&dir, required),
        None => Err(not_cached()),
    }
}

/// SHA-256 over the model's files (streamed, names and lengths included) and `settings`, as
/// hex; `None` when a file cannot be read, so nothing is cached under a doubtful identity.
pub(crate) fn fingerprint(files: &[PathBuf], settings: &str) -> Option<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    for path in files {
        let mut file = std::fs::File::open(path).ok()?;
        hasher.update(path.file_name()?.as_encoded_bytes());
        hasher.update(file.metadata().ok()?.len().to_le_bytes());
        loop {
            let n = file.read(&mut buffer).ok()?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
    }
    hasher.update(settings.as_bytes());
    Some(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_names_every_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), "{}").unwrap();
        let err = ModelDir::open(dir.path(), &["config.json", "tokenizer.json", "model.safetensors"]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("tokenizer.json") && msg.contains("model.safetensors"), "{msg}");
        assert!(!msg.contains("config.json,"), "{msg}");
        let err = ModelDir::open(&dir.path().join("nope"), &[]).unwrap_err();
        assert!(err.to_string().contains("does not exist"));
    }

    #[test]
    fn hub_snapshot_follows_refs_main_then_falls_back() {
        let cache = tempfile::tempdir().unwrap();
        let repo = cache.path().join("models--org--model");
        for commit in ["aaa", "bbb"] {
            let snap = repo.join("snapshots").join(commit);
            std::fs::create_dir_all(&snap).unwrap();
            std::fs::write(snap.join("config.json"), "{}").unwrap();
        }
        std::fs::create_dir_all(repo.join("refs")).unwrap();
        std::fs::write(repo.join("refs/main"), "aaa\n").unwrap();
        let found = hub_snapshot_in(cache.path(), "org/model", &["config.json"]).unwrap();
        assert!(found.root.ends_with("snapshots/aaa"));
        // `main` points at an incomplete snapshot: take a complete one.
        std::fs::write(repo.join("refs/main"), "zzz").unwrap();
        let found = hub_snapshot_in(cache.path(), "org/model", &["config.json"]).unwrap();
        assert!(found.root.parent().unwrap().ends_with("snapshots"));
        let err = hub_snapshot_in(cache.path(), "org/other", &["config.json"]).unwrap_err();
        assert!(err.to_string().contains("BRAID_MODEL_DIR"), "{err}");
        assert!(hub_snapshot_in(cache.path(), "../x", &[]).is_err());
    }
}
