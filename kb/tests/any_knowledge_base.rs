//! A knowledge base of a domain the code has never seen (films, people, studios, written for
//! this test): relational questions are understood from the graph's own schema, in both
//! directions, restricted to the type asked for, with many answers cut to the most connected
//! and counted; schema records add words and are refused when wrong; an empty graph still
//! routes; `fit --auto` keeps weights fitted to the knowledge base.

use std::sync::Arc;

use braid_kb::fit::auto::{AutoOptions, synthesize};
use braid_kb::fit::{FittedRouter, featurize, save_fitted};
use braid_kb::ingest::{NoProgress, ingest_paths};
use braid_kb::records::{Entity, Relation};
use braid_kb::{BraidError, KnowledgeBase, Options};
use braid_router::train::{FitOptions, fit};
use braid_router::{PolicyWeights, QueryRequest, Route};

fn open(dir: &std::path::Path) -> Result<KnowledgeBase, BraidError> {
    let mut options = Options::new(dir, Arc::new(braid_vector::HashingEmbedder::new(64)));
    options.checkpoints = None;
    KnowledgeBase::open(options)
}

/// Films with directors, composers and studios; one prolific director.
fn films(kb: &KnowledgeBase) -> Result<(), BraidError> {
    let mut entities = vec![
        Entity::new("person:ozu", "Yasujiro Ozu", "person"),
        Entity::new("person:naruse", "Mikio Naruse", "person"),
        Entity::new("person:saito", "Kojun Saito", "person"),
        Entity::new("studio:shochiku", "Shochiku", "studio"),
        Entity::new("studio:toho", "Toho", "studio"),
    ];
    let mut relations = Vec::new();
    for i in 0..40 {
        let id = format!("film:ozu-{i}");
        entities.push(Entity::new(&id, format!("Ozu Picture Number {i}"), "film"));
        relations.push(Relation::new(&id, "directed_by", "person:ozu"));
        relations.push(Relation::new(&id, "produced_by", "studio:shochiku"));
    }
    entities.push(Entity::new("film:floating-clouds", "Floating Clouds", "film"));
    entities.push(Entity::new("film:tokyo-story", "Tokyo Story", "film"));
    relations.extend([
        Relation::new("film:floating-clouds", "directed_by", "person:naruse"),
        Relation::new("film:floating-clouds", "produced_by", "studio:toho"),
        Relation::new("film:tokyo-story", "directed_by", "person:ozu"),
        Relation::new("film:tokyo-story", "scored_by", "person:saito"),
        Relation::new("film:tokyo-story", "produced_by", "studio:shochiku"),
    ]);
    // The prolific one is also the most connected Ozu film.
    relations.push(Relation::new("film:ozu-7", "scored_by", "person:saito"));
    kb.put_entities(entities)?;
    kb.put_relations(relations)?;
    Ok(())
}

fn query(kb: &KnowledgeBase, text: &str) -> Result<braid_router::QueryResponse, BraidError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| BraidError::Internal(e.to_string()))?;
    let mut request = QueryRequest::new(text);
    request.routes = Some(vec![Route::Graph]);
    request.explain = true;
    runtime.block_on(kb.query(&request))
}

#[test]
fn relational_questions_follow_the_graph_s_own_relations_both_ways() -> Result<(), BraidError> {
    let dir = tempfile::tempdir().map_err(|e| BraidError::Internal(e.to_string()))?;
    let kb = open(dir.path())?;
    films(&kb)?;

    // Forward: from the film to its director.
    let answer = query(&kb, "who directed Floating Clouds?")?;
    assert_eq!(answer.results[0].id, "person:naruse", "{:?}", answer.results.iter().map(|h| &h.id).collect::<Vec<_>>());
    // Agent noun, possessive.
    assert_eq!(query(&kb, "Tokyo Story's director")?.results[0].id, "person:ozu");
    // Reverse, with a type named: films, not the director himself or his studio.
    let answer = query(&kb, "which films did Mikio Naruse direct")?;
    assert_eq!(answer.results[0].id, "film:floating-clouds");
    let answer = query(&kb, "films directed by Mikio Naruse")?;
    assert_eq!(answer.results[0].id, "film:floating-clouds");
    // The relation implied by a type and an entity, with no relation word.
    assert_eq!(query(&kb, "Shochiku films")?.results[0].kind, braid_router::HitKind::Entity);

    // Many answers: the most connected first, and the total.
    let answer = query(&kb, "which films were directed by Yasujiro Ozu")?;
    let graph = answer.sources.iter().find(|s| s.route == Route::Graph).expect("graph ran");
    assert_eq!(graph.total, Some(41), "{graph:?}");
    assert!(
        answer.results[0].id == "film:tokyo-story" || answer.results[0].id == "film:ozu-7",
        "{:?}",
        answer.results[0]
    );
    Ok(())
}

