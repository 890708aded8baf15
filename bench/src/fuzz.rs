//! The bodies of Braid's fuzz targets (issue 9), shared by the cargo-fuzz crate in `fuzz/`
//! (libFuzzer, coverage-guided) and by the stable-toolchain driver `fuzz-loop`
//! (`bench/src/bin/fuzz_loop.rs`, mutation without coverage). Each target takes arbitrary
//! bytes and must neither panic nor hang; the checks below turn silent misbehaviour into
//! panics so either driver reports it.
//!
//! - [`introspect`]: query introspection and planning — `Introspector::introspect` with no
//!   linker and with the atlas graph's linker (2,278 entities), then `RoutePolicy::plan`.
//! - [`jsonl_record`]: the JSON Lines importer's record parsing — every line through
//!   `serde_json` and `braid_kb::records::Record::from_value`.
//! - [`request_body`]: the request body parsers of the REST API — `QueryRequest` (then
//!   `validate`, then planning of valid queries), `{"query"}` route bodies, the write bodies
//!   (`Entity`, `Relation`, `DocumentRecord`, `ImageRecord`, one object or `{"items": [...]}`)
//!   and base64 image payloads.

use std::sync::{Arc, OnceLock};

use braid_graph::{EmbeddedGraph, Graph};
use braid_kb::records::{DocumentRecord, Entity, ImageRecord, Record, Relation};
use braid_router::{
    Availability, EntityLinker, Introspector, MAX_K, NoLinker, PolicyWeights, QueryRequest, RoutePolicy,
};

/// `braid_router`'s limit on query text (private there): longer queries are refused.
const MAX_QUERY_BYTES: usize = 4096;

/// A fuzz target: arbitrary bytes in, a panic on misbehaviour.
pub type Target = fn(&[u8]);

/// The fuzz targets by name, for the `fuzz-loop` driver.
pub const TARGETS: &[(&str, Target)] =
    &[("introspect", introspect), ("jsonl_record", jsonl_record), ("request_body", request_body)];

struct Fixture {
    linker: braid_kb::sources::GraphLinker,
    lexicon: braid_router::Lexicon,
    policy: RoutePolicy,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut graph = Graph::new();
        let entities = include_str!("../../examples/data/atlas/entities.jsonl");
        graph.import_entities(entities.lines().filter_map(|l| serde_json::from_str::<Entity>(l).ok()));
        let relations = include_str!("../../examples/data/atlas/relations.jsonl");
        graph.import_relations(relations.lines().filter_map(|l| serde_json::from_str::<Relation>(l).ok()));
        let stats = graph.schema_stats();
        let schema = braid_router::KbSchema {
            relations: stats
                .relations
                .iter()
                .map(|r| braid_router::RelationType {
                    source_types: r.source_types.iter().map(|(t, _)| t.clone()).collect(),
                    target_types: r.target_types.iter().map(|(t, _)| t.clone()).collect(),
                    symmetric: r.symmetric,
                    ..braid_router::RelationType::named(r.name.clone(), r.count)
                })
                .collect(),
            entity_types: stats
                .entity_types
                .iter()
                .map(|t| braid_router::EntityType { name: t.name.clone(), count: t.count, ..Default::default() })
                .collect(),
        };
        Fixture {
            linker: braid_kb::sources::GraphLinker::new(Arc::new(EmbeddedGraph::from_graph(graph))),
            lexicon: braid_router::Lexicon::compile(&schema),
            policy: RoutePolicy::new(PolicyWeights::shipped()),
        }
    })
}

fn plan_checked(query: &str, linker: &dyn EntityLinker, has_image: bool) {
    let f = fixture();
    let features = Introspector::new().introspect(query, linker, &f.lexicon, has_image);
    let plan = f.policy.plan(&features, &Availability::default(), None);
    assert_eq!(plan.routes.len(), 3, "a plan lists every route");
    for d in &plan.routes {
        assert!(d.score.is_finite() && (0.0..=1.0).contains(&d.score), "route score {} out of [0, 1]", d.score);
    }
}

/// Query introspection and planning on arbitrary text (invalid UTF-8 is replaced, as the
/// HTTP layer never passes it on).
pub fn introspect(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    // The server refuses longer queries; still cap the work so one input stays fast.
    let query: String = text.chars().take(MAX_QUERY_BYTES).collect();
    plan_checked(&query, &NoLinker, false);
    plan_checked(&query, &fixture().linker, data.first().is_some_and(|b| b & 1 == 1));
}

/// The JSON Lines importer's record parsing, line by line.
pub fn jsonl_record(data: &[u8]) {
    for line in data.split(|b| *b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(line) else { continue };
        if let Ok(record) = Record::from_value(value) {
            // A parsed record serialises back to JSON that parses to the same kind.
            let again = match &record {
                Record::Entity(e) => serde_json::to_value(e),
                Record::Relation(r) => serde_json::to_value(r),
                Record::Document(d) => serde_json::to_value(d),
                Record::Image(i) => serde_json::to_value(i),
                Record::Schema(r) => serde_json::to_value(r),
            }
            .expect("a parsed record serialises");
            let reparsed = Record::from_value(again).expect("a serialised record parses again");
            assert_eq!(std::mem::discriminant(&record), std::mem::discriminant(&reparsed));
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
#[allow(dead_code, reason = "only the parse is exercised")]
enum OneOrMany<T> {
    Many { items: Vec<T> },
    One(T),
}

/// The REST request body parsers.
pub fn request_body(data: &[u8]) {
    if let Ok(req) = serde_json::from_slice::<QueryRequest>(data)
        && req.validate().is_ok()
    {
        assert!((1..=MAX_K).contains(&req.k));
        assert!(req.query.len() <= MAX_QUERY_BYTES);
        plan_checked(&req.query, &fixture().linker, req.image.is_some());
        if let Some(b64) = req.image.as_ref().and_then(|i| i.base64.as_deref()) {
            let _ = braid_kb::validate::decode_base64("image.base64", b64);
        }
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data)
        && let Some(q) = v.get("query").and_then(|q| q.as_str())
    {
        let _ = braid_router::validate_query_text(q, false);
    }
    let _ = serde_json::from_slice::<OneOrMany<Entity>>(data);
    let _ = serde_json::from_slice::<OneOrMany<Relation>>(data);
    let _ = serde_json::from_slice::<OneOrMany<DocumentRecord>>(data);
    let _ = serde_json::from_slice::<OneOrMany<ImageRecord>>(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_accept_their_seed_corpora() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
        for (name, target) in TARGETS {
            let Ok(dir) = std::fs::read_dir(root.join(name)) else { continue };
            for entry in dir.flatten() {
                target(&std::fs::read(entry.path()).unwrap());
            }
        }
        for (_, target) in TARGETS {
            target(b"");
            target(b"\xff\xfe{\"query\": \"x\"}");
        }
    }
}
