//! Library-side latency of `Braid::query` (issue 9): the same request bodies that
//! `bench/e2e.sh` posts to `POST /v1/query`, answered through the library without HTTP, so
//! that the HTTP overhead ratio (HTTP p50 at concurrency 1 / library p50) can be reported.
//!
//! ```text
//! overhead-bench --data DIR --bodies bench/e2e/bodies.jsonl [--iters 300] [--warmup 30] [--json OUT]
//! ```
//!
//! `bodies.jsonl` holds `{"name": "graph", "body": {...}}` lines; each body is parsed and
//! validated exactly as the server does (`QueryRequest` + `validate`). The classes are
//! interleaved round-robin so that machine noise hits them alike. Two columns are timed:
//! `query` (the `Braid::query` future alone) and `query + JSON` (also serialising the answer
//! to bytes, which the HTTP handler has to do as well). The embedder follows
//! `BRAID_EMBEDDER` as the server does. Stop the server first: the data directory is
//! opened exclusively.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use braid_bench::flags::Flags;
use braid_bench::{Stats, Table, fmt_us, open_kb, read_jsonl};
use braid_router::QueryRequest;
use serde::Deserialize;

#[derive(Deserialize)]
struct Body {
    name: String,
    body: serde_json::Value,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("overhead-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut flags =
        Flags::from_env("usage: overhead-bench --data DIR [--bodies FILE] [--iters N] [--warmup N] [--json OUT]");
    let data: PathBuf = flags.get("--data", PathBuf::new())?;
    let bodies_path: PathBuf = flags.get("--bodies", PathBuf::from("bench/e2e/bodies.jsonl"))?;
    let iters: usize = flags.get("--iters", 300)?;
    let warmup: usize = flags.get("--warmup", 30)?;
    let json_out: Option<PathBuf> = flags.value("--json")?;
    flags.done()?;
    if data.as_os_str().is_empty() {
        return Err("--data DIR is required".into());
    }
    let bodies: Vec<Body> = read_jsonl(&bodies_path)?;
    let mut requests = Vec::new();
    for b in &bodies {
        let req: QueryRequest = serde_json::from_value(b.body.clone()).map_err(|e| format!("{}: {e}", b.name))?;
        req.validate().map_err(|e| format!("{}: {e}", b.name))?;
        requests.push((b.name.clone(), req));
    }

    let braid = open_kb(&data)?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;

    // What each class routes to, once.
    let mut routing = Table::new(["class", "query", "primary", "selected routes", "results"]);
    for (name, req) in &requests {
        let answer = rt.block_on(braid.query(req)).map_err(|e| format!("{name}: {e}"))?;
        let selected: Vec<String> =
            answer.plan.routes.iter().filter(|r| r.selected).map(|r| format!("{:?}", r.route).to_lowercase()).collect();
        routing.row([
            name.clone(),
            req.query.clone(),
            answer.plan.primary.map(|r| format!("{r:?}").to_lowercase()).unwrap_or_else(|| "-".into()),
            selected.join("+"),
            answer.results.len().to_string(),
        ]);
    }

    for _ in 0..warmup {
        for (_, req) in &requests {
            let _ = rt.block_on(braid.query(req));
        }
    }
    let mut query_us = vec![Vec::with_capacity(iters); requests.len()];
    let mut json_us = vec![Vec::with_capacity(iters); requests.len()];
    let mut bytes = 0usize;
    for _ in 0..iters {
        for (i, (_, req)) in requests.iter().enumerate() {
            let start = Instant::now();
            let answer = rt.block_on(braid.query(req)).map_err(|e| e.to_string())?;
            let queried = start.elapsed();
            let body = serde_json::to_vec(&answer).map_err(|e| e.to_string())?;
            let total = start.elapsed();
            bytes += body.len();
            query_us[i].push(queried.as_secs_f64() * 1e6);
            json_us[i].push(total.as_secs_f64() * 1e6);
        }
    }

    let mut table = Table::new(["class", "n", "query p50", "query p99", "query + JSON p50", "query + JSON p99"]);
    let mut summary = serde_json::Map::new();
    for (i, (name, _)) in requests.iter().enumerate() {
        let q = Stats::from_samples(&query_us[i]);
        let j = Stats::from_samples(&json_us[i]);
        table.row([name.clone(), q.n.to_string(), fmt_us(q.p50), fmt_us(q.p99), fmt_us(j.p50), fmt_us(j.p99)]);
        summary.insert(
            name.clone(),
            serde_json::json!({"n": q.n, "p50_us": q.p50, "p99_us": q.p99, "mean_us": q.mean,
                               "json_p50_us": j.p50, "json_p99_us": j.p99}),
        );
    }
    println!("Routing of the benchmark queries (embedder `{}`):\n", braid.embedder().name());
    print!("{}", routing.to_markdown());
    println!(
        "\nLibrary latency, `Braid::query` on one thread of a multi-thread runtime, {iters} rounds after {warmup} warm-up rounds ({} bytes of JSON per answer on average):\n",
        bytes / (iters * requests.len()).max(1)
    );
    print!("{}", table.to_markdown());
    if let Some(out) = json_out {
        std::fs::write(&out, serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?)
            .map_err(|e| format!("{}: {e}", out.display()))?;
    }
    Ok(())
}
