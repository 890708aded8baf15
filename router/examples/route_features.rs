//! Prints the policy features and plan of labelled queries, for working on the lexicons:
//! `cargo run -p braid-router --example route_features -- FILE.jsonl [--misses]`, or
//! cross-validates a fit on the training set (so the held-out set is not needed to iterate):
//! `cargo run -p braid-router --example route_features -- --cv 5 TRAIN.jsonl`, or evaluates
//! the weights (shipped, or `BRAID_ROUTER_WEIGHTS`) like `braid router eval` without
//! building the whole server: `... -- --eval FILE.jsonl`.

#[path = "common/atlas_linker.rs"]
mod atlas_linker;

use braid_router::policy::{FEATURE_NAMES, feature_vector};
use braid_router::train::LabelledQuery;
use std::sync::Arc;

use braid_router::{Availability, Exemplars, Introspector, QueryEmbedder, RoutePolicy};
use braid_vector::Embedder;

/// Introspection as `braid` runs it by default: exemplar similarity with the hashing embedder.
/// (In `--cv`, a held-out fold's queries are exemplars too, each compared leaving itself out.)
fn introspector() -> Introspector {
    struct Hashing(braid_vector::HashingEmbedder);
    impl QueryEmbedder for Hashing {
        fn embed(&self, text: &str) -> Option<Vec<f32>> {
            self.0.embed_text(text).ok()
        }
    }
    let embedder = Hashing(braid_vector::HashingEmbedder::new(braid_vector::DEFAULT_HASHING_DIMENSION));
    Introspector::new().with_exemplars(Arc::new(Exemplars::shipped(Arc::new(embedder))))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--eval") {
        evaluate_file(args.get(1).expect("--eval FILE"));
        return;
    }
    if args.first().map(String::as_str) == Some("--cv") {
        let folds: usize = args.get(1).and_then(|a| a.parse().ok()).expect("--cv FOLDS FILE");
        cross_validate(folds, args.get(2).expect("--cv FOLDS FILE"));
        return;
    }
    let mut args = args.into_iter();
    let path = args.next().expect("usage: route_features FILE.jsonl [--misses]");
    let only_misses = args.any(|a| a == "--misses");
    let linker = atlas_linker::AtlasLinker::load(&atlas_linker::atlas_dir());
    let policy = policy_from_env();
    let introspector = introspector();
    let text = std::fs::read_to_string(&path).expect("labelled file");
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let q: LabelledQuery = serde_json::from_str(line).expect("labelled query");
        let f = introspector.introspect(&q.query, &linker, false);
        let plan = policy.plan(&f, &Availability::all(), None);
        let Some(primary) = plan.primary else { continue };
        let ok = primary == q.route || q.also.contains(&primary);
        if only_misses && ok {
            continue;
        }
        let x = feature_vector(&f);
        let active: Vec<String> = FEATURE_NAMES
            .iter()
            .zip(x)
            .skip(1)
            .filter(|(_, v)| *v != 0.0)
            .map(|(n, v)| format!("{n}={v:.2}"))
            .collect();
        let links: Vec<String> =
            f.entities.iter().map(|e| format!("{}→{}({:.2})", e.mention, e.id, e.confidence)).collect();
        println!(
            "{} {:>6}→{:<6} {:.2} | {} | {} | {}",
            if ok { " " } else { "✗" },
            q.route.as_str(),
            primary.as_str(),
            plan.routes[0].score,
            q.query,
            links.join(" "),
            active.join(" ")
        );
    }
}

