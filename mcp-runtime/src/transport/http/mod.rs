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
//! `202`. `Accept` is not enforced: clients that send `*/*` are served too.
//!
//! Cancellation differs by era: a modern call is aborted when its client disconnects (the
//! response future or SSE body is dropped); a legacy call runs on, since legacy clients cancel
//! with `notifications/cancelled` (which reaches the session's in-flight request).
//!
//! # Authentication
//! With [`HttpConfig::auth`] set, every request to the endpoint needs
//! `Authorization: Bearer <JWT>`, validated by [`TokenValidator`] (issuer, audience = this
//! server's resource URI, expiry, signature against the issuer's JWKS). Refusals:
//! `401` + `WWW-Authenticate: Bearer resource_metadata="…", scope="…"` (with
//! `error="invalid_token"` when a token was presented); a policy denial is `403` with
//! `error="insufficient_scope"` and every scope the call needs; a rate limit is `429` with
//! `Retry-After`. Tokens in the query string are refused. The RFC 9728 metadata is served at
//! `/.well-known/oauth-protected-resource` and its path-suffixed form. Handlers receive the
//! validated [`Caller`], never the token.
//!
//! # Layers (outermost first)
//! 1. `SetSensitiveRequestHeadersLayer` marks `Authorization` and `Cookie` sensitive, so
//!    nothing below (tracing included) prints them;
//! 2. `TraceLayer` logs each request and response;
//! 3. `CatchPanicLayer` turns a panic in the transport into a `500`, the server lives on;
//! 4. `TimeoutLayer` answers `408` when no response has started within
//!    [`HttpConfig::request_timeout`] (an SSE stream counts as started);
//! 5. `RequestBodyLimitLayer` answers `413` above [`HttpConfig::max_body_bytes`];
//! 6. the `Host` / `Origin` check (`403`, against DNS rebinding), before any handler.
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

mod headers;
mod reply;
mod session;

use crate::auth::jwks::JwksSettings;
use crate::auth::jwt::ValidatorConfigError;
use crate::auth::metadata::{ProtectedResourceMetadata, metadata_paths, metadata_url};
use crate::auth::{TokenValidation, TokenValidator};
use crate::context::Caller;
use crate::error::McpError;
use crate::jsonrpc::{Incoming, RequestId, codes, parse_error, success_response};
use crate::protocol::{Era, LEGACY_VERSIONS, RequestScope, Server};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::FutureExt;
use reply::{ChallengeHint, Outcome};
use serde_json::Value;
use session::{Session, Sessions};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Settings of the HTTP transport. Start from [`HttpConfig::new`] and change what differs.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Where to listen (default `127.0.0.1:8080`: loopback only).
    pub bind: SocketAddr,
    /// The path of the MCP endpoint (default `/mcp`).
    pub path: String,
    /// This server's canonical resource URI (e.g. `https://mcp.example.com/mcp`).
    pub resource: String,
    /// Token validation; `None` serves without authentication (development on loopback only):
    /// every caller is then an anonymous principal holding [`HttpConfig::anonymous_scopes`].
    pub auth: Option<TokenValidation>,
    /// Key-cache timing for [`HttpConfig::auth`].
    pub jwks: JwksSettings,
    /// Scopes of the anonymous caller when `auth` is `None` (default: none).
    pub anonymous_scopes: Vec<String>,
    /// Accepted `Host` header values: a host name (any port) or `host:port`. Empty accepts any
    /// host. Default: `localhost`, `127.0.0.1`, `[::1]` and the host of
    /// [`HttpConfig::resource`].
    pub allowed_hosts: Vec<String>,
    /// Accepted `Origin` values when the header is present: `scheme://host` (any port) or
    /// `scheme://host:port`. Default: the loopback origins and the origin of the resource.
    pub allowed_origins: Vec<String>,
    /// The largest accepted request body in bytes (default 4 MiB); above it: `413`.
    pub max_body_bytes: usize,
    /// How long a request may take before its response starts (default 120 s); then `408`.
    pub request_timeout: Duration,
    /// The most legacy sessions alive at once (default 1 000).
    pub max_sessions: usize,
    /// A legacy session with nothing in flight ends after this long unused (default 30 min).
    pub session_idle_timeout: Duration,
    /// After the shutdown signal, how long in-flight calls may take to finish (default 10 s).
    pub shutdown_grace: Duration,
}

