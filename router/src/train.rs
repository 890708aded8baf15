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
    /// Candidate L2 penalties on non-bias weights; the one with the lowest validation loss is used.
    pub l2: Vec<f32>,
    /// Gradient steps.
    pub iterations: usize,
    /// Step size.
    pub learning_rate: f32,
    /// Every `validation_every`-th example is held out to choose the L2 penalty and the
    /// softmax temperature (calibration); 0 fits on everything with the first penalty.
    pub validation_every: usize,
    /// Weights the fit starts from and is pulled back towards (the penalty is on the
    /// distance from them, not from zero): a few hundred queries of one knowledge base then
    /// adjust the shipped policy instead of replacing it.
    pub prior: Option<PolicyWeights>,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            l2: vec![0.0003, 0.001, 0.003, 0.01],
            iterations: 3000,
            learning_rate: 0.5,
            validation_every: 5,
            prior: None,
        }
    }
}

/// How [`fit`] chose its settings, for the provenance line and the report.
#[derive(Debug, Clone, PartialEq)]
pub struct FitSummary {
    /// The L2 penalty used.
    pub l2: f32,
    /// The softmax temperature folded into the weights (1 = none).
    pub temperature: f32,
    /// Mean negative log-likelihood on the validation split at that penalty and temperature.
    pub validation_loss: Option<f32>,
}

/// Trains policy weights on `examples`, keeping the thresholds of `base`.
///
/// With a validation split, the L2 penalty is chosen by validation loss, then a temperature
/// is fitted on the same split (temperature scaling, which reduces calibration error without
/// changing any decision), the model is refitted on all examples and the temperature folded
/// into its weights, so the shipped file stays a plain logistic model.
pub fn fit(examples: &[Example], base: &PolicyWeights, options: &FitOptions, provenance: String) -> PolicyWeights {
    fit_with_summary(examples, base, options, provenance).0
}

/// [`fit`], also saying which penalty and temperature it chose.
pub fn fit_with_summary(
    examples: &[Example],
    base: &PolicyWeights,
    options: &FitOptions,
    provenance: String,
) -> (PolicyWeights, FitSummary) {
    let first_l2 = options.l2.first().copied().unwrap_or(0.01);
    let k = options.validation_every;
    let (train, validation): (Vec<&Example>, Vec<&Example>) = if k >= 2 && examples.len() >= 2 * k {
        let (t, v): (Vec<_>, Vec<_>) = examples.iter().enumerate().partition(|(i, _)| i % k != k - 1);
        (t.into_iter().map(|(_, e)| e).collect(), v.into_iter().map(|(_, e)| e).collect())
    } else {
        (examples.iter().collect(), Vec::new())
    };

    let mut summary = FitSummary { l2: first_l2, temperature: 1.0, validation_loss: None };
    if !validation.is_empty() {
        let mut best: Option<(f32, f32, f32)> = None; // (loss, l2, temperature)
        for &l2 in &options.l2 {
            let w = gradient_descent(&train, l2, options);
            let (t, loss) = best_temperature(&w, &validation);
            if best.is_none_or(|(b, _, _)| loss < b) {
                best = Some((loss, l2, t));
            }
        }
        if let Some((loss, l2, t)) = best {
            summary = FitSummary { l2, temperature: t, validation_loss: Some(loss) };
        }
    }
    let all: Vec<&Example> = examples.iter().collect();
    let w = gradient_descent(&all, summary.l2, options);
    let scale = 1.0 / summary.temperature;
    let round = |row: [f32; N_FEATURES]| row.iter().map(|v| (v * scale * 1e4).round() / 1e4).collect::<Vec<_>>();
    let weights = PolicyWeights {
        features: FEATURE_NAMES.iter().map(|s| (*s).to_string()).collect(),
        graph: round(w[0]),
        vector: round(w[1]),
        web: round(w[2]),
        select_threshold: base.select_threshold,
        web_threshold: base.web_threshold,
        provenance: format!("{provenance}; L2 {}, temperature {:.2}", summary.l2, summary.temperature),
    };
    (weights, summary)
}

type Rows = [[f32; N_FEATURES]; 3];

fn logits(w: &Rows, x: &[f32; N_FEATURES]) -> [f32; 3] {
    [0, 1, 2].map(|r| w[r].iter().zip(x).map(|(a, b)| a * b).sum::<f32>())
}

/// Full-batch gradient descent on the L2-penalised softmax loss (the bias is not penalised).
fn gradient_descent(examples: &[&Example], l2: f32, options: &FitOptions) -> Rows {
    let prior: Rows = match &options.prior {
        Some(p) => [0, 1, 2].map(|r| {
            let mut row = [0f32; N_FEATURES];
            row.iter_mut().zip(p.row(Route::ALL[r])).for_each(|(a, b)| *a = *b);
            row
        }),
        None => [[0f32; N_FEATURES]; 3],
    };
    let mut w: Rows = prior;
    let n = examples.len().max(1) as f32;
    for _ in 0..options.iterations {
        let mut grad: Rows = [[0f32; N_FEATURES]; 3];
        for ex in examples {
            let p = softmax(logits(&w, &ex.x));
            for r in 0..3 {
                let err = p[r] - if r == ex.route.index() { 1.0 } else { 0.0 };
                for (g, x) in grad[r].iter_mut().zip(&ex.x) {
                    *g += err * x / n;
                }
            }
        }
        for r in 0..3 {
            for j in 0..N_FEATURES {
                let penalty = if j == 0 { 0.0 } else { l2 * (w[r][j] - prior[r][j]) };
                w[r][j] -= options.learning_rate * (grad[r][j] + penalty);
            }
        }
    }
    w
}

/// The temperature in [0.2, 4] (step 0.05) with the lowest mean negative log-likelihood on
/// `validation`, and that loss.
fn best_temperature(w: &Rows, validation: &[&Example]) -> (f32, f32) {
    let loss = |t: f32| {
        validation
            .iter()
            .map(|ex| {
                let p = softmax(logits(w, &ex.x).map(|l| l / t));
                -p[ex.route.index()].max(1e-7).ln()
            })
            .sum::<f32>()
            / validation.len().max(1) as f32
    };
    (4..=80)
        .map(|i| i as f32 * 0.05)
        .map(|t| (t, loss(t)))
        .fold((1.0, f32::INFINITY), |best, cur| if cur.1 < best.1 { cur } else { best })
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
