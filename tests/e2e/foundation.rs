//! Foundation: the demo, routing of graph and vector questions, bad input, durability, auth, CLI.

use serde_json::{Value, json};

use crate::harness::*;

#[test]
fn demo_answers_graph_and_vector_questions_and_rejects_bad_input() {
    let data = tempfile::tempdir().expect("tempdir");
    let s = Server::start(&["demo"], data.path(), &[]);

    let (code, st) = s.get("/v1/status");
    assert_eq!(code, 200);
    for (key, file) in [
        ("entities", "entities.jsonl"),
        ("relations", "relations.jsonl"),
        ("documents", "documents.jsonl"),
        ("images", "images.jsonl"),
    ] {
        assert_eq!(st["counts"][key].as_u64(), Some(line_count(file)), "count of {key}");
    }
    assert_eq!(st["embedder"]["name"].as_str().map(|n| n.starts_with("hash")), Some(true));
    let web = st["routes"].as_array().and_then(|r| r.iter().find(|r| r["route"] == "web")).cloned().unwrap_or_default();
    assert_eq!(web["available"], false);
    assert!(web["reason"].as_str().unwrap_or("").contains("no provider"));

    let (code, r) = s.post("/v1/query", json!({"query": "Which countries border France?"}));
    assert_eq!(code, 200, "{r}");
    assert_eq!(r["plan"]["primary"], "graph");
    let got = ids(&r["results"]);
    for c in ["country:DEU", "country:ESP", "country:BEL"] {
        assert!(got.contains(&c.to_string()), "{c} missing from {got:?}");
    }
    let web_decision = r["plan"]["routes"]
        .as_array()
        .and_then(|a| a.iter().find(|d| d["route"] == "web"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(web_decision["selected"], false);
    assert!(web_decision["reasons"].to_string().contains("no provider configured"));
    let deu =
        r["results"].as_array().and_then(|a| a.iter().find(|h| h["id"] == "country:DEU")).cloned().unwrap_or_default();
    assert!(deu["facts"].to_string().contains("borders"), "facts: {deu}");
    assert_eq!(deu["sources"][0]["route"], "graph");

    let (code, r) = s.post("/v1/query", json!({"query": "pictures of musical instruments"}));
    assert_eq!(code, 200);
    assert_eq!(r["plan"]["primary"], "vector");
    let images: Vec<&Value> =
        r["results"].as_array().map(|a| a.iter().filter(|h| h["kind"] == "image").collect()).unwrap_or_default();
    assert!(!images.is_empty(), "no image results: {}", r["results"]);
    assert!(images.iter().all(|h| h["uri"].as_str().is_some_and(|u| u.starts_with("images/"))));
    // The image bytes are served from the store of record.
    let thumb = images[0]["thumbnail"].as_str().unwrap_or_default().to_string();
    let (code, _) = s.get(&thumb);
    assert_eq!(code, 200, "thumbnail {thumb}");

    let (code, r) = s.post("/v1/query", json!({"query": "what is the capital of kenya"}));
    assert_eq!(code, 200);
    assert_eq!(ids(&r["results"]).first().map(String::as_str), Some("city:184745"), "{}", r["results"]);

    let (code, r) = s.post(
        "/v1/query",
        json!({"query": "animals", "k": 7, "routes": ["vector"], "filters": {"modality": "image"}, "explain": true}),
    );
    assert_eq!(code, 200);
    let res = r["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(res.len(), 7);
    assert!(res.iter().all(|h| h["modality"] == "image"));
    assert!(r["trace"]["features"].is_object() && r["trace"]["fusion"]["weights"].is_array());

    // Interleaving alternates modalities; MMR keeps k results and says so in the trace. (k = 4:
    // the pool of 3k candidates holds two images for "animals" under relative-score fusion.)
    let (code, r) = s.post(
        "/v1/query",
        json!({"query": "animals", "k": 4, "routes": ["vector"], "interleave": true, "diversity": 0.3, "explain": true}),
    );
    assert_eq!(code, 200, "{r}");
    let modalities: Vec<&str> =
        r["results"].as_array().map(|a| a.iter().filter_map(|h| h["modality"].as_str()).collect()).unwrap_or_default();
    assert_eq!(modalities.len(), 4, "{r}");
    assert!(modalities.windows(2).all(|w| w[0] != w[1]), "not interleaved: {modalities:?}");
    assert_eq!(r["trace"]["fusion"]["interleaved"], true, "{r}");
    let d = r["trace"]["fusion"]["diversity"].as_f64().unwrap_or(-1.0);
    assert!((d - 0.3).abs() < 1e-6, "{r}");

    // Bad input: a 4xx JSON error naming the problem, never a crash.
    let bad: Vec<(&str, Vec<u8>, &str)> = vec![
        ("malformed", b"{not json".to_vec(), "body"),
        ("empty query", json!({"query": "   "}).to_string().into_bytes(), "query"),
        ("k of 0", json!({"query": "x", "k": 0}).to_string().into_bytes(), "k"),
        ("diversity above 1", json!({"query": "x", "diversity": 1.5}).to_string().into_bytes(), "diversity"),
        ("huge k", json!({"query": "x", "k": 100000}).to_string().into_bytes(), "k"),
        ("negative k", json!({"query": "x", "k": -1}).to_string().into_bytes(), "k"),
        ("unknown route", json!({"query": "x", "routes": ["telepathy"]}).to_string().into_bytes(), "routes[0]"),
        ("unknown field", json!({"query": "x", "kk": 3}).to_string().into_bytes(), "kk"),
        ("wrong type", json!({"query": 42}).to_string().into_bytes(), "query"),
        ("invalid utf-8", b"{\"query\": \"\xff\xfe\"}".to_vec(), "body"),
        ("empty body", Vec::new(), "body"),
        (
            "image without multimodal",
            json!({"query": "x", "image": {"base64": "aGVsbG8="}}).to_string().into_bytes(),
            "image",
        ),
    ];
    for (name, body, field) in bad {
        let (code, r) = s.request("POST", "/v1/query", Some(&body));
        assert!((400..500).contains(&code), "{name}: status {code}");
        assert!(r["error"]["message"].is_string(), "{name}: {r}");
        assert_eq!(r["error"]["field"].as_str(), Some(field), "{name}: {r}");
    }
    let (code, r) = s.post("/v1/search/telepathy", json!({"query": "x"}));
    assert_eq!((code, r["error"]["field"].as_str()), (400, Some("route")));
    let (code, _) = s.get("/v1/entities/country:NOPE");
    assert_eq!(code, 404);
    let (code, _) = s.get("/v1/entities/country:FRA/neighbors?depth=4");
    assert_eq!(code, 400);
    let (code, r) =
        s.post("/v1/relations", json!({"source": "country:FRA", "relation": "borders", "target": "country:NOPE"}));
    assert_eq!((code, r["error"]["field"].as_str()), (400, Some("items[0].target")));
    assert_eq!(s.oversized_post("/v1/documents", 30 << 20), 413);
    let (code, _) = s.get("/no/such/endpoint");
    assert_eq!(code, 404);

    // Graph reads.
    let (code, r) = s.get("/v1/entities/country:FRA/neighbors?depth=1&relation=borders");
    assert_eq!(code, 200);
    let mut n = ids(&r["entities"]);
    n.sort();
    assert_eq!(
        n,
        [
            "country:AND",
            "country:BEL",
            "country:CHE",
            "country:DEU",
            "country:ESP",
            "country:ITA",
            "country:LUX",
            "country:MCO"
        ]
    );
    let (code, r) = s.get("/v1/graph/path?from=country:KEN&to=country:ETH");
    assert_eq!((code, r["found"].as_bool()), (200, Some(true)));

    // A write is searchable at once, and a delete removes it from every index.
    let (code, _) = s.post("/v1/documents", json!({"id": "doc:test:quokka", "title": "Quokka", "text": "The quokka is a small wallaby of Rottnest Island.", "entities": ["country:AUS"]}));
    assert_eq!(code, 200);
    let (_, r) = s.post("/v1/search/vector", json!({"query": "quokka wallaby rottnest", "k": 3}));
    assert_eq!(ids(&r["results"]).first().map(String::as_str), Some("doc:test:quokka"));
    let (code, _) = s.request("DELETE", "/v1/documents/doc:test:quokka", None);
    assert_eq!(code, 200);
    let (_, r) = s.post("/v1/search/vector", json!({"query": "quokka wallaby rottnest", "k": 3}));
    assert!(!ids(&r["results"]).contains(&"doc:test:quokka".to_string()));
    let (code, _) = s.get("/v1/documents/doc:test:quokka");
    assert_eq!(code, 404);
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let data = tempfile::tempdir().expect("tempdir");
    let s = Server::start(&["serve"], data.path(), &[]);
    let mut acked = Vec::new();
    for i in 0..25 {
        let id = format!("doc:durable:{i}");
        let (code, _) = s.post(
            "/v1/documents",
            json!({"id": id, "title": format!("durable {i}"), "text": format!("durability probe {i} zebra quokka")}),
        );
        if code == 200 {
            acked.push(id);
        }
    }
    let (code, _) = s.post("/v1/entities", json!({"items": [{"id": "x:a", "name": "Alpha", "type": "thing"}, {"id": "x:b", "name": "Beta", "type": "thing"}]}));
    assert_eq!(code, 200);
    let (code, _) = s.post("/v1/relations", json!({"source": "x:a", "relation": "likes", "target": "x:b"}));
    assert_eq!(code, 200);
    s.kill9();

    let s = Server::start(&["serve"], data.path(), &[]);
    let (_, st) = s.get("/v1/status");
    assert_eq!(st["counts"]["documents"].as_u64(), Some(acked.len() as u64));
    assert_eq!(st["counts"]["relations"].as_u64(), Some(1));
    assert_eq!(st["indexed_items"].as_u64(), Some(acked.len() as u64), "vector index agrees with the store");
    for id in &acked {
        let (code, _) = s.get(&format!("/v1/documents/{id}"));
        assert_eq!(code, 200, "{id} lost");
    }
    let (_, r) = s.post("/v1/search/vector", json!({"query": "durability probe 7 zebra", "k": 5}));
    assert!(ids(&r["results"]).contains(&"doc:durable:7".to_string()));
    let (_, r) = s.get("/v1/entities/x:a");
    assert!(r["relations"].to_string().contains("likes"));
}

#[test]
fn api_key_guards_v1_but_not_healthz() {
    let data = tempfile::tempdir().expect("tempdir");
    let s = Server::start(&["serve"], data.path(), &[("BRAID_API_KEY", "s3cret")]);
    let (code, r) = s.post("/v1/query", json!({"query": "France"}));
    assert_eq!(code, 401);
    assert_eq!(r["error"]["code"], "unauthorized");
    let (code, _) = s.try_request("GET", "/v1/status", None, &[("Authorization", "Bearer wrong")]).expect("request");
    assert_eq!(code, 401);
    let (code, _) = s.try_request("GET", "/v1/status", None, &[("Authorization", "Bearer s3cret")]).expect("request");
    assert_eq!(code, 200);
    assert_eq!(s.get("/healthz").0, 200);
}

#[test]
fn cli_ingests_jsonl_reports_bad_lines_and_answers_queries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("kb.jsonl");
    std::fs::write(
        &file,
        [
            json!({"id": "animal:koala", "name": "koala", "type": "animal", "aliases": ["koala bear"]}).to_string(),
            json!({"id": "place:australia", "name": "Australia", "type": "place"}).to_string(),
            json!({"source": "animal:koala", "relation": "lives_in", "target": "place:australia"}).to_string(),
            json!({"id": "doc:k", "title": "Koala", "text": "Koalas eat eucalyptus leaves.", "entities": ["animal:koala"]}).to_string(),
            "{broken".to_string(),
            json!({"source": "animal:koala", "relation": "lives_in", "target": "place:nowhere"}).to_string(),
            json!({"id": "doc:blank", "title": "", "text": "  "}).to_string(),
            json!({"id": "doc:untitled", "title": "Untitled", "text": ""}).to_string(),
        ]
        .join("\n"),
    )
    .expect("write");
    let data = dir.path().join("data");
    let out = braid_command().arg("ingest").arg("--data").arg(&data).arg(&file).output().expect("run ingest");
    assert!(!out.status.success(), "bad lines must fail the command");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("2 entities, 1 relations, 1 documents"), "{stdout}");
    assert!(stderr.contains("kb.jsonl:5") && stderr.contains("kb.jsonl:6"), "{stderr}");
    // A document with neither title nor text is skipped with a note; one with a title but
    // no text is a rejected record.
    assert!(stderr.contains("kb.jsonl:7: document doc:blank has no title and no text"), "{stderr}");
    assert!(stderr.contains("kb.jsonl:8") && stderr.contains("text: must not be empty"), "{stderr}");
    assert!(stderr.contains("3 records were rejected"), "{stderr}");

    // Only skipped records: the import succeeds.
    let blank = dir.path().join("blank.jsonl");
    let lines = [
        json!({"id": "doc:blank2", "title": "", "text": ""}).to_string(),
        json!({"id": "doc:k2", "title": "Koala", "text": "Koalas sleep most of the day."}).to_string(),
    ];
    std::fs::write(&blank, lines.join("\n")).expect("write");
    let out = braid_command().arg("ingest").arg("--data").arg(&data).arg(&blank).output().expect("run ingest");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 documents"));
    assert!(stderr.contains("skipped 1 records") && stderr.contains("doc:blank2"), "{stderr}");

    let out = braid_command()
        .args(["query", "--json", "--data"])
        .arg(&data)
        .arg("what do koalas eat")
        .output()
        .expect("run query");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let answer: Value = serde_json::from_slice(&out.stdout).expect("json answer");
    assert!(ids(&answer["results"]).contains(&"doc:k".to_string()), "{answer}");

    let out =
        braid_command().args(["route", "--data"]).arg(&data).arg("latest koala news").output().expect("run route");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("web"));

    let out =
        braid_command().args(["query", "--data"]).arg(&data).args(["--k", "0", "koala"]).output().expect("run query");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("k"));
}