#[test]
fn schema_records_add_words_and_bad_ones_are_refused_with_line_and_field() -> Result<(), BraidError> {
    let dir = tempfile::tempdir().map_err(|e| BraidError::Internal(e.to_string()))?;
    let kb = open(&dir.path().join("data"))?;
    films(&kb)?;
    // No word of the relation's name: not understood...
    let before = query(&kb, "who was behind the camera for Floating Clouds")?;
    assert!(before.plan.routes.iter().all(|d| !d.reasons.iter().any(|r| r.contains("directed_by"))));

    let file = dir.path().join("schema.jsonl");
    let lines = [
        r#"{"relation_type": "directed_by", "label": "directed by", "inverse": "directed", "aliases": ["behind the camera for", "filmmaker"]}"#,
        r#"{"relation_type": "written_by", "label": "written by"}"#,
        r#"{"relation_type": "scored_by", "aliases": ["   "]}"#,
        r#"{"entity_type": "film", "plural": "films", "aliases": ["movie", "movies", "picture"]}"#,
        r#"{"entity_type": "film", "label": "film", "colour": "red"}"#,
    ];
    std::fs::write(&file, lines.join("\n")).map_err(|e| BraidError::Internal(e.to_string()))?;
    let report = ingest_paths(&kb, std::slice::from_ref(&file), &NoProgress)?;
    assert_eq!(report.schema, 2, "{report:?}");
    let name = file.display().to_string();
    let rejected = |line: usize, needle: &str| {
        report.rejected.iter().any(|r| r.starts_with(&format!("{name}:{line}: ")) && r.contains(needle))
    };
    assert!(rejected(2, "relation_type: unknown relation type 'written_by'"), "{:?}", report.rejected);
    assert!(rejected(3, "aliases[0]"), "{:?}", report.rejected);
    assert!(rejected(5, "colour"), "{:?}", report.rejected);
    // ...and now it is, and kept across a restart.
    let after = query(&kb, "who was behind the camera for Floating Clouds")?;
    assert_eq!(after.results[0].id, "person:naruse");
    drop(kb);
    let kb = open(&dir.path().join("data"))?;
    assert!(kb.schema().relation("directed_by").is_some_and(|r| r.aliases.contains(&"filmmaker".to_string())));
    assert_eq!(query(&kb, "movies by Mikio Naruse")?.results[0].id, "film:floating-clouds");
    // The same type twice in one write is refused, naming it.
    let twice = kb.put_schema(vec![
        braid_kb::records::SchemaRecord::EntityType(braid_kb::records::EntityTypeRecord {
            entity_type: "film".into(),
            label: None,
            plural: None,
            aliases: vec![],
        });
        2
    ]);
    assert!(
        matches!(twice, Err(BraidError::Invalid { ref field, .. }) if field == "items[1].entity_type"),
        "{twice:?}"
    );
    Ok(())
}

#[test]
fn an_empty_graph_still_routes_and_says_why_the_graph_cannot() -> Result<(), BraidError> {
    let dir = tempfile::tempdir().map_err(|e| BraidError::Internal(e.to_string()))?;
    let kb = open(dir.path())?;
    let plan = kb.plan("who directed Floating Clouds")?;
    let graph = plan.routes.iter().find(|d| d.route == Route::Graph).expect("graph decision");
    assert!(!graph.available && !graph.selected);
    assert!(graph.reasons.iter().any(|r| r.contains("the graph is empty")), "{:?}", graph.reasons);
    assert!(plan.primary.is_some_and(|r| r != Route::Graph));
    let status = kb.status()?;
    assert!(
        status
            .routes
            .iter()
            .any(|r| r.route == Route::Graph && r.reason.as_deref().is_some_and(|w| w.contains("empty")))
    );
    Ok(())
}

#[test]
fn weights_fitted_to_a_knowledge_base_are_kept_in_its_data_directory() -> Result<(), BraidError> {
    let dir = tempfile::tempdir().map_err(|e| BraidError::Internal(e.to_string()))?;
    let kb = open(dir.path())?;
    films(&kb)?;
    assert_eq!(kb.status()?.router.weights, "shipped");
    let queries = synthesize(&kb, &AutoOptions { graph: 60, vector: 0, web: 20, seed: 3 })?;
    assert!(queries.iter().any(|q| q.route == Route::Graph) && queries.iter().any(|q| q.route == Route::Web));
    assert!(
        queries
            .iter()
            .filter(|q| q.route == Route::Graph)
            .all(|q| !q.gold.is_empty() || q.class.as_deref() == Some("auto:path"))
    );
    // Same data, same seed: the same queries.
    assert_eq!(queries, synthesize(&kb, &AutoOptions { graph: 60, vector: 0, web: 20, seed: 3 })?);
    let examples = featurize(&kb, &queries);
    let shipped = PolicyWeights::shipped();
    let options = FitOptions { prior: Some(shipped.clone()), ..FitOptions::default() };
    let weights = fit(&examples, &shipped, &options, "fitted on the films".into());
    let exemplars = queries.iter().map(|q| (q.query.clone(), q.route)).collect();
    save_fitted(dir.path(), &FittedRouter { weights: weights.clone(), exemplars })?;
    drop(kb);
    let kb = open(dir.path())?;
    let status = kb.status()?.router;
    assert_eq!((status.weights.as_str(), status.fitted_on.as_str()), ("fitted", weights.provenance.as_str()));
    assert!(status.exemplars[2] >= 1, "{status:?}");
    Ok(())
}
