//! OpenTelemetry traces (the `otel` feature): a span per HTTP request continuing the
//! caller's W3C trace context (`traceparent` / `tracestate`), and a span per tool call,
//! exported with OTLP over HTTP (protobuf).
//!
//! - `mcp.request` (kind server): `http.request.method`, `url.path`,
//!   `http.response.status_code`; its parent is the incoming `traceparent`, when valid.
//! - `mcp.tool_call`: `mcp.tool` (a registered tool's name), `mcp.era` (`modern` or
//!   `legacy`), `mcp.decision` (`allow`, `deny` or `rate_limited`). A child of the request's
//!   span over HTTP.
//!
//! No span carries a token, a subject or arguments.
//!
//! The exporter follows the standard `OTEL_*` variables (`OTEL_EXPORTER_OTLP_ENDPOINT`,
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`,
//! `OTEL_SERVICE_NAME`, …); [`init_stderr`](super::init_stderr) turns it on when an
//! endpoint variable is set, [`init`] with explicit settings.

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, TextMapPropagator as _};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::sync::Mutex;

/// Where and as what traces are exported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OtelSettings {
    /// The full OTLP/HTTP traces URL (e.g. `http://collector:4318/v1/traces`); `None` reads
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_EXPORTER_OTLP_ENDPOINT` plus
    /// `/v1/traces`, or the default `http://localhost:4318/v1/traces`.
    pub endpoint: Option<String>,
    /// `service.name`; `None` reads `OTEL_SERVICE_NAME` (else the SDK's default).
    pub service_name: Option<String>,
}

/// Why trace export could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OtelError {
    /// The OTLP exporter could not be built (a malformed endpoint, no HTTP client).
    #[error("cannot build the OTLP exporter: {0}")]
    Exporter(String),
}

/// The provider in use, kept for [`shutdown`].
static PROVIDER: Mutex<Option<SdkTracerProvider>> = Mutex::new(None);

/// Whether an OTLP endpoint variable is set (and `OTEL_SDK_DISABLED` is not `true`).
pub fn configured_by_env() -> bool {
    let set = |v: &str| std::env::var(v).is_ok_and(|v| !v.is_empty());
    (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        && !std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Installs stderr logging (as [`init_stderr`](super::init_stderr)) with trace export to
/// `settings`. Spans are sent in batches from a thread of their own; [`shutdown`] sends the
/// rest.
///
/// # Errors
/// The exporter cannot be built; nothing is installed then.
pub fn init(settings: &OtelSettings) -> Result<(), OtelError> {
    // reqwest is built without a default crypto provider (see `auth::jwks`).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary);
    if let Some(endpoint) = &settings.endpoint {
        exporter = exporter.with_endpoint(endpoint.clone());
    }
    let exporter = exporter
        .build()
        .map_err(|e| OtelError::Exporter(e.to_string()))?;
    let mut resource = Resource::builder();
    if let Some(name) = &settings.service_name {
        resource = resource.with_service_name(name.clone());
    }
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build();
    let tracer = provider.tracer("mcp-runtime");
    *PROVIDER.lock().unwrap_or_else(|e| e.into_inner()) = Some(provider);
    super::install(Some(Box::new(
        tracing_opentelemetry::layer().with_tracer(tracer),
    )));
    Ok(())
}

/// Sends the spans not yet exported, waiting for the exporter.
pub fn flush() {
    if let Some(p) = PROVIDER.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        let _ = p.force_flush();
    }
}

/// Sends the spans not yet exported and stops the exporter.
pub fn shutdown() {
    if let Some(p) = PROVIDER.lock().unwrap_or_else(|e| e.into_inner()).take()
        && let Err(e) = p.shutdown()
    {
        tracing::debug!(error = %e, "stopping the trace exporter");
    }
}

/// Reads `traceparent` / `tracestate` from HTTP headers.
struct Headers<'a>(&'a axum::http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(axum::http::HeaderName::as_str).collect()
    }
}

/// The W3C trace context of a request (empty when absent or malformed).
pub(crate) fn extract(headers: &axum::http::HeaderMap) -> Context {
    TraceContextPropagator::new().extract(&Headers(headers))
}
