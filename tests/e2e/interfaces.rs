//! Interfaces: function-calling tools, OpenAPI and its page, Prometheus metrics, and MCP over
//! streamable HTTP (raw JSON-RPC, as any client speaks it, behind the API key) and over stdio.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::*;

const KEY: &str = "interfaces-secret";
const KENYA_NEIGHBOURS: [&str; 5] = ["Ethiopia", "Somalia", "South Sudan", "Tanzania", "Uganda"];

/// One raw HTTP/1.1 exchange: status, headers (lower-cased names) and body text.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, BTreeMap<String, String>, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("write head");
    stream.write_all(body.as_bytes()).expect("write body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|c| c.parse().ok()).expect("status");
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut payload = raw[split + 4..].to_vec();
    if headers.get("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        payload = dechunk(&payload);
    }
    (status, headers, String::from_utf8_lossy(&payload).to_string())
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..pos]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = pos + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

/// JSON-RPC messages in a response body: one JSON object, or SSE `data:` lines.
fn rpc_messages(body: &str) -> Vec<Value> {
    if body.trim_start().starts_with('{') {
        return serde_json::from_str(body).into_iter().collect();
    }
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter(|d| !d.trim().is_empty())
        .filter_map(|d| serde_json::from_str(d.trim()).ok())
        .collect()
}

/// An MCP client over streamable HTTP that speaks raw JSON-RPC.
struct McpHttp {
    port: u16,
    session: Option<String>,
    key: &'static str,
}

impl McpHttp {
    fn post(&mut self, message: Value) -> (u16, Vec<Value>) {
        let auth = format!("Bearer {}", self.key);
        let mut headers = vec![
            ("Content-Type", "application/json"),
            ("Accept", "application/json, text/event-stream"),
            ("Authorization", auth.as_str()),
        ];
        let session = self.session.clone();
        if let Some(s) = &session {
            headers.push(("Mcp-Session-Id", s.as_str()));
            headers.push(("MCP-Protocol-Version", "2025-06-18"));
        }
        let (code, h, body) = http(self.port, "POST", "/mcp", &headers, &message.to_string());
        if let Some(s) = h.get("mcp-session-id") {
            self.session = Some(s.clone());
        }
        let id = message.get("id").cloned();
        (code, rpc_messages(&body).into_iter().filter(|m| id.is_some() && m.get("id") == id.as_ref()).collect())
    }

