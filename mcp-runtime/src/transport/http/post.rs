//! `POST` on the endpoint: authentication, the era of the message, then a stateless
//! (2026-07-28) call, a legacy session's message, or the `initialize` that opens a session.

use super::headers;
use super::refusal::Refusal;
use super::reply::{self, ChallengeHint, Drive, Outcome};
use super::server::App;
use super::session::Owner;
use crate::context::Caller;
use crate::jsonrpc::{
    Incoming, Request, RequestId, parse_request, request_message, success_response,
};
use crate::protocol::{Era, RequestScope, may_notify};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::mpsc;

/// `POST` on the endpoint. The request is taken whole (rather than through the `HeaderMap`
/// and `Uri` extractors, which copy them) and its body read by [`read_body`].
pub(super) async fn post_mcp(
    State(app): State<Arc<App>>,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    match read_body(body).await {
        Ok(body) => post_body(&app, &parts.headers, &parts.uri, body)
            .await
            .into_response(),
        Err(refusal) => refusal,
    }
}

/// The whole request body, read as axum's `Bytes` extractor reads it and refused as it
/// refuses (`413` for a body over the transport's limit, `400` for a body that failed), but a
/// body that arrives in one frame, as most do, is taken as it is rather than gathered
/// into a list and copied out of it. The limit itself is applied by the `body_limit`
/// layer, which is also why axum's own default limit is disabled.
async fn read_body(mut body: axum::body::Body) -> Result<Bytes, Response> {
    use http_body::Body as _;
    use http_body_util::BodyExt as _;
    let mut first: Option<Bytes> = None;
    let mut rest: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(body_refusal)?.into_data() else {
            continue;
        };
        if first.is_none() && rest.is_empty() {
            if body.is_end_stream() {
                return Ok(data);
            }
            first = Some(data);
        } else {
            if let Some(first) = first.take() {
                rest.extend_from_slice(&first);
            }
            rest.extend_from_slice(&data);
        }
    }
    Ok(first.unwrap_or_else(|| Bytes::from(rest)))
}

/// The refusal of a body that could not be read, worded as axum's `Bytes` extractor words it.
fn body_refusal(error: axum::Error) -> Response {
    let error = error.into_inner();
    let status = if error.is::<http_body_util::LengthLimitError>() {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        StatusCode::BAD_REQUEST
    };
    (
        status,
        format!("Failed to buffer the request body: {error}"),
    )
        .into_response()
}

async fn post_body(
    app: &App,
    headers: &HeaderMap,
    uri: &Uri,
    body: Bytes,
) -> Result<Response, Refusal> {
    // The common case, one request, is read without a `Value` of the whole message; anything
    // else (and anything odd) takes the `Value` path below, which answers it exactly.
    if let Some(request) = parse_request(&body) {
        let caller = app
            .authenticate(headers, uri, Some(&request.id), || {
                app.scopes_for_request(&request)
            })
            .await?;
        let hint = app.hint(Vec::new(), true);
        return match headers::detect_request_era(headers, &request.params) {
            Era::Modern => modern_request(app, headers, request, caller, hint).await,
            Era::Legacy => {
                let body = request_message(request);
                Box::pin(post_legacy(app, headers, body, caller, hint)).await
            }
        };
    }
    // Boxed, like the legacy path above: this function's state is then only what the common
    // case needs, and so is the copy of it each layer makes.
    Box::pin(post_value(app, headers, uri, body)).await
}

/// [`post_body`] for anything but one well-formed request: read as a `Value`.
async fn post_value(
    app: &App,
    headers: &HeaderMap,
    uri: &Uri,
    body: Bytes,
) -> Result<Response, Refusal> {
    let parsed = serde_json::from_slice::<Value>(&body);
    let id = parsed
        .as_ref()
        .ok()
        .and_then(|b| b.get("id"))
        .and_then(RequestId::from_value);
    let caller = app
        .authenticate(headers, uri, id.as_ref(), || {
            app.scopes_for(parsed.as_ref().ok())
        })
        .await?;
    let body = parsed.map_err(Refusal::Unparsable)?;
    let hint = app.hint(Vec::new(), true);
    match headers::detect_era(headers, &body) {
        Era::Modern => post_modern(app, headers, body, caller, hint).await,
        Era::Legacy => post_legacy(app, headers, body, caller, hint).await,
    }
}

