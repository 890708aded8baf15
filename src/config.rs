//! Configuration: a TOML file (`--config braid.toml`) overlaid by environment variables.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use braid_router::{PolicyWeights, RouterConfig};
use braid_vector::{
    CLIP_HUB_REPO, ClipEmbedder, Embedder, HashingEmbedder, HttpEmbedder, HttpEmbedderConfig, MINILM_HUB_REPO,
    MiniLmEmbedder,
};
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
    /// Vector backend settings.
    #[serde(default)]
    pub vectors: VectorsSection,
    /// Keys, limits and CORS of the HTTP server.
    #[serde(default)]
    pub server: ServerSection,
    /// The vector route's optional reranker.
    #[serde(default)]
    pub rerank: RerankSection,
}

/// `[rerank]`: a reranker behind an HTTP `/rerank` endpoint (Cohere, Jina, TEI shape).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RerankSection {
    /// The full endpoint URL, e.g. `http://127.0.0.1:8080/rerank`; `BRAID_RERANK_URL`.
    pub url: Option<String>,
    /// A local cross-encoder folder (config.json, model.safetensors, tokenizer.json) run
    /// through candle instead of an endpoint; `BRAID_RERANK_MODEL_DIR`.
    pub model_dir: Option<PathBuf>,
    /// The `model` field sent; `BRAID_RERANK_MODEL`.
    pub model: Option<String>,
    /// Candidates reranked per query (default 20, at most 100); `BRAID_RERANK_DEPTH`.
    pub depth: Option<usize>,
    /// Milliseconds the stage may take before the hybrid order is served (default 1500);
    /// `BRAID_RERANK_DEADLINE_MS`.
    pub deadline_ms: Option<u64>,
}

/// `[server]`: API keys with scopes, limits and CORS (see [`crate::http::access`]).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// Keys, each `{name, key | key_env, scope = "read" | "write"}`.
    #[serde(default)]
    pub keys: Vec<KeyEntry>,
    /// Requests per minute per key (per client address without keys); `BRAID_RATE_LIMIT`.
    pub rate_limit_per_minute: Option<u32>,
    /// Bucket size (burst); default: one minute's worth.
    pub rate_limit_burst: Option<u32>,
    /// Requests handled at once; `BRAID_MAX_CONCURRENCY`.
    pub max_concurrency: Option<usize>,
    /// Seconds to produce a response; `BRAID_REQUEST_TIMEOUT`.
    pub request_timeout_secs: Option<f64>,
    /// Origins allowed by CORS (`"*"` for any); `BRAID_CORS_ORIGINS` (comma-separated).
    #[serde(default)]
    pub cors_origins: Vec<String>,
}

/// One `[[server.keys]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// A label for logs and rate limits.
    pub name: String,
    /// The secret itself (prefer `key_env`, so the file holds no secret).
    pub key: Option<String>,
    /// The environment variable holding the secret.
    pub key_env: Option<String>,
    /// `read` or `write`.
    pub scope: String,
}

/// `[vectors]`: which engine holds the vectors (see docs/MILVUS.md).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorsSection {
    /// `usearch` (default, embedded) or `milvus` (needs a build with `--features milvus`).
    pub backend: Option<String>,
    /// Milvus gRPC endpoint (default `http://127.0.0.1:19530`).
    pub milvus_uri: Option<String>,
    /// Milvus token (`user:password` or an API key); prefer `BRAID_MILVUS_TOKEN`.
    pub milvus_token: Option<String>,
    /// Milvus database (default: `default`).
    pub milvus_database: Option<String>,
    /// The collection is `{prefix}_items` (default `braid`).
    pub collection_prefix: Option<String>,
    /// Who fuses hybrid results: `braid` (default, matches the embedded store) or `milvus`
    /// (one `hybrid_search` with Milvus' RRF ranker).
    pub milvus_fusion: Option<String>,
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

/// The active embedder and why it is the one: `/v1/status` and the start-up line say both.
pub struct ChosenEmbedder {
    /// The embedder.
    pub embedder: Arc<dyn Embedder>,
    /// Why it was chosen, in words, e.g. "MiniLM weights found in the Hugging Face cache (…)".
    pub reason: String,
}

