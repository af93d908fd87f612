//! The Streamable HTTP transport (axum): one MCP endpoint serving both protocol eras, as an
//! OAuth 2.1 resource server.
//!
//! # The endpoint
//! - **2026-07-28** (modern, stateless): every request is a POST carrying its version and
//!   client capabilities in `params._meta` and in the `MCP-Protocol-Version`, `Mcp-Method` and
//!   `Mcp-Name` headers. Header errors are `400` with `-32020`, malformed `_meta` `400` with
//!   `-32602`, an unsupported version `400` with `-32022`, an unknown method `404` with
//!   `-32601`. Closing the response stream cancels the call.
//! - **2025-11-25 / 2025-06-18 / 2025-03-26** (legacy): `initialize` mints a random
//!   `Mcp-Session-Id`; later requests carry it (missing: `400`; unknown or ended: `404`).
//!   `GET` opens the session's stream, `DELETE` ends the session. Sessions are bounded in
//!   number, expire when idle, and belong to the subject whose token created them.
//!
//! Which era a POST belongs to follows the rules of the reference server: no session and
//! either an `MCP-Protocol-Version` header or `params._meta` is modern, unless the header
//! names a legacy version and there is no `_meta`.
//!
//! A call answers with one JSON body, or with an SSE stream (`X-Accel-Buffering: no`) as soon
//! as it emits a progress or log notification before its result. Notifications are answered
//! `202`. `Accept` is not enforced: clients that send `*/*` are served too. In a legacy
//! session a call's requests to the client (elicitation, sampling, roots) go on its SSE
//! stream, and the client's responses, POSTed in the session, are answered `202`.
//!
//! Cancellation differs by era: a modern call is aborted when its client disconnects (the
//! response future or SSE body is dropped); a legacy call runs on, since legacy clients cancel
//! with `notifications/cancelled` (which reaches the session's in-flight request).
//!
//! # Authentication
//! With [`HttpConfig::auth`] set, every request to the endpoint needs exactly one
//! `Authorization: Bearer <JWT>`, validated by [`TokenValidator`](crate::auth::TokenValidator)
//! (issuer, audience = this server's resource URI, expiry, signature against the issuer's
//! JWKS). Refusals (RFC 6750 §3.1):
//! - no bearer credentials (no header, or another scheme such as `Basic`): `401` +
//!   `WWW-Authenticate: Bearer resource_metadata="…", scope="…"`, with no error code;
//! - a token that fails validation, or is longer than [`HttpConfig::max_token_bytes`]
//!   (refused before any decoding): `401` with `error="invalid_token"`;
//! - a malformed request (a token in the query string, several `Authorization` headers, an
//!   unreadable one): `400` with `error="invalid_request"`;
//! - the issuer's signing keys cannot be fetched: `503` with `Retry-After` (fail closed: no
//!   token is accepted meanwhile; the next fetch is tried once the refresh interval allows);
//! - a policy denial: `403` with `error="insufficient_scope"` and every scope the call needs;
//!   a rate limit: `429` with `Retry-After`.
//!
//! The RFC 9728 metadata is served at `/.well-known/oauth-protected-resource` and its
//! path-suffixed form; its `scopes_supported` is the baseline by default
//! ([`HttpConfig::scopes_supported`]). Handlers receive the validated
//! [`Caller`](crate::Caller), never the token. A legacy session belongs to the issuer,
//! subject and client of the token that opened it.
//!
//! # Cross-origin (browser) clients
//! Deny by default: [`HttpConfig::cors_allowed_origins`] lists the origins allowed to call
//! cross-origin. Preflights are answered without authentication, after the `Origin` check.
//!
//! # Where things are
//! [`HttpConfig`] and [`HttpError`] in `config`; the router, its layers and graceful shutdown
//! in `server`; the `Host`/`Origin` check in `origin`; credential headers marked sensitive in
//! `sensitive`; bearer tokens in `authn`; `POST` in `post`; `GET` and `DELETE` in `stream`; the
//! change streams (`GET`, `subscriptions/listen`) in `listen`; legacy sessions in `session`;
//! CORS in `cors`;
//! every refusal the transport makes in `refusal`; JSON and SSE answers in `reply`;
//! `/healthz` and `/readyz` in `health`; the Prometheus exporter ([`HttpConfig::metrics`],
//! a listener of its own) in `exporter`.
//!
//! # Layers (outermost first)
//! 1. `Authorization` and `Cookie` are marked sensitive (`sensitive`), so nothing below
//!    (tracing included) prints them;
//! 2. the request log (`request_log`): a `DEBUG` span and events per request, an `ERROR`
//!    event for each `5xx` response;
//! 3. a panic in the transport becomes a `500` (`panics`), the server lives on;
//! 4. the request timeout (`timeout`) answers `408` when no response has started within
//!    [`HttpConfig::request_timeout`] (an SSE stream counts as started); its timer is armed
//!    only for a response still pending after its first poll;
//! 5. the body limit (`body_limit`) answers `413` above [`HttpConfig::max_body_bytes`];
//! 6. the `Host` / `Origin` check (`403`, against DNS rebinding), before any handler;
//! 7. CORS (when origins are configured): preflights are answered here.
//!
//! # Example
//! ```no_run
//! # async fn run(server: mcp_runtime::Server) -> Result<(), mcp_runtime::transport::http::HttpError> {
//! use mcp_runtime::auth::TokenValidation;
//! use mcp_runtime::transport::http::{HttpConfig, serve_http};
//!
//! let mut config = HttpConfig::new("http://127.0.0.1:8080/mcp");
//! config.auth = Some(TokenValidation::new("https://login.example.com", "http://127.0.0.1:8080/mcp"));
//! serve_http(server, config).await
//! # }
//! ```

mod authn;
mod body_limit;
mod config;
mod cors;
mod exporter;
mod headers;
mod health;
mod listen;
mod origin;
mod panics;
mod post;
mod refusal;
mod reply;
mod request_log;
mod sensitive;
mod server;
mod session;
mod session_shared;
mod stream;
mod timeout;
#[cfg(feature = "otel")]
mod trace_context;

pub use config::{AdvertisedScopes, HttpConfig, HttpError};
pub use exporter::MetricsEndpoint;
pub use server::{router, serve_http, serve_listener, shutdown_signal};

/// A response as the transport's unit tests compare it: status, content type, body text.
#[cfg(test)]
async fn response_parts(
    response: axum::response::Response,
) -> (axum::http::StatusCode, Option<String>, String) {
    let status = response.status();
    let kind = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, kind, String::from_utf8(body.to_vec()).unwrap())
}
