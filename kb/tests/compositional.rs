//! Compositional questions through the knowledge base (issue 23): a question compiled into a
//! graph plan gets a typed `answer` whose entities lead the results, with their facts; one
//! that cannot be compiled is answered as before, the reason in the graph route's reasons.

use std::sync::Arc;

use braid_kb::records::{Entity, Relation};
use braid_kb::{BraidError, KnowledgeBase, Options};
use braid_router::{AnswerKind, QueryRequest, QueryResponse, Route};

fn open(dir: &std::path::Path) -> Result<KnowledgeBase, BraidError> {
    let mut options = Options::new(dir, Arc::new(braid_vector::HashingEmbedder::new(64)));
    options.checkpoints = None;
    KnowledgeBase::open(options)
}

/// Films with directors, composers, studios and running times.
fn films(kb: &KnowledgeBase) -> Result<(), BraidError> {
    let film = |id: &str, name: &str, minutes: u32| {
        let mut e = Entity::new(id, name, "film");
        e.props.insert("length_minutes".into(), serde_json::json!(minutes));
        e
    };
    kb.put_entities(vec![
        Entity::new("person:ozu", "Yasujiro Ozu", "person"),
        Entity::new("person:naruse", "Mikio Naruse", "person"),
        Entity::new("person:saito", "Kojun Saito", "person"),
        Entity::new("studio:shochiku", "Shochiku", "studio"),
        Entity::new("studio:toho", "Toho", "studio"),
        film("film:tokyo-story", "Tokyo Story", 136),
        film("film:late-spring", "Late Spring", 108),
        film("film:early-summer", "Early Summer", 125),
        film("film:floating-clouds", "Floating Clouds", 123),
        // A word of a film's name is the name of something else too.
        Entity::new("season:spring", "Spring", "season"),
    ])?;
    kb.put_relations(vec![
        Relation::new("film:tokyo-story", "directed_by", "person:ozu"),
        Relation::new("film:late-spring", "directed_by", "person:ozu"),
        Relation::new("film:early-summer", "directed_by", "person:ozu"),
        Relation::new("film:floating-clouds", "directed_by", "person:naruse"),
        Relation::new("film:tokyo-story", "scored_by", "person:saito"),
        Relation::new("film:floating-clouds", "scored_by", "person:saito"),
        Relation::new("film:tokyo-story", "produced_by", "studio:shochiku"),
        Relation::new("film:late-spring", "produced_by", "studio:shochiku"),
        Relation::new("film:early-summer", "produced_by", "studio:shochiku"),
        Relation::new("film:floating-clouds", "produced_by", "studio:toho"),
    ])?;
    Ok(())
}

fn query(kb: &KnowledgeBase, text: &str) -> Result<QueryResponse, BraidError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| BraidError::Internal(e.to_string()))?;
    runtime.block_on(kb.query(&QueryRequest::new(text)))
}

fn graph_reasons(r: &QueryResponse) -> Vec<String> {
    r.plan.routes.iter().filter(|d| d.route == Route::Graph).flat_map(|d| d.reasons.clone()).collect()
}

