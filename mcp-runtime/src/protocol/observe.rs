//! What the dispatcher records about each request: its labels in the request metrics
//! ([`crate::metrics`]), and (with the `otel` feature) the span of each tool call.

use super::connection::Transport;
use super::era::Era;
use super::method::Method;
use super::server::RequestScope;
use crate::error::McpError;
use crate::metrics::{METHOD_SLOTS, RequestLabels, RequestOutcome};
use std::time::Instant;

/// The `outcome` label of a request's result.
fn outcome<T>(result: &Result<T, McpError>) -> RequestOutcome {
    match result {
        Ok(_) => RequestOutcome::Ok,
        Err(McpError::Forbidden(_)) => RequestOutcome::Denied,
        Err(McpError::RateLimited { .. }) => RequestOutcome::RateLimited,
        Err(McpError::Unauthorized(_)) => RequestOutcome::Unauthorized,
        Err(McpError::ResourceNotFound { .. } | McpError::MethodNotFound(_)) => {
            RequestOutcome::NotFound
        }
        Err(McpError::Internal(_)) => RequestOutcome::Internal,
        Err(_) => RequestOutcome::Invalid,
    }
}

// Every method is counted apart in the request metrics, under its index in `Method::ALL`.
const _: () = {
    assert!(Method::ALL.len() <= METHOD_SLOTS);
    let mut i = 0;
    while i < Method::ALL.len() {
        assert!(Method::ALL[i] as usize == i);
        i += 1;
    }
};

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
        .map_or(Transport::Http, |c| c.transport());
    let labels = RequestLabels {
        method: method.map(|m| (m as usize, m.as_str())),
        modern: era == Era::Modern,
        stdio: transport == Transport::Stdio,
        outcome: outcome(result),
    };
    crate::metrics::global().request(labels, started.elapsed());
}

/// The span of one call of the registered tool `tool` (the `otel` feature; otherwise a
/// disabled span that costs nothing).
pub(super) fn tool_span(tool: &str, era: Era) -> tracing::Span {
    #[cfg(feature = "otel")]
    {
        tracing::info_span!(
            "mcp.tool_call",
            mcp.tool = tool,
            mcp.era = crate::metrics::era_label(era == Era::Modern),
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
