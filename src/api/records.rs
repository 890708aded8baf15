//! Records by id: writes of entities, relations, documents and images (one object or
//! `{"items": [...]}`, all or none), reads, deletes, and an image's bytes.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use braid_kb::records::{DocumentRecord, Entity, ImageRecord, Relation};
use braid_kb::{BraidError, EntityView, KnowledgeBase, WriteSummary};
use schemars::{JsonSchema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{BODY_ERRORS, ID_ERRORS, id_param};
use crate::blocking::run_blocking;
use crate::http::access::Guard;
use crate::http::endpoint::{Endpoint, SchemaFn, schema};
use crate::http::json::one_or_many;
use crate::http::{ApiError, ApiResult, AppState, JsonBody};

/// The endpoints of this group.
pub fn endpoints() -> Vec<Endpoint> {
    let write = |endpoint: Endpoint, summary: &'static str, body: SchemaFn| {
        endpoint
            .summary(summary)
            .tag("write")
            .guard(Guard::Write)
            .body(body)
            .answers("Ids written", schema::<WriteSummary>)
            .errors(BODY_ERRORS)
    };
    vec![
        write(
            Endpoint::post("/v1/entities", post_entities),
            "Insert or replace entities (one object or {\"items\": [...]}, all or none)",
            one_or_many_schema::<Entity>,
        ),
        write(
            Endpoint::post("/v1/relations", post_relations),
            "Insert relations between existing entities (all or none)",
            one_or_many_schema::<Relation>,
        ),
        write(
            Endpoint::post("/v1/documents", post_documents),
            "Insert or replace documents (all or none)",
            one_or_many_schema::<DocumentRecord>,
        ),
        Endpoint::post("/v1/images", post_images)
            .summary("Insert or replace images, given as base64 bytes or a public URL (all or none)")
            .tag("write")
            .guard(Guard::Write)
            .body(one_or_many_schema::<ImageUpload>)
            .answers("Ids written", schema::<WriteSummary>)
            .errors(BODY_ERRORS),
        Endpoint::get("/v1/entities/{id}", get_entity)
            .summary("An entity with its relations and linked items")
            .tag("read")
            .param(id_param("The entity id"))
            .answers("The entity", schema::<EntityView>)
            .errors(ID_ERRORS),
        Endpoint::delete("/v1/entities/{id}", delete_entity)
            .summary("Delete an entity and its relations")
            .tag("write")
            .guard(Guard::Write)
            .param(id_param("The entity id"))
            .answers("Deleted", deleted)
            .errors(ID_ERRORS),
        Endpoint::get("/v1/documents/{id}", get_document)
            .summary("A stored document")
            .tag("read")
            .param(id_param("The document id"))
            .answers("The document", schema::<DocumentRecord>)
            .errors(ID_ERRORS),
        Endpoint::delete("/v1/documents/{id}", delete_document)
            .summary("Delete a document from every index")
            .tag("write")
            .guard(Guard::Write)
            .param(id_param("The document id"))
            .answers("Deleted", deleted)
            .errors(ID_ERRORS),
        Endpoint::get("/v1/images/{id}", get_image)
            .summary("A stored image record")
            .tag("read")
            .param(id_param("The image id"))
            .answers("The image record", schema::<ImageRecord>)
            .errors(ID_ERRORS),
        Endpoint::delete("/v1/images/{id}", delete_image)
            .summary("Delete an image from every index")
            .tag("write")
            .guard(Guard::Write)
            .param(id_param("The image id"))
            .answers("Deleted", deleted)
            .errors(ID_ERRORS),
        Endpoint::get("/v1/images/{id}/content", image_content)
            .summary("A stored image's bytes")
            .tag("read")
            .param(id_param("The image id"))
            .answers("The image bytes", |_| json!({"type": "string", "contentMediaType": "image/*"}))
            .media("image/*")
            .errors(ID_ERRORS),
    ]
}

/// `T` or `{"items": [T, ...]}`, as the write endpoints accept.
pub(super) fn one_or_many_schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Value {
    let one = schema::<T>(g);
    json!({"oneOf": [
        one.clone(),
        {"type": "object", "required": ["items"], "additionalProperties": false,
         "properties": {"items": {"type": "array", "minItems": 1, "items": one}}},
    ]})
}

fn deleted(_: &mut SchemaGenerator) -> Value {
    json!({"type": "object", "required": ["deleted"], "properties": {"deleted": {"type": "string"}}})
}

async fn post_entities(State(s): State<AppState>, JsonBody(v): JsonBody<Value>) -> ApiResult<Response> {
    write_records(s, v, KnowledgeBase::put_entities).await
}

async fn post_relations(State(s): State<AppState>, JsonBody(v): JsonBody<Value>) -> ApiResult<Response> {
    write_records(s, v, KnowledgeBase::put_relations).await
}

async fn post_documents(State(s): State<AppState>, JsonBody(v): JsonBody<Value>) -> ApiResult<Response> {
    #[cfg(debug_assertions)]
    if let Some(n) = fault::armed() {
        let items: Vec<DocumentRecord> = one_or_many(v)?;
        let kb = s.kb.clone();
        return Ok(Json(run_blocking(move || fault::put_documents_dropping(&kb, items, n)).await?).into_response());
    }
    write_records(s, v, KnowledgeBase::put_documents).await
}