    fn call(&mut self, id: u64, method: &str, params: Value) -> Value {
        let (code, msgs) = self.post(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        assert_eq!(code, 200, "{method}");
        msgs.into_iter().next().unwrap_or_else(|| panic!("no answer to {method}"))
    }
}

fn tool_text(result: &Value) -> String {
    result["result"]["content"]
        .as_array()
        .map(|c| c.iter().filter_map(|b| b["text"].as_str()).collect::<Vec<_>>().join("\n"))
        .unwrap_or_default()
}

#[test]
fn tools_openapi_metrics_and_mcp_over_http_behind_the_key() {
    let data = tempfile::tempdir().expect("tempdir");
    let s = Server::start(&["demo"], data.path(), &[("BRAID_API_KEY", KEY)]);
    let auth = format!("Bearer {KEY}");
    let keyed = [("Authorization", auth.as_str())];
    let get = |path: &str| s.try_request("GET", path, None, &keyed).expect("request");
    let post = |path: &str, body: Value| {
        s.try_request("POST", path, Some(body.to_string().as_bytes()), &keyed).expect("request")
    };

    // The key guards the tools, the metrics and MCP.
    assert_eq!(s.get("/v1/tools").0, 401);
    assert_eq!(s.get("/metrics").0, 401);
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "e2e", "version": "1"}}});
    let (code, _, _) = http(
        s.port,
        "POST",
        "/mcp",
        &[("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream")],
        &init.to_string(),
    );
    assert_eq!(code, 401, "/mcp without the key");

    // Function-calling schemas: all eight tools, each with an object schema of parameters.
    let (code, tools) = get("/v1/tools");
    assert_eq!(code, 200);
    let mut schemas = BTreeMap::new();
    for t in tools.as_array().expect("array of tools") {
        assert_eq!(t["type"], "function");
        let f = &t["function"];
        assert_eq!(f["parameters"]["type"], "object", "{f}");
        assert!(!f["description"].as_str().unwrap_or("").is_empty());
        schemas.insert(f["name"].as_str().unwrap_or("").to_string(), f["parameters"].clone());
    }
    let names: Vec<&str> = schemas.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "add_document",
            "add_entity",
            "add_relation",
            "graph_neighbors",
            "graph_path",
            "knowledge_query",
            "vector_search",
            "web_search"
        ]
    );
    assert!(schemas["graph_neighbors"]["required"].to_string().contains("\"id\""));
    assert!(schemas["knowledge_query"]["properties"]["query"].is_object());

    // Running tools over HTTP: results, 400 naming the field, 404 for unknown tools and ids.
    let (code, r) = post("/v1/tools/graph_neighbors", json!({"id": "country:KEN", "relation": "borders"}));
    assert_eq!(code, 200, "{r}");
    let found: Vec<&str> =
        r["entities"].as_array().map(|a| a.iter().filter_map(|e| e["name"].as_str()).collect()).unwrap_or_default();
    for c in KENYA_NEIGHBOURS {
        assert!(found.contains(&c), "{c} missing from {found:?}");
    }
    let (code, r) = post("/v1/tools/graph_neighbors", json!({"id": "country:KEN", "direction": "sideways"}));
    assert_eq!((code, r["error"]["field"].as_str()), (400, Some("direction")), "{r}");
    let (code, r) = post("/v1/tools/graph_neighbors", json!({"id": "country:KEN", "depth": 9}));
    assert_eq!((code, r["error"]["field"].as_str()), (400, Some("depth")), "{r}");
    let (code, r) = post("/v1/tools/graph_neighbors", json!({"depth": 1}));
    assert_eq!(code, 400, "missing id: {r}");
    assert!(r["error"]["message"].as_str().unwrap_or("").contains("id"), "{r}");
    assert_eq!(post("/v1/tools/graph_neighbors", json!({"id": "country:NOWHERE"})).0, 404);
    assert_eq!(post("/v1/tools/no_such_tool", json!({})).0, 404);
    let (code, r) = post("/v1/tools/graph_path", json!({"from": "country:KEN", "to": "country:FRA"}));
    assert_eq!((code, &r["found"]), (200, &json!(true)), "{r}");
    let (code, r) = post("/v1/tools/web_search", json!({"query": "news"}));
    assert_eq!((code, r["error"]["code"].as_str()), (422, Some("unavailable")), "no web provider: {r}");

    // OpenAPI 3.1 documents every REST endpoint with schemas that resolve.
    let (code, spec) = get("/openapi.json");
    assert_eq!(code, 200);
    assert_eq!(spec["openapi"], "3.1.0");
    let paths = spec["paths"].as_object().cloned().unwrap_or_default();
    for p in [
        "/v1/query",
        "/v1/route",
        "/v1/search/{route}",
        "/v1/entities/{id}/neighbors",
        "/v1/graph/path",
        "/v1/tools",
        "/metrics",
    ] {
        assert!(paths.contains_key(p), "{p} undocumented");
    }
    assert_eq!(
        spec["paths"]["/v1/query"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/QueryRequest"
    );
    let components = spec["components"]["schemas"].as_object().cloned().unwrap_or_default();
    for part in spec.to_string().split("\"#/components/schemas/").skip(1) {
        let name = part.split('"').next().unwrap_or_default();
        assert!(components.contains_key(name), "dangling $ref {name}");
    }
    let (code, page) = s.try_request("GET", "/docs", None, &[]).expect("docs");
    let page = page.as_str().unwrap_or_default().to_string();
    assert_eq!(code, 200);
    assert!(page.contains("<code>/v1/query</code>") && page.contains("schema-QueryResponse"), "docs page");
    assert!(
        !page.contains("<script") && !page.contains("http://") && !page.contains("https://cdn"),
        "no external assets"
    );

    // Metrics count requests by matched path and status, and per-route outcomes of queries.
    let (code, _) = post("/v1/query", json!({"query": "Which countries border Kenya?"}));
    assert_eq!(code, 200);
    let (code, text) = get("/metrics");
    let text = text.as_str().unwrap_or_default().to_string();
    assert_eq!(code, 200);
    for line in [
        "braid_http_requests_total{method=\"POST\",path=\"/v1/query\",status=\"200\"} 1",
        "braid_http_requests_total{method=\"POST\",path=\"/v1/tools/{name}\",status=\"400\"} 3",
        "braid_http_request_duration_seconds_count{method=\"POST\",path=\"/v1/query\",status=\"200\"} 1",
        "braid_source_requests_total{route=\"graph\",status=\"ok\"} 1",
        "braid_source_requests_total{route=\"web\",status=\"skipped\"} 1",
        "braid_route_primary_total{route=\"graph\"} 1",
        "braid_queries_total 1",
    ] {
        assert!(text.lines().any(|l| l == line), "missing `{line}` in\n{text}");
    }
    let entities = line_count("entities.jsonl");
    assert!(text.contains(&format!("braid_records{{kind=\"entities\"}} {entities}")), "{text}");
    assert!(text.contains("braid_source_duration_seconds_bucket{route=\"graph\",le=\"+Inf\"} 1"));

    // MCP over streamable HTTP, raw JSON-RPC.
    let mut mcp = McpHttp { port: s.port, session: None, key: KEY };
    let r = mcp.call(1, "initialize", init["params"].clone());
    assert_eq!(r["result"]["serverInfo"]["name"], "braid", "{r}");
    assert!(mcp.session.is_some(), "no Mcp-Session-Id");
    let (code, _) = mcp.post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    assert!(code == 202 || code == 200, "initialized notification: {code}");
    let r = mcp.call(2, "tools/list", json!({}));
    let listed = r["result"]["tools"].as_array().cloned().unwrap_or_default();
    assert_eq!(listed.len(), 8, "{r}");
    for t in &listed {
        let name = t["name"].as_str().unwrap_or_default();
        // The same Rust types give the same parameters in both interfaces.
        assert_eq!(t["inputSchema"], schemas[name], "{name}: MCP and /v1/tools schemas differ");
    }
    let r = mcp.call(
        3,
        "tools/call",
        json!({"name": "knowledge_query", "arguments": {"query": "Which countries border Kenya?"}}),
    );
    assert_ne!(r["result"]["isError"], true, "{r}");
    let text = tool_text(&r);
    for c in KENYA_NEIGHBOURS {
        assert!(text.contains(c), "{c} missing from the MCP answer");
    }
    let answer: Value = serde_json::from_str(&text).expect("JSON text");
    assert_eq!(answer["plan"]["primary"], "graph");
    let r = mcp.call(4, "tools/call", json!({"name": "graph_neighbors", "arguments": {"id": "country:NOWHERE"}}));
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert!(tool_text(&r).contains("not_found"), "{r}");
    let r = mcp.call(5, "tools/call", json!({"name": "vector_search", "arguments": {"query": "koala", "k": "ten"}}));
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert!(tool_text(&r).contains("\"field\":\"k\""), "{r}");
    let r = mcp.call(6, "tools/call", json!({"name": "web_search", "arguments": {"query": "news"}}));
    assert_eq!(r["result"]["isError"], true, "web unavailable is a tool error: {r}");
    let r = mcp.call(7, "resources/read", json!({"uri": "braid://entity/country:KEN"}));
    assert!(r["result"]["contents"][0]["text"].as_str().unwrap_or("").contains("Kenya"), "{r}");
    let r = mcp.call(
        8,
        "tools/call",
        json!({"name": "add_entity", "arguments": {"id": "test:atlantis", "name": "Atlantis", "type": "island"}}),
    );
    assert_ne!(r["result"]["isError"], true, "{r}");
    assert_eq!(get("/v1/entities/test:atlantis").0, 200, "written through MCP, read over REST");
}

