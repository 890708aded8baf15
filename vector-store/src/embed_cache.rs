//! A content-addressed cache of text embeddings, so a corpus that is loaded again and again
//! (the demo atlas) is embedded once rather than at every start.
//!
//! A cache belongs to one model: its header names the embedder and the embedder's
//! [`fingerprint`](crate::Embedder::fingerprint) (a hash of the weights and tokenizer), and
//! [`CachedEmbedder`] refuses a cache made by any other model. Entries are keyed by the
//! SHA-256 of the exact text that was embedded (first 16 bytes), so a text that changed
//! misses and is embedded afresh. Vectors are stored as f16: the cached vector's cosine to
//! the computed one is above 0.99999, far inside what an f16 index keeps anyway.
//!
//! File layout (little-endian): the magic `BRAIDEMB`, a `u32` format version, a `u32` header
//! length, the header as JSON ([`CacheHeader`]), then `count` records of a 16-byte key and
//! `dimension` f16 components.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use half::f16;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::embed::{Embedder, l2_norm};
use crate::error::EmbedError;

const MAGIC: &[u8; 8] = b"BRAIDEMB";
const FORMAT_VERSION: u32 = 1;
const KEY_BYTES: usize = 16;

/// What a cache file says about the model that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheHeader {
    /// The embedder's [`name`](Embedder::name), e.g. `minilm-384`.
    pub embedder: String,
    /// The embedder's [`fingerprint`](Embedder::fingerprint).
    pub fingerprint: String,
    /// The length of every vector.
    pub dimension: usize,
    /// How many entries follow the header.
    pub count: usize,
}

impl CacheHeader {
    /// Whether `embedder` is the model that made the cache: same name, fingerprint and
    /// dimension.
    pub fn is_from(&self, embedder: &dyn Embedder) -> bool {
        made_by(&self.embedder, &self.fingerprint, self.dimension, embedder)
    }
}

fn made_by(name: &str, fingerprint: &str, dimension: usize, embedder: &dyn Embedder) -> bool {
    name == embedder.name()
        && dimension == embedder.dimension()
        && embedder.fingerprint().as_deref() == Some(fingerprint)
}

/// Text → vector entries of one model, in memory; read from and written to a cache file.
#[derive(Debug, Clone)]
pub struct EmbeddingCache {
    embedder: String,
    fingerprint: String,
    dimension: usize,
    entries: HashMap<[u8; KEY_BYTES], Vec<f16>>,
}

impl EmbeddingCache {
    /// An empty cache for the model `embedder` identifies, which must have a fingerprint.
    pub fn for_embedder(embedder: &dyn Embedder) -> Result<Self, EmbedError> {
        let fingerprint = embedder.fingerprint().ok_or_else(|| {
            EmbedError::Unsupported(format!(
                "embedder `{}` has no fingerprint, so it cannot be cached",
                embedder.name()
            ))
        })?;
        Ok(EmbeddingCache {
            embedder: embedder.name().to_string(),
            fingerprint,
            dimension: embedder.dimension(),
            entries: HashMap::new(),
        })
    }

    /// The key of `text`: the first 16 bytes of its SHA-256.
    fn key(text: &str) -> [u8; KEY_BYTES] {
        let digest = Sha256::digest(text.as_bytes());
        let mut key = [0u8; KEY_BYTES];
        key.copy_from_slice(&digest[..KEY_BYTES]);
        key
    }

    /// The cached vector of exactly this text.
    pub fn get(&self, text: &str) -> Option<Vec<f32>> {
        let mut vector: Vec<f32> = self.entries.get(&Self::key(text))?.iter().map(|x| x.to_f32()).collect();
        renormalize(&mut vector);
        Some(vector)
    }

    /// Remembers `vector` as the embedding of `text`; a vector of the wrong length is refused.
    pub fn insert(&mut self, text: &str, vector: Vec<f32>) -> Result<(), EmbedError> {
        if vector.len() != self.dimension {
            return Err(EmbedError::Backend(format!(
                "cache of dimension {} cannot hold a vector of {}",
                self.dimension,
                vector.len()
            )));
        }
        self.entries.insert(Self::key(text), vector.iter().map(|&x| f16::from_f32(x)).collect());
        Ok(())
    }

    /// How many texts the cache holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The header this cache would write.
    pub fn header(&self) -> CacheHeader {
        CacheHeader {
            embedder: self.embedder.clone(),
            fingerprint: self.fingerprint.clone(),
            dimension: self.dimension,
            count: self.entries.len(),
        }
    }

