//! Configuration: a TOML file (`--config braid.toml`) overlaid by environment variables.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use braid_router::{PolicyWeights, RouterConfig};
use braid_vector::{Embedder, HashingEmbedder};
use braid_web::{ProviderConfig, WebProvider};
use serde::Deserialize;

/// The file format of `braid.toml`. Every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Listen address.
    pub addr: Option<String>,
    /// Data directory.
    pub data: Option<PathBuf>,
    /// API key required on `/v1` (prefer `BRAID_API_KEY`).
    pub api_key: Option<String>,
    /// Embedder settings.
    #[serde(default)]
    pub embedder: EmbedderSection,
    /// Web provider settings.
    #[serde(default)]
    pub web: WebSection,
    /// Router settings.
    #[serde(default)]
    pub router: RouterSection,
}

/// `[embedder]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbedderSection {
    /// `hash` (default).
    pub kind: Option<String>,
    /// Dimension of the hashing embedder.
    pub dimension: Option<usize>,
}

/// `[web]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSection {
    /// `searxng`, `brave` or `tavily`.
    pub provider: Option<String>,
    /// Base URL of the provider.
    pub url: Option<String>,
    /// API key of the provider.
    pub key: Option<String>,
    /// Whole-request deadline in milliseconds.
    pub timeout_ms: Option<u64>,
}

/// `[router]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouterSection {
    /// Deadline of the graph route, ms.
    pub graph_deadline_ms: Option<u64>,
    /// Deadline of the vector route, ms.
    pub vector_deadline_ms: Option<u64>,
    /// Deadline of the web route, ms.
    pub web_deadline_ms: Option<u64>,
    /// A weights file written by `braid router fit`.
    pub weights: Option<PathBuf>,
    /// Probability above which a non-primary route is also selected.
    pub select_threshold: Option<f32>,
    /// Probability above which the web route is also selected.
    pub web_threshold: Option<f32>,
}

impl ConfigFile {
    /// Reads a config file, or the defaults when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<ConfigFile> {
        let Some(path) = path else { return Ok(ConfigFile::default()) };
        let text = std::fs::read_to_string(path).with_context(|| format!("reading config {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing config {}", path.display()))
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The embedder chosen by `BRAID_EMBEDDER` or the config file.
pub fn embedder(cfg: &ConfigFile) -> Result<Arc<dyn Embedder>> {
    let kind = env("BRAID_EMBEDDER").or(cfg.embedder.kind.clone()).unwrap_or_else(|| "hash".into());
    match kind.as_str() {
        "hash" => {
            let dim = cfg.embedder.dimension.unwrap_or(braid_vector::DEFAULT_HASHING_DIMENSION);
            if !(8..=4096).contains(&dim) {
                bail!("embedder.dimension must be between 8 and 4096, got {dim}");
            }
            Ok(Arc::new(HashingEmbedder::new(dim)))
        }
        "minilm" | "clip" | "http" => {
            bail!("BRAID_EMBEDDER={kind} is not available in this build yet; use BRAID_EMBEDDER=hash (the default)")
        }
        other => bail!("unknown BRAID_EMBEDDER '{other}': expected hash, minilm, clip or http"),
    }
}

/// The web provider from the environment (`BRAID_WEB_*`) or the config file, if any.
pub fn web_provider(cfg: &ConfigFile) -> Result<Option<Arc<dyn WebProvider>>> {
    let from_env = ProviderConfig::from_env().context("web provider settings (BRAID_WEB_*)")?;
    let config = match from_env {
        Some(c) => Some(c),
        None => match &cfg.web.provider {
            None => None,
            Some(name) => {
                let mut c = ProviderConfig::new(name.parse().context("web.provider")?);
                c.url.clone_from(&cfg.web.url);
                c.key.clone_from(&cfg.web.key);
                if let Some(ms) = cfg.web.timeout_ms {
                    c.timeout = Duration::from_millis(ms);
                }
                Some(c)
            }
        },
    };
    match config {
        None => Ok(None),
        Some(c) => Ok(Some(braid_web::build_provider(&c).context("configuring the web provider")?)),
    }
}

/// Router settings from the config file and `BRAID_WEB_TIMEOUT_MS`.
pub fn router_config(cfg: &ConfigFile) -> RouterConfig {
    let mut rc = RouterConfig::default();
    let ms = Duration::from_millis;
    if let Some(v) = cfg.router.graph_deadline_ms {
        rc.deadlines[0] = ms(v);
    }
    if let Some(v) = cfg.router.vector_deadline_ms {
        rc.deadlines[1] = ms(v);
    }
    if let Some(v) = cfg.router.web_deadline_ms.or(cfg.web.timeout_ms) {
        rc.deadlines[2] = ms(v);
    }
    rc
}

/// The routing policy weights: `BRAID_ROUTER_WEIGHTS`, the config file, or the shipped ones.
pub fn policy_weights(cfg: &ConfigFile) -> Result<PolicyWeights> {
    let path = env("BRAID_ROUTER_WEIGHTS").map(PathBuf::from).or(cfg.router.weights.clone());
    let mut w = match path {
        Some(p) => {
            let text = std::fs::read_to_string(&p).with_context(|| format!("reading weights {}", p.display()))?;
            PolicyWeights::from_json(&text).with_context(|| format!("weights {}", p.display()))?
        }
        None => PolicyWeights::shipped(),
    };
    if let Some(t) = cfg.router.select_threshold {
        w.select_threshold = t;
    }
    if let Some(t) = cfg.router.web_threshold {
        w.web_threshold = t;
    }
    Ok(w)
}
