//! Every refusal the HTTP transport itself makes, as one typed value, and the one place each
//! becomes a status, a JSON-RPC error and its headers.
//!
//! Errors the dispatcher returns ([`McpError`]) keep their own mapping (see
//! [`McpError::http_status`] and `reply::error`); the refusals here that are expressed as an
//! `McpError` (authentication, header rules) are rendered through that same mapping.

use super::reply::{self, ChallengeHint};
use crate::error::McpError;
use crate::jsonrpc::{ErrorObject, Rejected, RequestId, codes, error_response, parse_error};
use crate::protocol::LEGACY_VERSIONS;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// Why the transport refuses a request before (or instead of) answering it.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The `Host` header is not in `HttpConfig::allowed_hosts` (DNS rebinding): `403`.
    ForbiddenHost,
    /// The `Origin` header is not in `HttpConfig::allowed_origins`: `403`.
    ForbiddenOrigin,
    /// A malformed authorization request (RFC 6750 §3.1 `invalid_request`): a token in the
    /// query string, several `Authorization` headers, or an unreadable one: `400` with
    /// `WWW-Authenticate: Bearer error="invalid_request"`.
    InvalidAuthRequest {
        /// The request's id, when the body could be read.
        id: Option<RequestId>,
        /// What is wrong, for the client.
        why: &'static str,
        /// What the challenge names.
        hint: ChallengeHint,
    },
    /// No `Authorization` header: `401` with a challenge.
    TokenRequired {
        /// The request's id, when the body could be read.
        id: Option<RequestId>,
        /// What the challenge names.
        hint: ChallengeHint,
    },
    /// `Authorization` carries another scheme (`Basic`, …): no bearer credentials, so `401`
    /// with a challenge and no error code (RFC 6750 §3.1).
    NotBearer {
        /// What the challenge names.
        hint: ChallengeHint,
    },
    /// The bearer token failed validation: `401` with `error="invalid_token"`.
    TokenRejected {
        /// The request's id, when the body could be read.
        id: Option<RequestId>,
        /// Why, for the client.
        reason: String,
        /// What the challenge names.
        hint: ChallengeHint,
    },
    /// The issuer's signing keys cannot be had (key set down, slow or unreadable), so no token
    /// can be verified: `503` with `Retry-After`. Nothing is accepted meanwhile (fail closed).
    KeysUnavailable {
        /// The request's id, when the body could be read.
        id: Option<RequestId>,
        /// When the keys will next be fetched.
        retry_after: Duration,
    },
    /// The body is not JSON: `400` with `-32700`.
    Unparsable(serde_json::Error),
    /// The body is JSON but not a JSON-RPC message: `400` with `-32600`.
    NotJsonRpc(Box<Rejected>),
    /// (2026-07-28) the MCP headers break the header rules: the typed error's mapping.
    HeaderRules {
        /// The request's id.
        id: RequestId,
        /// What is wrong (`-32020` or `-32602`).
        error: Box<McpError>,
        /// Authentication details for the rendering.
        hint: ChallengeHint,
    },
    /// (2026-07-28) a JSON-RPC batch: `400`.
    ModernBatch,
    /// (2026-07-28) a client sent a JSON-RPC response: `400`.
    ModernResponse,
    /// A legacy request names a version outside the handshake era: `400`.
    UnsupportedLegacyVersion,
    /// A request that needs a legacy session carries no `Mcp-Session-Id`: `400`.
    SessionRequired {
        /// Whether to tell the client to send `initialize` first (on POST).
        initialize_first: bool,
    },
    /// `Mcp-Session-Id` is not visible ASCII: `400`.
    InvalidSessionId,
    /// The session ended or never existed: `404`.
    UnknownSession,
    /// The session belongs to another caller (issuer, subject or client): `403`.
    SessionNotOwned,
    /// The session table is full: `503` with `Retry-After`.
    TooManySessions,
    /// The session is not known here and the shared store that knows every replica's
    /// sessions cannot be asked: `503` with `Retry-After`.
    SessionStoreUnavailable,
    /// GET or DELETE from a stateless client: `405` with `Allow: POST`.
    MethodNotAllowed(Method),
    /// A GET stream for a client that does not accept `text/event-stream`: `406`.
    NotAcceptable,
    /// The session already has its one GET stream: `409`.
    StreamAlreadyOpen,
    /// The call ended (a panic) without producing an answer: `500`.
    NoAnswer,
}

