//! The request body limit: `413 Payload Too Large` above
//! [`HttpConfig::max_body_bytes`](super::HttpConfig::max_body_bytes).
//!
//! It answers as `tower_http`'s `RequestBodyLimitLayer` does: a `Content-Length` over the
//! limit is refused before any handler runs (`text/plain`, "length limit exceeded"); any
//! other body whose size is not already bounded within the limit (chunked, say) is read
//! through [`http_body_util::Limited`], so one that turns out longer fails where it is read,
//! and the handler answers `413` then. The difference is in the types: the limited body is
//! an [`axum::body::Body`] at once, and the response is the inner service's own, where
//! `tower_http` wraps the request body in a type of its own (which the router then boxes
//! again) and every response body in another.

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use axum::response::IntoResponse as _;
use http_body_util::Limited;
use std::future::{Ready, ready};
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// The body of a refused request, as `tower_http` words it.
const REFUSAL: &str = "length limit exceeded";

/// Applies [`BodyLimit`] to a service.
#[derive(Debug, Clone, Copy)]
pub(super) struct BodyLimitLayer {
    limit: usize,
}

impl BodyLimitLayer {
    /// Request bodies above `limit` bytes are refused with `413`.
    pub(super) fn new(limit: usize) -> Self {
        Self { limit }
    }
}

impl<S> Layer<S> for BodyLimitLayer {
    type Service = BodyLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BodyLimit {
            inner,
            limit: self.limit,
        }
    }
}

/// A service whose requests' bodies may not exceed a limit.
#[derive(Debug, Clone)]
pub(super) struct BodyLimit<S> {
    inner: S,
    limit: usize,
}

/// The `413` for a request whose `Content-Length` is over the limit (`text/plain`).
fn refusal() -> Response<Body> {
    (StatusCode::PAYLOAD_TOO_LARGE, REFUSAL).into_response()
}

impl<S, B> Service<Request<B>> for BodyLimit<S>
where
    S: Service<Request<Body>, Response = Response<Body>>,
    B: http_body::Body<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = futures::future::Either<S::Future, Ready<Result<Response<Body>, S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        let limit = match declared {
            Some(length) if length > self.limit => {
                return futures::future::Either::Right(ready(Ok(refusal())));
            }
            Some(length) => length.min(self.limit),
            None => self.limit,
        };
        // A body bounded within the limit by its own size hint needs no counting: hyper's body
        // of a request with a `Content-Length` hints exactly that length and delivers no
        // more (HTTP/1 framing; HTTP/2 refuses a stream whose data exceeds it).
        let bounded = http_body::Body::size_hint(request.body())
            .upper()
            .is_some_and(|upper| upper <= limit as u64);
        let request = if bounded {
            request.map(Body::new)
        } else {
            request.map(|body| Body::new(Limited::new(body, limit)))
        };
        futures::future::Either::Left(self.inner.call(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;
    use axum::extract::FromRequest;
    use tower::ServiceExt as _;

    /// Echoes the body it reads, or answers `413` as the handlers do when reading fails.
    async fn read(request: Request<Body>) -> Result<Response<Body>, std::convert::Infallible> {
        use axum::response::IntoResponse as _;
        Ok(match Bytes::from_request(request, &()).await {
            Ok(body) => Response::new(Body::from(body)),
            Err(rejection) => rejection.into_response(),
        })
    }

    async fn send(request: Request<Body>) -> (StatusCode, Option<String>, String) {
        let service = BodyLimitLayer::new(8).layer(tower::service_fn(read));
        super::super::response_parts(service.oneshot(request).await.unwrap()).await
    }

    fn request(body: &'static str, length: Option<usize>) -> Request<Body> {
        let mut builder = Request::post("/mcp");
        if let Some(length) = length {
            builder = builder.header(header::CONTENT_LENGTH, length);
        }
        builder.body(Body::from(body)).unwrap()
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_before_the_handler() {
        let (status, kind, body) = send(request("0123456789", Some(10))).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(kind.as_deref(), Some("text/plain; charset=utf-8"));
        assert_eq!(body, "length limit exceeded");
    }

    #[tokio::test]
    async fn a_body_within_the_limit_reaches_the_handler_whole() {
        assert_eq!(
            send(request("01234567", Some(8))).await,
            (StatusCode::OK, None, "01234567".to_owned())
        );
        assert_eq!(
            send(request("0123", None)).await,
            (StatusCode::OK, None, "0123".to_owned())
        );
    }

    #[tokio::test]
    async fn an_undeclared_body_over_the_limit_fails_where_it_is_read() {
        let (status, _, body) = send(request("0123456789", None)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(body.contains("length limit exceeded"), "{body}");
    }

    #[tokio::test]
    async fn a_body_longer_than_its_declared_length_is_cut_at_it() {
        // The declared length is within the limit, the body is not: reading stops at the
        // declared length, as `tower_http` bounds it.
        let (status, _, body) = send(request("0123456789", Some(4))).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    }
}
