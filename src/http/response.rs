//! [`HttpError`] as a response: its status, a JSON body `{"error": "…"}`, and `Retry-After`
//! on 429. A 500 logs nothing here (the handler logged the cause) and says nothing specific.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::HttpError;

impl HttpError {
    /// The status code of this answer.
    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::Unauthorized => StatusCode::UNAUTHORIZED,
            HttpError::WritesDisabled => StatusCode::FORBIDDEN,
            HttpError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::NotFound(_) => StatusCode::NOT_FOUND,
            HttpError::Conflict(_) => StatusCode::CONFLICT,
            HttpError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::Serve(_) | HttpError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let message = match &self {
            HttpError::Serve(_) => HttpError::Internal.to_string(),
            other => other.to_string(),
        };
        let mut response =
            (self.status(), Json(serde_json::json!({ "error": message }))).into_response();
        if let HttpError::Unauthorized = self {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if let HttpError::RateLimited { retry_after_secs } = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(retry_after_secs),
            );
        }
        response
    }
}