/// A stateless 2026-07-28 message. The call runs inline in the response (see
/// [`Drive::Inline`]): no task, and a disconnect cancels it.
async fn post_modern(
    app: &App,
    headers: &HeaderMap,
    body: Value,
    caller: Arc<Caller>,
    hint: ChallengeHint,
) -> Result<Response, Refusal> {
    if body.is_array() {
        return Err(Refusal::ModernBatch);
    }
    let request = match classify(body)? {
        Incoming::Notification(n) => {
            tracing::debug!(method = %n.method, "notification on the stateless endpoint");
            return Ok(reply::accepted());
        }
        Incoming::Response(_) => return Err(Refusal::ModernResponse),
        Incoming::Request(r) => r,
    };
    modern_request(app, headers, request, caller, hint).await
}

/// A stateless 2026-07-28 request: the header rules, then the call.
async fn modern_request(
    app: &App,
    headers: &HeaderMap,
    request: Request,
    caller: Arc<Caller>,
    hint: ChallengeHint,
) -> Result<Response, Refusal> {
    if let Err(error) = headers::check_modern(headers, &request) {
        return Err(Refusal::HeaderRules {
            id: request.id,
            error: Box::new(error),
            hint,
        });
    }
    if request.method == "subscriptions/listen" {
        return Ok(match app.server.listen(&request, caller) {
            Ok(listen) => super::listen::listen_response(listen, &app.server, app.shutdown.clone()),
            Err(error) => reply::error(Some(&request.id), &error, &hint),
        });
    }
    let (tx, rx) = if may_notify(&request.params) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Some(tx), Some(rx))
    } else {
        (None, None)
    };
    let scope = RequestScope {
        connection: None,
        caller,
        outbound: tx,
    };
    // The call is built and handed to `reply::run`, which boxes it, within this block: it is
    // not kept in this function's own state across the `await` below.
    let response = {
        let server = app.server.clone();
        let call = async move {
            let id = request.id.clone();
            Some(
                match server
                    .handle_request_answer(request, Era::Modern, &scope)
                    .await
                {
                    Ok(answer) => Outcome::Answer { id, answer },
                    Err(error) => Outcome::Error { id, error },
                },
            )
        };
        reply::run(call, rx, Drive::Inline, hint)
    };
    Ok(response.await)
}

/// A message of a legacy session, or the `initialize` that opens one. Calls are detached
/// (see [`Drive::Detached`]): a legacy client cancels with `notifications/cancelled`.
async fn post_legacy(
    app: &App,
    headers: &HeaderMap,
    body: Value,
    caller: Arc<Caller>,
    hint: ChallengeHint,
) -> Result<Response, Refusal> {
    headers::check_legacy_version(headers)?;
    if !headers.contains_key(headers::SESSION_ID) {
        return initialize(app, body, caller, hint).await;
    }
    let session = app
        .sessions
        .for_request(headers, &caller, app.validator.is_some())
        .await?;
    let connection = session.connection.clone();
    let (tx, rx) = mpsc::unbounded_channel();
    if body.is_array() {
        let call = app.server.dispatch(&connection, body, &caller, &tx);
        drop(tx);
        let call = async move { call.await.map(Outcome::Message) };
        return Ok(reply::run(call, Some(rx), Drive::Detached, hint).await);
    }
    let request = match classify(body)? {
        Incoming::Notification(n) => {
            let was_initialized = connection.is_initialized();
            app.server.handle_notification(Some(&connection), &n);
            if !was_initialized && connection.is_initialized() {
                app.sessions.publish(&session).await;
            }
            return Ok(reply::accepted());
        }
        Incoming::Response(r) => {
            let id = r.id.clone();
            if !connection.resolve(r) {
                tracing::debug!(%id, "ignoring a response to an unknown server request");
            }
            return Ok(reply::accepted());
        }
        Incoming::Request(r) => r,
    };
    let scope = RequestScope {
        connection: Some(connection),
        caller,
        outbound: Some(tx),
    };
    let response = {
        let id = request.id.clone();
        // Registers the request as in flight now, in arrival order, before the call runs.
        let future = app.server.dispatch_request(request, &scope);
        drop(scope);
        let call = async move {
            future.await.map(|outcome| match outcome {
                Ok(result) => Outcome::Result { id, result },
                Err(error) => Outcome::Error { id, error },
            })
        };
        reply::run(call, Some(rx), Drive::Detached, hint)
    };
    Ok(response.await)
}