impl HttpConfig {
    /// Defaults for a server whose canonical resource URI is `resource`.
    pub fn new(resource: impl Into<String>) -> Self {
        let resource = resource.into();
        let mut allowed_hosts: Vec<String> =
            LOOPBACK_HOSTS.iter().map(|h| (*h).to_owned()).collect();
        let mut allowed_origins: Vec<String> = LOOPBACK_HOSTS
            .iter()
            .flat_map(|h| [format!("http://{h}"), format!("https://{h}")])
            .collect();
        if let Some((scheme, authority)) = split_origin(&resource) {
            if !allowed_hosts.iter().any(|h| host_matches(h, authority)) {
                allowed_hosts.push(authority.to_owned());
            }
            let origin = format!("{scheme}://{authority}");
            if !allowed_origins.contains(&origin) {
                allowed_origins.push(origin);
            }
        }
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            path: "/mcp".to_owned(),
            resource,
            auth: None,
            jwks: JwksSettings::default(),
            anonymous_scopes: Vec::new(),
            allowed_hosts,
            allowed_origins,
            max_body_bytes: 4 * 1024 * 1024,
            request_timeout: Duration::from_secs(120),
            max_sessions: 1000,
            session_idle_timeout: Duration::from_secs(30 * 60),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self::new("http://127.0.0.1:8080/mcp")
    }
}

const LOOPBACK_HOSTS: &[&str] = &["localhost", "127.0.0.1", "[::1]"];

/// Why the transport could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The token-validation settings are unusable.
    #[error("invalid token-validation settings: {0}")]
    Auth(#[from] ValidatorConfigError),
    /// The settings are inconsistent.
    #[error("invalid HTTP settings: {0}")]
    Config(String),
    /// Binding or serving failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

struct App {
    server: Server,
    validator: Option<TokenValidator>,
    metadata_url: Option<String>,
    metadata: Option<ProtectedResourceMetadata>,
    anonymous: Arc<Caller>,
    sessions: Sessions,
    allowed_hosts: Vec<String>,
    allowed_origins: Vec<String>,
    shutdown: CancellationToken,
}

/// Builds the transport's `Router` without binding a socket (for tests, or to embed it in a
/// larger axum application).
///
/// Graceful shutdown is then the embedding server's business: legacy GET streams end when
/// their session ends or the client goes away. [`serve_listener`] also ends them on shutdown.
///
/// # Errors
/// Unusable token-validation or path settings.
pub fn router(server: Server, config: HttpConfig) -> Result<Router, HttpError> {
    build(server, &config).map(|(router, _)| router)
}

fn build(server: Server, config: &HttpConfig) -> Result<(Router, Arc<App>), HttpError> {
    if !config.path.starts_with('/') {
        return Err(HttpError::Config(format!(
            "the endpoint path `{}` must start with `/`",
            config.path
        )));
    }
    let validator = match &config.auth {
        Some(settings) => {
            if settings.audience != config.resource {
                tracing::warn!(
                    audience = %settings.audience,
                    resource = %config.resource,
                    "the token audience differs from the advertised resource URI"
                );
            }
            Some(TokenValidator::with_jwks_settings(
                settings.clone(),
                config.jwks,
            )?)
        }
        None => {
            if !config.bind.ip().is_loopback() {
                tracing::warn!(bind = %config.bind, "serving without authentication on a non-loopback address");
            }
            None
        }
    };
    let metadata = config.auth.as_ref().map(|a| {
        let servers = if a.authorization_servers.is_empty() {
            vec![a.issuer.clone()]
        } else {
            a.authorization_servers.clone()
        };
        ProtectedResourceMetadata::new(config.resource.clone(), servers, server.declared_scopes())
    });
    let app = Arc::new(App {
        validator,
        metadata_url: metadata.as_ref().map(|_| metadata_url(&config.resource)),
        metadata,
        anonymous: Arc::new(Caller::local(
            "anonymous",
            config.anonymous_scopes.iter().cloned(),
        )),
        sessions: Sessions::new(config.max_sessions, config.session_idle_timeout),
        allowed_hosts: config.allowed_hosts.clone(),
        allowed_origins: config.allowed_origins.clone(),
        shutdown: CancellationToken::new(),
        server,
    });
    let mut routes = Router::new()
        .route(&config.path, post(post_mcp).get(get_mcp).delete(delete_mcp))
        .route("/healthz", get(|| async { "ok" }));
    if app.metadata.is_some() {
        for path in metadata_paths(&config.resource) {
            routes = routes.route(&path, get(protected_resource_metadata));
        }
    }
    let router = routes
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            check_origin,
        ))
        .with_state(app.clone())
        .layer(
            ServiceBuilder::new()
                .layer(SetSensitiveRequestHeadersLayer::new([
                    header::AUTHORIZATION,
                    header::COOKIE,
                ]))
                .layer(TraceLayer::new_for_http())
                .layer(CatchPanicLayer::new())
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    config.request_timeout,
                ))
                .layer(DefaultBodyLimit::disable())
                .layer(RequestBodyLimitLayer::new(config.max_body_bytes)),
        );
    Ok((router, app))
}

