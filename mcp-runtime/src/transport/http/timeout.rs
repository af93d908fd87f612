//! The request timeout: `408 Request Timeout` when a response has not started within
//! [`HttpConfig::request_timeout`](super::HttpConfig::request_timeout).
//!
//! It answers exactly as `tower_http`'s `TimeoutLayer` with a `408` status does, with one
//! difference in cost: the timer is armed only when the response is still pending after its
//! first poll. Most calls answer within that poll, and a tokio timer that is registered and
//! then cancelled costs two trips through the time driver's wheel per request. The deadline
//! is still counted from the moment the request arrived.

use axum::http::{Request, Response, StatusCode};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};
use tower::{Layer, Service};

/// Applies [`RequestTimeout`] to a service.
#[derive(Debug, Clone, Copy)]
pub(super) struct RequestTimeoutLayer {
    timeout: Duration,
}

impl RequestTimeoutLayer {
    /// Responses not started within `timeout` are answered `408`.
    pub(super) fn new(timeout: Duration) -> Self {
        Self { timeout }
    }
}

impl<S> Layer<S> for RequestTimeoutLayer {
    type Service = RequestTimeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestTimeout {
            inner,
            timeout: self.timeout,
        }
    }
}

/// A service whose responses are replaced by `408 Request Timeout` when they take too long.
#[derive(Debug, Clone)]
pub(super) struct RequestTimeout<S> {
    inner: S,
    timeout: Duration,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequestTimeout<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = TimeoutFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // `checked_add`: a timeout too long to add to now never fires, as with `sleep`.
        let deadline = Instant::now().checked_add(self.timeout);
        TimeoutFuture {
            inner: self.inner.call(request),
            deadline,
            sleep: None,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`RequestTimeout`].
    pub(super) struct TimeoutFuture<F> {
        #[pin]
        inner: F,
        deadline: Option<Instant>,
        // Armed on the first `Pending`; boxed, since most requests never need it.
        sleep: Option<Pin<Box<Sleep>>>,
    }
}

impl<F, B, E> Future for TimeoutFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Default,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(response) = this.inner.poll(cx) {
            return Poll::Ready(response);
        }
        let Some(deadline) = *this.deadline else {
            return Poll::Pending;
        };
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                let mut response = Response::new(B::default());
                *response.status_mut() = StatusCode::REQUEST_TIMEOUT;
                Poll::Ready(Ok(response))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use std::convert::Infallible;
    use tower::ServiceExt as _;

    fn request() -> Request<Body> {
        Request::new(Body::empty())
    }

    /// A service whose responses take `secs` seconds, with `status`.
    fn taking(
        secs: u64,
        status: StatusCode,
    ) -> impl Service<Request<Body>, Response = Response<Body>, Error = Infallible, Future: Send>
    {
        tower::service_fn(move |_: Request<Body>| async move {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            let mut response = Response::new(Body::empty());
            *response.status_mut() = status;
            Ok(response)
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_response_is_replaced_by_408_at_the_deadline() {
        let slow = taking(10, StatusCode::OK);
        let service = RequestTimeoutLayer::new(Duration::from_secs(2)).layer(slow);
        let started = Instant::now();
        let response = service.oneshot(request()).await.unwrap();
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_counts_from_the_call_not_the_first_poll() {
        let slow = taking(10, StatusCode::OK);
        let mut service = RequestTimeoutLayer::new(Duration::from_secs(2)).layer(slow);
        let started = Instant::now();
        let future = service.call(request());
        tokio::time::advance(Duration::from_millis(1500)).await;
        let response = future.await.unwrap();
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_response_within_the_deadline_passes_and_a_ready_one_arms_no_timer() {
        let quick = taking(1, StatusCode::ACCEPTED);
        let service = RequestTimeoutLayer::new(Duration::from_secs(2)).layer(quick);
        let response = service.oneshot(request()).await.unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);

        let ready = tower::service_fn(|_: Request<Body>| async {
            Ok::<_, Infallible>(Response::new(Body::empty()))
        });
        let mut service = RequestTimeoutLayer::new(Duration::from_secs(2)).layer(ready);
        let mut future = std::pin::pin!(service.call(request()));
        let waker = futures::task::noop_waker();
        let polled = future.as_mut().poll(&mut Context::from_waker(&waker));
        assert!(matches!(polled, Poll::Ready(Ok(ref r)) if r.status() == StatusCode::OK));
        assert!(
            future.sleep.is_none(),
            "no timer for a response ready at once"
        );
    }
}
