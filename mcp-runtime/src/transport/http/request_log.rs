//! The request log: one `DEBUG` span per request with its method, URI and HTTP version
//! (entered while the handler runs and while its body is written, so every event of the
//! request carries it), `DEBUG` events when the request starts, when its response starts
//! (status and latency) and when its body ends (`stream_duration`: how long an SSE stream
//! was open), and an `ERROR` event for every `5xx` response (status and latency).
//!
//! The names, fields and messages are those of `tower_http`'s `TraceLayer::new_for_http`,
//! so log queries written against it keep working. The difference is the cost when `DEBUG`
//! is off, as in production: no span is made or entered, the response is passed through as
//! it is (its body neither wrapped nor boxed), and the clock is read once per request (for
//! the latency of a `5xx`), where `TraceLayer` reads it six times whatever it logs. Every
//! body this transport writes is infallible (whole JSON bodies, SSE streams of `Infallible`
//! items), so no body failure goes unlogged.

use axum::http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};
use tower::{Layer, Service};
use tracing::Span;

/// The layer of [`RequestLog`].
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct RequestLogLayer;

impl<S> Layer<S> for RequestLogLayer {
    type Service = RequestLog<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestLog { inner }
    }
}

/// Logs each request and its response around the inner service.
#[derive(Clone, Debug)]
pub(super) struct RequestLog<S> {
    inner: S,
}

impl<S, B> Service<Request<B>> for RequestLog<S>
where
    S: Service<Request<B>, Response = Response<axum::body::Body>>,
    S::Error: fmt::Display,
{
    type Response = Response<axum::body::Body>;
    type Error = S::Error;
    type Future = RequestLogFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let span = tracing::debug_span!(
            "request",
            method = %request.method(),
            uri = %request.uri(),
            version = ?request.version(),
        );
        // A disabled span is not kept: nothing is entered on each poll.
        let span = (!span.is_disabled()).then_some(span);
        if let Some(span) = &span {
            span.in_scope(|| tracing::debug!("started processing request"));
        }
        let started = Instant::now();
        let inner = match &span {
            Some(span) => span.in_scope(|| self.inner.call(request)),
            None => self.inner.call(request),
        };
        RequestLogFuture {
            inner,
            span,
            started,
        }
    }
}

pin_project! {
    /// The response future of [`RequestLog`].
    pub(super) struct RequestLogFuture<F> {
        #[pin]
        inner: F,
        // The request's span, when `DEBUG` is enabled for it.
        span: Option<Span>,
        started: Instant,
    }
}

impl<F, E> Future for RequestLogFuture<F>
where
    F: Future<Output = Result<Response<axum::body::Body>, E>>,
    E: fmt::Display,
{
    type Output = Result<Response<axum::body::Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let entered = this.span.as_ref().map(Span::enter);
        let result = ready!(this.inner.poll(cx));
        match &result {
            Ok(response) => {
                let status = response.status();
                if this.span.is_some() {
                    tracing::debug!(
                        latency = %Millis(this.started.elapsed()),
                        status = status.as_u16(),
                        "finished processing request"
                    );
                }
                if status.is_server_error() {
                    tracing::error!(
                        classification = %format_args!("Status code: {status}"),
                        latency = %Millis(this.started.elapsed()),
                        "response failed"
                    );
                }
            }
            Err(error) => {
                tracing::error!(
                    classification = %error,
                    latency = %Millis(this.started.elapsed()),
                    "response failed"
                );
            }
        }
        drop(entered);
        // Only a logged request's body is wrapped (and boxed); any other passes as it is.
        Poll::Ready(match this.span.take() {
            None => result,
            Some(span) => result.map(|response| {
                let stream = Some((span, Instant::now()));
                response.map(|inner| axum::body::Body::new(LoggedBody { inner, stream }))
            }),
        })
    }
}

pin_project! {
    /// A response body: the inner one, in the request's span when `DEBUG` is enabled for it.
    pub(super) struct LoggedBody<B> {
        #[pin]
        inner: B,
        // The request's span and when the body started, until its end is logged.
        stream: Option<(Span, Instant)>,
    }
}

impl<B: Body> Body for LoggedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        let Some((span, _)) = this.stream.as_ref() else {
            return this.inner.poll_frame(cx);
        };
        let frame = {
            let _entered = span.enter();
            ready!(this.inner.as_mut().poll_frame(cx))
        };
        if (frame.is_none() || this.inner.is_end_stream())
            && let Some((span, started)) = this.stream.take()
        {
            span.in_scope(|| {
                tracing::debug!(stream_duration = %Millis(started.elapsed()), "end of stream");
            });
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A latency as `TraceLayer` writes it: whole milliseconds, `"12 ms"`.
struct Millis(Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.0.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::StatusCode;
    use std::convert::Infallible;
    use std::io;
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt as _;

    /// Everything written by the subscriber of one test.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
        type Writer = Self;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    /// Sends one request answered with `status` through the layer, logging at `level`.
    async fn logged(level: tracing::Level, status: StatusCode) -> String {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(captured.clone())
            .with_ansi(false)
            .finish();
        let _default = tracing::subscriber::set_default(subscriber);
        let service =
            RequestLogLayer.layer(tower::service_fn(move |_: Request<Body>| async move {
                tracing::info!("inside the handler");
                Ok::<_, Infallible>(
                    Response::builder()
                        .status(status)
                        .body(Body::from("the body"))
                        .unwrap(),
                )
            }));
        let request = Request::post("/mcp?x=1").body(Body::empty()).unwrap();
        let response = service.oneshot(request).await.unwrap();
        assert_eq!(response.status(), status);
        // The body passes through unchanged, and its end is logged once it is written.
        let body = axum::body::to_bytes(Body::new(response.into_body()), usize::MAX)
            .await
            .unwrap();
        assert_eq!(&body[..], b"the body");
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    #[tokio::test]
    async fn debug_logs_the_request_span_and_both_ends() {
        let log = logged(tracing::Level::DEBUG, StatusCode::OK).await;
        assert!(log.contains("started processing request"), "{log}");
        assert!(log.contains("finished processing request"), "{log}");
        assert!(log.contains("status=200"), "{log}");
        assert!(log.contains(" ms"), "{log}");
        let end = log.lines().find(|l| l.contains("end of stream")).unwrap();
        assert!(end.contains("stream_duration="), "{end}");
        assert!(end.contains("request{method=POST"), "{end}");
        // The handler's own events carry the request's span and its fields.
        let inside = log
            .lines()
            .find(|l| l.contains("inside the handler"))
            .unwrap();
        assert!(
            inside.contains("request{method=POST uri=/mcp?x=1 version=HTTP/1.1}"),
            "{inside}"
        );
    }

    #[tokio::test]
    async fn above_debug_only_server_errors_are_logged() {
        let log = logged(tracing::Level::INFO, StatusCode::OK).await;
        assert!(!log.contains("processing request"), "{log}");
        assert!(!log.contains("end of stream"), "{log}");
        assert!(!log.contains("response failed"), "{log}");
        assert!(log.contains("inside the handler"), "{log}");

        let log = logged(tracing::Level::WARN, StatusCode::SERVICE_UNAVAILABLE).await;
        let line = log.lines().find(|l| l.contains("response failed")).unwrap();
        assert!(line.contains("ERROR"), "{line}");
        assert!(
            line.contains("classification=Status code: 503 Service Unavailable"),
            "{line}"
        );
        assert!(line.contains("latency="), "{line}");
    }
}
