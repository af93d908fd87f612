//! Panics in the transport become a `500`, and the server lives on.
//!
//! It answers as `tower_http`'s `CatchPanicLayer` does with its default handler: a panic
//! while the inner service is called or while its response future is polled is logged at
//! `ERROR` ("Service panicked: …") and answered `500 Internal Server Error`, `text/plain`,
//! "Service panicked". The difference is the response body: the inner service's own is
//! passed through, where `tower_http` boxes every response body into one of its own type
//! (and the transport then boxes it again).
//!
//! A tool handler's panic never gets here: the call turns it into an error result first.

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use axum::response::IntoResponse as _;
use futures::FutureExt as _;
use futures::future::CatchUnwind;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// Applies [`CatchPanic`] to a service.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct CatchPanicLayer;

impl<S> Layer<S> for CatchPanicLayer {
    type Service = CatchPanic<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CatchPanic { inner }
    }
}

/// A service whose panics are answered `500`.
#[derive(Debug, Clone)]
pub(super) struct CatchPanic<S> {
    inner: S,
}

/// Logs `panic` and makes its `500` (`text/plain`).
fn answer(panic: &(dyn Any + Send)) -> Response<Body> {
    match panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
    {
        Some(message) => tracing::error!("Service panicked: {}", message),
        None => tracing::error!(
            "Service panicked but `CatchPanic` was unable to downcast the panic info"
        ),
    }
    (StatusCode::INTERNAL_SERVER_ERROR, "Service panicked").into_response()
}

impl<S, ReqBody> Service<Request<ReqBody>> for CatchPanic<S>
where
    S: Service<Request<ReqBody>, Response = Response<Body>>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = CatchPanicFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(request))) {
            Ok(future) => CatchPanicFuture::Running {
                future: AssertUnwindSafe(future).catch_unwind(),
            },
            Err(panic) => CatchPanicFuture::Panicked { panic: Some(panic) },
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`CatchPanic`].
    #[project = Projection]
    pub(super) enum CatchPanicFuture<F> {
        /// The inner service's future, polled under `catch_unwind`.
        Running { #[pin] future: CatchUnwind<AssertUnwindSafe<F>> },
        /// The inner service panicked when it was called.
        Panicked { panic: Option<Box<dyn Any + Send>> },
    }
}

impl<F, E> Future for CatchPanicFuture<F>
where
    F: Future<Output = Result<Response<Body>, E>>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            Projection::Running { future } => match future.poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(result)) => Poll::Ready(result),
                Poll::Ready(Err(panic)) => Poll::Ready(Ok(answer(&*panic))),
            },
            Projection::Panicked { panic } => {
                let panic = panic.take().expect("polled after completion");
                Poll::Ready(Ok(answer(&*panic)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use tower::ServiceExt as _;

    async fn outcome<S>(service: S) -> (StatusCode, Option<String>, String)
    where
        S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
    {
        let response = CatchPanicLayer
            .layer(service)
            .oneshot(Request::new(Body::empty()))
            .await
            .unwrap();
        super::super::response_parts(response).await
    }

    #[tokio::test]
    async fn a_panic_while_polled_is_a_500_and_the_response_otherwise_passes() {
        let panicking = tower::service_fn(|_: Request<Body>| async {
            if true {
                panic!("the handler broke");
            }
            Ok::<_, Infallible>(Response::new(Body::empty()))
        });
        let (status, kind, body) = outcome(panicking).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(kind.as_deref(), Some("text/plain; charset=utf-8"));
        assert_eq!(body, "Service panicked");

        let fine = tower::service_fn(|_: Request<Body>| async {
            Ok::<_, Infallible>(Response::new(Body::from("fine")))
        });
        assert_eq!(
            outcome(fine).await,
            (StatusCode::OK, None, "fine".to_owned())
        );
    }

    #[derive(Clone)]
    struct PanicsWhenCalled;

    impl Service<Request<Body>> for PanicsWhenCalled {
        type Response = Response<Body>;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Response<Body>, Infallible>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: Request<Body>) -> Self::Future {
            panic!("broke before any future");
        }
    }

    #[tokio::test]
    async fn a_panic_in_call_is_a_500_too() {
        let (status, _, body) = outcome(PanicsWhenCalled).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body, "Service panicked");
    }
}
