//! How answers leave the HTTP transport: the one mapping from a typed error to a status,
//! headers and a JSON-RPC body, and the choice between a JSON body and an SSE stream.

use crate::auth::challenge::Challenge;
use crate::error::McpError;
use crate::jsonrpc::{ErrorObject, RequestId, error_response};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use serde_json::Value;
use std::collections::VecDeque;
use std::convert::Infallible;
use tokio::sync::{mpsc, oneshot};

/// What the transport knows about authentication when it renders an error.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChallengeHint {
    /// The protected resource metadata URL; `None` when authentication is off.
    pub(crate) metadata_url: Option<String>,
    /// Whether the request presented a token (adds `error="invalid_token"` to a 401).
    pub(crate) token_presented: bool,
    /// The scopes a 401 challenge names.
    pub(crate) scopes: Vec<String>,
}

/// Renders `error` for request `id`: status from [`McpError::http_status`], body from
/// [`McpError::to_error_object`], and the headers the status calls for:
/// - `401`: `WWW-Authenticate: Bearer resource_metadata=…, scope=…` (+ `error="invalid_token"`
///   when a token was presented);
/// - `403` for a policy denial: `WWW-Authenticate: Bearer …, scope="<every required scope>",
///   error="insufficient_scope"`, so the client can step up;
/// - `429`: `Retry-After` in seconds.
///
/// This is the only place the HTTP transport turns an auth or policy error into a response.
pub(crate) fn error(id: Option<&RequestId>, error: &McpError, hint: &ChallengeHint) -> Response {
    let status =
        StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json(status, &error_response(id, &error.to_error_object()));
    let challenge = match (error, &hint.metadata_url) {
        (McpError::Unauthorized(why), Some(url)) => {
            let c = Challenge::new(url.clone()).scope(hint.scopes.iter().cloned());
            Some(if hint.token_presented {
                c.error("invalid_token").description(why.clone())
            } else {
                c
            })
        }
        (McpError::Forbidden(denial), Some(url)) => Some(
            Challenge::new(url.clone())
                .scope(denial.required.iter().cloned())
                .error("insufficient_scope")
                .description(denial.reason.clone()),
        ),
        _ => None,
    };
    if let Some(c) = challenge
        && let Ok(v) = HeaderValue::from_str(&c.to_string())
    {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    if let McpError::RateLimited { retry_after, .. } = error {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(retry_after.as_secs().max(1)),
        );
    }
    response
}

/// A transport-level refusal (no session, unknown session, foreign origin…) that is not a
/// protocol error: `status` with a JSON-RPC error body.
pub(crate) fn refuse(status: StatusCode, code: i32, message: impl Into<String>) -> Response {
    json(
        status,
        &error_response(None, &ErrorObject::new(code, message.into())),
    )
}

/// A JSON body with `status`.
pub(crate) fn json(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response()
}

/// `202 Accepted` with no body (notifications, client responses).
pub(crate) fn accepted() -> Response {
    StatusCode::ACCEPTED.into_response()
}

/// The final answer of one POST.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A complete JSON-RPC message (a success response, or a batch's responses).
    Message(Value),
    /// A typed error for request `id`.
    Error {
        /// The request.
        id: RequestId,
        /// The error.
        error: McpError,
    },
}

impl Outcome {
    fn into_message(self) -> Value {
        match self {
            Self::Message(v) => v,
            Self::Error { id, error } => error_response(Some(&id), &error.to_error_object()),
        }
    }
}

/// Aborts the call's task when dropped: the response future or SSE body went away because
/// the client disconnected (2026-07-28: a disconnect cancels the request).
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs a call and answers with JSON, or with an SSE stream as soon as the call emits a
/// notification (progress, log message) before its result.
///
/// - `task` yields `None` when the call ends without a response (cancelled): `202`.
/// - `cancel_on_disconnect`: abort the call when the client goes away (modern era); legacy
///   calls run to completion, since a legacy disconnect is not a cancellation.
/// - Headers in `extra` (e.g. `Mcp-Session-Id`) are added to the response either way.
pub(crate) async fn run(
    task: BoxFuture<'static, Option<Outcome>>,
    mut notes: mpsc::UnboundedReceiver<Value>,
    cancel_on_disconnect: bool,
    hint: ChallengeHint,
    extra: Vec<(header::HeaderName, HeaderValue)>,
) -> Response {
    let (done_tx, mut done_rx) = oneshot::channel();
    let handle = tokio::spawn(async move {
        let _ = done_tx.send(task.await);
    });
    let guard = cancel_on_disconnect.then(|| AbortOnDrop(handle.abort_handle()));
    let mut first = VecDeque::new();
    let finished = tokio::select! {
        note = notes.recv() => {
            match note {
                Some(n) => { first.push_back(n); None }
                None => Some((&mut done_rx).await),
            }
        }
        done = &mut done_rx => Some(done),
    };
    let mut response = match finished {
        Some(done) => {
            while let Ok(n) = notes.try_recv() {
                first.push_back(n);
            }
            let Ok(outcome) = done else {
                tracing::error!("a call ended without an answer");
                return refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    crate::jsonrpc::codes::INTERNAL_ERROR,
                    "Internal error: the call ended without an answer",
                );
            };
            if first.is_empty() {
                match outcome {
                    None => accepted(),
                    Some(Outcome::Message(v)) => json(StatusCode::OK, &v),
                    Some(Outcome::Error { id, error: e }) => error(Some(&id), &e, &hint),
                }
            } else {
                if let Some(o) = outcome {
                    first.push_back(o.into_message());
                }
                sse(first, None, None, guard)
            }
        }
        None => sse(first, Some(notes), Some(done_rx), guard),
    };
    for (k, v) in extra {
        response.headers_mut().insert(k, v);
    }
    response
}

type Done = oneshot::Receiver<Option<Outcome>>;

struct Stream {
    queued: VecDeque<Value>,
    notes: Option<mpsc::UnboundedReceiver<Value>>,
    done: Option<Done>,
    _guard: Option<AbortOnDrop>,
}

fn sse(
    queued: VecDeque<Value>,
    notes: Option<mpsc::UnboundedReceiver<Value>>,
    done: Option<Done>,
    guard: Option<AbortOnDrop>,
) -> Response {
    let state = Stream {
        queued,
        notes,
        done,
        _guard: guard,
    };
    let stream = futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(v) = st.queued.pop_front() {
                return Some((Ok::<_, Infallible>(event(&v)), st));
            }
            if let Some(rx) = &mut st.notes {
                match rx.recv().await {
                    Some(v) => st.queued.push_back(v),
                    None => st.notes = None,
                }
                continue;
            }
            let done = st.done.take()?;
            let outcome = done.await.ok().flatten()?;
            st.queued.push_back(outcome.into_message());
        }
    });
    sse_response(Sse::new(stream))
}

/// One SSE `message` event carrying a JSON-RPC message.
pub(crate) fn event(message: &Value) -> Event {
    Event::default()
        .event("message")
        .data(serde_json::to_string(message).unwrap_or_default())
}

/// Finishes an SSE response: keep-alive comments and `X-Accel-Buffering: no` so proxies do
/// not hold events back.
pub(crate) fn sse_response<S>(sse: Sse<S>) -> Response
where
    S: futures::Stream<Item = Result<Event, Infallible>> + Send + 'static,
{
    let mut response = sse.keep_alive(KeepAlive::default()).into_response();
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}
