//! Errors as `application/problem+json` (RFC 9457), and the extractors that turn a malformed
//! query or body into one that names the field, instead of axum's plain-text rejections.

use crate::API_SCHEMA_VERSION;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use interview_core::error::TaskError;
use interview_core::uploads::UploadError;
use interview_core::StoreError;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// An error answer: a status and a sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Always `about:blank`: the status and title say what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The status's name.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong and what to do about it.
    pub detail: String,
    /// The request field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The format of this body.
    pub schema_version: u32,
}

impl Problem {
    /// A problem with `status` and `detail`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            schema_version: API_SCHEMA_VERSION,
        }
    }

    /// 400 naming the field at fault.
    pub fn bad_field(field: &str, detail: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_string()),
            ..Self::new(StatusCode::BAD_REQUEST, detail)
        }
    }

    /// 404 for an interview that does not exist or that the caller may not see: the two are
    /// indistinguishable on purpose, so another project's interviews are not revealed.
    pub fn no_interview(id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("no interview {id}"))
    }

    /// 401: no or a wrong credential.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }

    /// 403: a project the caller's token does not grant.
    pub fn forbidden_project(project: &str) -> Self {
        Self {
            field: Some("project".into()),
            ..Self::new(
                StatusCode::FORBIDDEN,
                format!(
                    "your token does not grant project `{project}`; ask an admin to add you to group project-{project}"
                ),
            )
        }
    }

    fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (self.status(), body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if self.status == 401 {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        tracing::warn!(error = %e, "the item store failed an API request");
        if e.is_transient() {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the item store is busy; try again in a moment",
            )
        } else {
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the item store failed; the error is logged",
            )
        }
    }
}

impl From<TaskError> for Problem {
    fn from(e: TaskError) -> Self {
        tracing::warn!(error = %e, "a pipeline call failed an API request");
        if e.is_transient() {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the pipeline is busy; try again in a moment",
            )
        } else {
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the pipeline failed; the error is logged",
            )
        }
    }
}

impl From<UploadError> for Problem {
    fn from(e: UploadError) -> Self {
        tracing::warn!(error = %e, "the bucket failed an API request");
        if e.is_transient() {
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the bucket is busy; try again in a moment",
            )
        } else {
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the bucket failed; the error is logged",
            )
        }
    }
}

/// The field a serde error message names (`unknown field `x``, `missing field `y``, or
/// `field: …` from serde_urlencoded's path-less messages), if any.
fn field_named(message: &str) -> Option<String> {
    for marker in ["unknown field `", "missing field `", "duplicate field `"] {
        if let Some(rest) = message.split(marker).nth(1) {
            return rest.split('`').next().map(str::to_string);
        }
    }
    None
}

/// A query string decoded into `T`, unknown parameters refused (when `T` denies them).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query).map(ApiQuery).map_err(|e| {
            let message = e.to_string();
            let field = field_named(&message).unwrap_or_else(|| "query".into());
            Problem::bad_field(&field, format!("the query string is not valid: {message}"))
        })
    }
}

/// A JSON body decoded into `T`, unknown fields refused (when `T` denies them). The body is
/// bounded by the router's body limit.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| Problem::new(StatusCode::PAYLOAD_TOO_LARGE, format!("cannot read the body: {e}")))?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Decodes a JSON body, naming the field at fault when there is one.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    serde_json::from_slice(bytes).map_err(|e| {
        let message = e.to_string();
        match field_named(&message) {
            Some(field) => Problem::bad_field(&field, format!("the JSON body is not valid: {message}")),
            None => Problem::bad_field(
                "body",
                format!("the body is not the JSON this endpoint takes: {message}"),
            ),
        }
    })
}

/// Parses one query or path value, naming the field when it is not valid.
pub fn parse_field<T: std::str::FromStr>(field: &str, value: &str, expected: &str) -> Result<T, Problem> {
    value
        .parse()
        .map_err(|_| Problem::bad_field(field, format!("`{field}` must be {expected}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_name_their_field() {
        assert_eq!(
            field_named("unknown field `colour`, expected one of `a`, `b` at line 1 column 9").as_deref(),
            Some("colour")
        );
        assert_eq!(field_named("missing field `project`").as_deref(), Some("project"));
        assert_eq!(field_named("expected value at line 1 column 1"), None);
    }
}
