//! How close a query is, in an embedder's space, to example queries of each route: the
//! semantic-router idea, as three policy features next to the lexical cues.
//!
//! Each route's exemplars are averaged into one unit centroid. A query's three cosine
//! similarities are standardised across the routes (minus their mean, over their standard
//! deviation), so the features say which route the query is *relatively* closest to, on
//! the same scale whatever the embedder (hashing, MiniLM or CLIP give very different raw
//! cosines). A query that is itself an exemplar is compared with centroids that leave it
//! out, so training on the exemplar set does not learn from a query's similarity to itself.
//!
//! The exemplars are embedded when first needed (or when [`Exemplars::warm`] asks), so a
//! program that opens a knowledge base only to write to it (a bulk import) does not embed
//! hundreds of queries it will never compare.
//!
//! ```
//! use std::sync::Arc;
//! use braid_router::{Exemplars, QueryEmbedder, Route};
//!
//! struct Letters;
//! impl QueryEmbedder for Letters {
//!     fn embed(&self, text: &str) -> Option<Vec<f32>> {
//!         let mut v = vec![0.0; 26];
//!         for b in text.bytes().filter(u8::is_ascii_lowercase) {
//!             v[(b - b'a') as usize] += 1.0;
//!         }
//!         Some(v)
//!     }
//! }
//! let examples = [("zzz", Route::Graph), ("aaa", Route::Vector), ("mmm", Route::Web)];
//! let ex = Exemplars::new(Arc::new(Letters), examples.iter().map(|(q, r)| (q.to_string(), *r)));
//! let (z, _) = ex.similarities("zz").expect("embeds");
//! assert!(z[Route::Graph.index()] > z[Route::Vector.index()]);
//! ```

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use crate::route::Route;

/// Turns a query into a vector; `None` when it cannot (e.g. the embedder failed).
pub trait QueryEmbedder: Send + Sync {
    /// The query's embedding.
    fn embed(&self, text: &str) -> Option<Vec<f32>>;
}

/// The exemplars shipped with the router: the team's labelled training queries.
pub const SHIPPED_EXEMPLARS: &str = include_str!("../weights/exemplars.jsonl");

/// Per-route centroids of exemplar queries (see the module docs).
pub struct Exemplars {
    embedder: Arc<dyn QueryEmbedder>,
    /// The labelled queries, until they are embedded.
    examples: Vec<(String, Route)>,
    centroids: OnceLock<Centroids>,
}

/// The exemplars, embedded.
#[derive(Default)]
struct Centroids {
    /// Sum of the unit exemplar vectors, per route.
    sums: [Vec<f32>; 3],
    counts: [usize; 3],
    /// Each exemplar's route and unit vector, by normalised text, for leave-one-out.
    members: HashMap<String, (Route, Vec<f32>)>,
}

impl std::fmt::Debug for Exemplars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exemplars")
            .field("examples", &self.examples.len())
            .field("embedded", &self.centroids.get().is_some())
            .finish_non_exhaustive()
    }
}

impl Exemplars {
    /// The labelled `examples` (text, route), embedded with `embedder` when first needed;
    /// texts the embedder refuses are skipped.
    pub fn new(embedder: Arc<dyn QueryEmbedder>, examples: impl IntoIterator<Item = (String, Route)>) -> Self {
        Exemplars { embedder, examples: examples.into_iter().collect(), centroids: OnceLock::new() }
    }

    /// Embeds the exemplars now, if they are not yet (a server, before its first query).
    pub fn warm(&self) {
        self.centroids();
    }

    fn centroids(&self) -> &Centroids {
        self.centroids.get_or_init(|| {
            let mut c = Centroids::default();
            for (text, route) in &self.examples {
                let key = key(text);
                if c.members.contains_key(&key) {
                    continue;
                }
                let Some(v) = self.embedder.embed(text).and_then(unit) else { continue };
                let sum = &mut c.sums[route.index()];
                if sum.is_empty() {
                    sum.resize(v.len(), 0.0);
                }
                if sum.len() != v.len() {
                    continue;
                }
                sum.iter_mut().zip(&v).for_each(|(s, x)| *s += x);
                c.counts[route.index()] += 1;
                c.members.insert(key, (*route, v));
            }
            c
        })
    }

    /// The shipped exemplars ([`SHIPPED_EXEMPLARS`]) embedded with `embedder`.
    pub fn shipped(embedder: Arc<dyn QueryEmbedder>) -> Self {
        Self::new(embedder, shipped_queries())
    }