/// Serves on an already-bound listener until `shutdown` completes; then stops accepting,
/// lets in-flight calls finish for up to [`HttpConfig::shutdown_grace`], ends the legacy
/// sessions and returns.
///
/// # Errors
/// Unusable settings, or an I/O error while serving.
pub async fn serve_listener<F>(
    listener: TcpListener,
    server: Server,
    config: HttpConfig,
    shutdown: F,
) -> Result<(), HttpError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let (router, app) = build(server, &config)?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, path = %config.path, resource = %config.resource, auth = app.validator.is_some(), "serving MCP over Streamable HTTP");
    let token = app.shutdown.clone();
    let signal = {
        let token = token.clone();
        async move {
            shutdown.await;
            tracing::info!("shutting down: no new connections; draining calls in flight");
            token.cancel();
        }
    };
    let serve = axum::serve(listener, router).with_graceful_shutdown(signal);
    let grace = config.shutdown_grace;
    tokio::select! {
        result = serve.into_future() => result?,
        () = async { token.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(?grace, "calls still in flight after the grace period; stopping anyway");
        }
    }
    app.sessions.clear();
    tracing::info!("HTTP transport stopped");
    Ok(())
}

/// Binds [`HttpConfig::bind`] and serves until Ctrl-C or `SIGTERM` (see [`serve_listener`]).
///
/// # Errors
/// Unusable settings, or an I/O error binding or serving.
pub async fn serve_http(server: Server, config: HttpConfig) -> Result<(), HttpError> {
    let listener = TcpListener::bind(config.bind).await?;
    serve_listener(listener, server, config, shutdown_signal()).await
}

/// Ctrl-C, or `SIGTERM` on Unix.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

// ---------------------------------------------------------------------------------------
// Host / Origin (DNS rebinding)

/// `("http", "host:port")` of an absolute URL.
fn split_origin(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    (!authority.is_empty()).then_some((scheme, authority))
}

/// The host part of `host[:port]` (IPv6 literals keep their brackets).
fn host_part(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority.split_inclusive(']').next().unwrap_or(authority);
    }
    authority.split(':').next().unwrap_or(authority)
}

/// Whether `allowed` (`host` or `host:port`) admits the `Host` value `authority`.
fn host_matches(allowed: &str, authority: &str) -> bool {
    let allowed = allowed.to_ascii_lowercase();
    let authority = authority.to_ascii_lowercase();
    if allowed == authority {
        return true;
    }
    let has_port = allowed.len() > host_part(&allowed).len();
    !has_port && host_part(&authority) == allowed
}

fn origin_matches(allowed: &str, origin: &str) -> bool {
    match (split_origin(allowed), split_origin(origin)) {
        (Some((s1, a1)), Some((s2, a2))) => s1.eq_ignore_ascii_case(s2) && host_matches(a1, a2),
        _ => false,
    }
}

