//! A synthetic corpus for the vector benchmarks that is never held in memory: clustered unit
//! vectors and short texts whose every row is a function of the seed and its row number, so
//! ten million items are generated batch by batch (and again for a replay) instead of being
//! kept, and the result does not depend on how many threads generate it.
//!
//! ```
//! use braid_bench::synthetic::Corpus;
//!
//! let corpus = Corpus::new(16, 10, 1.0, 42);
//! let mut a = vec![0f32; 16];
//! let mut b = vec![0f32; 16];
//! let cluster = corpus.vector(0, 7, &mut a);
//! assert_eq!(corpus.vector(0, 7, &mut b), cluster);
//! assert_eq!(a, b);
//! let norm: f32 = a.iter().map(|x| x * x).sum();
//! assert!((norm - 1.0).abs() < 1e-4);
//! let (title, text) = corpus.text(7, cluster);
//! assert_eq!(title.split(' ').count(), 3);
//! assert!(text.split(' ').count() >= 12);
//! ```

use crate::{Rng, mix64};

/// Words in the shared vocabulary; drawn with a Zipf-like skew, as words are.
const VOCABULARY: u64 = 50_000;
/// Words that mark one cluster's topic.
const TOPIC_WORDS: u64 = 24;
/// Words of an item's text, and of its title.
const TEXT_WORDS: usize = 16;
const TITLE_WORDS: usize = 3;
/// Share of an item's text words taken from its cluster's topic.
const TOPIC_SHARE: f64 = 0.35;

/// Clustered vectors (`centre + spread · N(0, I/dim)`, normalised) around `clusters` random
/// unit centres, and texts whose words lean to their cluster's topic.
#[derive(Debug, Clone)]
pub struct Corpus {
    dim: usize,
    spread: f32,
    centres: Vec<f32>,
}

/// Fills `out` with standard normals.
pub fn gaussians(rng: &mut Rng, out: &mut [f32]) {
    for pair in out.chunks_mut(2) {
        let (a, b) = rng.gaussian_pair();
        pair[0] = a as f32;
        if let Some(second) = pair.get_mut(1) {
            *second = b as f32;
        }
    }
}

/// Scales `v` to unit length (a zero vector stays zero).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x = (f64::from(*x) / norm) as f32);
    }
}

impl Corpus {
    /// A corpus of `dim`-dimensional vectors around `clusters` centres drawn from `seed`.
    pub fn new(dim: usize, clusters: usize, spread: f32, seed: u64) -> Self {
        let mut rng = Rng::new(mix64(seed ^ 0x0C3A_70E5));
        let mut centres = vec![0f32; clusters.max(1) * dim];
        for centre in centres.chunks_mut(dim.max(1)) {
            gaussians(&mut rng, centre);
            normalise(centre);
        }
        Corpus { dim, spread, centres }
    }

    /// The vector dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Row `row` of stream `stream` (items and queries use different streams) into `out`
    /// (of length `dim`); returns its cluster.
    pub fn vector(&self, stream: u64, row: u64, out: &mut [f32]) -> u32 {
        let clusters = (self.centres.len() / self.dim.max(1)).max(1);
        let mut rng = Rng::new(mix64(stream ^ row.wrapping_mul(0xD1B5_4A32_D192_ED03)));
        let cluster = (rng.next_u64() % clusters as u64) as usize;
        gaussians(&mut rng, out);
        let scale = self.spread / (self.dim as f32).sqrt();
        let centre = &self.centres[cluster * self.dim..(cluster + 1) * self.dim];
        out.iter_mut().zip(centre).for_each(|(x, c)| *x = c + scale * *x);
        normalise(out);
        cluster as u32
    }

    /// A title of three topic words and a text of sixteen words, about a third of them from
    /// the cluster's topic and the rest from the shared vocabulary.
    pub fn text(&self, row: u64, cluster: u32) -> (String, String) {
        let mut rng = Rng::new(mix64(row ^ 0x7E57_0000_0000_0001));
        let title: Vec<String> = (0..TITLE_WORDS).map(|_| topic_word(&mut rng, cluster)).collect();
        let text: Vec<String> = (0..TEXT_WORDS)
            .map(|_| if rng.unit() < TOPIC_SHARE { topic_word(&mut rng, cluster) } else { common_word(&mut rng) })
            .collect();
        (title.join(" "), text.join(" "))
    }

    /// A four-word query text for a query of `cluster`: two topic words, two common ones.
    pub fn query_text(&self, row: u64, cluster: u32) -> String {
        let mut rng = Rng::new(mix64(row ^ 0x0E41_0000_0000_0002));
        let words = [topic_word(&mut rng, cluster), common_word(&mut rng), topic_word(&mut rng, cluster)];
        let mut text = words.join(" ");
        text.push(' ');
        text.push_str(&common_word(&mut rng));
        text
    }
}

fn topic_word(rng: &mut Rng, cluster: u32) -> String {
    format!("t{}x{}", cluster, rng.next_u64() % TOPIC_WORDS)
}

/// A word of the shared vocabulary, rank r drawn with probability about ∝ 1/r.
fn common_word(rng: &mut Rng) -> String {
    let rank = ((VOCABULARY as f64).powf(rng.unit()) as u64).clamp(1, VOCABULARY);
    format!("w{rank}")
}

/// Which filter bucket (0..100) a row falls in: a tag held by `p` % of the rows is on the
/// rows whose bucket is below `p`, so the tagged sets are nested.
pub fn bucket(row: u64) -> u8 {
    (mix64(row ^ 0x5EED_7A65) % 100) as u8
}