/// A legacy POST without a session: only `initialize` may open one.
async fn initialize(
    app: &App,
    body: Value,
    caller: Arc<Caller>,
    hint: ChallengeHint,
) -> Result<Response, Refusal> {
    let request = match classify(body)? {
        Incoming::Request(r) if r.method == "initialize" => r,
        _ => {
            return Err(Refusal::SessionRequired {
                initialize_first: true,
            });
        }
    };
    let owner = app.validator.as_ref().map(|_| Owner::of(&caller));
    let session = app
        .sessions
        .create(owner)
        .map_err(|_full| Refusal::TooManySessions)?;
    let scope = RequestScope {
        connection: Some(session.connection.clone()),
        caller,
        outbound: None,
    };
    let id = request.id.clone();
    Ok(match app.server.dispatch_request(request, &scope).await {
        Some(Ok(result)) => {
            app.sessions.publish(&session).await;
            tracing::info!(
                session = session.connection.id(),
                open = app.sessions.len(),
                "legacy session opened"
            );
            let mut response = reply::json(StatusCode::OK, &success_response(&id, result));
            if let Ok(v) = HeaderValue::from_str(&session.id) {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(headers::SESSION_ID), v);
            }
            response
        }
        Some(Err(error)) => {
            app.sessions.remove(&session.id);
            reply::error(Some(&id), &error, &hint)
        }
        None => {
            app.sessions.remove(&session.id);
            reply::accepted()
        }
    })
}

/// One JSON-RPC message, or the `400` for a value that is not one.
fn classify(body: Value) -> Result<Incoming, Refusal> {
    Incoming::classify(body).map_err(|rejected| Refusal::NotJsonRpc(Box::new(rejected)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use std::convert::Infallible;

    fn chunked(chunks: &[&'static str]) -> Body {
        let frames = chunks
            .iter()
            .map(|c| Ok::<_, Infallible>(http_body::Frame::data(Bytes::from_static(c.as_bytes()))))
            .collect::<Vec<_>>();
        Body::new(http_body_util::StreamBody::new(futures::stream::iter(
            frames,
        )))
    }

    async fn text(response: Response) -> (StatusCode, String) {
        let (status, _, body) = super::super::response_parts(response).await;
        (status, body)
    }

    #[tokio::test]
    async fn a_body_in_one_frame_or_many_is_read_whole() {
        assert_eq!(read_body(Body::from("{}")).await.unwrap(), "{}");
        assert_eq!(read_body(Body::empty()).await.unwrap(), "");
        assert_eq!(
            read_body(chunked(&["{\"a\":", "1", "}"])).await.unwrap(),
            "{\"a\":1}"
        );
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_a_413_and_a_failed_one_a_400_worded_as_axum_words_them() {
        let limited = Body::new(http_body_util::Limited::new(chunked(&["0123", "4567"]), 6));
        let (status, body) = text(read_body(limited).await.unwrap_err()).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            body,
            "Failed to buffer the request body: length limit exceeded"
        );

        let failing = Body::new(http_body_util::StreamBody::new(futures::stream::iter([
            Ok(http_body::Frame::data(Bytes::from_static(b"{"))),
            Err(std::io::Error::other("connection reset")),
        ])));
        let (status, body) = text(read_body(failing).await.unwrap_err()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body, "Failed to buffer the request body: connection reset");
    }
}