async fn check_origin(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    if !app.allowed_hosts.is_empty() {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()));
        let ok = host.is_some_and(|h| app.allowed_hosts.iter().any(|a| host_matches(a, h)));
        if !ok {
            tracing::warn!(host = ?host, "refusing a request for a foreign Host");
            return reply::refuse(
                StatusCode::FORBIDDEN,
                codes::INVALID_REQUEST,
                "Forbidden: the Host header is not allowed",
            );
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ok = origin
            .to_str()
            .is_ok_and(|o| app.allowed_origins.iter().any(|a| origin_matches(a, o)));
        if !ok {
            tracing::warn!(origin = ?origin, "refusing a request from a foreign Origin");
            return reply::refuse(
                StatusCode::FORBIDDEN,
                codes::INVALID_REQUEST,
                "Forbidden: the Origin is not allowed",
            );
        }
    }
    next.run(request).await
}

// ---------------------------------------------------------------------------------------
// Authentication

async fn protected_resource_metadata(State(app): State<Arc<App>>) -> Response {
    match &app.metadata {
        Some(m) => Json(m).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

impl App {
    fn hint(&self, scopes: Vec<String>, token_presented: bool) -> ChallengeHint {
        ChallengeHint {
            metadata_url: self.metadata_url.clone(),
            token_presented,
            scopes,
        }
    }

    /// The scopes a 401 names: those of the called tool, the prompt or the resource read,
    /// or else the server's baseline (least privilege first; see `Server::baseline_scopes`).
    fn scopes_for(&self, body: Option<&Value>) -> Vec<String> {
        let named = body.and_then(|b| {
            let method = b.get("method")?.as_str()?;
            let params = b.get("params")?;
            let name = params.get("name").or_else(|| params.get("uri"))?.as_str()?;
            self.server.scopes_for(method, name)
        });
        named.unwrap_or_else(|| self.server.baseline_scopes())
    }

    /// The caller behind `headers`, or the `401` to answer.
    async fn authenticate(
        &self,
        headers: &HeaderMap,
        uri: &Uri,
        id: Option<&RequestId>,
        scopes: impl FnOnce() -> Vec<String>,
    ) -> Result<Arc<Caller>, Response> {
        let Some(validator) = &self.validator else {
            return Ok(self.anonymous.clone());
        };
        if query_has_token(uri) {
            return Err(reply::error(
                id,
                &McpError::InvalidRequest(
                    "access tokens are not accepted in the query string; use the Authorization header".to_owned(),
                ),
                &self.hint(Vec::new(), false),
            ));
        }
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(reply::error(
                id,
                &McpError::Unauthorized("a bearer token is required".to_owned()),
                &self.hint(scopes(), false),
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(reply::error(
                None,
                &McpError::Unauthorized(
                    "the Authorization header must be `Bearer <token>`".to_owned(),
                ),
                &self.hint(scopes(), true),
            ));
        };
        match validator.validate(token).await {
            Ok(caller) => Ok(Arc::new(caller)),
            Err(why) => {
                tracing::info!(reason = %why, "refusing a bearer token");
                Err(reply::error(
                    id,
                    &McpError::Unauthorized(why.to_string()),
                    &self.hint(scopes(), true),
                ))
            }
        }
    }
}

fn query_has_token(uri: &Uri) -> bool {
    uri.query().is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.split('=').next() == Some("access_token"))
    })
}

// ---------------------------------------------------------------------------------------
// POST

async fn post_mcp(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let parsed = serde_json::from_slice::<Value>(&body);
    let id = parsed
        .as_ref()
        .ok()
        .and_then(|b| b.get("id"))
        .and_then(RequestId::from_value);
    let caller = match app
        .authenticate(&headers, &uri, id.as_ref(), || {
            app.scopes_for(parsed.as_ref().ok())
        })
        .await
    {
        Ok(c) => c,
        Err(refusal) => return refusal,
    };
    let body = match parsed {
        Ok(v) => v,
        Err(e) => return reply::json(StatusCode::BAD_REQUEST, &parse_error(e)),
    };
    let hint = app.hint(Vec::new(), true);
    match headers::detect_era(&headers, &body) {
        Era::Modern => post_modern(&app, &headers, body, caller, hint).await,
        Era::Legacy => post_legacy(&app, &headers, body, caller, hint).await,
    }
}

