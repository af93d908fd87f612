//! The `otel` feature's span per HTTP request, continuing the caller's W3C trace context
//! (see [`crate::telemetry::otel`]).

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// Middleware: runs the request inside an `mcp.request` span whose parent is the request's
/// `traceparent` (a new trace when it has none, or a malformed one).
pub(super) async fn continue_trace(request: Request, next: Next) -> Response {
    let span = tracing::info_span!(
        "mcp.request",
        otel.kind = "server",
        http.request.method = %request.method(),
        url.path = %request.uri().path(),
        http.response.status_code = tracing::field::Empty,
    );
    let _ = span.set_parent(crate::telemetry::otel::extract(request.headers()));
    let response = next.run(request).instrument(span.clone()).await;
    span.record("http.response.status_code", response.status().as_u16());
    response
}
