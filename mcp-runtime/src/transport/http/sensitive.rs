//! Marks the credential headers (`Authorization`, `Cookie`) of every request sensitive, so
//! nothing below (tracing included) prints their values.
//!
//! `tower_http`'s `SetSensitiveRequestHeadersLayer` does the same through `HeaderMap::entry`
//! (a hashed lookup that first makes room for an insertion) once per header name; walking the
//! request's few headers in place and comparing names is cheaper, and needs one feature of
//! `tower_http` less.

use axum::http::{HeaderMap, Request, header};
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// Marks every value of `Authorization` and `Cookie` in `headers` sensitive.
fn mark(headers: &mut HeaderMap) {
    for (name, value) in headers.iter_mut() {
        if name == header::AUTHORIZATION || name == header::COOKIE {
            value.set_sensitive(true);
        }
    }
}

/// The layer of [`MarkSensitive`].
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct MarkSensitiveLayer;

impl<S> Layer<S> for MarkSensitiveLayer {
    type Service = MarkSensitive<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MarkSensitive { inner }
    }
}

/// Marks the request's credential headers sensitive, then calls the inner service.
#[derive(Clone, Debug)]
pub(super) struct MarkSensitive<S> {
    inner: S,
}

impl<S, B> Service<Request<B>> for MarkSensitive<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        mark(request.headers_mut());
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn credentials_are_marked_and_nothing_else() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer a.b.c"),
        );
        headers.append(header::COOKIE, HeaderValue::from_static("a=1"));
        headers.append(header::COOKIE, HeaderValue::from_static("b=2"));
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        mark(&mut headers);
        assert!(headers[header::AUTHORIZATION].is_sensitive());
        assert!(
            headers
                .get_all(header::COOKIE)
                .iter()
                .all(HeaderValue::is_sensitive)
        );
        assert!(!headers[header::ACCEPT].is_sensitive());
        assert!(
            format!("{headers:?}").contains("Sensitive")
                && !format!("{headers:?}").contains("a.b.c"),
            "the value is hidden from Debug"
        );
    }
}
