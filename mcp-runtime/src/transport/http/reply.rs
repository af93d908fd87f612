//! How answers leave the HTTP transport: the one mapping from a typed error to a status,
//! headers and a JSON-RPC body, and the choice between a JSON body and an SSE stream.

use super::refusal::Refusal;
use crate::auth::challenge::Challenge;
use crate::error::McpError;
use crate::jsonrpc::{JSONRPC_VERSION, RequestId, error_response, success_response};
use crate::protocol::Answer;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::FutureExt as _;
use futures::future::BoxFuture;
use serde_json::Value;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::sync::mpsc;

/// What the transport knows about authentication when it renders an error.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChallengeHint {
    /// The protected resource metadata URL; `None` when authentication is off. Shared with
    /// the transport: every request carries a hint, few use it.
    pub(crate) metadata_url: Option<Arc<str>>,
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
            let c = Challenge::new(&**url).scope(hint.scopes.iter().cloned());
            Some(if hint.token_presented {
                c.error("invalid_token").description(why.clone())
            } else {
                c
            })
        }
        (McpError::Forbidden(denial), Some(url)) => Some(
            Challenge::new(&**url)
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
    if let McpError::RateLimited { retry_after, .. } | McpError::Unavailable { retry_after, .. } =
        error
    {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(retry_after.as_secs().max(1)),
        );
    }
    response
}

/// `400` for a malformed authorization request (RFC 6750 §3.1): a JSON-RPC
/// `Invalid Request` error and `WWW-Authenticate: Bearer …, error="invalid_request"`.
pub(crate) fn invalid_auth_request(
    id: Option<&RequestId>,
    why: &str,
    hint: &ChallengeHint,
) -> Response {
    let mut response = error(id, &McpError::InvalidRequest(why.to_owned()), hint);
    if let Some(url) = &hint.metadata_url {
        let c = Challenge::new(&**url)
            .error("invalid_request")
            .description(why);
        if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
    }
    response
}

/// A JSON body with `status`.
pub(crate) fn json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let mut bytes = Vec::with_capacity(512);
    if serde_json::to_writer(&mut bytes, body).is_err() {
        bytes.clear();
    }
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
    /// The `result` of request `id`: written out as its success response directly, without
    /// first building the response as a `Value`.
    Result {
        /// The request.
        id: RequestId,
        /// The result.
        result: Value,
    },
    /// The [`Answer`] to request `id`, written out the same way.
    Answer {
        /// The request.
        id: RequestId,
        /// The result.
        answer: Answer,
    },
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
            Self::Result { id, result } => success_response(&id, result),
            Self::Answer { id, answer } => match answer.into_value() {
                Ok(result) => success_response(&id, result),
                Err(error) => error_response(Some(&id), &error.to_error_object()),
            },
            Self::Error { id, error } => error_response(Some(&id), &error.to_error_object()),
        }
    }
}

/// A success response as it is written: the same members, in the same order, as
/// `success_response` gives once serialized.
#[derive(serde::Serialize)]
struct Success<'a, R> {
    id: &'a RequestId,
    jsonrpc: &'static str,
    result: &'a R,
}

impl<'a, R: serde::Serialize> Success<'a, R> {
    fn new(id: &'a RequestId, result: &'a R) -> Self {
        Self {
            id,
            jsonrpc: JSONRPC_VERSION,
            result,
        }
    }
}

/// How a call is driven while its response is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Drive {
    /// Polled by the response itself, with no task of its own (2026-07-28): when the client
    /// goes away, the response future or SSE body is dropped and the call with it, which is
    /// how a disconnect cancels the request. Once the answer is an SSE stream, the call
    /// advances as the server writes the body (a client that stops reading holds it up).
    Inline,
    /// Spawned on a task of its own (legacy eras). The spawn is needed here: a legacy
    /// disconnect is not a cancellation (clients cancel with `notifications/cancelled`), so
    /// the call must run to its end after the response is dropped, and only then does it
    /// leave its session's table of requests in flight.
    Detached,
}

