//! Adding your own source to the router: anything that can rank hits for a query implements
//! `braid_router::Source` for one route, and `Options::sources` puts it in place of the
//! built-in source of that route. Here a company's internal pages, searched by word overlap,
//! answer the web route, so questions about fresh news are answered from the intranet.
//!
//! ```sh
//! cargo run --example custom_source -- "latest news about the office move"
//! ```
//!
//! Look at: `route()` (which route the source serves), `availability()` (say why it cannot
//! run, and the router routes around it), `search()` (ranked hits, best first, under the
//! route's deadline), and the plan, which now finds the web route available.

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::Result;
use async_trait::async_trait;
use braid_kb::{KnowledgeBase, Options};
use braid_router::{Hit, HitKind, Modality, QueryRequest, Route, Source, SourceError, SourceRequest};
use braid_vector::HashingEmbedder;

/// Pages of an intranet, searched by how many of the query's words they share.
struct IntranetSource {
    pages: Vec<(&'static str, &'static str, &'static str)>,
}

fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 3).map(str::to_lowercase).collect()
}

#[async_trait]
impl Source for IntranetSource {
    fn route(&self) -> Route {
        Route::Web
    }

    fn availability(&self) -> Result<(), String> {
        if self.pages.is_empty() { Err("the intranet index is empty".into()) } else { Ok(()) }
    }

    async fn search(&self, request: &SourceRequest) -> Result<Vec<Hit>, SourceError> {
        let query = words(&request.query);
        let mut hits: Vec<Hit> = self
            .pages
            .iter()
            .filter_map(|(url, title, text)| {
                let shared = words(&format!("{title} {text}")).intersection(&query).count();
                (shared > 0).then(|| Hit {
                    id: url.to_string(),
                    kind: HitKind::Web,
                    modality: Modality::Text,
                    title: title.to_string(),
                    snippet: text.to_string(),
                    uri: Some(url.to_string()),
                    thumbnail: None,
                    score: shared as f32 / query.len().max(1) as f32,
                    facts: vec![],
                })
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits.truncate(request.k);
        Ok(hits)
    }
}

fn main() -> Result<()> {
    let question = std::env::args().nth(1).unwrap_or_else(|| "latest news about the office move".into());
    let intranet = IntranetSource {
        pages: vec![
            (
                "https://intra.example/news/office-move",
                "Office move this week",
                "The team moves to the new office on Friday; desks are labelled.",
            ),
            (
                "https://intra.example/news/canteen",
                "Canteen menu",
                "This week's menu: soup, curry and a vegetarian lasagne.",
            ),
            (
                "https://intra.example/hr/holidays",
                "Holiday policy",
                "Request holidays two weeks ahead in the HR portal.",
            ),
        ],
    };
    let dir = tempfile::tempdir()?;
    let mut options = Options::new(dir.path(), Arc::new(HashingEmbedder::default()));
    options.sources.push(Arc::new(intranet));
    let kb = KnowledgeBase::open(options)?;

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let answer = runtime.block_on(kb.query(&QueryRequest::new(question.clone())))?;
    println!("{question}\nprimary route: {:?}", answer.plan.primary);
    for d in &answer.plan.routes {
        println!("  {:<6} p={:.2} selected={} — {}", d.route.as_str(), d.score, d.selected, d.reasons.join("; "));
    }
    for (i, hit) in answer.results.iter().enumerate() {
        println!("{:>2}. {} <{}>", i + 1, hit.title, hit.uri.as_deref().unwrap_or(""));
    }
    Ok(())
}
