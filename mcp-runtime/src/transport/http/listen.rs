//! Published changes over HTTP: a legacy session's `GET` stream, and a 2026-07-28
//! `subscriptions/listen` POST whose response is the subscription's SSE stream.
//!
//! Both streams are pulled by the response body, so a client that stops reading holds its
//! feed back; the feed then falls behind the server's bounded change queue and is resynced
//! (see [`crate::changes`]) instead of buffering without bound.

use super::reply;
use crate::protocol::{Feed, Listen};
use axum::response::Response;
use axum::response::sse::Sse;
use serde_json::Value;
use std::collections::VecDeque;
use std::convert::Infallible;
use tokio_util::sync::CancellationToken;

/// The stream's state: messages ready to send, the feed, and what ends it.
struct Pump<G> {
    queued: VecDeque<Value>,
    feed: Feed,
    /// Ends the stream (with `last`, if any, as its final message).
    end: CancellationToken,
    last: Option<Value>,
    ended: bool,
    /// Held for as long as the stream lives (e.g. to release a session's stream slot).
    _guard: G,
}

impl<G> Pump<G> {
    async fn next(&mut self) -> Option<Value> {
        loop {
            if let Some(v) = self.queued.pop_front() {
                return Some(v);
            }
            if self.ended {
                return None;
            }
            tokio::select! {
                biased;
                () = self.end.cancelled() => {
                    self.ended = true;
                    self.queued.extend(self.last.take());
                }
                batch = self.feed.next() => match batch {
                    Some(messages) => self.queued.extend(messages),
                    None => self.ended = true,
                },
            }
        }
    }
}

/// An SSE response sending `first`, then the feed's notifications, until `end` is cancelled
/// (then `last`, if any) or the client goes away.
pub(super) fn stream<G: Send + 'static>(
    first: Option<Value>,
    feed: Feed,
    end: CancellationToken,
    last: Option<Value>,
    guard: G,
) -> Response {
    let pump = Pump {
        queued: first.into_iter().collect(),
        feed,
        end,
        last,
        ended: false,
        _guard: guard,
    };
    let events = futures::stream::unfold(pump, |mut p| async move {
        let message = p.next().await?;
        Some((Ok::<_, Infallible>(reply::event(&message)), p))
    });
    reply::sse_response(Sse::new(events))
}

/// The SSE response of a modern `subscriptions/listen`: the acknowledgment first, then the
/// notifications; at shutdown, the listen request's completion result.
pub(super) fn listen_response(
    listen: Listen,
    server: &crate::Server,
    shutdown: CancellationToken,
) -> Response {
    let last = listen.completion(server);
    stream(
        Some(listen.acknowledgment),
        listen.feed,
        shutdown,
        Some(last),
        (),
    )
}