/// The call ended without an answer: it panicked (or its task was torn down).
#[derive(Debug)]
struct Lost;

type Call = BoxFuture<'static, Result<Option<Outcome>, Lost>>;

/// Runs a call and answers with JSON, or with an SSE stream as soon as the call emits a
/// notification (progress, log message) before its result.
///
/// - `task` yields `None` when the call ends without a response (cancelled): `202`.
/// - `notes` receives the call's notifications; `None` when it cannot send any (a
///   2026-07-28 request that asked for neither progress nor log messages).
/// - `drive` says whether a client disconnect cancels the call (see [`Drive`]).
/// - A panic in the call answers `500` before the stream started, and ends the stream after.
///
/// The call is boxed here, before anything awaits it, so the future this returns holds a
/// pointer to it rather than the call's whole state: the response future stays small, and
/// the layers and the connection that move it copy a few hundred bytes, not kilobytes.
pub(crate) fn run<F>(
    task: F,
    notes: Option<mpsc::UnboundedReceiver<Value>>,
    drive: Drive,
    hint: ChallengeHint,
) -> impl Future<Output = Response> + Send + 'static
where
    F: Future<Output = Option<Outcome>> + Send + 'static,
{
    let call: Call = match drive {
        Drive::Inline => AssertUnwindSafe(task)
            .catch_unwind()
            .map(|r| r.map_err(|_panic| Lost))
            .boxed(),
        Drive::Detached => tokio::spawn(task).map(|r| r.map_err(|_| Lost)).boxed(),
    };
    respond(call, notes, hint)
}

/// [`run`] once its call is boxed: one function for every kind of call.
async fn respond(
    mut call: Call,
    notes: Option<mpsc::UnboundedReceiver<Value>>,
    hint: ChallengeHint,
) -> Response {
    let mut first = VecDeque::new();
    let Some(mut notes) = notes else {
        return answer((&mut call).await, first, hint);
    };
    let finished = tokio::select! {
        note = notes.recv() => {
            match note {
                Some(n) => { first.push_back(n); None }
                None => Some((&mut call).await),
            }
        }
        done = &mut call => Some(done),
    };
    let Some(done) = finished else {
        return sse(first, Some(notes), Some(call));
    };
    while let Ok(n) = notes.try_recv() {
        first.push_back(n);
    }
    answer(done, first, hint)
}

/// The answer to a call that ended, after the notifications it sent first (if any).
fn answer(
    done: Result<Option<Outcome>, Lost>,
    mut first: VecDeque<Value>,
    hint: ChallengeHint,
) -> Response {
    let Ok(outcome) = done else {
        tracing::error!("a call ended without an answer");
        return Refusal::NoAnswer.into_response();
    };
    if first.is_empty() {
        match outcome {
            None => accepted(),
            Some(Outcome::Message(v)) => json(StatusCode::OK, &v),
            Some(Outcome::Result { id, result }) => {
                json(StatusCode::OK, &Success::new(&id, &result))
            }
            Some(Outcome::Answer { id, answer }) => {
                json(StatusCode::OK, &Success::new(&id, &answer))
            }
            Some(Outcome::Error { id, error: e }) => error(Some(&id), &e, &hint),
        }
    } else {
        if let Some(o) = outcome {
            first.push_back(o.into_message());
        }
        sse(first, None, None)
    }
}

/// The state of a call's SSE stream: messages ready to send, the call's notifications, and
/// the call itself until it ends (dropping the stream drops an inline call).
struct Stream {
    queued: VecDeque<Value>,
    notes: Option<mpsc::UnboundedReceiver<Value>>,
    call: Option<Call>,
}

/// What woke the stream up.
enum Step {
    Note(Option<Value>),
    Done(Result<Option<Outcome>, Lost>),
}

