//! The `Host` and `Origin` checks (against DNS rebinding), run before any handler.

use super::refusal::Refusal;
use super::server::App;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// `("http", "host:port")` of an absolute URL.
pub(super) fn split_origin(url: &str) -> Option<(&str, &str)> {
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
pub(super) fn host_matches(allowed: &str, authority: &str) -> bool {
    let allowed = allowed.to_ascii_lowercase();
    let authority = authority.to_ascii_lowercase();
    if allowed == authority {
        return true;
    }
    let has_port = allowed.len() > host_part(&allowed).len();
    !has_port && host_part(&authority) == allowed
}

/// Whether `allowed` (`scheme://host` or `scheme://host:port`) admits the `Origin` value
/// `origin`.
pub(super) fn origin_matches(allowed: &str, origin: &str) -> bool {
    match (split_origin(allowed), split_origin(origin)) {
        (Some((s1, a1)), Some((s2, a2))) => s1.eq_ignore_ascii_case(s2) && host_matches(a1, a2),
        _ => false,
    }
}

/// Middleware: refuses a foreign `Host` (unless any host is allowed) and a foreign `Origin`
/// (when the header is present) with `403`.
pub(super) async fn check_origin(
    State(app): State<Arc<App>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    if !app.allowed_hosts.is_empty() {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()));
        let ok = host.is_some_and(|h| app.allowed_hosts.iter().any(|a| host_matches(a, h)));
        if !ok {
            tracing::warn!(host = ?host, "refusing a request for a foreign Host");
            return Refusal::ForbiddenHost.into_response();
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ok = origin
            .to_str()
            .is_ok_and(|o| app.allowed_origins.iter().any(|a| origin_matches(a, o)));
        if !ok {
            tracing::warn!(origin = ?origin, "refusing a request from a foreign Origin");
            return Refusal::ForbiddenOrigin.into_response();
        }
    }
    next.run(request).await
}

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
}