    /// Reads only the header of a cache file (cheap: to pick the file matching a model
    /// without reading the vectors of the others).
    pub fn read_header(path: &Path) -> Result<CacheHeader, EmbedError> {
        use std::io::Read;
        let unreadable = |e: std::io::Error| cache_error(path, format!("cannot read it: {e}"));
        let mut file = std::fs::File::open(path).map_err(unreadable)?;
        let mut prefix = Vec::with_capacity(16);
        (&mut file).take(16).read_to_end(&mut prefix).map_err(unreadable)?;
        if let Some(len) = prefix.get(12..16) {
            let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]);
            file.take(u64::from(len)).read_to_end(&mut prefix).map_err(unreadable)?;
        }
        parse_header(path, &prefix).map(|(header, _)| header)
    }

    /// Reads a cache file, checking its layout; a truncated or foreign file is an error
    /// naming the file.
    pub fn read(path: &Path) -> Result<Self, EmbedError> {
        let bytes = std::fs::read(path).map_err(|e| cache_error(path, format!("cannot read it: {e}")))?;
        let (header, body) = parse_header(path, &bytes)?;
        if header.dimension == 0 {
            return Err(cache_error(path, "its header gives dimension 0".into()));
        }
        let record = KEY_BYTES + 2 * header.dimension;
        let expected = header.count.checked_mul(record);
        if expected != Some(body.len()) {
            return Err(cache_error(
                path,
                format!(
                    "its header promises {} entries of {record} bytes but {} bytes follow (truncated or corrupt)",
                    header.count,
                    body.len()
                ),
            ));
        }
        let mut entries = HashMap::with_capacity(header.count);
        for chunk in body.chunks_exact(record) {
            let mut key = [0u8; KEY_BYTES];
            key.copy_from_slice(&chunk[..KEY_BYTES]);
            let vector: Vec<f16> =
                chunk[KEY_BYTES..].chunks_exact(2).map(|c| f16::from_le_bytes([c[0], c[1]])).collect();
            if let Some(index) = vector.iter().position(|x| !x.is_finite()) {
                return Err(cache_error(path, format!("an entry has a non-finite component at {index}")));
            }
            entries.insert(key, vector);
        }
        Ok(EmbeddingCache {
            embedder: header.embedder,
            fingerprint: header.fingerprint,
            dimension: header.dimension,
            entries,
        })
    }

    /// Writes the cache to `path` atomically (a temp file renamed into place), entries in
    /// key order so the same content always gives the same bytes.
    pub fn write(&self, path: &Path) -> Result<(), EmbedError> {
        let header = serde_json::to_vec(&self.header()).map_err(|e| cache_error(path, e.to_string()))?;
        let mut out = Vec::with_capacity(16 + header.len() + self.entries.len() * (KEY_BYTES + 2 * self.dimension));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        let mut keys: Vec<&[u8; KEY_BYTES]> = self.entries.keys().collect();
        keys.sort_unstable();
        for key in keys {
            out.extend_from_slice(key);
            for x in &self.entries[key] {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        let tmp = path.with_extension("tmp");
        let written = std::fs::File::create(&tmp)
            .and_then(|mut f| f.write_all(&out).and_then(|_| f.sync_all()))
            .and_then(|_| std::fs::rename(&tmp, path));
        written.map_err(|e| cache_error(path, format!("cannot write it: {e}")))
    }
}

fn cache_error(path: &Path, reason: String) -> EmbedError {
    EmbedError::Cache(format!("embedding cache {}: {reason}", path.display()))
}

fn parse_header<'a>(path: &Path, bytes: &'a [u8]) -> Result<(CacheHeader, &'a [u8]), EmbedError> {
    if bytes.len() < 16 || &bytes[..8] != MAGIC {
        return Err(cache_error(path, "not a Braid embedding cache (bad magic)".into()));
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version != FORMAT_VERSION {
        return Err(cache_error(path, format!("format version {version}, this build reads {FORMAT_VERSION}")));
    }
    let len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
    let Some(json) = bytes.get(16..16 + len) else {
        return Err(cache_error(path, "its header is truncated".into()));
    };
    let header: CacheHeader =
        serde_json::from_slice(json).map_err(|e| cache_error(path, format!("its header is not valid: {e}")))?;
    Ok((header, &bytes[16 + len..]))
}

/// f16 rounding moves a unit vector's norm by ~1e-4; put unit vectors back on the sphere.
fn renormalize(vector: &mut [f32]) {
    let norm = l2_norm(vector);
    if (norm - 1.0).abs() < 0.01 {
        vector.iter_mut().for_each(|x| *x /= norm);
    }
}

/// How often a [`CachedEmbedder`] answered from its cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CacheStats {
    /// Texts answered from the cache.
    pub hits: u64,
    /// Texts the model embedded.
    pub misses: u64,
}

