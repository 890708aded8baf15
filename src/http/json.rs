//! JSON request bodies whose errors name the offending field (`routes[0]: unknown variant …`),
//! and the one-or-many shape of the write endpoints.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Largest request body accepted (base64 images need room).
pub const MAX_BODY_BYTES: usize = 24 << 20;

/// A JSON body whose parse errors name the offending field (`routes[0]: unknown variant …`).
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("");
            if !ct.starts_with("application/json") && !ct.is_empty() {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    format!("expected Content-Type application/json, got {ct}"),
                    None,
                ));
            }
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e: BytesRejection| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("request body is larger than {MAX_BODY_BYTES} bytes"),
                    None,
                )
            } else {
                ApiError::invalid("body", e.body_text())
            }
        })?;
        parse_json(&bytes).map(JsonBody)
    }
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::invalid("body", "request body is empty; expected a JSON object"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::invalid("body", format!("malformed JSON: {inner}"))
        } else {
            let field = if field == "." { "body".to_string() } else { field };
            ApiError::invalid(field.clone(), format!("{field}: {inner}"))
        }
    })
}

/// One record or `{"items": [...]}`.
pub fn one_or_many<T: DeserializeOwned>(value: serde_json::Value) -> Result<Vec<T>, ApiError> {
    let parse = |v: serde_json::Value, prefix: String| -> Result<T, ApiError> {
        serde_path_to_error::deserialize(v).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { prefix.trim_end_matches('.').to_string() } else { format!("{prefix}{path}") };
            let field = if field.is_empty() { "body".to_string() } else { field };
            ApiError::invalid(field.clone(), format!("{field}: {}", e.into_inner()))
        })
    };
    match value {
        serde_json::Value::Object(mut map) if map.contains_key("items") => {
            let items = map.remove("items").unwrap_or_default();
            let serde_json::Value::Array(items) = items else {
                return Err(ApiError::invalid("items", "must be an array"));
            };
            if items.is_empty() {
                return Err(ApiError::invalid("items", "must not be empty"));
            }
            items.into_iter().enumerate().map(|(i, v)| parse(v, format!("items[{i}]."))).collect()
        }
        v @ serde_json::Value::Object(_) => Ok(vec![parse(v, String::new())?]),
        _ => Err(ApiError::invalid("body", "expected a JSON object or {\"items\": [...]}")),
    }
}
