//! What the dispatcher records about each request: its labels in the request metrics
//! ([`crate::metrics`]), and (with the `otel` feature) the span of each tool call.

use super::era::Era;
use super::method::Method;
use super::server::RequestScope;
use crate::error::McpError;
use std::time::Instant;

/// The `era` label.
fn era_label(era: Era) -> &'static str {
    match era {
        Era::Modern => "modern",
        Era::Legacy => "legacy",
    }
}

/// The `outcome` label of a request's result.
fn outcome<T>(result: &Result<T, McpError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(McpError::Forbidden(_)) => "denied",
        Err(McpError::RateLimited { .. }) => "rate_limited",
        Err(McpError::Unauthorized(_)) => "unauthorized",
        Err(McpError::ResourceNotFound { .. } | McpError::MethodNotFound(_)) => "not_found",
        Err(McpError::Internal(_)) => "internal",
        Err(_) => "invalid",
    }
}

/// Records one handled request, `started` when dispatch began.
pub(super) fn request<T>(
    method: Option<Method>,
    era: Era,
    scope: &RequestScope,
    result: &Result<T, McpError>,
    started: Instant,
) {
    let transport = scope
        .connection
        .as_ref()
        .map_or("http", |c| c.transport().as_str());
    crate::metrics::global().request(
        method.map_or("other", Method::as_str),
        era_label(era),
        transport,
        outcome(result),
        started.elapsed(),
    );
}

/// The span of one call of the registered tool `tool` (the `otel` feature; otherwise a
/// disabled span that costs nothing).
pub(super) fn tool_span(tool: &str, era: Era) -> tracing::Span {
    #[cfg(feature = "otel")]
    {
        tracing::info_span!(
            "mcp.tool_call",
            mcp.tool = tool,
            mcp.era = era_label(era),
            mcp.decision = tracing::field::Empty,
        )
    }
    #[cfg(not(feature = "otel"))]
    {
        let _ = (tool, era);
        tracing::Span::none()
    }
}

/// Records the authorization decision on a tool call's span.
pub(super) fn record_decision<T>(span: &tracing::Span, decided: &Result<T, McpError>) {
    let decision = match decided {
        Ok(_) => "allow",
        Err(McpError::RateLimited { .. }) => "rate_limited",
        Err(_) => "deny",
    };
    span.record("mcp.decision", decision);
}