async fn post_modern(
    app: &Arc<App>,
    headers: &HeaderMap,
    body: Value,
    caller: Arc<Caller>,
    hint: ChallengeHint,
) -> Response {
    if body.is_array() {
        return reply::refuse(
            StatusCode::BAD_REQUEST,
            codes::INVALID_REQUEST,
            "Invalid Request: JSON-RPC batches are not part of protocol 2026-07-28",
        );
    }
    let request = match Incoming::classify(body) {
        Err(rejected) => return reply::json(StatusCode::BAD_REQUEST, &rejected.to_response()),
        Ok(Incoming::Notification(n)) => {
            tracing::debug!(method = %n.method, "notification on the stateless endpoint");
            return reply::accepted();
        }
        Ok(Incoming::Response(_)) => {
            return reply::refuse(
                StatusCode::BAD_REQUEST,
                codes::INVALID_REQUEST,
                "Invalid Request: clients of protocol 2026-07-28 must not send responses",
            );
        }
        Ok(Incoming::Request(r)) => r,
    };
    if let Err(e) = headers::check_modern(headers, &request) {
        return reply::error(Some(&request.id), &e, &hint);
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let scope = RequestScope {
        connection: None,
        caller,
        outbound: Some(tx),
    };
    let server = app.server.clone();
    let task = async move {
        let id = request.id.clone();
        Some(
            match server.handle_request(request, Era::Modern, &scope).await {
                Ok(result) => Outcome::Message(success_response(&id, result)),
                Err(error) => Outcome::Error { id, error },
            },
        )
    }
    .boxed();
    reply::run(task, rx, true, hint, Vec::new()).await
}

/// `MCP-Protocol-Version` on a legacy request: absent (taken as 2025-03-26) or a
/// handshake-era version.
#[allow(
    clippy::result_large_err,
    reason = "the refusal is the response itself, built once on the error path"
)]
fn check_legacy_version(headers: &HeaderMap) -> Result<(), Response> {
    match headers::text(headers, headers::PROTOCOL_VERSION) {
        Ok(None) => Ok(()),
        Ok(Some(v)) if LEGACY_VERSIONS.contains(&v) => Ok(()),
        _ => Err(reply::refuse(
            StatusCode::BAD_REQUEST,
            codes::INVALID_REQUEST,
            format!(
                "Bad Request: unsupported MCP-Protocol-Version; this session speaks one of {}",
                LEGACY_VERSIONS.join(", ")
            ),
        )),
    }
}

/// The session a legacy request names, checked against the caller, or the refusal.
#[allow(
    clippy::result_large_err,
    reason = "the refusal is the response itself, built once on the error path"
)]
fn session_for(app: &App, headers: &HeaderMap, caller: &Caller) -> Result<Arc<Session>, Response> {
    let id = match headers::text(headers, headers::SESSION_ID) {
        Ok(Some(id)) => id,
        Ok(None) => {
            return Err(reply::refuse(
                StatusCode::BAD_REQUEST,
                codes::INVALID_REQUEST,
                "Bad Request: the Mcp-Session-Id header is required (send `initialize` first)",
            ));
        }
        Err(()) => {
            return Err(reply::refuse(
                StatusCode::BAD_REQUEST,
                codes::INVALID_REQUEST,
                "Bad Request: Mcp-Session-Id carries invalid characters",
            ));
        }
    };
    let Some(session) = app.sessions.get(id) else {
        return Err(reply::refuse(
            StatusCode::NOT_FOUND,
            codes::INVALID_REQUEST,
            "Session not found: it ended or never existed; send `initialize` to start a new one",
        ));
    };
    if app.validator.is_some() && session.subject.as_deref() != Some(caller.subject()) {
        tracing::warn!(
            session = session.connection.id(),
            "refusing a session request made with another subject's token"
        );
        return Err(reply::refuse(
            StatusCode::FORBIDDEN,
            codes::INVALID_REQUEST,
            "Forbidden: this session belongs to another subject",
        ));
    }
    Ok(session)
}