/// A 1×1 PNG.
const TINY_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

#[test]
fn images_are_checked_at_the_edge() {
    let data = tempfile::tempdir().expect("tempdir");
    let s = Server::start(&["serve"], data.path(), &[]);
    let cases = [
        ("private url", json!({"id": "img:a", "caption": "x", "url": "http://10.0.0.7/cat.png"}), "items[0].url"),
        ("loopback url", json!({"id": "img:a", "caption": "x", "url": "http://127.0.0.1/cat.png"}), "items[0].url"),
        ("not a url", json!({"id": "img:a", "caption": "x", "url": "cat.png"}), "items[0].url"),
        ("file path over REST", json!({"id": "img:a", "caption": "x", "path": "../../etc/passwd"}), "items[0].path"),
        (
            "bytes that are no image",
            json!({"id": "img:a", "caption": "x", "base64": "aGVsbG8gd29ybGQ="}),
            "items[0].image",
        ),
        ("invalid base64", json!({"id": "img:a", "caption": "x", "base64": "%%%"}), "items[0].base64"),
        ("empty id", json!({"id": "", "caption": "x", "base64": TINY_PNG}), "items[0].id"),
        ("nothing to index", json!({"id": "img:a"}), "items[0].caption"),
    ];
    for (name, body, field) in cases {
        let (code, r) = s.post("/v1/images", body);
        assert_eq!(code, 400, "{name}: {r}");
        assert_eq!(r["error"]["field"].as_str(), Some(field), "{name}: {r}");
    }
    assert_eq!(s.get("/v1/status").1["counts"]["images"], 0, "a rejected image must not be stored");

    let (code, r) = s.post(
        "/v1/images",
        json!({"id": "img:dot", "caption": "a single red dot", "tags": ["dot"], "base64": TINY_PNG}),
    );
    assert_eq!(code, 200, "{r}");
    let (code, r) = s.get("/v1/images/img:dot");
    assert_eq!((code, r["media_type"].as_str()), (200, Some("image/png")));
    let (code, _) = s.get("/v1/images/img:dot/content");
    assert_eq!(code, 200);
    let (_, r) = s.post("/v1/query", json!({"query": "red dot", "routes": ["vector"]}));
    assert_eq!(ids(&r["results"]).first().map(String::as_str), Some("img:dot"));
    assert_eq!(s.request("DELETE", "/v1/images/img:dot", None).0, 200);
    assert_eq!(s.get("/v1/images/img:dot/content").0, 404);
}

