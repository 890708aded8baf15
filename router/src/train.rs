//! Training and evaluating the routing policy on labelled queries.
//!
//! `fit` is plain multinomial logistic regression with L2 regularisation, trained by full-batch
//! gradient descent: small, deterministic and transparent. `evaluate` reports what the routing
//! check measures: accuracy (the primary route equals the label or one of its acceptable
//! alternatives), macro-F1, the confusion matrix and the expected calibration error.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::policy::{FEATURE_NAMES, N_FEATURES, PolicyWeights, softmax};
use crate::route::Route;

/// A labelled routing example, as in `routing-dev.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LabelledQuery {
    /// The query.
    pub query: String,
    /// The route that should answer it.
    pub route: Route,
    /// Other acceptable routes.
    #[serde(default)]
    pub also: Vec<Route>,
}

/// One training row: the feature vector and the labels.
#[derive(Debug, Clone)]
pub struct Example {
    /// Policy features of the query.
    pub x: [f32; N_FEATURES],
    /// The label.
    pub route: Route,
    /// Other acceptable routes.
    pub also: Vec<Route>,
}

/// Settings of [`fit`].
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// L2 penalty on non-bias weights.
    pub l2: f32,
    /// Gradient steps.
    pub iterations: usize,
    /// Step size.
    pub learning_rate: f32,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { l2: 0.01, iterations: 3000, learning_rate: 0.5 }
    }
}

/// Trains policy weights on `examples`, keeping the thresholds of `base`.
pub fn fit(examples: &[Example], base: &PolicyWeights, options: &FitOptions, provenance: String) -> PolicyWeights {
    let mut w = [[0f32; N_FEATURES]; 3];
    let n = examples.len().max(1) as f32;
    for _ in 0..options.iterations {
        let mut grad = [[0f32; N_FEATURES]; 3];
        for ex in examples {
            let logits = [0, 1, 2].map(|r| w[r].iter().zip(&ex.x).map(|(a, b)| a * b).sum::<f32>());
            let p = softmax(logits);
            for r in 0..3 {
                let target = if r == ex.route.index() { 1.0 } else { 0.0 };
                let err = p[r] - target;
                for (g, x) in grad[r].iter_mut().zip(&ex.x) {
                    *g += err * x / n;
                }
            }
        }
        for r in 0..3 {
            for j in 0..N_FEATURES {
                let penalty = if j == 0 { 0.0 } else { options.l2 * w[r][j] };
                w[r][j] -= options.learning_rate * (grad[r][j] + penalty);
            }
        }
    }
    let round = |row: [f32; N_FEATURES]| row.iter().map(|v| (v * 1e4).round() / 1e4).collect::<Vec<_>>();
    PolicyWeights {
        features: FEATURE_NAMES.iter().map(|s| (*s).to_string()).collect(),
        graph: round(w[0]),
        vector: round(w[1]),
        web: round(w[2]),
        select_threshold: base.select_threshold,
        web_threshold: base.web_threshold,
        provenance,
    }
}

/// Routing quality on a labelled set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EvalReport {
    /// Number of queries.
    pub n: usize,
    /// Share whose primary route is the label or an acceptable alternative.
    pub accuracy: f32,
    /// Mean F1 over the three routes (primary vs label).
    pub macro_f1: f32,
    /// `confusion[label][predicted]`, in [`Route::ALL`] order.
    pub confusion: [[usize; 3]; 3],
    /// Expected calibration error of the primary route's probability (10 bins).
    pub ece: f32,
    /// The queries routed wrong: (query, label, predicted).
    pub misses: Vec<(String, Route, Route)>,
}

/// Evaluates `weights` on `examples` (all routes assumed available). `queries` gives the
/// text of each example for the miss list.
pub fn evaluate(weights: &PolicyWeights, examples: &[Example], queries: &[String]) -> EvalReport {
    let mut confusion = [[0usize; 3]; 3];
    let mut bins = [(0usize, 0f32, 0f32); 10];
    let mut good = 0usize;
    let mut misses = Vec::new();
    for (i, ex) in examples.iter().enumerate() {
        let p = weights.probabilities(&ex.x);
        let best = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a))).unwrap_or(0);
        let predicted = Route::ALL[best];
        let ok = predicted == ex.route || ex.also.contains(&predicted);
        good += usize::from(ok);
        confusion[ex.route.index()][best] += 1;
        let bin = ((p[best] * 10.0) as usize).min(9);
        bins[bin].0 += 1;
        bins[bin].1 += p[best];
        bins[bin].2 += if ok { 1.0 } else { 0.0 };
        if !ok {
            misses.push((queries.get(i).cloned().unwrap_or_default(), ex.route, predicted));
        }
    }
    let n = examples.len();
    let f1: f32 = (0..3)
        .map(|r| {
            let tp = confusion[r][r] as f32;
            let fp: f32 = (0..3).filter(|&o| o != r).map(|o| confusion[o][r] as f32).sum();
            let fneg: f32 = (0..3).filter(|&o| o != r).map(|o| confusion[r][o] as f32).sum();
            let p = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
            let rc = if tp + fneg > 0.0 { tp / (tp + fneg) } else { 0.0 };
            if p + rc > 0.0 { 2.0 * p * rc / (p + rc) } else { 0.0 }
        })
        .sum::<f32>()
        / 3.0;
    let ece = bins.iter().filter(|b| b.0 > 0).map(|b| (b.1 - b.2).abs()).sum::<f32>() / n.max(1) as f32;
    EvalReport { n, accuracy: good as f32 / n.max(1) as f32, macro_f1: f1, confusion, ece, misses }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(hot: usize, route: Route) -> Example {
        let mut x = [0f32; N_FEATURES];
        x[0] = 1.0;
        x[hot] = 1.0;
        Example { x, route, also: vec![] }
    }

    #[test]
    fn fit_separates_separable_data() {
        let mut data = Vec::new();
        for _ in 0..10 {
            data.push(example(5, Route::Graph));
            data.push(example(8, Route::Vector));
            data.push(example(7, Route::Web));
        }
        let w = fit(&data, &PolicyWeights::shipped(), &FitOptions::default(), "test".into());
        let report = evaluate(&w, &data, &[]);
        assert_eq!(report.accuracy, 1.0);
        assert!((report.macro_f1 - 1.0).abs() < 1e-6);
        assert_eq!(report.confusion[1][1], 10);
        assert!(report.ece < 0.2);
    }
}