async fn post_legacy(
    app: &Arc<App>,
    headers: &HeaderMap,
    body: Value,
    caller: Arc<Caller>,
    hint: ChallengeHint,
) -> Response {
    if let Err(refusal) = check_legacy_version(headers) {
        return refusal;
    }
    if !headers.contains_key(headers::SESSION_ID) {
        return initialize(app, body, caller, hint).await;
    }
    let session = match session_for(app, headers, &caller) {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let connection = session.connection.clone();
    let (tx, rx) = mpsc::unbounded_channel();
    if body.is_array() {
        let future = app.server.dispatch(&connection, body, &caller, &tx);
        drop(tx);
        let task = async move { future.await.map(Outcome::Message) }.boxed();
        return reply::run(task, rx, false, hint, Vec::new()).await;
    }
    let request = match Incoming::classify(body) {
        Err(rejected) => return reply::json(StatusCode::BAD_REQUEST, &rejected.to_response()),
        Ok(Incoming::Notification(n)) => {
            app.server.handle_notification(Some(&connection), &n);
            return reply::accepted();
        }
        Ok(Incoming::Response(r)) => {
            tracing::debug!(id = %r.id, "ignoring a response to an unknown server request");
            return reply::accepted();
        }
        Ok(Incoming::Request(r)) => r,
    };
    let scope = RequestScope {
        connection: Some(connection),
        caller,
        outbound: Some(tx),
    };
    let id = request.id.clone();
    let future = app.server.dispatch_request(request, &scope);
    drop(scope);
    let task = async move {
        future.await.map(|outcome| match outcome {
            Ok(result) => Outcome::Message(success_response(&id, result)),
            Err(error) => Outcome::Error { id, error },
        })
    }
    .boxed();
    reply::run(task, rx, false, hint, Vec::new()).await
}

/// A legacy POST without a session: only `initialize` may open one.
async fn initialize(
    app: &Arc<App>,
    body: Value,
    caller: Arc<Caller>,
    hint: ChallengeHint,
) -> Response {
    let request = match Incoming::classify(body) {
        Ok(Incoming::Request(r)) if r.method == "initialize" => r,
        Err(rejected) => return reply::json(StatusCode::BAD_REQUEST, &rejected.to_response()),
        Ok(_) => {
            return reply::refuse(
                StatusCode::BAD_REQUEST,
                codes::INVALID_REQUEST,
                "Bad Request: the Mcp-Session-Id header is required (send `initialize` first)",
            );
        }
    };
    let subject = app.validator.as_ref().map(|_| caller.subject().to_owned());
    let Ok(session) = app.sessions.create(subject) else {
        let mut refusal = reply::refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::INTERNAL_ERROR,
            "Service Unavailable: too many open sessions; retry later",
        );
        refusal
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(5u32));
        return refusal;
    };
    let scope = RequestScope {
        connection: Some(session.connection.clone()),
        caller,
        outbound: None,
    };
    let id = request.id.clone();
    match app.server.dispatch_request(request, &scope).await {
        Some(Ok(result)) => {
            tracing::info!(
                session = session.connection.id(),
                open = app.sessions.len(),
                "legacy session opened"
            );
            let mut response = reply::json(StatusCode::OK, &success_response(&id, result));
            if let Ok(v) = HeaderValue::from_str(&session.id) {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(headers::SESSION_ID), v);
            }
            response
        }
        Some(Err(error)) => {
            app.sessions.remove(&session.id);
            reply::error(Some(&id), &error, &hint)
        }
        None => {
            app.sessions.remove(&session.id);
            reply::accepted()
        }
    }
}

// ---------------------------------------------------------------------------------------
// GET and DELETE (legacy sessions)

