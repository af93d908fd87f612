//! The `Host` and `Origin` checks (against DNS rebinding), run before any handler.

use super::health;
use super::refusal::Refusal;
use super::server::App;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::future::{Either, Ready, ready};
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// `("http", "host:port")` of an absolute URL.
pub(super) fn split_origin(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    (!authority.is_empty()).then_some((scheme, authority))
}

/// The host part of `host[:port]` (IPv6 literals keep their brackets).
fn host_part(authority: &str) -> &str {
    // A byte loop: `str::find` goes through `memchr`, slower for a string this short.
    let bytes = authority.as_bytes();
    let end = if bytes.first() == Some(&b'[') {
        bytes.iter().position(|&b| b == b']').map(|i| i + 1)
    } else {
        bytes.iter().position(|&b| b == b':')
    };
    end.map_or(authority, |i| &authority[..i])
}

/// Whether `allowed` (`host` or `host:port`) admits the `Host` value `authority`.
pub(super) fn host_matches(allowed: &str, authority: &str) -> bool {
    admits(allowed, has_port(allowed), authority, host_part(authority))
}

/// Whether `host[:port]` names a port.
fn has_port(name: &str) -> bool {
    name.len() > host_part(name).len()
}

/// Whether the allowed `name` (`host`, or `host:port` when `has_port`) admits the `Host`
/// value `authority`, whose host part is `host`.
fn admits(name: &str, has_port: bool, authority: &str, host: &str) -> bool {
    name.eq_ignore_ascii_case(authority) || (!has_port && name.eq_ignore_ascii_case(host))
}

/// An entry of `HttpConfig::allowed_hosts`, its port looked for once, when the transport
/// is built, rather than on every request.
#[derive(Debug)]
pub(super) struct AllowedHost {
    /// `host` or `host:port`, as configured.
    name: String,
    /// Whether `name` names a port: then only that port is admitted.
    has_port: bool,
}

impl AllowedHost {
    pub(super) fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            has_port: has_port(name),
        }
    }

    /// Whether this entry admits the `Host` value `authority`, whose host part is `host`.
    fn admits(&self, authority: &str, host: &str) -> bool {
        admits(&self.name, self.has_port, authority, host)
    }
}

/// Whether `allowed` (`scheme://host` or `scheme://host:port`) admits the `Origin` value
/// `origin`.
pub(super) fn origin_matches(allowed: &str, origin: &str) -> bool {
    match (split_origin(allowed), split_origin(origin)) {
        (Some((s1, a1)), Some((s2, a2))) => s1.eq_ignore_ascii_case(s2) && host_matches(a1, a2),
        _ => false,
    }
}

/// The `Host` / `Origin` check as a tower layer around the whole router: every path but the
/// probes ([`health::HEALTHZ`], [`health::READYZ`]) is checked, unknown paths included. A
/// plain service: nothing is boxed or cloned per request.
#[derive(Clone)]
pub(super) struct CheckOriginLayer {
    app: Arc<App>,
}

impl CheckOriginLayer {
    pub(super) fn new(app: Arc<App>) -> Self {
        Self { app }
    }
}

impl<S> Layer<S> for CheckOriginLayer {
    type Service = CheckOrigin<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CheckOrigin {
            inner,
            app: self.app.clone(),
        }
    }
}

/// The service of [`CheckOriginLayer`].
#[derive(Clone)]
pub(super) struct CheckOrigin<S> {
    inner: S,
    app: Arc<App>,
}

impl<S, B> Service<axum::http::Request<B>> for CheckOrigin<S>
where
    S: Service<axum::http::Request<B>, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: axum::http::Request<B>) -> Self::Future {
        // The probes are not checked at all (nor a refusal logged for them).
        let probe = matches!(request.uri().path(), health::HEALTHZ | health::READYZ);
        let refused = if probe {
            None
        } else {
            refusal(&self.app, &request)
        };
        match refused {
            Some(refused) => Either::Left(ready(Ok(refused.into_response()))),
            None => Either::Right(self.inner.call(request)),
        }
    }
}

/// Refuses a foreign `Host` (unless any host is allowed) and a foreign `Origin` (when the
/// header is present) with `403`.
fn refusal<B>(app: &App, request: &axum::http::Request<B>) -> Option<Refusal> {
    let headers = request.headers();
    if !app.allowed_hosts.is_empty() {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()));
        let ok = host.is_some_and(|h| {
            let host = host_part(h);
            app.allowed_hosts.iter().any(|a| a.admits(h, host))
        });
        if !ok {
            tracing::warn!(host = ?host, "refusing a request for a foreign Host");
            return Some(Refusal::ForbiddenHost);
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ok = origin
            .to_str()
            .is_ok_and(|o| app.allowed_origins.iter().any(|a| origin_matches(a, o)));
        if !ok {
            tracing::warn!(origin = ?origin, "refusing a request from a foreign Origin");
            return Some(Refusal::ForbiddenOrigin);
        }
    }
    None
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
