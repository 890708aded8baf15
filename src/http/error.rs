//! Errors as HTTP answers: `{"error": {"code", "message", "field"?}}` with a status. The one
//! mapping from [`BraidError`] to a status and a machine-readable code lives here; MCP tool
//! errors use the same codes.

use axum::Json;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use braid_kb::BraidError;
use serde_json::json;

/// The status and the machine-readable code of an error, for REST and MCP alike.
pub fn classify(e: &BraidError) -> (StatusCode, &'static str) {
    match e {
        BraidError::Invalid { .. } => (StatusCode::BAD_REQUEST, "invalid_request"),
        BraidError::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
        // A route or feature this deployment does not have (e.g. no web provider): the request
        // cannot be served as asked, which is not a fault of the server.
        BraidError::Unavailable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unavailable"),
        BraidError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        BraidError::ReadOnly => (StatusCode::CONFLICT, "read_only"),
        BraidError::Store(_) | BraidError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
}

impl ApiError {
    /// An error with a status, a code, a message and, for bad input, the field.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>, field: Option<String>) -> Self {
        ApiError { status, code, message: message.into(), field }
    }

    /// Bad input in `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message, Some(field.into()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(f) = self.field {
            error["field"] = json!(f);
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}

impl From<BraidError> for ApiError {
    fn from(e: BraidError) -> Self {
        let (status, code) = classify(&e);
        match e {
            BraidError::Invalid { field, message } => {
                ApiError::new(status, code, format!("{field}: {message}"), Some(field))
            }
            BraidError::Unavailable(m) | BraidError::Forbidden(m) => ApiError::new(status, code, m, None),
            e => {
                if status.is_server_error() {
                    tracing::error!(error = %e, "request failed");
                }
                ApiError::new(status, code, e.to_string(), None)
            }
        }
    }
}

/// What handlers return.
pub type ApiResult<T> = Result<T, ApiError>;

/// The answer for a path no endpoint serves.
pub async fn not_found(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no endpoint {} {}", req.method(), req.uri().path()),
        None,
    )
}
