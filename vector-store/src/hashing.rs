//! [`HashingEmbedder`]: a dependency-free lexical embedder, so Braid runs offline.
//!
//! Text is normalised (NFKD, diacritics stripped, lowercased, split on anything that is
//! not alphanumeric), English stop-words are dropped and plurals/`-ing`/`-ed` are
//! stripped. Three feature families are hashed into the vector:
//!
//! | feature | weight | why |
//! |---|---|---|
//! | stemmed word | 1.0 | topical overlap |
//! | pair of adjacent stemmed words | 0.5 | a little word order ("new york") |
//! | character 3-gram of each word, with `^`/`$` boundary marks | 0.3 | morphology and typos |
//!
//! Each feature is hashed with FNV-1a 64 (plus a mixing step) into a bucket and a sign,
//! its term frequency is damped to `1 + ln(tf)`, and the result is L2-normalised. The
//! hash is fixed, so vectors are identical across runs, processes and platforms.
//!
//! Empty input: text made only of stop-words falls back to its words kept as-is, and text
//! without any letter or digit falls back to character 3-grams of the raw text, so
//! every non-blank input gets a unit vector. Blank input (empty or whitespace only) is
//! refused with [`EmbedError::Empty`], since no vector would mean anything for it.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::embed::{Embedder, l2_norm, reject_blank};
use crate::error::EmbedError;

/// The default dimension, the same as MiniLM's so that configurations are interchangeable.
pub const DEFAULT_HASHING_DIMENSION: usize = 384;

const UNIGRAM_WEIGHT: f32 = 1.0;
const BIGRAM_WEIGHT: f32 = 0.5;
const TRIGRAM_WEIGHT: f32 = 0.3;

/// Feature namespaces keep a word and an equal-looking 3-gram in different buckets.
const NS_UNIGRAM: u8 = b'u';
const NS_BIGRAM: u8 = b'b';
const NS_TRIGRAM: u8 = b'c';
const NS_RAW: u8 = b'r';

/// Bump when `features_of` or `project` changes what a text maps to: cached vectors of the
/// old algorithm must stop matching.
const ALGORITHM_VERSION: u32 = 1;

/// A deterministic feature-hashing text embedder (see the module docs).
#[derive(Debug, Clone)]
pub struct HashingEmbedder {
    dimension: usize,
    name: String,
}

impl Default for HashingEmbedder {
    fn default() -> Self {
        HashingEmbedder::new(DEFAULT_HASHING_DIMENSION)
    }
}

impl HashingEmbedder {
    /// An embedder producing `dimension`-long vectors; a dimension of 0 is raised to 1.
    pub fn new(dimension: usize) -> Self {
        let dimension = dimension.max(1);
        HashingEmbedder { dimension, name: format!("hash-{dimension}") }
    }

    /// Embeds one text (see the module docs for the fallbacks).
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let features = features_of(text);
        if features.is_empty() {
            return Err(EmbedError::Empty { index: 0 });
        }
        Ok(self.project(features))
    }

    /// Hashes weighted features into a signed, tf-damped, L2-normalised vector.
    fn project(&self, mut features: Vec<(u64, f32)>) -> Vec<f32> {
        // Sorting makes the float summation order, hence the result, fully deterministic.
        features.sort_by_key(|&(hash, _)| hash);
        let mut vector = vec![0.0f32; self.dimension];
        let mut i = 0;
        while i < features.len() {
            let (hash, weight) = features[i];
            let mut tf = 0usize;
            while i < features.len() && features[i].0 == hash {
                tf += 1;
                i += 1;
            }
            let damped = weight * (1.0 + (tf as f32).ln());
            let bucket = (hash % self.dimension as u64) as usize;
            let sign = if hash >> 63 == 1 { -1.0 } else { 1.0 };
            vector[bucket] += sign * damped;
        }
        let norm = l2_norm(&vector);
        if norm > 0.0 && norm.is_finite() {
            vector.iter_mut().for_each(|x| *x /= norm);
        } else {
            // Opposite signs cancelled out exactly: fall back to one well-defined direction.
            let bucket = (features[0].0 % self.dimension as u64) as usize;
            vector.iter_mut().for_each(|x| *x = 0.0);
            vector[bucket] = 1.0;
        }
        vector
    }
}

impl Embedder for HashingEmbedder {
    fn name(&self) -> &str {
        &self.name
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    fn fingerprint(&self) -> Option<String> {
        Some(format!("{}/v{ALGORITHM_VERSION}", self.name))
    }

    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        // Only blank text has no feature at all, so past this `embed` cannot fail.
        reject_blank(texts)?;
        texts.iter().map(|text| self.embed(text)).collect()
    }
}

/// Lowercased, diacritic-free words: maximal runs of alphanumeric characters.
pub fn normalized_words(text: &str) -> Vec<String> {
    let folded: String = text.nfkd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase).collect();
    folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// Light English suffix stripping: enough to merge plurals and simple verb forms.