/// An [`Embedder`] that answers texts it has seen from an [`EmbeddingCache`] and sends the
/// rest to the model it wraps. It reports the wrapped model's name and dimension, so data
/// embedded through it is indistinguishable from data embedded directly.
pub struct CachedEmbedder {
    inner: Arc<dyn Embedder>,
    cache: RwLock<EmbeddingCache>,
    record: bool,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for CachedEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedEmbedder")
            .field("embedder", &self.inner.name())
            .field("record", &self.record)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl CachedEmbedder {
    /// Wraps `inner` with `cache`, which must have been made by the same model (same name,
    /// fingerprint and dimension).
    pub fn new(inner: Arc<dyn Embedder>, cache: EmbeddingCache) -> Result<Self, EmbedError> {
        if !made_by(&cache.embedder, &cache.fingerprint, cache.dimension, inner.as_ref()) {
            return Err(EmbedError::Cache(format!(
                "the embedding cache was made by `{}` ({}, dimension {}), not by the active embedder `{}` ({}, dimension {})",
                cache.embedder,
                cache.fingerprint,
                cache.dimension,
                inner.name(),
                inner.fingerprint().as_deref().unwrap_or("no fingerprint"),
                inner.dimension()
            )));
        }
        Ok(CachedEmbedder {
            inner,
            cache: RwLock::new(cache),
            record: false,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        })
    }

    /// Wraps `inner` with an empty cache that keeps every vector the model computes, to be
    /// [`snapshot`](CachedEmbedder::snapshot) and written out afterwards.
    pub fn recording(inner: Arc<dyn Embedder>) -> Result<Self, EmbedError> {
        let cache = EmbeddingCache::for_embedder(inner.as_ref())?;
        let mut embedder = Self::new(inner, cache)?;
        embedder.record = true;
        Ok(embedder)
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats { hits: self.hits.load(Ordering::Relaxed), misses: self.misses.load(Ordering::Relaxed) }
    }

    /// A copy of the cache as it stands.
    pub fn snapshot(&self) -> EmbeddingCache {
        self.cache.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

impl Embedder for CachedEmbedder {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn dimension(&self) -> usize {
        self.inner.dimension()
    }

    fn fingerprint(&self) -> Option<String> {
        self.inner.fingerprint()
    }

    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out: Vec<Option<Vec<f32>>> = {
            let cache = self.cache.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            texts.iter().map(|t| cache.get(t)).collect()
        };
        let missing: Vec<usize> = (0..texts.len()).filter(|&i| out[i].is_none()).collect();
        self.hits.fetch_add((texts.len() - missing.len()) as u64, Ordering::Relaxed);
        if !missing.is_empty() {
            self.misses.fetch_add(missing.len() as u64, Ordering::Relaxed);
            let batch: Vec<&str> = missing.iter().map(|&i| texts[i]).collect();
            let computed = self.inner.embed_texts(&batch)?;
            if computed.len() != batch.len() {
                return Err(EmbedError::Backend(format!(
                    "embedder returned {} vectors for {} texts",
                    computed.len(),
                    batch.len()
                )));
            }
            let mut cache = self.record.then(|| self.cache.write().unwrap_or_else(|poisoned| poisoned.into_inner()));
            for (&i, vector) in missing.iter().zip(computed) {
                if let Some(cache) = cache.as_mut() {
                    cache.insert(texts[i], vector.clone())?;
                }
                out[i] = Some(vector);
            }
        }
        Ok(out.into_iter().flatten().collect())
    }

    fn is_multimodal(&self) -> bool {
        self.inner.is_multimodal()
    }

    fn embed_images(&self, images: &[&[u8]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.inner.embed_images(images)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HashingEmbedder;
    use std::sync::atomic::AtomicUsize;

    /// Counts how many texts reach the model.
    struct Counting {
        inner: HashingEmbedder,
        seen: AtomicUsize,
    }

    impl Embedder for Counting {
        fn name(&self) -> &str {
            self.inner.name()
        }
        fn dimension(&self) -> usize {
            self.inner.dimension()
        }
        fn fingerprint(&self) -> Option<String> {
            self.inner.fingerprint()
        }
        fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
            self.seen.fetch_add(texts.len(), Ordering::Relaxed);
            self.inner.embed_texts(texts)
        }
    }

    fn counting() -> Arc<Counting> {
        Arc::new(Counting { inner: HashingEmbedder::new(64), seen: AtomicUsize::new(0) })
    }

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>()
            / (a.iter().map(|x| x * x).sum::<f32>().sqrt() * b.iter().map(|x| x * x).sum::<f32>().sqrt())
    }

    #[test]
    fn recorded_cache_round_trips_through_a_file_and_skips_the_model() {
        let model = counting();
        let recorder = CachedEmbedder::recording(model.clone()).unwrap();
        let texts = ["koalas climb eucalyptus", "Paris is the capital of France", "koalas climb eucalyptus"];
        let direct = recorder.embed_texts(&texts).unwrap();
        assert_eq!(model.seen.load(Ordering::Relaxed), 3);
        assert_eq!(recorder.snapshot().len(), 2, "identical texts share one entry");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hash.emb");
        recorder.snapshot().write(&path).unwrap();
        let header = EmbeddingCache::read_header(&path).unwrap();
        assert_eq!((header.embedder.as_str(), header.dimension, header.count), ("hash-64", 64, 2));

        let model = counting();
        let cached = CachedEmbedder::new(model.clone(), EmbeddingCache::read(&path).unwrap()).unwrap();
        let again = cached.embed_texts(&["Paris is the capital of France", "a text never seen", texts[0]]).unwrap();
        assert_eq!(model.seen.load(Ordering::Relaxed), 1, "only the unseen text reaches the model");
        assert_eq!(cached.stats(), CacheStats { hits: 2, misses: 1 });
        assert!(cosine(&again[0], &direct[1]) > 0.99999);
        assert!(cosine(&again[2], &direct[0]) > 0.99999);
        assert_eq!(again[1], HashingEmbedder::new(64).embed_text("a text never seen").unwrap());
        let norm = again[0].iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-6, "unit vectors stay unit after f16: {norm}");
    }

    #[test]
    fn an_embedder_without_a_fingerprint_cannot_be_cached() {
        struct Remote;
        impl Embedder for Remote {
            fn name(&self) -> &str {
                "remote"
            }
            fn dimension(&self) -> usize {
                4
            }
            fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
                Ok(texts.iter().map(|_| vec![0.5; 4]).collect())
            }
        }
        let err = CachedEmbedder::recording(Arc::new(Remote)).unwrap_err();
        assert!(matches!(err, EmbedError::Unsupported(_)) && err.to_string().contains("no fingerprint"), "{err}");
    }