    /// The embedder the exemplars were embedded with.
    pub fn embedder(&self) -> &Arc<dyn QueryEmbedder> {
        &self.embedder
    }

    /// How many distinct labelled queries each route has, in [`Route::ALL`] order, without
    /// embedding them (a text the embedder refuses still counts).
    pub fn labelled_counts(&self) -> [usize; 3] {
        let mut seen = std::collections::HashSet::new();
        let mut counts = [0; 3];
        for (text, route) in &self.examples {
            if seen.insert(key(text)) {
                counts[route.index()] += 1;
            }
        }
        counts
    }

    /// How many exemplars each route has, in [`Route::ALL`] order (embeds them if not yet).
    pub fn counts(&self) -> [usize; 3] {
        self.centroids().counts
    }

    /// The standardised similarities to each route's centroid (see the module docs) and the
    /// query's embedding, or `None` when the query cannot be embedded or a route has no
    /// exemplars.
    pub fn similarities(&self, query: &str) -> Option<([f32; 3], Vec<f32>)> {
        let c = self.centroids();
        let raw = self.embedder.embed(query)?;
        let v = unit(raw.clone())?;
        let own = c.members.get(&key(query));
        let mut cos = [0f32; 3];
        for route in Route::ALL {
            let i = route.index();
            let mut centroid = c.sums[i].clone();
            let mut n = c.counts[i];
            if let Some((r, own_v)) = own
                && *r == route
            {
                centroid.iter_mut().zip(own_v).for_each(|(c, x)| *c -= x);
                n -= 1;
            }
            if n == 0 || centroid.len() != v.len() {
                return None;
            }
            let centroid = unit(centroid)?;
            cos[i] = centroid.iter().zip(&v).map(|(a, b)| a * b).sum();
        }
        let mean = cos.iter().sum::<f32>() / 3.0;
        let sd = (cos.iter().map(|c| (c - mean).powi(2)).sum::<f32>() / 3.0).sqrt();
        // A floor keeps near-ties (a query equally far from everything) from being blown up.
        Some((cos.map(|c| (c - mean) / sd.max(0.02)), raw))
    }
}

/// The shipped exemplar queries with their routes.
pub fn shipped_queries() -> Vec<(String, Route)> {
    SHIPPED_EXEMPLARS
        .lines()
        .filter_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).ok()?;
            let route: Route = v["route"].as_str()?.parse().ok()?;
            Some((v["query"].as_str()?.to_string(), route))
        })
        .collect()
}

fn key(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

fn unit(mut v: Vec<f32>) -> Option<Vec<f32>> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if !norm.is_finite() || norm <= f32::EPSILON {
        return None;
    }
    v.iter_mut().for_each(|x| *x /= norm);
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bag of letters: enough geometry to tell "aaa" from "zzz".
    struct Letters;
    impl QueryEmbedder for Letters {
        fn embed(&self, text: &str) -> Option<Vec<f32>> {
            let mut v = vec![0.0; 26];
            for b in text.bytes().filter(u8::is_ascii_lowercase) {
                v[(b - b'a') as usize] += 1.0;
            }
            Some(v)
        }
    }

    fn exemplars() -> Exemplars {
        let ex = [("zzz y", Route::Graph), ("zzy", Route::Graph), ("aaa b", Route::Vector), ("mmm n", Route::Web)];
        Exemplars::new(Arc::new(Letters), ex.iter().map(|(q, r)| (q.to_string(), *r)))
    }

    #[test]
    fn closest_route_scores_highest_on_a_common_scale() {
        let ex = exemplars();
        assert_eq!(ex.counts(), [2, 1, 1]);
        let (z, v) = ex.similarities("zzzz").expect("embeds");
        assert_eq!(v.len(), 26);
        assert!(z[0] > z[1] && z[0] > z[2], "{z:?}");
        assert!(z.iter().sum::<f32>().abs() < 1e-4, "centred: {z:?}");
        assert!(ex.similarities("1234").is_none(), "nothing to embed");
    }

    #[test]
    fn an_exemplar_is_compared_with_centroids_that_leave_it_out() {
        let ex = exemplars();
        // "aaa b" is the only vector exemplar: without it the vector route has none.
        assert!(ex.similarities("AAA  b").is_none());
        // "zzz y" leaves "zzy" as the graph centroid, still the closest.
        let (z, _) = ex.similarities("zzz y").expect("embeds");
        assert!(z[0] > z[1], "{z:?}");
    }
}