/// A test-only fault, compiled into debug builds only (never into a release build): with
/// `BRAID_FAULT_DROP_ACKED_UPDATE=N`, the N-th document write (counted from 1 in this
/// process) that replaces stored documents is rolled back after it commits, and acknowledged
/// all the same. A lost acknowledged update leaves every count as it was; the crash test
/// (`tests/e2e/crash.rs`) arms it to prove its payload check catches such a loss.
#[cfg(debug_assertions)]
mod fault {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};

    use braid_kb::records::DocumentRecord;
    use braid_kb::{BraidError, KnowledgeBase, WriteSummary};

    /// The variable that arms the fault.
    const VAR: &str = "BRAID_FAULT_DROP_ACKED_UPDATE";

    static UPDATES: AtomicU64 = AtomicU64::new(0);

    /// Which update to drop, if the fault is armed.
    pub(super) fn armed() -> Option<u64> {
        static ARMED: OnceLock<Option<u64>> = OnceLock::new();
        *ARMED.get_or_init(|| {
            let n = std::env::var(VAR).ok()?.trim().parse().ok().filter(|&n| n > 0)?;
            tracing::warn!("{VAR}={n}: document update number {n} will be acknowledged and lost on purpose");
            Some(n)
        })
    }

    /// Writes `documents`; if this is the `n`-th write that replaces stored documents, puts
    /// the previous versions back before answering.
    pub(super) fn put_documents_dropping(
        kb: &KnowledgeBase,
        documents: Vec<DocumentRecord>,
        n: u64,
    ) -> Result<WriteSummary, BraidError> {
        let previous: Vec<DocumentRecord> = documents.iter().filter_map(|d| kb.document(&d.id).ok()).collect();
        let summary = kb.put_documents(documents)?;
        if !previous.is_empty() && UPDATES.fetch_add(1, Ordering::SeqCst) + 1 == n {
            let ids: Vec<String> = previous.iter().map(|d| d.id.clone()).collect();
            kb.put_documents(previous)?;
            eprintln!("fault injection: dropped the acknowledged update of {}", ids.join(", "));
        }
        Ok(summary)
    }
}

/// Parses one record or `{"items": [...]}` and writes them with `write`.
async fn write_records<T: DeserializeOwned + Send + 'static>(
    s: AppState,
    body: Value,
    write: fn(&KnowledgeBase, Vec<T>) -> Result<WriteSummary, BraidError>,
) -> ApiResult<Response> {
    let items: Vec<T> = one_or_many(body)?;
    let kb = s.kb.clone();
    Ok(Json(run_blocking(move || write(&kb, items)).await?).into_response())
}

async fn post_images(State(s): State<AppState>, JsonBody(v): JsonBody<Value>) -> ApiResult<Response> {
    let items: Vec<ImageRecord> = one_or_many(v)?;
    let mut with_bytes = Vec::with_capacity(items.len());
    for (i, img) in items.into_iter().enumerate() {
        if img.path.is_some() {
            return Err(ApiError::invalid(
                format!("items[{i}].path"),
                "file paths are read only by `braid ingest`; over REST send the bytes as base64 or give a url",
            ));
        }
        let bytes = match &img.base64 {
            Some(b) => Some(braid_kb::validate::decode_base64("base64", b).map_err(|e| ApiError::from(e.in_item(i)))?),
            None => None,
        };
        with_bytes.push((img, bytes));
    }
    let kb = s.kb.clone();
    Ok(Json(run_blocking(move || kb.put_images(with_bytes)).await?).into_response())
}

async fn get_entity(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(Json(s.kb.entity(&id)?).into_response())
}

async fn delete_entity(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let kb = s.kb.clone();
    let deleted = id.clone();
    run_blocking(move || kb.delete_entity(&id)).await?;
    Ok(Json(json!({ "deleted": deleted })).into_response())
}

async fn get_document(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(Json(s.kb.document(&id)?).into_response())
}

async fn delete_document(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let kb = s.kb.clone();
    let deleted = id.clone();
    run_blocking(move || kb.delete_document(&id)).await?;
    Ok(Json(json!({ "deleted": deleted })).into_response())
}

async fn get_image(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(Json(s.kb.image(&id)?).into_response())
}

async fn delete_image(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let kb = s.kb.clone();
    let deleted = id.clone();
    run_blocking(move || kb.delete_image(&id)).await?;
    Ok(Json(json!({ "deleted": deleted })).into_response())
}

async fn image_content(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (bytes, media) = s.kb.image_content(&id)?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&media).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    // SVG can carry script: never let it run in our origin.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    Ok((headers, bytes).into_response())
}

/// The request shape of `POST /v1/images`: the image record plus its bytes.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // only its schema is used; the handler reads `ImageRecord`.
struct ImageUpload {
    /// Unique id, e.g. `img:stamp:koala`.
    id: String,
    /// A public http(s) URL of the image (recorded, not fetched).
    #[serde(default)]
    url: Option<String>,
    /// The image bytes, base64-encoded (PNG, JPEG, GIF, WebP or SVG).
    #[serde(default)]
    base64: Option<String>,
    /// What the image shows, in words.
    #[serde(default)]
    caption: String,
    /// Ids of entities it depicts.
    #[serde(default)]
    depicts: Vec<String>,
    /// Free tags.
    #[serde(default)]
    tags: Vec<String>,
    /// Where it came from.
    #[serde(default)]
    source: Option<String>,
    /// Its licence.
    #[serde(default)]
    license: Option<String>,
}