/// GET or DELETE without a session: a stateless (modern) client gets `405`; a legacy client
/// that forgot its session gets `400`.
fn sessionless(headers: &HeaderMap, method: &Method) -> Option<Response> {
    if headers.contains_key(headers::SESSION_ID) {
        return None;
    }
    let legacy = headers::text(headers, headers::PROTOCOL_VERSION)
        .ok()
        .flatten()
        .is_some_and(|v| LEGACY_VERSIONS.contains(&v));
    Some(if legacy {
        reply::refuse(
            StatusCode::BAD_REQUEST,
            codes::INVALID_REQUEST,
            "Bad Request: the Mcp-Session-Id header is required",
        )
    } else {
        let mut r = reply::refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            codes::INVALID_REQUEST,
            format!("{method} needs a legacy session; stateless clients only POST"),
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        r
    })
}

struct StreamGuard(Arc<Session>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.close_get_stream();
    }
}

async fn get_mcp(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let caller = match app
        .authenticate(&headers, &uri, None, || app.server.baseline_scopes())
        .await
    {
        Ok(c) => c,
        Err(refusal) => return refusal,
    };
    if let Some(refusal) = sessionless(&headers, &Method::GET) {
        return refusal;
    }
    if let Err(refusal) = check_legacy_version(&headers) {
        return refusal;
    }
    let session = match session_for(&app, &headers, &caller) {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let accepts_sse = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/event-stream") || v.contains("*/*"));
    if !accepts_sse {
        return reply::refuse(
            StatusCode::NOT_ACCEPTABLE,
            codes::INVALID_REQUEST,
            "Not Acceptable: the GET stream is text/event-stream",
        );
    }
    if !session.open_get_stream() {
        return reply::refuse(
            StatusCode::CONFLICT,
            codes::INVALID_REQUEST,
            "Conflict: this session already has an open GET stream",
        );
    }
    let guard = StreamGuard(session.clone());
    let closed = session.closed.clone();
    let shutdown = app.shutdown.clone();
    // Nothing is sent on this stream yet (no server-initiated messages); it stays open, with
    // keep-alive comments, until the session or the server ends.
    let stream = futures::stream::once(async move {
        let _guard = guard;
        tokio::select! {
            () = closed.cancelled() => {},
            () = shutdown.cancelled() => {},
        }
    })
    .filter_map(|()| async { None::<Result<Event, Infallible>> });
    reply::sse_response(Sse::new(stream))
}

async fn delete_mcp(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let caller = match app
        .authenticate(&headers, &uri, None, || app.server.baseline_scopes())
        .await
    {
        Ok(c) => c,
        Err(refusal) => return refusal,
    };
    if let Some(refusal) = sessionless(&headers, &Method::DELETE) {
        return refusal;
    }
    let session = match session_for(&app, &headers, &caller) {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    app.sessions.remove(&session.id);
    StatusCode::OK.into_response()
}

use futures::StreamExt as _;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_origins_match_with_or_without_ports() {
        assert!(host_matches("localhost", "localhost:3000"));
        assert!(host_matches("127.0.0.1", "127.0.0.1"));
        assert!(host_matches("[::1]", "[::1]:80"));
        assert!(!host_matches("localhost", "evil.example.com"));
        assert!(!host_matches("api.example.com:443", "api.example.com:8443"));
        assert!(!host_matches("localhost", "localhost.evil.com"));
        assert!(origin_matches("http://localhost", "http://localhost:5173"));
        assert!(!origin_matches("http://localhost", "https://localhost"));
        assert!(!origin_matches("http://localhost", "null"));
    }

    #[test]
    fn defaults_admit_loopback_and_the_resource() {
        let c = HttpConfig::new("https://mcp.example.com/mcp");
        assert!(
            c.allowed_hosts
                .iter()
                .any(|h| host_matches(h, "mcp.example.com"))
        );
        assert!(
            c.allowed_origins
                .iter()
                .any(|o| origin_matches(o, "https://mcp.example.com"))
        );
        assert!(c.bind.ip().is_loopback());
        assert!(query_has_token(&"/mcp?a=1&access_token=x".parse().unwrap()));
        assert!(!query_has_token(&"/mcp?token_hint=1".parse().unwrap()));
    }
}
