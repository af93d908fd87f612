//! The Prometheus exporter: [`crate::metrics`] served on a listener of its own.
//!
//! Metrics describe the whole service (request rates, decisions by rule, token outcomes) and
//! are not meant for the public: they are never served on the MCP listener. The exporter
//! listens on [`MetricsEndpoint::bind`] (default `127.0.0.1:9464`), answers `GET` on
//! [`MetricsEndpoint::path`] only, and needs no token, so keep that address off the public
//! network (a pod port that no `Service` exposes, a loopback or private interface).

use super::server::App;
use super::timeout::RequestTimeoutLayer;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceBuilder;

/// Where the Prometheus metrics are served: a listener apart from the MCP endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsEndpoint {
    /// The exporter's listen address (default `127.0.0.1:9464`). Port `0` picks a free port,
    /// logged at start-up.
    pub bind: SocketAddr,
    /// The path of the metrics (default `/metrics`).
    pub path: String,
}

impl Default for MetricsEndpoint {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 9464)),
            path: "/metrics".to_owned(),
        }
    }
}

/// `GET` on the metrics path.
async fn metrics(State(app): State<Arc<App>>) -> Response {
    let m = crate::metrics::global();
    m.set_legacy_sessions(app.sessions.len());
    let mut response = (StatusCode::OK, m.render()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(crate::metrics::CONTENT_TYPE),
    );
    response
}

/// The exporter's router: the metrics path and nothing else, a request body of at most
/// 1 KiB, 10 s per request.
fn router(endpoint: &MetricsEndpoint, app: Arc<App>) -> Router {
    Router::new()
        .route(&endpoint.path, get(metrics))
        .with_state(app)
        .layer(
            ServiceBuilder::new()
                .layer(super::request_log::RequestLogLayer)
                .layer(RequestTimeoutLayer::new(Duration::from_secs(10)))
                .layer(super::body_limit::BodyLimitLayer::new(1024)),
        )
}

/// Binds the exporter and serves it until `app.shutdown` is cancelled.
///
/// # Errors
/// The address cannot be bound.
pub(super) async fn start(
    endpoint: &MetricsEndpoint,
    app: Arc<App>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    if !endpoint.path.starts_with('/') {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("the metrics path `{}` must start with `/`", endpoint.path),
        ));
    }
    let listener = TcpListener::bind(endpoint.bind).await?;
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        tracing::info!(%addr, "the metrics exporter listens off loopback: keep this port private");
    }
    tracing::info!(%addr, path = %endpoint.path, "serving Prometheus metrics");
    let stop = app.shutdown.clone();
    let router = router(endpoint, app);
    Ok(tokio::spawn(async move {
        let serve = axum::serve(listener, router)
            .with_graceful_shutdown(async move { stop.cancelled().await });
        if let Err(e) = serve.await {
            tracing::warn!(error = %e, "the metrics exporter stopped");
        }
    }))
}