/// The embedder chosen by `BRAID_EMBEDDER` or the config file, else the automatic choice
/// (see [`choose_embedder`]) for a fresh data directory.
pub fn embedder(cfg: &ConfigFile) -> Result<Arc<dyn Embedder>> {
    Ok(choose_embedder(cfg, None)?.embedder)
}

/// The embedder for the data directory `data`:
/// 1. the one `BRAID_EMBEDDER` or `[embedder] kind` names;
/// 2. else the one the data in `data` was embedded with, when it can be had (switching
///    would re-embed every record at start-up, which the user did not ask for);
/// 3. else MiniLM when its weights are present: `BRAID_MODEL_DIR`, or
///    `sentence-transformers/all-MiniLM-L6-v2` in the Hugging Face cache (`braid model pull
///    minilm` puts it there);
/// 4. else the hashing embedder, with the reason saying how to get MiniLM.
pub fn choose_embedder(cfg: &ConfigFile, data: Option<&Path>) -> Result<ChosenEmbedder> {
    if let Some(kind) = env("BRAID_EMBEDDER") {
        let embedder = named_embedder(&kind, cfg)?;
        return Ok(ChosenEmbedder { embedder, reason: format!("BRAID_EMBEDDER={kind}") });
    }
    if let Some(kind) = cfg.embedder.kind.clone() {
        let embedder = named_embedder(&kind, cfg)?;
        return Ok(ChosenEmbedder { embedder, reason: format!("embedder.kind = \"{kind}\" in the config file") });
    }
    let stored = data.and_then(stored_embedder);
    let minilm = local_minilm();
    if let Some(stored) = stored {
        let kept: Option<Arc<dyn Embedder>> = match &minilm {
            Ok((model, _)) if model.name() == stored => Some(model.clone()),
            _ if hashing_embedder(cfg).is_ok_and(|h| h.name() == stored) => Some(hashing_embedder(cfg)?),
            _ => None,
        };
        if let Some(embedder) = kept {
            let reason = format!(
                "the data in this directory was embedded with {stored} (set BRAID_EMBEDDER to change it; every \
                 record is then embedded again)"
            );
            return Ok(ChosenEmbedder { embedder, reason });
        }
    }
    match minilm {
        Ok((model, found)) => Ok(ChosenEmbedder { embedder: model, reason: found }),
        Err(missing) => Ok(ChosenEmbedder {
            embedder: hashing_embedder(cfg)?,
            reason: format!(
                "{missing}: lexical matching only. For semantic search run `braid model pull minilm` (or point \
                 BRAID_MODEL_DIR at an all-MiniLM-L6-v2 folder)"
            ),
        }),
    }
}

/// MiniLM from `BRAID_MODEL_DIR` or the Hugging Face cache, with where it was found; else
/// why not.
fn local_minilm() -> std::result::Result<(Arc<dyn Embedder>, String), String> {
    if let Some(dir) = env("BRAID_MODEL_DIR").map(PathBuf::from) {
        return match MiniLmEmbedder::from_dir(&dir) {
            Ok(model) => Ok((Arc::new(model), format!("MiniLM weights in BRAID_MODEL_DIR={}", dir.display()))),
            Err(e) => Err(format!("BRAID_MODEL_DIR={} holds no MiniLM model ({e})", dir.display())),
        };
    }
    let cache = braid_vector::hub_cache_dir().map_or_else(|| "(unknown)".into(), |d| d.display().to_string());
    match MiniLmEmbedder::from_hub_cache(MINILM_HUB_REPO) {
        Ok(model) => Ok((Arc::new(model), format!("MiniLM weights in the Hugging Face cache {cache}"))),
        Err(_) => Err(format!("no MiniLM weights (BRAID_MODEL_DIR is not set, {MINILM_HUB_REPO} is not in {cache})")),
    }
}

/// The name of the embedder the data in `data` was embedded with, when it holds any record.
fn stored_embedder(data: &Path) -> Option<String> {
    if !data.join("braid.redb").is_file() {
        return None;
    }
    let store = braid_kb::store::Store::open(data).ok()?;
    let counts = store.counts().ok()?;
    if counts.documents + counts.images == 0 {
        return None;
    }
    store.meta("embedder").ok().flatten()
}

