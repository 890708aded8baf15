//! Building a graph and asking it relational questions: entities with types, typed and
//! directed relations, then questions in words. The router links the names it finds to
//! entities, reads which relation the question asks about, and the graph route answers with
//! the entities at the other end and the facts that support them.
//!
//! ```sh
//! cargo run --example relational_questions
//! cargo run --example relational_questions -- "who directed Spirited Away"
//! ```
//!
//! Look at: the plan's reasons (the entity linked, the relation cue and its direction), each
//! answer's `facts`, and the graph API underneath (`neighbors`, `path`) for when you know
//! the ids already.

use std::sync::Arc;

use anyhow::Result;
use braid_graph::{Direction, NeighborQuery};
use braid_kb::records::{Entity, Relation};
use braid_kb::{KnowledgeBase, Options};
use braid_router::QueryRequest;
use braid_vector::HashingEmbedder;

fn main() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let kb = KnowledgeBase::open(Options::new(dir.path(), Arc::new(HashingEmbedder::default())))?;

    let film = |id: &str, name: &str| Entity::new(format!("film:{id}"), name, "film");
    let person = |id: &str, name: &str| Entity::new(format!("person:{id}"), name, "person");
    kb.put_entities(vec![
        film("spirited-away", "Spirited Away"),
        film("totoro", "My Neighbor Totoro"),
        film("grave-fireflies", "Grave of the Fireflies"),
        film("ghost-shell", "Ghost in the Shell"),
        person("miyazaki", "Hayao Miyazaki"),
        person("takahata", "Isao Takahata"),
        person("oshii", "Mamoru Oshii"),
        person("hisaishi", "Joe Hisaishi"),
        Entity::new("studio:ghibli", "Studio Ghibli", "studio"),
        Entity::new("studio:ig", "Production I.G", "studio"),
    ])?;
    let r = |s: &str, rel: &str, t: &str| Relation::new(s, rel, t);
    kb.put_relations(vec![
        r("film:spirited-away", "directed_by", "person:miyazaki"),
        r("film:totoro", "directed_by", "person:miyazaki"),
        r("film:grave-fireflies", "directed_by", "person:takahata"),
        r("film:ghost-shell", "directed_by", "person:oshii"),
        r("film:spirited-away", "scored_by", "person:hisaishi"),
        r("film:totoro", "scored_by", "person:hisaishi"),
        r("film:spirited-away", "produced_by", "studio:ghibli"),
        r("film:totoro", "produced_by", "studio:ghibli"),
        r("film:grave-fireflies", "produced_by", "studio:ghibli"),
        r("film:ghost-shell", "produced_by", "studio:ig"),
    ])?;

    let questions: Vec<String> = match std::env::args().nth(1) {
        Some(q) => vec![q],
        None => vec![
            "Who directed Spirited Away?".into(),
            "Which films did Hayao Miyazaki direct?".into(),
            "films produced by Studio Ghibli".into(),
            "How are Joe Hisaishi and Isao Takahata connected?".into(),
        ],
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    for question in questions {
        let mut request = QueryRequest::new(question.clone());
        request.k = 3;
        let answer = runtime.block_on(kb.query(&request))?;
        let graph = answer.plan.routes.iter().find(|d| d.route.as_str() == "graph");
        println!(
            "\n{question}\n  plan: primary {:?}; {}",
            answer.plan.primary,
            graph.map(|d| d.reasons.join("; ")).unwrap_or_default()
        );
        for hit in &answer.results {
            println!("  - {} [{}] {}", hit.title, hit.id, hit.facts.first().map(String::as_str).unwrap_or(""));
        }
    }

    // The graph API, for when the ids are known.
    let into_miyazaki =
        NeighborQuery { relation: Some("directed_by".into()), direction: Direction::In, ..NeighborQuery::default() };
    let films = kb.neighbors("person:miyazaki", &into_miyazaki)?;
    println!(
        "\nneighbors(person:miyazaki, directed_by, in): {:?}",
        films.entities.iter().map(|e| &e.name).collect::<Vec<_>>()
    );
    if let Some(path) = kb.path("person:hisaishi", "person:takahata", None)? {
        println!("path: {}", path.iter().map(|f| f.text()).collect::<Vec<_>>().join(" · "));
    }
    Ok(())
}
