//! One declaration per endpoint: method, path, handler, guard, summary and the schemas of
//! what it reads and answers. The table of [`crate::api`] is a list of these; the server
//! routes it ([`crate::server`]), guards it ([`super::access::guard`]) and describes it
//! ([`crate::openapi`]) from the same entries, so adding an endpoint is one entry and a
//! write endpoint cannot be left unguarded.
//!
//! ```
//! use braid::http::access::Guard;
//! use braid::http::endpoint::{Endpoint, schema};
//! use braid::http::state::AppState;
//!
//! async fn hello() -> &'static str { "hello" }
//! let e: Endpoint = Endpoint::get("/v1/hello", hello)
//!     .summary("Say hello")
//!     .tag("service")
//!     .guard(Guard::Read)
//!     .answers("A greeting", |_| serde_json::json!({"type": "string"}))
//!     .errors(&[401]);
//! assert_eq!(e.path, "/v1/hello");
//! ```

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Value, json};

use super::access::Guard;
use super::state::AppState;

/// Writes a JSON Schema with a generator: request schemas use one that describes what the
/// server reads, response schemas one that describes what it writes.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Value;

/// The JSON Schema of `T`, for [`Endpoint::body`] and [`Endpoint::answers`].
pub fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Value {
    g.subschema_for::<T>().to_value()
}

/// A path or query parameter.
#[derive(Clone, Copy)]
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// `path` or `query`.
    pub location: &'static str,
    /// Whether it must be given.
    pub required: bool,
    /// What it means.
    pub description: &'static str,
    /// Its schema.
    pub schema: SchemaFn,
}

impl Param {
    /// A path parameter (always required).
    pub fn path(name: &'static str, description: &'static str, schema: SchemaFn) -> Self {
        Param { name, location: "path", required: true, description, schema }
    }

    /// A query parameter.
    pub fn query(name: &'static str, required: bool, description: &'static str, schema: SchemaFn) -> Self {
        Param { name, location: "query", required, description, schema }
    }

    /// The parameter as an OpenAPI parameter object.
    pub fn to_openapi(&self, g: &mut SchemaGenerator) -> Value {
        json!({"name": self.name, "in": self.location, "required": self.required,
               "description": self.description, "schema": (self.schema)(g)})
    }
}

/// One endpoint of the HTTP API.
pub struct Endpoint {
    /// Its method.
    pub method: Method,
    /// Its path, in axum's syntax (`/v1/entities/{id}`), which OpenAPI shares.
    pub path: &'static str,
    /// The handler.
    pub handler: MethodRouter<AppState>,
    /// What it demands of the caller.
    pub guard: Guard,
    /// One line on what it does.
    pub summary: &'static str,
    /// Its group in the API's description.
    pub tag: &'static str,
    /// Its parameters.
    pub params: Vec<Param>,
    /// The schema of its JSON body, if it takes one.
    pub body: Option<SchemaFn>,
    /// What a success says, and the schema of its body.
    pub ok: (&'static str, SchemaFn),
    /// The media type of a success.
    pub media: &'static str,
    /// Error statuses beyond those its guard brings (401, 403, 409, 429, 503, 504).
    pub errors: &'static [u16],
}

impl Endpoint {
    fn new(method: Method, path: &'static str, handler: MethodRouter<AppState>) -> Self {
        Endpoint {
            method,
            path,
            handler,
            guard: Guard::Read,
            summary: "",
            tag: "",
            params: Vec::new(),
            body: None,
            ok: ("OK", |_| json!({})),
            media: "application/json",
            errors: &[],
        }
    }

    /// `GET path`, answered by `handler`.
    pub fn get<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Self {
        Self::new(Method::GET, path, axum::routing::get(handler))
    }

    /// `POST path`, answered by `handler`.
    pub fn post<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Self {
        Self::new(Method::POST, path, axum::routing::post(handler))
    }

    /// `DELETE path`, answered by `handler`.
    pub fn delete<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Self {
        Self::new(Method::DELETE, path, axum::routing::delete(handler))
    }

    /// Sets the summary.
    pub fn summary(mut self, summary: &'static str) -> Self {
        self.summary = summary;
        self
    }

    /// Sets the tag.
    pub fn tag(mut self, tag: &'static str) -> Self {
        self.tag = tag;
        self
    }

    /// Sets the guard (default [`Guard::Read`]).
    pub fn guard(mut self, guard: Guard) -> Self {
        self.guard = guard;
        self
    }

    /// Adds a parameter.
    pub fn param(mut self, param: Param) -> Self {
        self.params.push(param);
        self
    }

    /// Sets the schema of the JSON body.
    pub fn body(mut self, schema: SchemaFn) -> Self {
        self.body = Some(schema);
        self
    }

    /// Says what a success answers, and its schema.
    pub fn answers(mut self, description: &'static str, schema: SchemaFn) -> Self {
        self.ok = (description, schema);
        self
    }

    /// Sets the media type of a success (default `application/json`).
    pub fn media(mut self, media: &'static str) -> Self {
        self.media = media;
        self
    }

    /// Sets the error statuses beyond those of the guard.
    pub fn errors(mut self, errors: &'static [u16]) -> Self {
        self.errors = errors;
        self
    }
}