impl Stream {
    /// The next message to send, driving the call meanwhile; `None` once everything is sent.
    async fn next(&mut self) -> Option<Value> {
        loop {
            if let Some(v) = self.queued.pop_front() {
                return Some(v);
            }
            let call = self.call.as_mut()?;
            let step = match &mut self.notes {
                Some(rx) => tokio::select! {
                    note = rx.recv() => Step::Note(note),
                    done = call => Step::Done(done),
                },
                None => Step::Done(call.await),
            };
            match step {
                Step::Note(Some(v)) => self.queued.push_back(v),
                Step::Note(None) => self.notes = None,
                Step::Done(done) => {
                    self.call = None;
                    // Notifications the call sent before it ended go out before its answer.
                    if let Some(mut rx) = self.notes.take() {
                        while let Ok(v) = rx.try_recv() {
                            self.queued.push_back(v);
                        }
                    }
                    // A call that panicked mid-stream just ends the stream.
                    if let Ok(Some(outcome)) = done {
                        self.queued.push_back(outcome.into_message());
                    }
                }
            }
        }
    }
}

fn sse(
    queued: VecDeque<Value>,
    notes: Option<mpsc::UnboundedReceiver<Value>>,
    call: Option<Call>,
) -> Response {
    let state = Stream {
        queued,
        notes,
        call,
    };
    let stream = futures::stream::unfold(state, |mut st| async move {
        let message = st.next().await?;
        Some((Ok::<_, Infallible>(event(&message)), st))
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_panicking_call_answers_500_either_way() {
        for drive in [Drive::Inline, Drive::Detached] {
            let (_tx, rx) = mpsc::unbounded_channel();
            let call = async {
                panic!("boom");
            };
            let response = run(call, Some(rx), drive, ChallengeHint::default()).await;
            assert_eq!(
                response.status(),
                StatusCode::INTERNAL_SERVER_ERROR,
                "{drive:?}"
            );
            let text = body(response).await;
            assert!(text.contains("the call ended without an answer"), "{text}");
        }
    }

    #[tokio::test]
    async fn notifications_before_the_answer_make_a_stream_in_order() {
        for drive in [Drive::Inline, Drive::Detached] {
            let (tx, rx) = mpsc::unbounded_channel();
            let call = async move {
                tx.send(json!({"n": 1})).unwrap();
                tokio::task::yield_now().await;
                tx.send(json!({"n": 2})).unwrap();
                Some(Outcome::Message(json!({"id": 7})))
            };
            let response = run(call, Some(rx), drive, ChallengeHint::default()).await;
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                "text/event-stream"
            );
            let text = body(response).await;
            let data: Vec<&str> = text
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .collect();
            assert_eq!(
                data,
                [r#"{"n":1}"#, r#"{"n":2}"#, r#"{"id":7}"#],
                "{drive:?}"
            );
        }
    }

    #[test]
    fn a_result_is_written_as_its_success_response() {
        for id in [RequestId::Number(7), RequestId::String("a\"b".to_owned())] {
            let result = json!({"content": [{"type": "text", "text": "hi"}], "z": 1, "_meta": {}});
            let direct = serde_json::to_string(&Success::new(&id, &result)).unwrap();
            let built = success_response(&id, result).to_string();
            assert_eq!(direct, built);
        }
    }

    #[tokio::test]
    async fn a_quiet_call_answers_json_with_or_without_a_channel() {
        for with_channel in [true, false] {
            let (_tx, rx) = mpsc::unbounded_channel();
            let call = async { Some(Outcome::Message(json!({"id": 1}))) };
            let notes = with_channel.then_some(rx);
            let response = run(call, notes, Drive::Inline, ChallengeHint::default()).await;
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(body(response).await, r#"{"id":1}"#);
        }
    }

    #[tokio::test]
    async fn a_panicking_call_without_a_channel_answers_500() {
        let call = async {
            panic!("boom");
        };
        let response = run(call, None, Drive::Inline, ChallengeHint::default()).await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
