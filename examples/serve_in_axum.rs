//! Serving Braid inside your own axum application: `braid::server::app` is a plain
//! `axum::Router` (REST, MCP at `/mcp`, the playground, OpenAPI), so it nests under a prefix
//! of your app next to your own routes, behind your own layers.
//!
//! ```sh
//! cargo run --example serve_in_axum            # serves on 127.0.0.1:7879 until Ctrl-C
//! cargo run --example serve_in_axum -- --once  # serves, asks itself one question, stops
//! ```
//!
//! Look at: `braid::config::access` (keys and limits from `BRAID_API_KEY`, … as `braid
//! serve` reads them), `Router::nest`, and that the knowledge base is an `Arc` your own
//! handlers can share.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::Router;
use axum::routing::get;
use braid_kb::records::{Entity, Relation};
use braid_kb::{KnowledgeBase, Options};
use braid_vector::HashingEmbedder;

#[tokio::main]
async fn main() -> Result<()> {
    let once = std::env::args().any(|a| a == "--once");
    let dir = tempfile::tempdir()?;
    let kb = Arc::new(KnowledgeBase::open(Options::new(dir.path(), Arc::new(HashingEmbedder::default())))?);
    kb.put_entities(vec![
        Entity::new("lake:titicaca", "Lake Titicaca", "lake"),
        Entity::new("country:per", "Peru", "country"),
        Entity::new("country:bol", "Bolivia", "country"),
    ])?;
    kb.put_relations(vec![
        Relation::new("lake:titicaca", "shared_by", "country:per"),
        Relation::new("lake:titicaca", "shared_by", "country:bol"),
    ])?;

    let access = braid::config::access(&braid::config::ConfigFile::default())?;
    let braid_app = braid::server::app(kb.clone(), Arc::new(access));
    let count = kb.clone();
    let app = Router::new()
        .route("/", get(|| async { "my application; Braid lives under /braid" }))
        .route(
            "/entities-count",
            get(move || async move { format!("{}", count.status().map(|s| s.counts.entities).unwrap_or(0)) }),
        )
        .nest("/braid", braid_app);

    let addr: SocketAddr = if once { "127.0.0.1:0" } else { "127.0.0.1:7879" }.parse()?;
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    let addr = listener.local_addr()?;
    println!("serving on http://{addr} (Braid's API at http://{addr}/braid/v1/...)");
    let server =
        tokio::spawn(
            async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await },
        );
    if !once {
        return Ok(server.await??);
    }
    // Ask our own server over HTTP, as curl would.
    let body = serde_json::json!({"query": "Which countries share Lake Titicaca?", "k": 3}).to_string();
    let answer = http(addr, "POST", "/braid/v1/query", &body).await?;
    let answer: serde_json::Value = serde_json::from_str(&answer).context("the answer is JSON")?;
    for hit in answer["results"].as_array().into_iter().flatten() {
        println!("{} [{}] {}", hit["title"], hit["id"], hit["facts"][0]);
    }
    println!("entities (from my own route): {}", http(addr, "GET", "/entities-count", "").await?);
    server.abort();
    Ok(())
}

/// One HTTP/1.1 request; the body of the answer.
async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let (_, body) = response.split_once("\r\n\r\n").context("an HTTP answer")?;
    Ok(body.to_string())
}
