//! The bottom floor of the HTTP API: errors as answers, JSON bodies, who may call and how
//! much, the shared state, and the shape of an endpoint. The endpoint groups in
//! [`crate::api`] stand on this; nothing here knows any endpoint.

pub mod access;
pub mod endpoint;
pub mod error;
pub mod json;
pub mod state;

pub use error::{ApiError, ApiResult};
pub use json::{JsonBody, MAX_BODY_BYTES};
pub use state::AppState;
