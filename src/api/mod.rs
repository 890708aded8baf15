//! The HTTP API as one table: every endpoint declared once (method, path, handler, guard,
//! summary, schemas), in groups by what they serve. [`crate::server`] routes and guards the
//! table, [`crate::openapi`] describes it. A new endpoint is one entry in a group here (or a
//! new group module listed in [`endpoints`]).

use serde_json::json;

use crate::http::endpoint::{Endpoint, Param};

pub mod graph;
pub mod query;
pub mod records;
pub mod schema;
pub mod service;
pub mod tools;

/// Errors of an endpoint that reads a JSON body.
pub(crate) const BODY_ERRORS: &[u16] = &[400, 401, 413, 415];
/// Errors of an endpoint that looks up an id.
pub(crate) const ID_ERRORS: &[u16] = &[400, 401, 404];

/// The `{id}` path parameter.
pub(crate) fn id_param(description: &'static str) -> Param {
    Param::path("id", description, |_| json!({"type": "string", "minLength": 1}))
}

/// Every endpoint of the HTTP API.
pub fn endpoints() -> Vec<Endpoint> {
    [
        service::endpoints(),
        query::endpoints(),
        records::endpoints(),
        graph::endpoints(),
        schema::endpoints(),
        tools::endpoints(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::*;
    use crate::http::access::Guard;

    fn guard_of(method: Method, path: &str) -> Option<Guard> {
        endpoints().into_iter().find(|e| e.method == method && e.path == path).map(|e| e.guard)
    }

    #[test]
    fn writes_are_told_apart_from_reads() {
        assert_eq!(guard_of(Method::POST, "/v1/documents"), Some(Guard::Write));
        assert_eq!(guard_of(Method::DELETE, "/v1/entities/{id}"), Some(Guard::Write));
        assert_eq!(guard_of(Method::POST, "/v1/tools/{name}"), Some(Guard::ToolScope));
        assert!(crate::tools::is_write_tool("add_entity"));
        assert!(!crate::tools::is_write_tool("knowledge_query"));
        assert_eq!(guard_of(Method::POST, "/v1/query"), Some(Guard::Read));
        assert_eq!(guard_of(Method::GET, "/v1/documents/{id}"), Some(Guard::Read));
        assert_eq!(guard_of(Method::POST, "/v1/search/{route}"), Some(Guard::Read));
    }

    #[test]
    fn every_endpoint_is_declared_once_and_every_change_is_guarded() {
        let table = endpoints();
        for (i, e) in table.iter().enumerate() {
            assert!(
                !table[..i].iter().any(|o| o.method == e.method && o.path == e.path),
                "{} {} declared twice",
                e.method,
                e.path
            );
            assert!(!e.summary.is_empty() && !e.tag.is_empty(), "{} {} lacks a summary or tag", e.method, e.path);
            if e.method == Method::DELETE || (e.method == Method::POST && e.tag == "write") {
                assert!(e.guard.may_write(), "{} {} changes data but is not guarded as a write", e.method, e.path);
            }
        }
    }
}
