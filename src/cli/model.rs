//! `braid model pull minilm|clip`: downloads a model's files from the Hugging Face hub into
//! the standard hub cache (`HF_HUB_CACHE`, `HF_HOME/hub` or `~/.cache/huggingface/hub`,
//! where Braid looks for them) with a progress bar, and checks each file against the checksum
//! the hub names it by: SHA-256 for large (LFS) files such as the weights, the git blob SHA-1
//! for the rest. `HF_ENDPOINT` points it at another hub (a mirror, or a fake one in tests);
//! `HF_TOKEN` is sent when set.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use hf_hub::progress::{DownloadEvent, ProgressEvent, ProgressHandler};
use indicatif::{ProgressBar, ProgressStyle};

/// The models `braid model pull` knows: the name on the command line, the hub repository,
/// the files Braid needs and those it reads when present.
struct ModelSpec {
    name: &'static str,
    repo: &'static str,
    required: &'static [&'static str],
    optional: &'static [&'static str],
}

const MODELS: [ModelSpec; 2] = [
    ModelSpec {
        name: "minilm",
        repo: braid_vector::MINILM_HUB_REPO,
        required: &["config.json", "tokenizer.json", "model.safetensors"],
        optional: &["sentence_bert_config.json"],
    },
    ModelSpec {
        name: "clip",
        repo: braid_vector::CLIP_HUB_REPO,
        required: &["tokenizer.json", "model.safetensors"],
        optional: &["config.json"],
    },
];

/// `braid model …`.
#[derive(clap::Subcommand)]
pub enum ModelCommand {
    /// Download a model into the Hugging Face cache, where `braid demo` and `braid serve`
    /// find it: `minilm` (sentence-transformers/all-MiniLM-L6-v2, 90 MB, the default semantic
    /// embedder once present) or `clip` (openai/clip-vit-base-patch32, 600 MB, text + images).
    Pull {
        /// `minilm` or `clip`.
        model: String,
        /// A branch, tag or commit of the hub repository.
        #[arg(long, default_value = "main")]
        revision: String,
    },
}

/// Runs a `braid model` command.
pub fn model_command(cmd: ModelCommand) -> Result<()> {
    match cmd {
        ModelCommand::Pull { model, revision } => pull(&model, &revision),
    }
}

fn pull(name: &str, revision: &str) -> Result<()> {
    let Some(spec) = MODELS.iter().find(|m| m.name == name) else {
        let known: Vec<&str> = MODELS.iter().map(|m| m.name).collect();
        bail!("unknown model '{name}': expected one of {}", known.join(", "));
    };
    let cache =
        braid_vector::hub_cache_dir().context("cannot locate the Hugging Face cache: set HF_HOME (or HF_HUB_CACHE)")?;
    let mut builder = hf_hub::HFClient::builder().cache_dir(&cache);
    if let Ok(endpoint) = std::env::var("HF_ENDPOINT")
        && !endpoint.trim().is_empty()
    {
        builder = builder.endpoint(endpoint);
    }
    let client = builder.build().context("setting up the Hugging Face client")?;
    let (owner, repo_name) = spec.repo.split_once('/').context("hub repositories are owner/name")?;
    let repo = client.model(owner, repo_name);
    let bar = Arc::new(Bar::new());
    eprintln!("pulling {} ({}) at {revision} into {}", spec.name, spec.repo, cache.display());
    let started = std::time::Instant::now();
    let mut snapshot: Option<PathBuf> = None;
    super::runtime()?.block_on(async {
        let files = spec.required.iter().map(|f| (f, true)).chain(spec.optional.iter().map(|f| (f, false)));
        for (file, required) in files {
            let got =
                repo.download_file().filename(*file).revision(revision.to_string()).progress(bar.clone()).send().await;
            let path = match got {
                Ok(path) => path,
                Err(hf_hub::HFError::EntryNotFound { .. }) if !required => continue,
                Err(e) => return Err(anyhow::Error::new(e).context(format!("downloading {file} of {}", spec.repo))),
            };
            verify(&path).with_context(|| format!("{file} of {}", spec.repo))?;
            snapshot = path.parent().map(Path::to_path_buf);
        }
        Ok::<(), anyhow::Error>(())
    })?;
    bar.0.finish_and_clear();
    let dir = snapshot.map_or_else(|| cache.display().to_string(), |d| d.display().to_string());
    eprintln!(
        "{} is in {dir} ({:.1} MB, checksums verified) in {:.1}s; `braid demo` and `braid serve` now use it \
         when no BRAID_EMBEDDER is set",
        spec.name,
        bar.0.position() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Checks a downloaded file against the name of its blob in the cache, which is the hub's
/// ETag: a SHA-256 for LFS files, a git blob SHA-1 for the others. A mismatch removes the
/// blob and its snapshot link, so the next pull downloads it again.
fn verify(path: &Path) -> Result<()> {
    use sha1::Digest as _;
    let blob = std::fs::canonicalize(path).with_context(|| format!("resolving {}", path.display()))?;
    let expected = blob.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_ascii_lowercase();
    let bytes = std::fs::read(&blob).with_context(|| format!("reading {}", blob.display()))?;
    let actual = match expected.len() {
        64 => hex(&sha2::Sha256::digest(&bytes)),
        40 => {
            let mut git = sha1::Sha1::new();
            git.update(format!("blob {}\0", bytes.len()).as_bytes());
            git.update(&bytes);
            hex(&git.finalize())
        }
        _ => bail!("the hub named this file {expected:?}, which is no checksum Braid can verify"),
    };
    if actual != expected {
        let _ = std::fs::remove_file(&blob);
        let _ = std::fs::remove_file(path);
        bail!("checksum mismatch: the hub says {expected}, the downloaded bytes hash to {actual}; removed");
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A byte progress bar over all files of a pull.
struct Bar(ProgressBar, std::sync::Mutex<std::collections::HashMap<String, u64>>);

impl Bar {
    fn new() -> Self {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar(bar, std::sync::Mutex::default())
    }
}

impl ProgressHandler for Bar {
    fn on_progress(&self, event: &ProgressEvent) {
        let ProgressEvent::Download(event) = event else { return };
        match event {
            DownloadEvent::Start { total_bytes, .. } => self.0.inc_length(*total_bytes),
            DownloadEvent::Progress { files } => {
                // Each file's count is cumulative for that file; the bar shows their sum.
                let mut done = self.1.lock().unwrap_or_else(|e| e.into_inner());
                for file in files {
                    self.0.set_message(file.filename.clone());
                    done.insert(file.filename.clone(), file.bytes_completed);
                }
                self.0.set_position(done.values().sum());
            }
            DownloadEvent::AggregateProgress { bytes_completed, .. } => self.0.set_position(*bytes_completed),
            _ => {}
        }
    }
}