    #[test]
    fn a_cache_from_another_model_is_refused() {
        let recorder = CachedEmbedder::recording(Arc::new(HashingEmbedder::new(64))).unwrap();
        recorder.embed_texts(&["one"]).unwrap();
        let err = CachedEmbedder::new(Arc::new(HashingEmbedder::new(32)), recorder.snapshot()).unwrap_err();
        assert!(matches!(err, EmbedError::Cache(_)), "{err}");
        assert!(err.to_string().contains("hash-64"), "{err}");
    }

    #[test]
    fn damaged_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let recorder = CachedEmbedder::recording(Arc::new(HashingEmbedder::new(16))).unwrap();
        recorder.embed_texts(&["one", "two"]).unwrap();
        let path = dir.path().join("c.emb");
        recorder.snapshot().write(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();

        let truncated = dir.path().join("truncated.emb");
        std::fs::write(&truncated, &bytes[..bytes.len() - 5]).unwrap();
        let err = EmbeddingCache::read(&truncated).unwrap_err().to_string();
        assert!(err.contains("truncated.emb") && err.contains("truncated or corrupt"), "{err}");

        let foreign = dir.path().join("foreign.emb");
        std::fs::write(&foreign, b"not a cache at all").unwrap();
        let err = EmbeddingCache::read(&foreign).unwrap_err().to_string();
        assert!(err.contains("bad magic"), "{err}");

        let short_header = dir.path().join("short.emb");
        std::fs::write(&short_header, &bytes[..20]).unwrap();
        assert!(EmbeddingCache::read(&short_header).unwrap_err().to_string().contains("header is truncated"));

        let missing = dir.path().join("missing.emb");
        assert!(EmbeddingCache::read(&missing).unwrap_err().to_string().contains("cannot read"));
    }

    #[test]
    fn writing_is_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        let recorder = CachedEmbedder::recording(Arc::new(HashingEmbedder::new(16))).unwrap();
        recorder.embed_texts(&["b", "a", "c"]).unwrap();
        let (one, two) = (dir.path().join("1.emb"), dir.path().join("2.emb"));
        recorder.snapshot().write(&one).unwrap();
        EmbeddingCache::read(&one).unwrap().write(&two).unwrap();
        assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
    }
}
