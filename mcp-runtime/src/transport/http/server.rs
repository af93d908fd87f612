//! Assembling and serving the transport: the shared state, the router and its layers, the
//! listener, and graceful shutdown.

use super::config::{AdvertisedScopes, HttpConfig, HttpError};
use super::session::Sessions;
use super::{authn, cors, exporter, health, origin, post, stream};
use crate::auth::TokenValidator;
use crate::auth::metadata::{ProtectedResourceMetadata, metadata_paths, metadata_url};
use crate::context::Caller;
use crate::protocol::Server;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::{Router, ServiceExt};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;

/// The layers every request passes first, outermost first: credential headers marked
/// sensitive, the request log, panics caught, the request timeout, the body limit, and the `Host` /
/// `Origin` check (which the probes skip: they address the pod by IP and carry no Origin).
///
/// [`router`] applies them with `Router::layer` (which wraps each route); [`serve_listener`]
/// wraps the whole router in them once, so a request goes through one service per layer
/// rather than boxed clones of each route.
macro_rules! outer_layers {
    ($config:expr, $app:expr) => {
        ServiceBuilder::new()
            .layer(super::sensitive::MarkSensitiveLayer)
            .layer(super::request_log::RequestLogLayer)
            .layer(super::panics::CatchPanicLayer)
            .layer(super::timeout::RequestTimeoutLayer::new(
                $config.request_timeout,
            ))
            .layer(DefaultBodyLimit::disable())
            .layer(super::body_limit::BodyLimitLayer::new(
                $config.max_body_bytes,
            ))
            .layer(origin::CheckOriginLayer::new($app.clone()))
    };
}

/// What every handler of the endpoint shares.
pub(super) struct App {
    pub(super) server: Server,
    pub(super) validator: Option<TokenValidator>,
    pub(super) metadata_url: Option<Arc<str>>,
    pub(super) metadata: Option<ProtectedResourceMetadata>,
    pub(super) anonymous: Arc<Caller>,
    /// The longest accepted bearer token ([`HttpConfig::max_token_bytes`]).
    pub(super) max_token_bytes: usize,
    /// The `Retry-After` of a `503` while the signing keys are unavailable: the time until
    /// the next fetch may be tried.
    pub(super) keys_retry_after: std::time::Duration,
    pub(super) sessions: Sessions,
    pub(super) allowed_hosts: Vec<origin::AllowedHost>,
    pub(super) allowed_origins: Vec<String>,
    /// Cancelled when the server starts shutting down; ends the legacy GET streams.
    pub(super) shutdown: CancellationToken,
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
    let (routes, app) = build(server, &config)?;
    Ok(routes.layer(outer_layers!(config, app)))
}

pub(super) fn build(server: Server, config: &HttpConfig) -> Result<(Router, Arc<App>), HttpError> {
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
            let validator =
                TokenValidator::with_options(settings.clone(), config.jwks, config.token_cache)?;
            Some(match &config.token_cache_epoch {
                Some(epoch) => validator.with_cache_epoch(epoch.clone()),
                None => validator,
            })
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
        let scopes = match &config.scopes_supported {
            AdvertisedScopes::Baseline => server.baseline_scopes(),
            AdvertisedScopes::AllDeclared => server.declared_scopes(),
            AdvertisedScopes::List(scopes) => scopes.clone(),
        };
        ProtectedResourceMetadata::new(config.resource.clone(), servers, scopes)
    });
    let cors = cors::layer(config)?;
    let app = Arc::new(App {
        validator,
        metadata_url: metadata
            .as_ref()
            .map(|_| Arc::from(metadata_url(&config.resource))),
        metadata,
        anonymous: Arc::new(Caller::local(
            "anonymous",
            config.anonymous_scopes.iter().cloned(),
        )),
        max_token_bytes: config.max_token_bytes,
        keys_retry_after: config.jwks.min_refresh_interval,
        sessions: Sessions::new(config.max_sessions, config.session_idle_timeout)
            .shared(server.store().cloned()),
        allowed_hosts: config
            .allowed_hosts
            .iter()
            .map(|h| origin::AllowedHost::new(h))
            .collect(),
        allowed_origins: config.allowed_origins.clone(),
        shutdown: CancellationToken::new(),
        server,
    });
    let mut routes = Router::new().route(
        &config.path,
        post(post::post_mcp)
            .get(stream::get_mcp)
            .delete(stream::delete_mcp),
    );
    if app.metadata.is_some() {
        for path in metadata_paths(&config.resource) {
            routes = routes.route(&path, get(authn::protected_resource_metadata));
        }
    }
    // Preflights are answered inside the Host / Origin check and before any handler (so
    // without authentication).
    if let Some(cors) = cors {
        routes = routes.layer(cors);
    }
    #[cfg(feature = "otel")]
    let routes = routes.layer(axum::middleware::from_fn(
        super::trace_context::continue_trace,
    ));
    let router = routes.merge(health::routes()).with_state(app.clone());
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
    let (routes, app) = build(server, &config)?;
    // Every layer answers with axum's `Response` itself: nothing to convert or box.
    let service = outer_layers!(config, app).service(routes);
    let addr = listener.local_addr()?;
    let exporter = match &config.metrics {
        Some(endpoint) => Some(exporter::start(endpoint, app.clone()).await?),
        None => None,
    };
    if app.validator.is_some() {
        // Fetch the signing keys now rather than at the first request or probe.
        let app = app.clone();
        tokio::spawn(async move {
            if let Some(v) = &app.validator {
                v.keys_ready().await;
            }
        });
    }
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
    let serve = axum::serve(
        listener,
        ServiceExt::<axum::extract::Request>::into_make_service(service),
    )
    .with_graceful_shutdown(signal);
    let grace = config.shutdown_grace;
    tokio::select! {
        result = serve.into_future() => result?,
        () = async { token.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(?grace, "calls still in flight after the grace period; stopping anyway");
        }
    }
    app.sessions.clear();
    token.cancel();
    if let Some(exporter) = exporter {
        let _ = exporter.await;
    }
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