fn hashing_embedder(cfg: &ConfigFile) -> Result<Arc<dyn Embedder>> {
    let dim = cfg.embedder.dimension.unwrap_or(braid_vector::DEFAULT_HASHING_DIMENSION);
    if !(8..=4096).contains(&dim) {
        bail!("embedder.dimension must be between 8 and 4096, got {dim}");
    }
    Ok(Arc::new(HashingEmbedder::new(dim)))
}

/// The embedder of this kind (`hash`, `minilm`, `clip`, `http`).
fn named_embedder(kind: &str, cfg: &ConfigFile) -> Result<Arc<dyn Embedder>> {
    match kind {
        "hash" => hashing_embedder(cfg),
        // Local models: BRAID_MODEL_DIR, else the Hugging Face hub cache (never downloads).
        "minilm" => Ok(Arc::new(match env("BRAID_MODEL_DIR").map(PathBuf::from) {
            Some(dir) => MiniLmEmbedder::from_dir(&dir)
                .with_context(|| format!("BRAID_EMBEDDER=minilm with BRAID_MODEL_DIR={}", dir.display()))?,
            None => MiniLmEmbedder::from_hub_cache(MINILM_HUB_REPO)
                .context("BRAID_EMBEDDER=minilm without BRAID_MODEL_DIR looks in the Hugging Face hub cache")?,
        })),
        "clip" => Ok(Arc::new(match env("BRAID_MODEL_DIR").map(PathBuf::from) {
            Some(dir) => ClipEmbedder::from_dir(&dir)
                .with_context(|| format!("BRAID_EMBEDDER=clip with BRAID_MODEL_DIR={}", dir.display()))?,
            None => ClipEmbedder::from_hub_cache(CLIP_HUB_REPO)
                .context("BRAID_EMBEDDER=clip without BRAID_MODEL_DIR looks in the Hugging Face hub cache")?,
        })),
        // Any OpenAI-compatible /v1/embeddings endpoint; the dimension is probed at start-up
        // unless embedder.dimension is set.
        "http" => {
            let Some(url) = env("BRAID_EMBED_URL") else {
                bail!("BRAID_EMBEDDER=http needs BRAID_EMBED_URL, e.g. http://127.0.0.1:8000/v1")
            };
            let Some(model) = env("BRAID_EMBED_MODEL") else {
                bail!("BRAID_EMBEDDER=http needs BRAID_EMBED_MODEL, the model name the server expects")
            };
            let mut http = HttpEmbedderConfig::new(url.clone(), model);
            http.api_key = env("BRAID_EMBED_KEY");
            http.dimension = cfg.embedder.dimension;
            let embedder =
                HttpEmbedder::new(http).with_context(|| format!("BRAID_EMBEDDER=http with BRAID_EMBED_URL={url}"))?;
            Ok(Arc::new(embedder))
        }
        other => bail!("unknown BRAID_EMBEDDER '{other}': expected hash, minilm, clip or http"),
    }
}

