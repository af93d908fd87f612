//! What the dispatcher records about each request: its labels in the request metrics
//! ([`crate::metrics`]).

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