/// How long a client should wait before retrying when the session table is full.
const SESSIONS_RETRY_AFTER_SECS: u32 = 5;

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        use StatusCode as S;
        let (status, code, message) = match self {
            Self::InvalidAuthRequest { id, why, hint } => {
                return reply::invalid_auth_request(id.as_ref(), why, &hint);
            }
            Self::TokenRequired { id, hint } => {
                let why = "a bearer token is required".to_owned();
                return reply::error(id.as_ref(), &McpError::Unauthorized(why), &hint);
            }
            Self::NotBearer { hint } => {
                let why = "the Authorization header must be `Bearer <token>`".to_owned();
                return reply::error(None, &McpError::Unauthorized(why), &hint);
            }
            Self::TokenRejected { id, reason, hint } => {
                return reply::error(id.as_ref(), &McpError::Unauthorized(reason), &hint);
            }
            Self::KeysUnavailable { id, retry_after } => {
                let why = "Service Unavailable: the issuer's signing keys cannot be fetched, so no token can be verified; retry later";
                let mut response = reply::json(
                    S::SERVICE_UNAVAILABLE,
                    &error_response(id.as_ref(), &ErrorObject::new(codes::INTERNAL_ERROR, why)),
                );
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(retry_after.as_secs().max(1)),
                );
                return response;
            }
            Self::HeaderRules { id, error, hint } => {
                return reply::error(Some(&id), &error, &hint);
            }
            Self::Unparsable(e) => return reply::json(S::BAD_REQUEST, &parse_error(e)),
            Self::NotJsonRpc(rejected) => {
                return reply::json(S::BAD_REQUEST, &rejected.to_response());
            }
            Self::ForbiddenHost => (
                S::FORBIDDEN,
                codes::INVALID_REQUEST,
                "Forbidden: the Host header is not allowed".to_owned(),
            ),
            Self::ForbiddenOrigin => (
                S::FORBIDDEN,
                codes::INVALID_REQUEST,
                "Forbidden: the Origin is not allowed".to_owned(),
            ),
            Self::ModernBatch => (
                S::BAD_REQUEST,
                codes::INVALID_REQUEST,
                "Invalid Request: JSON-RPC batches are not part of protocol 2026-07-28".to_owned(),
            ),
            Self::ModernResponse => (
                S::BAD_REQUEST,
                codes::INVALID_REQUEST,
                "Invalid Request: clients of protocol 2026-07-28 must not send responses"
                    .to_owned(),
            ),
            Self::UnsupportedLegacyVersion => (
                S::BAD_REQUEST,
                codes::INVALID_REQUEST,
                format!(
                    "Bad Request: unsupported MCP-Protocol-Version; this session speaks one of {}",
                    LEGACY_VERSIONS.join(", ")
                ),
            ),
            Self::SessionRequired { initialize_first } => (
                S::BAD_REQUEST,
                codes::INVALID_REQUEST,
                if initialize_first {
                    "Bad Request: the Mcp-Session-Id header is required (send `initialize` first)"
                } else {
                    "Bad Request: the Mcp-Session-Id header is required"
                }
                .to_owned(),
            ),
            Self::InvalidSessionId => (
                S::BAD_REQUEST,
                codes::INVALID_REQUEST,
                "Bad Request: Mcp-Session-Id carries invalid characters".to_owned(),
            ),
            Self::UnknownSession => (
                S::NOT_FOUND,
                codes::INVALID_REQUEST,
                "Session not found: it ended or never existed; send `initialize` to start a new one"
                    .to_owned(),
            ),
            Self::SessionNotOwned => (
                S::FORBIDDEN,
                codes::INVALID_REQUEST,
                "Forbidden: this session belongs to another caller (issuer, subject or client)"
                    .to_owned(),
            ),
            Self::TooManySessions | Self::SessionStoreUnavailable => {
                let why = match self {
                    Self::TooManySessions => "too many open sessions",
                    _ => "the shared session store cannot be reached",
                };
                let mut response = refuse(
                    S::SERVICE_UNAVAILABLE,
                    codes::INTERNAL_ERROR,
                    format!("Service Unavailable: {why}; retry later"),
                );
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(SESSIONS_RETRY_AFTER_SECS),
                );
                return response;
            }
            Self::MethodNotAllowed(method) => {
                let mut response = refuse(
                    S::METHOD_NOT_ALLOWED,
                    codes::INVALID_REQUEST,
                    format!("{method} needs a legacy session; stateless clients only POST"),
                );
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("POST"));
                return response;
            }
            Self::NotAcceptable => (
                S::NOT_ACCEPTABLE,
                codes::INVALID_REQUEST,
                "Not Acceptable: the GET stream is text/event-stream".to_owned(),
            ),
            Self::StreamAlreadyOpen => (
                S::CONFLICT,
                codes::INVALID_REQUEST,
                "Conflict: this session already has an open GET stream".to_owned(),
            ),
            Self::NoAnswer => (
                S::INTERNAL_SERVER_ERROR,
                codes::INTERNAL_ERROR,
                "Internal error: the call ended without an answer".to_owned(),
            ),
        };
        refuse(status, code, message)
    }
}

/// `status` with a JSON-RPC error body that has no id.
fn refuse(status: StatusCode, code: i32, message: String) -> Response {
    reply::json(
        status,
        &error_response(None, &ErrorObject::new(code, message)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    async fn render(refusal: Refusal) -> (StatusCode, axum::http::HeaderMap, Value) {
        let response = refusal.into_response();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, headers, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn refusals_carry_their_status_code_and_headers() {
        let (status, headers, body) = render(Refusal::TooManySessions).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(headers[header::RETRY_AFTER], "5");
        assert_eq!(body["error"]["code"], codes::INTERNAL_ERROR);
        assert_eq!(body["id"], Value::Null);

        let (status, headers, body) = render(Refusal::MethodNotAllowed(Method::DELETE)).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(headers[header::ALLOW], "POST");
        assert_eq!(
            body["error"]["message"],
            "DELETE needs a legacy session; stateless clients only POST"
        );

        let (status, _, body) = render(Refusal::SessionRequired {
            initialize_first: true,
        })
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({"jsonrpc": "2.0", "id": null, "error": {
                "code": -32600,
                "message": "Bad Request: the Mcp-Session-Id header is required (send `initialize` first)"
            }})
        );
    }

    #[tokio::test]
    async fn authentication_refusals_go_through_the_error_mapping() {
        let hint = ChallengeHint {
            metadata_url: Some("http://localhost/.well-known/oauth-protected-resource".into()),
            token_presented: false,
            scopes: vec!["a:read".into()],
        };
        let (status, headers, body) = render(Refusal::TokenRequired {
            id: Some(RequestId::Number(3)),
            hint,
        })
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            headers[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .contains("scope=\"a:read\"")
        );
        assert_eq!(body["id"], 3);
    }
}