#[test]
fn ingest_refuses_image_paths_outside_the_jsonl_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("images.jsonl");
    std::fs::write(
        &file,
        [
            json!({"id": "img:escape", "caption": "x", "path": "../secret.png"}).to_string(),
            json!({"id": "img:abs", "caption": "x", "path": "/etc/hostname"}).to_string(),
            json!({"id": "img:missing", "caption": "x", "path": "nope.png"}).to_string(),
            json!({"id": "img:junk", "caption": "x", "path": "junk.png"}).to_string(),
            json!({"id": "img:url", "caption": "a remote cat", "url": "https://example.org/cat.png"}).to_string(),
        ]
        .join("\n"),
    )
    .expect("write");
    std::fs::write(dir.path().join("junk.png"), b"not really a png").expect("write");
    let out =
        braid_command().arg("ingest").arg("--data").arg(dir.path().join("data")).arg(&file).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    for line in [":1:", ":2:", ":3:", ":4:"] {
        assert!(stderr.contains(&format!("images.jsonl{line}")), "line {line} not reported: {stderr}");
    }
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 images"), "the good record is kept");
}

#[test]
fn long_documents_are_found_by_any_passage_and_replaced_cleanly() {
    let data = tempfile::tempdir().expect("tempdir");
    let filler = |topic: &str, n: usize| -> String {
        (0..n).map(|i| format!("Paragraph {i} about {topic} goes on in plain words here. ")).collect()
    };
    // About 700 words: several passages; the rare fact sits at the very end.
    let long = format!("{}The zanzibar pelican nests under the old harbour bridge.", filler("harbours", 70));
    let s = Server::start(&["serve"], data.path(), &[]);
    let (code, r) = s.post("/v1/documents", json!({"id": "doc:long", "title": "Harbours", "text": long}));
    assert_eq!(code, 200, "{r}");
    for i in 0..8 {
        let (code, _) = s.post("/v1/documents", json!({"id": format!("doc:short{i}"), "text": filler("rivers", 3)}));
        assert_eq!(code, 200);
    }
    let passages = s.get("/v1/status").1["indexed_items"].as_u64().unwrap_or(0) - 8;
    assert!(passages >= 4, "a 700-word document is several passages, got {passages}");

    let (code, r) = s.post("/v1/search/vector", json!({"query": "where does the zanzibar pelican nest", "k": 5}));
    assert_eq!(code, 200, "{r}");
    let found = ids(&r["results"]);
    assert_eq!(found.first().map(String::as_str), Some("doc:long"), "{r}");
    assert!(r["results"][0]["snippet"].as_str().unwrap_or("").contains("pelican"), "the passage that matched: {r}");
    let mut distinct = found.clone();
    distinct.dedup();
    assert_eq!((found.len(), distinct.len()), (5, 5), "k distinct documents, not k passages: {found:?}");

    // Passage vectors survive a restart without re-embedding mismatches.
    drop(s);
    let s = Server::start(&["serve"], data.path(), &[]);
    assert_eq!(s.get("/v1/status").1["indexed_items"].as_u64(), Some(passages + 8));
    let (_, r) = s.post("/v1/search/vector", json!({"query": "zanzibar pelican", "k": 1}));
    assert_eq!(ids(&r["results"]), ["doc:long"]);

    // A shorter new version drops the old passages; deleting drops the document.
    let (code, _) = s.post("/v1/documents", json!({"id": "doc:long", "title": "Harbours", "text": "Now short."}));
    assert_eq!(code, 200);
    assert_eq!(s.get("/v1/status").1["indexed_items"].as_u64(), Some(9));
    let (_, r) =
        s.post("/v1/search/vector", json!({"query": "zanzibar pelican", "k": 3, "filters": {"type": "document"}}));
    assert!(
        r["results"].as_array().is_some_and(|a| a.iter().all(|h| !h["snippet"].to_string().contains("pelican"))),
        "{r}"
    );
    assert_eq!(s.request("DELETE", "/v1/documents/doc:long", None).0, 200);
    assert_eq!(s.get("/v1/status").1["indexed_items"].as_u64(), Some(8));
}
