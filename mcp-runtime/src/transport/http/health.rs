//! Liveness and readiness: `GET /healthz` and `GET /readyz`.
//!
//! Both are unauthenticated and skip the `Host` / `Origin` check (a probe addresses the pod
//! by its IP), but keep every other layer (timeout, body limit, panic guard, tracing). Their
//! bodies name states, never a secret, a URL or a caller.
//!
//! - `/healthz` answers `200 ok` while the process serves requests.
//! - `/readyz` answers `200` when this replica can take traffic, else `503`, with a JSON body
//!   `{"status": "ready" | "not_ready", "checks": {…}}`:
//!   - `policy`: `ok` (a server only serves once its policy is loaded; a failed reload keeps
//!     the previous one);
//!   - `signing_keys`: `ok`, `unavailable` (the issuer's keys have never been fetched: no
//!     token can be verified), or `not_required` (no authentication);
//!   - `shutdown`: `draining` once the shutdown signal came (so load balancers stop sending
//!     new requests while calls in flight finish), else absent.
//!
//!   Probing never forces a key fetch per probe: keys in hand are reused, and while none are,
//!   a fetch is tried at most once per refresh interval.

use super::server::App;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use std::sync::Arc;

/// The liveness path.
pub(super) const HEALTHZ: &str = "/healthz";
/// The readiness path.
pub(super) const READYZ: &str = "/readyz";

/// The two probe routes.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(HEALTHZ, get(|| async { "ok" }))
        .route(READYZ, get(readyz))
}

async fn readyz(State(app): State<Arc<App>>) -> Response {
    let keys = match &app.validator {
        None => "not_required",
        Some(v) if v.keys_ready().await => "ok",
        Some(_) => "unavailable",
    };
    let draining = app.shutdown.is_cancelled();
    let ready = keys != "unavailable" && !draining;
    let mut checks = json!({ "policy": "ok", "signing_keys": keys });
    if draining {
        checks["shutdown"] = json!("draining");
    }
    let (status, word) = if ready {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not_ready")
    };
    let mut response = (
        status,
        axum::Json(json!({ "status": word, "checks": checks })),
    )
        .into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}