/// Reads JSON-RPC lines from a child's stdout on a thread, so reads can time out.
fn line_reader(stdout: std::process::ChildStdout) -> mpsc::Receiver<Value> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && tx.send(v).is_err()
            {
                break;
            }
        }
    });
    rx
}

#[test]
fn mcp_over_stdio_answers_lists_and_reports_tool_errors() {
    let data = tempfile::tempdir().expect("tempdir");
    let atlas = atlas();
    let ingest = braid_command()
        .args(["ingest", "--data"])
        .arg(data.path())
        .arg(atlas.join("entities.jsonl"))
        .arg(atlas.join("relations.jsonl"))
        .env_remove("BRAID_WEB_PROVIDER")
        .output()
        .expect("ingest");
    assert!(ingest.status.success(), "{}", String::from_utf8_lossy(&ingest.stderr));

    let mut child = braid_command()
        .args(["mcp", "--data"])
        .arg(data.path())
        .env_remove("BRAID_WEB_PROVIDER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn braid mcp");
    let mut stdin = child.stdin.take().expect("stdin");
    let rx = line_reader(child.stdout.take().expect("stdout"));
    let mut send = |v: Value| {
        writeln!(stdin, "{v}").expect("write");
        stdin.flush().expect("flush");
    };
    let recv = |id: u64| -> Value {
        loop {
            let m = rx.recv_timeout(Duration::from_secs(120)).expect("answer in time");
            if m["id"] == id {
                return m;
            }
        }
    };

    send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "e2e", "version": "1"}}}));
    let r = recv(1);
    assert_eq!(r["result"]["serverInfo"]["name"], "braid", "{r}");
    assert!(r["result"]["capabilities"]["tools"].is_object());
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
    let r = recv(2);
    let names: Vec<&str> = r["result"]["tools"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names.len(), 8, "{names:?}");
    assert!(names.contains(&"knowledge_query") && names.contains(&"add_relation"));

    send(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "knowledge_query", "arguments": {"query": "Which countries border Kenya?"}}}));
    let r = recv(3);
    assert_ne!(r["result"]["isError"], true, "{r}");
    let text = tool_text(&r);
    for c in KENYA_NEIGHBOURS {
        assert!(text.contains(c), "{c} missing from the stdio answer");
    }

    send(json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {
        "name": "graph_path", "arguments": {"from": "country:KEN", "to": "country:NOWHERE"}}}));
    let r = recv(4);
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert!(tool_text(&r).contains("NOWHERE"), "{r}");

    send(json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {
        "name": "add_relation", "arguments": {"source": "country:KEN", "relation": "borders", "target": "country:ATLANTIS"}}}));
    let r = recv(5);
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert!(tool_text(&r).contains("\"field\":\"items[0].target\""), "{r}");

    // Closing stdin ends the session and the process, cleanly.
    drop(stdin);
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "braid mcp exited with {status}");
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("braid mcp did not exit after stdin closed");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn read_keys_cannot_write_over_rest_tools_or_mcp_and_the_rate_limit_answers_429() {
    const WRITE: &str = "e2e-write-key-0123";
    const READ: &str = "e2e-read-key-0123";
    let data = tempfile::tempdir().expect("tempdir");
    let s = Server::start(
        &["serve"],
        data.path(),
        &[("BRAID_API_KEY", WRITE), ("BRAID_READ_KEY", READ), ("BRAID_RATE_LIMIT", "600")],
    );
    let read = format!("Bearer {READ}");
    let write = format!("Bearer {WRITE}");
    let with = |key: &str, method: &str, path: &str, body: Option<Value>| {
        let body = body.map(|b| b.to_string());
        s.try_request(method, path, body.as_deref().map(str::as_bytes), &[("Authorization", key)]).expect("request")
    };
    let entity = json!({"id": "x:one", "name": "One", "type": "thing"});
    let (code, r) = with(&read, "POST", "/v1/entities", Some(entity.clone()));
    assert_eq!((code, r["error"]["code"].as_str()), (403, Some("forbidden")), "{r}");
    let (code, r) = with(&read, "POST", "/v1/tools/add_entity", Some(entity.clone()));
    assert_eq!(code, 403, "{r}");
    assert_eq!(with(&write, "POST", "/v1/entities", Some(entity.clone())).0, 200);
    assert_eq!(with(&read, "DELETE", "/v1/entities/x:one", None).0, 403);
    let (code, r) = with(&read, "GET", "/v1/entities/x:one", None);
    assert_eq!((code, r["entity"]["name"].as_str()), (200, Some("One")), "reads work with a read key: {r}");
    assert_eq!(with(&read, "POST", "/v1/query", Some(json!({"query": "One"}))).0, 200);

    // Every keyed operation of the OpenAPI document: 401 without a key, 403 for a write
    // with the read key.
    let (code, spec) = s.get("/openapi.json");
    assert_eq!(code, 200);
    let mut checked = 0;
    for (path, ops) in spec["paths"].as_object().cloned().unwrap_or_default() {
        for (method, op) in ops.as_object().cloned().unwrap_or_default() {
            if op.get("security").and_then(Value::as_array).is_none_or(|s| s.is_empty()) {
                continue;
            }
            let concrete = path.replace("{id}", "x:one").replace("{route}", "graph").replace("{name}", "add_entity");
            let body = (method == "post").then(|| b"{}".as_slice());
            let (code, _) = s.try_request(&method.to_uppercase(), &concrete, body, &[]).expect("request");
            assert_eq!(code, 401, "{method} {path} without a key");
            if op["responses"].get("403").is_some() {
                let (code, _) = s
                    .try_request(&method.to_uppercase(), &concrete, body, &[("Authorization", read.as_str())])
                    .expect("request");
                assert_eq!(code, 403, "{method} {path} with the read key");
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} keyed operations documented");

    // MCP over HTTP with the read key: read tools run, write tools are a tool error.
    let mut mcp = McpHttp { port: s.port, session: None, key: READ };
    let init =
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "e2e", "version": "1"}});
    mcp.call(1, "initialize", init);
    mcp.post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let r = mcp.call(
        2,
        "tools/call",
        json!({"name": "add_entity", "arguments": {"id": "x:two", "name": "Two", "type": "thing"}}),
    );
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert!(tool_text(&r).contains("forbidden"), "{r}");
    assert_eq!(with(&write, "GET", "/v1/entities/x:two", None).0, 404, "the refused write must not happen");
    let r = mcp.call(3, "tools/call", json!({"name": "graph_neighbors", "arguments": {"id": "x:one"}}));
    assert_ne!(r["result"]["isError"], true, "{r}");

    // 600 a minute is a bucket of 600 refilled at 10 a second: spend it, then 429 with
    // Retry-After (per key). Requests made faster than the refill run it dry; the bound is
    // generous so that a loaded machine, where the bucket refills during the loop, still does.
    let mut limited = None;
    for _ in 0..6000 {
        let (code, headers, body) = http(s.port, "GET", "/v1/status", &[("Authorization", read.as_str())], "");
        if code == 429 {
            limited = Some((headers, body));
            break;
        }
        assert_eq!(code, 200, "{body}");
    }
    let (headers, body) = limited.expect("the read key's bucket of 600 ran out");
    assert_eq!(headers.get("retry-after").map(String::as_str), Some("1"), "{headers:?}");
    assert!(body.contains("rate_limited"), "{body}");
    assert_eq!(with(&write, "GET", "/v1/status", None).0, 200, "another key has its own bucket");
    assert_eq!(s.get("/healthz").0, 200, "health stays open");
}