pub fn light_stem(word: &str) -> String {
    let chars = word.chars().count();
    if !word.chars().all(|c| c.is_ascii_alphabetic()) || chars <= 3 {
        return word.to_string();
    }
    if let Some(stem) = word.strip_suffix("ies").filter(|_| chars > 4) {
        return format!("{stem}y");
    }
    if let Some(stem) = word.strip_suffix("es")
        && ["s", "x", "z", "ch", "sh"].iter().any(|s| stem.ends_with(s))
    {
        return stem.to_string();
    }
    if let Some(stem) = word.strip_suffix("ing").filter(|_| chars > 5) {
        return stem.to_string();
    }
    if let Some(stem) = word.strip_suffix("ed").filter(|_| chars > 4) {
        return stem.to_string();
    }
    if let Some(stem) = word.strip_suffix('s')
        && !stem.ends_with('s')
        && !stem.ends_with('u')
        && !stem.ends_with('i')
    {
        return stem.to_string();
    }
    word.to_string()
}

/// Whether a normalised word is a common English stop-word.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

/// The hashed features of a text, one entry per occurrence (tf is counted later).
fn features_of(text: &str) -> Vec<(u64, f32)> {
    let words = normalized_words(text);
    let mut content: Vec<&str> = words.iter().map(String::as_str).filter(|w| !is_stop_word(w)).collect();
    if content.is_empty() {
        // "to be or not to be" still deserves a vector: keep the stop-words.
        content = words.iter().map(String::as_str).collect();
    }
    let mut features = Vec::new();
    let stems: Vec<String> = content.iter().map(|w| light_stem(w)).collect();
    for stem in &stems {
        features.push((feature_hash(NS_UNIGRAM, &[stem]), UNIGRAM_WEIGHT));
    }
    for pair in stems.windows(2) {
        features.push((feature_hash(NS_BIGRAM, &[&pair[0], &pair[1]]), BIGRAM_WEIGHT));
    }
    for word in &content {
        let marked: Vec<char> = std::iter::once('^').chain(word.chars()).chain(std::iter::once('$')).collect();
        for gram in marked.windows(3) {
            features.push((char_gram_hash(NS_TRIGRAM, gram), TRIGRAM_WEIGHT));
        }
    }
    if features.is_empty() {
        // Only punctuation or symbols ("?!", "→"): hash the raw characters instead.
        let raw: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
        for gram in raw.windows(3.min(raw.len()).max(1)) {
            features.push((char_gram_hash(NS_RAW, gram), TRIGRAM_WEIGHT));
        }
    }
    features
}

/// FNV-1a 64 over the namespace and the parts (each preceded by a 0 byte), then a
/// splitmix64 finaliser so that both the low bits (bucket) and the top bit (sign) mix well.
fn feature_hash(namespace: u8, parts: &[&str]) -> u64 {
    let mut hash = Fnv1a::new(namespace);
    for part in parts {
        hash.eat(0);
        part.bytes().for_each(|b| hash.eat(b));
    }
    hash.finish()
}

/// [`feature_hash`] of one part given as characters, without allocating a string.
fn char_gram_hash(namespace: u8, gram: &[char]) -> u64 {
    let mut hash = Fnv1a::new(namespace);
    hash.eat(0);
    let mut utf8 = [0u8; 4];
    for c in gram {
        c.encode_utf8(&mut utf8).bytes().for_each(|b| hash.eat(b));
    }
    hash.finish()
}

struct Fnv1a(u64);

impl Fnv1a {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn new(namespace: u8) -> Self {
        let mut hash = Fnv1a(Self::OFFSET);
        hash.eat(namespace);
        hash
    }

    fn eat(&mut self, byte: u8) {
        self.0 ^= u64::from(byte);
        self.0 = self.0.wrapping_mul(Self::PRIME);
    }

    fn finish(&self) -> u64 {
        let mut z = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Sorted, for binary search.
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are",
    "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but",
    "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for",
    "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself",
    "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself",
    "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on",
    "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same",
    "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them",
    "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which",
    "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself",
    "yourselves",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn stop_words_are_sorted() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn normalises_diacritics_and_case() {
        assert_eq!(normalized_words("Crème BRÛLÉE, naïve!"), ["creme", "brulee", "naive"]);
    }

    #[test]
    fn stems_common_suffixes() {
        assert_eq!(light_stem("koalas"), "koala");
        assert_eq!(light_stem("countries"), "country");
        assert_eq!(light_stem("boxes"), "box");
        assert_eq!(light_stem("running"), "runn");
        assert_eq!(light_stem("walked"), "walk");
        assert_eq!(light_stem("glass"), "glass");
        assert_eq!(light_stem("bus"), "bus");
    }

    #[test]
    fn vectors_are_unit_length_and_deterministic() {
        let e = HashingEmbedder::new(64);
        let a = e.embed("The quick brown fox").expect("embeds");
        let b = e.embed("The quick brown fox").expect("embeds");
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        assert!((cosine(&a, &a) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn fallbacks_give_unit_vectors_and_blank_is_refused() {
        let e = HashingEmbedder::default();
        for text in ["the of and", "?!", "→", "x"] {
            let v = e.embed(text).expect("non-blank text embeds");
            assert!((cosine(&v, &v) - 1.0).abs() < 1e-5, "{text}");
        }
        assert!(matches!(e.embed("  \n"), Err(EmbedError::Empty { index: 0 })));
        assert!(matches!(e.embed_texts(&["ok", ""]), Err(EmbedError::Empty { index: 1 })));
    }

    #[test]
    fn images_are_unsupported() {
        let e = HashingEmbedder::default();
        assert!(!e.is_multimodal());
        assert!(matches!(e.embed_images(&[b"png".as_slice()]), Err(EmbedError::Unsupported(_))));
    }
}
