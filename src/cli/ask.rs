//! `braid query` and `braid route`: one question from the command line.

use anyhow::Result;
use braid::config::ConfigFile;
use braid_router::{QueryRequest, Route};

use super::{DataArg, Lifetime, open, runtime};

/// `braid query`: the fused answer, with the plan and each source's report, or as JSON.
pub fn query(data: &DataArg, k: usize, routes: Vec<Route>, explain: bool, json: bool, text: &[String]) -> Result<()> {
    let cfg = ConfigFile::load(data.config.as_deref())?;
    let kb = open(&data.data, &cfg, Lifetime::OneShot)?;
    let mut req = QueryRequest::new(text.join(" "));
    req.k = k;
    req.explain = explain;
    req.routes = (!routes.is_empty()).then_some(routes);
    let answer = runtime()?.block_on(kb.query(&req))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(());
    }
    print_plan(&answer.plan);
    for s in &answer.sources {
        let err = s.error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default();
        println!("  {:<6} {:?} {} hits in {:.1} ms{err}", s.route.as_str(), s.status, s.hits, s.took_ms);
    }
    for (i, h) in answer.results.iter().enumerate() {
        let via: Vec<String> = h.sources.iter().map(|s| format!("{}#{}", s.route, s.rank)).collect();
        println!("{:>3}. {} [{}] {:?} ({})", i + 1, h.title, h.id, h.kind, via.join(", "));
        for f in h.facts.iter().take(3) {
            println!("       {f}");
        }
    }
    Ok(())
}

/// `braid route`: the routing plan only.
pub fn route(data: &DataArg, json: bool, text: &[String]) -> Result<()> {
    let cfg = ConfigFile::load(data.config.as_deref())?;
    let kb = open(&data.data, &cfg, Lifetime::OneShot)?;
    let plan = kb.plan(&text.join(" "))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "plan": plan }))?);
    } else {
        print_plan(&plan);
    }
    Ok(())
}

fn print_plan(plan: &braid_router::RoutePlan) {
    println!("primary: {}", plan.primary.map_or("none", |r| r.as_str()));
    for d in &plan.routes {
        let mark = if d.selected { "*" } else { " " };
        println!("{mark} {:<6} {:.3}  {}", d.route.as_str(), d.score, d.reasons.join("; "));
    }
}