/// K-fold cross-validation of `fit` on `path`: pooled accuracy, macro-F1, ECE and misses.
fn cross_validate(folds: usize, path: &str) {
    use braid_router::train::{Example, FitOptions, evaluate, fit};
    let linker = atlas_linker::AtlasLinker::load(&atlas_linker::atlas_dir());
    let introspector = introspector();
    let text = std::fs::read_to_string(path).expect("labelled file");
    let labelled: Vec<LabelledQuery> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("labelled query"))
        .collect();
    let examples: Vec<Example> = labelled
        .iter()
        .map(|q| Example {
            x: feature_vector(&introspector.introspect(&q.query, &linker, false)),
            route: q.route,
            also: q.also.clone(),
        })
        .collect();
    let base = RoutePolicy::default().weights().clone();
    let mut held_x = Vec::new();
    let mut held_q = Vec::new();
    let mut fold_weights = Vec::new();
    for fold in 0..folds {
        // Folds interleave (every k-th query) so each has every route; the fit's own
        // validation split is carved from the remaining folds.
        let train: Vec<Example> =
            examples.iter().enumerate().filter(|(i, _)| i % folds != fold).map(|(_, e)| e.clone()).collect();
        let w = fit(&train, &base, &FitOptions::default(), String::new());
        for (i, e) in examples.iter().enumerate().filter(|(i, _)| i % folds == fold) {
            held_x.push((fold_weights.len(), e.clone()));
            held_q.push(labelled[i].query.clone());
        }
        println!("fold {fold}: {}", w.provenance);
        fold_weights.push(w);
    }
    // Score each held-out query with its fold's model, by evaluating fold by fold and pooling.
    let mut good = 0.0;
    let mut n = 0.0;
    let mut confusion = [[0usize; 3]; 3];
    let mut ece_sum = 0.0;
    for (k, w) in fold_weights.iter().enumerate() {
        let (xs, qs): (Vec<Example>, Vec<String>) =
            held_x.iter().zip(&held_q).filter(|((f, _), _)| *f == k).map(|((_, e), q)| (e.clone(), q.clone())).unzip();
        let r = evaluate(w, &xs, &qs);
        good += r.accuracy * r.n as f32;
        n += r.n as f32;
        ece_sum += r.ece * r.n as f32;
        for (total, fold) in confusion.iter_mut().flatten().zip(r.confusion.iter().flatten()) {
            *total += fold;
        }
        for (q, label, got) in r.misses {
            println!("miss: {label} → {got}: {q}");
        }
    }
    println!("confusion (label rows, graph/vector/web): {confusion:?}");
    println!("cv accuracy {:.3}  mean fold ECE {:.3}  n={n}", good / n, ece_sum / n);
}

fn load_labelled(path: &str) -> Vec<LabelledQuery> {
    let text = std::fs::read_to_string(path).expect("labelled file");
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("labelled query")).collect()
}

/// Accuracy, macro-F1, ECE and confusion of the policy's weights on `path`.
fn evaluate_file(path: &str) {
    use braid_router::train::{Example, evaluate};
    let linker = atlas_linker::AtlasLinker::load(&atlas_linker::atlas_dir());
    let introspector = introspector();
    let policy = policy_from_env();
    let labelled = load_labelled(path);
    let examples: Vec<Example> = labelled
        .iter()
        .map(|q| Example {
            x: feature_vector(&introspector.introspect(&q.query, &linker, false)),
            route: q.route,
            also: q.also.clone(),
        })
        .collect();
    let queries: Vec<String> = labelled.iter().map(|q| q.query.clone()).collect();
    let r = evaluate(policy.weights(), &examples, &queries);
    for (q, label, got) in &r.misses {
        println!("miss: {label} → {got}: {q}");
    }
    println!("confusion (label rows; graph/vector/web columns): {:?}", r.confusion);
    println!("accuracy {:.3} macroF1 {:.3} ECE {:.3} n={}", r.accuracy, r.macro_f1, r.ece, r.n);
}

fn policy_from_env() -> RoutePolicy {
    match std::env::var("BRAID_ROUTER_WEIGHTS") {
        Ok(p) => RoutePolicy::new(
            braid_router::PolicyWeights::from_json(&std::fs::read_to_string(p).expect("weights file"))
                .expect("weights"),
        ),
        Err(_) => RoutePolicy::default(),
    }
}