#[test]
fn composed_answers_lead_and_carry_their_plan_and_facts() -> Result<(), BraidError> {
    let dir = tempfile::tempdir().map_err(|e| BraidError::Internal(e.to_string()))?;
    let kb = open(dir.path())?;
    films(&kb)?;

    // A chain: the studios of the films Kojun Saito scored.
    let r = query(&kb, "studios that produced the films scored by Kojun Saito")?;
    let answer = r.answer.clone().ok_or_else(|| BraidError::Internal(format!("no answer: {:?}", graph_reasons(&r))))?;
    assert_eq!(answer.kind, AnswerKind::Entities);
    let mut studios = answer.entities.clone();
    studios.sort();
    assert_eq!(studios, ["studio:shochiku", "studio:toho"]);
    assert_eq!(answer.plan, "scored_by⁻¹(Kojun Saito) → produced_by");
    assert!(answer.evidence.iter().any(|f| f.contains("Kojun Saito")), "{:?}", answer.evidence);
    // The answer entities lead the results, each with the facts that reach it.
    let lead: Vec<&str> = r.results.iter().take(2).map(|h| h.id.as_str()).collect();
    assert!(lead.iter().all(|id| studios.iter().any(|s| s == id)), "{lead:?}");
    assert_eq!(r.results[0].facts.len(), 2, "{:?}", r.results[0].facts);
    assert!(graph_reasons(&r).iter().any(|g| g.starts_with("compositional plan")));

    // A count, a ranking and a yes/no.
    let r = query(&kb, "how many films did Yasujiro Ozu direct")?;
    let answer = r.answer.ok_or_else(|| BraidError::Internal("no count".into()))?;
    assert_eq!((answer.kind, answer.count), (AnswerKind::Count, Some(3)));
    let r = query(&kb, "longest film directed by Yasujiro Ozu")?;
    assert_eq!(r.answer.map(|a| a.entities), Some(vec!["film:tokyo-story".to_string()]));
    assert_eq!(r.results[0].id, "film:tokyo-story");
    let r = query(&kb, "is Tokyo Story longer than Late Spring")?;
    assert_eq!(r.answer.and_then(|a| a.value), Some(serde_json::json!(true)));
    // "Spring" names a season, which nothing is produced by: the one film named "… Spring".
    let r = query(&kb, "how many studios produced the Spring")?;
    let answer = r.answer.clone().ok_or_else(|| BraidError::Internal(format!("no answer: {:?}", graph_reasons(&r))))?;
    assert_eq!((answer.plan.as_str(), answer.count), ("count(produced_by(Late Spring))", Some(1)));
    Ok(())
}

#[test]
fn what_a_plan_cannot_answer_falls_back_and_says_why() -> Result<(), BraidError> {
    let dir = tempfile::tempdir().map_err(|e| BraidError::Internal(e.to_string()))?;
    let kb = open(dir.path())?;
    films(&kb)?;
    // No property of films is a weight.
    let r = query(&kb, "heaviest film directed by Yasujiro Ozu")?;
    assert!(r.answer.is_none());
    assert!(
        graph_reasons(&r).iter().any(|g| g.contains("not answered by a graph plan") && g.contains("weight")),
        "{:?}",
        graph_reasons(&r)
    );
    // A plan that finds nothing.
    let r = query(&kb, "films directed by Mikio Naruse that are longer than 200 minutes")?;
    assert!(r.answer.is_none());
    assert!(graph_reasons(&r).iter().any(|g| g.contains("found nothing")), "{:?}", graph_reasons(&r));
    // A one-hop question is left to the graph route, as before.
    let r = query(&kb, "films directed by Yasujiro Ozu")?;
    assert!(r.answer.is_none());
    assert!(!r.results.is_empty());
    Ok(())
}

#[test]
fn pathological_questions_answer_within_the_caps() -> Result<(), BraidError> {
    let dir = tempfile::tempdir().map_err(|e| BraidError::Internal(e.to_string()))?;
    let kb = open(dir.path())?;
    films(&kb)?;
    // Fifty names: not read as a composition, answered as before, saying why.
    let names = ["Tokyo Story", "Late Spring", "Early Summer", "Floating Clouds", "Toho"].repeat(10).join(" and ");
    let started = std::time::Instant::now();
    let r = query(&kb, &format!("studios that produced {names}"))?;
    assert!(r.answer.is_none());
    assert!(graph_reasons(&r).iter().any(|g| g.contains("entities named")), "{:?}", graph_reasons(&r));
    // A chain nested sixty times deep (near the 4 KiB limit of a query) is cut to the hops a
    // plan follows.
    let deep = format!("{}Tokyo Story", "the studio of the films scored by the composer of ".repeat(60));
    let r = query(&kb, &deep)?;
    if let Some(a) = &r.answer {
        assert!(a.plan.matches('→').count() <= braid_compose::MAX_HOPS, "{}", a.plan);
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    Ok(())
}