/// The vector route's reranker from `BRAID_RERANK_*` or `[rerank]`, if one is configured: a
/// local cross-encoder (`BRAID_RERANK_MODEL_DIR`) or an HTTP endpoint (`BRAID_RERANK_URL`; the
/// key only from `BRAID_RERANK_KEY`, so the file holds no secret).
pub fn reranker(cfg: &ConfigFile) -> Result<Option<braid_kb::sources::Rerank>> {
    let section = &cfg.rerank;
    let reranker: Arc<dyn braid_vector::Reranker> = match (
        env("BRAID_RERANK_MODEL_DIR").map(PathBuf::from).or(section.model_dir.clone()),
        env("BRAID_RERANK_URL").or(section.url.clone()),
    ) {
        (Some(dir), _) => Arc::new(
            braid_vector::CrossEncoderReranker::from_dir(&dir)
                .with_context(|| format!("BRAID_RERANK_MODEL_DIR={}", dir.display()))?,
        ),
        (None, Some(url)) => {
            let model = env("BRAID_RERANK_MODEL").or(section.model.clone()).unwrap_or_default();
            Arc::new(
                braid_vector::HttpReranker::new(url.clone(), model, env("BRAID_RERANK_KEY"))
                    .with_context(|| format!("BRAID_RERANK_URL={url}"))?,
            )
        }
        (None, None) => return Ok(None),
    };
    let mut rerank = braid_kb::sources::Rerank::new(reranker);
    let number = |var: &str| -> Result<Option<u64>> {
        env(var)
            .map(|v| v.trim().parse::<u64>().with_context(|| format!("{var}={v} is not a whole number")))
            .transpose()
    };
    if let Some(depth) = number("BRAID_RERANK_DEPTH")?.map(|d| d as usize).or(section.depth) {
        if !(1..=braid_kb::sources::rerank::MAX_RERANK_DEPTH).contains(&depth) {
            bail!(
                "the rerank depth must be between 1 and {}, not {depth}",
                braid_kb::sources::rerank::MAX_RERANK_DEPTH
            );
        }
        rerank.depth = depth;
    }
    if let Some(ms) = number("BRAID_RERANK_DEADLINE_MS")?.or(section.deadline_ms) {
        if ms == 0 {
            bail!("the rerank deadline must be at least 1 ms");
        }
        rerank.deadline = Duration::from_millis(ms);
    }
    Ok(Some(rerank))
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

/// The language model that extracts facts from ingested files, from `BRAID_LLM_URL`,
/// `BRAID_LLM_MODEL` and `BRAID_LLM_KEY` (and `BRAID_LLM_TIMEOUT_MS`, `BRAID_LLM_CONCURRENCY`,
/// `BRAID_LLM_RETRIES`); `None` when `BRAID_LLM_URL` is not set.
pub fn extractor() -> Result<Option<Arc<braid_kb::extract::Extractor>>> {
    let Some(config) = braid_kb::extract::LlmConfig::from_lookup(env).map_err(anyhow::Error::msg)? else {
        return Ok(None);
    };
    let url = config.url.clone();
    let extractor = braid_kb::extract::Extractor::new(config)
        .with_context(|| format!("the language model at BRAID_LLM_URL={url}"))?;
    Ok(Some(Arc::new(extractor)))
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

/// The vector backend chosen by `BRAID_VECTOR_BACKEND` or `[vectors] backend`: `None` for
/// the embedded usearch store (the default), or a Milvus backend for `milvus`.
pub fn vector_backend(cfg: &ConfigFile, dimension: usize) -> Result<Option<Arc<dyn braid_vector::VectorBackend>>> {
    let kind = env("BRAID_VECTOR_BACKEND").or(cfg.vectors.backend.clone()).unwrap_or_else(|| "usearch".into());
    vector_backend_named(&kind, cfg, dimension)
}

/// Like [`vector_backend`] with the backend named explicitly (`braid index rebuild --backend`).
pub fn vector_backend_named(
    kind: &str,
    cfg: &ConfigFile,
    dimension: usize,
) -> Result<Option<Arc<dyn braid_vector::VectorBackend>>> {
    match kind {
        "usearch" | "embedded" => Ok(None),
        "milvus" => milvus_backend(cfg, dimension),
        other => bail!("unknown BRAID_VECTOR_BACKEND '{other}': expected usearch or milvus"),
    }
}

/// The Milvus settings from `BRAID_MILVUS_*` and `[vectors]`.
#[cfg(feature = "milvus")]
pub fn milvus_config(cfg: &ConfigFile, dimension: usize) -> Result<braid_vector::MilvusConfig> {
    let v = &cfg.vectors;
    let uri =
        env("BRAID_MILVUS_URI").or(v.milvus_uri.clone()).unwrap_or_else(|| braid_vector::DEFAULT_MILVUS_URI.into());
    let mut mc = braid_vector::MilvusConfig::new(uri, dimension);
    mc.token = env("BRAID_MILVUS_TOKEN").or(v.milvus_token.clone());
    mc.database = env("BRAID_MILVUS_DATABASE").or(v.milvus_database.clone());
    if let Some(prefix) = env("BRAID_MILVUS_COLLECTION").or(v.collection_prefix.clone()) {
        mc.collection_prefix = prefix;
    }
    mc.server_fusion = match env("BRAID_MILVUS_FUSION").or(v.milvus_fusion.clone()).as_deref() {
        None | Some("braid") => false,
        Some("milvus") => true,
        Some(other) => bail!("unknown BRAID_MILVUS_FUSION '{other}': expected braid or milvus"),
    };
    Ok(mc)
}

#[cfg(feature = "milvus")]
fn milvus_backend(cfg: &ConfigFile, dimension: usize) -> Result<Option<Arc<dyn braid_vector::VectorBackend>>> {
    let mc = milvus_config(cfg, dimension)?;
    let uri = mc.uri.clone();
    // Connects lazily, so Braid starts (and reports the vector route's error) while Milvus is down.
    let backend = braid_vector::MilvusBackend::new(mc).with_context(|| format!("BRAID_MILVUS_URI={uri}"))?;
    Ok(Some(Arc::new(backend)))
}

#[cfg(not(feature = "milvus"))]
fn milvus_backend(_: &ConfigFile, _: usize) -> Result<Option<Arc<dyn braid_vector::VectorBackend>>> {
    bail!(
        "BRAID_VECTOR_BACKEND=milvus needs a braid built with the Milvus backend: \
         cargo build --release -p braid --features milvus"
    )
}

/// The graph server named by `BRAID_GRAPH` (`falkordb://host:port/graph`): `None` (unset or
/// `embedded`) keeps the graph in this process. A server that cannot be reached at start-up
/// is an error here; one that goes down later fails the graph route only.
pub fn graph_backend() -> Result<Option<Arc<dyn braid_graph::GraphBackend>>> {
    match env("BRAID_GRAPH") {
        None => Ok(None),
        Some(url) if url == "embedded" => Ok(None),
        Some(url) if url.starts_with("falkordb://") => falkordb_graph(&url),
        Some(other) => bail!("unknown BRAID_GRAPH '{other}': expected embedded or falkordb://host:port/graph"),
    }
}

#[cfg(feature = "falkordb")]
fn falkordb_graph(url: &str) -> Result<Option<Arc<dyn braid_graph::GraphBackend>>> {
    use braid_graph::falkordb::{FalkorGraph, FalkorOptions};
    let options = FalkorOptions::from_url(url).with_context(|| format!("BRAID_GRAPH={url}"))?;
    let graph = FalkorGraph::connect(&options).with_context(|| format!("BRAID_GRAPH={url}"))?;
    Ok(Some(Arc::new(graph)))
}

#[cfg(not(feature = "falkordb"))]
fn falkordb_graph(_: &str) -> Result<Option<Arc<dyn braid_graph::GraphBackend>>> {
    bail!(
        "BRAID_GRAPH=falkordb://… needs a braid built with the FalkorDB graph backend: \
         cargo build --release -p braid --features falkordb"
    )
}

/// The options of a knowledge base in `data` with `embedder` and `vectors` (`None`: the
/// embedded store), the web provider, router settings and policy from `cfg` and the
/// environment. The rest keeps the defaults of [`braid_kb::Options::new`].
pub fn kb_options(
    cfg: &ConfigFile,
    data: &Path,
    embedder: Arc<dyn Embedder>,
    vectors: Option<Arc<dyn braid_vector::VectorBackend>>,
) -> Result<braid_kb::Options> {
    let mut options = braid_kb::Options::new(data, embedder);
    options.web = web_provider(cfg)?;
    options.router = router_config(cfg);
    options.policy = braid_router::RoutePolicy::new(policy_weights(cfg)?);
    options.vectors = vectors;
    options.graph = graph_backend()?;
    options.rerank = reranker(cfg)?;
    Ok(options)
}

/// Keys and limits of the HTTP server: `BRAID_API_KEY` (write scope), `BRAID_READ_KEY`
/// (read scope), the top-level `api_key` and `[[server.keys]]` of the file, and the limits
/// from `BRAID_RATE_LIMIT`, `BRAID_MAX_CONCURRENCY`, `BRAID_REQUEST_TIMEOUT`,
/// `BRAID_CORS_ORIGINS` or `[server]`.
pub fn access(cfg: &ConfigFile) -> Result<crate::http::access::Access> {
    use crate::http::access::{AccessConfig, ApiKey, Scope};
    let mut config = AccessConfig::default();
    if let Some(key) = env("BRAID_API_KEY").or(cfg.api_key.clone()) {
        config.keys.push(ApiKey::new("api_key", key, Scope::Write));
    }
    if let Some(key) = env("BRAID_READ_KEY") {
        config.keys.push(ApiKey::new("read_key", key, Scope::Read));
    }
    let server = &cfg.server;
    for (i, entry) in server.keys.iter().enumerate() {
        let scope: Scope =
            entry.scope.parse().with_context(|| format!("[[server.keys]] #{} ({})", i + 1, entry.name))?;
        let secret = match (&entry.key, &entry.key_env) {
            (Some(key), None) => key.clone(),
            (None, Some(var)) => env(var).with_context(|| {
                format!("[[server.keys]] {}: the environment variable {var} is not set", entry.name)
            })?,
            _ => bail!("[[server.keys]] {}: give exactly one of key and key_env", entry.name),
        };
        config.keys.push(ApiKey::new(entry.name.clone(), secret, scope));
    }
    let number = |var: &str| -> Result<Option<f64>> {
        env(var).map(|v| v.trim().parse::<f64>().with_context(|| format!("{var}={v} is not a number"))).transpose()
    };
    config.rate_per_minute = match number("BRAID_RATE_LIMIT")? {
        Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX) => Some(n as u32),
        Some(n) => bail!("BRAID_RATE_LIMIT={n} must be a whole number of requests per minute, at least 1"),
        None => server.rate_limit_per_minute,
    };
    config.rate_burst = server.rate_limit_burst;
    if let Some(n) = number("BRAID_MAX_CONCURRENCY")? {
        if n < 1.0 || n.fract() != 0.0 {
            bail!("BRAID_MAX_CONCURRENCY={n} must be a whole number, at least 1");
        }
        config.max_concurrency = n as usize;
    } else if let Some(n) = server.max_concurrency {
        config.max_concurrency = n;
    }
    if let Some(secs) = number("BRAID_REQUEST_TIMEOUT")?.or(server.request_timeout_secs) {
        if !(secs > 0.0 && secs <= 86_400.0) {
            bail!("the request timeout must be more than 0 and at most 86400 seconds, not {secs}");
        }
        config.request_timeout = Duration::from_secs_f64(secs);
    }
    config.cors_origins = match env("BRAID_CORS_ORIGINS") {
        Some(list) => list.split(',').map(|o| o.trim().to_string()).filter(|o| !o.is_empty()).collect(),
        None => server.cors_origins.clone(),
    };
    crate::http::access::cors_layer(&config).context("CORS settings")?;
    crate::http::access::Access::new(config).context("server access settings")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ConfigFile {
        toml::from_str(text).expect("valid TOML")
    }

    #[test]
    fn server_section_gives_scoped_keys_and_limits() {
        let cfg = parse(
            r#"
            [server]
            rate_limit_per_minute = 120
            max_concurrency = 8
            request_timeout_secs = 2.5
            cors_origins = ["http://localhost:8888"]
            [[server.keys]]
            name = "notebooks"
            key = "notebook-read-key"
            scope = "read"
            "#,
        );
        let access = access(&cfg).expect("valid settings");
        let c = access.config();
        assert_eq!((c.rate_per_minute, c.max_concurrency), (Some(120), 8));
        assert_eq!(c.request_timeout, Duration::from_millis(2500));
        assert!(access.keys_required());
    }

    #[test]
    fn bad_server_settings_are_refused_with_the_reason() {
        let cases = [
            ("[[server.keys]]\nname = \"a\"\nkey = \"abcdefghijkl\"\nscope = \"admin\"", "admin"),
            ("[[server.keys]]\nname = \"a\"\nscope = \"read\"", "exactly one of key and key_env"),
            ("[[server.keys]]\nname = \"a\"\nkey_env = \"BRAID_TEST_SURELY_UNSET_7\"\nscope = \"read\"", "not set"),
            ("[server]\nrequest_timeout_secs = 0", "request timeout"),
            ("[server]\nrate_limit_per_minute = 0", "rate_limit"),
            ("[server]\ncors_origins = [\"http://x.org/path\"]", "CORS"),
        ];
        for (text, needle) in cases {
            let e = access(&parse(text)).expect_err(text);
            assert!(format!("{e:#}").contains(needle), "{text}: {e:#}");
        }
        assert!(toml::from_str::<ConfigFile>("[server]\nrate_limt = 5").is_err(), "typos are refused");
    }
}
