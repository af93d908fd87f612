//! `GET` (a legacy session's server-to-client SSE stream: its published changes) and `DELETE` (ending a legacy
//! session) on the endpoint.

use super::headers;
use super::listen;
use super::refusal::Refusal;
use super::server::App;
use super::session::Session;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// GET or DELETE without a session: a stateless (modern) client gets `405`; a legacy client
/// that forgot its session gets `400`.
fn require_session(headers: &HeaderMap, method: Method) -> Result<(), Refusal> {
    if headers.contains_key(headers::SESSION_ID) {
        Ok(())
    } else if headers::names_legacy_version(headers) {
        Err(Refusal::SessionRequired {
            initialize_first: false,
        })
    } else {
        Err(Refusal::MethodNotAllowed(method))
    }
}

/// Releases the session's GET stream when the stream ends or is dropped.
struct StreamGuard(Arc<Session>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.close_get_stream();
    }
}

/// `GET`: opens the session's one SSE stream.
pub(super) async fn get_mcp(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, Refusal> {
    let caller = app
        .authenticate(&headers, &uri, None, || app.server.baseline_scopes())
        .await?;
    require_session(&headers, Method::GET)?;
    headers::check_legacy_version(&headers)?;
    let session = app
        .sessions
        .for_request(&headers, &caller, app.validator.is_some())
        .await?;
    let accepts_sse = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/event-stream") || v.contains("*/*"));
    if !accepts_sse {
        return Err(Refusal::NotAcceptable);
    }
    if !session.open_get_stream() {
        return Err(Refusal::StreamAlreadyOpen);
    }
    let guard = StreamGuard(session.clone());
    // The session's published changes (subscribed resources, list changes) until the
    // session or the server ends.
    let end = CancellationToken::new();
    let (closed, shutdown, stop) = (session.closed.clone(), app.shutdown.clone(), end.clone());
    tokio::spawn(async move {
        tokio::select! {
            () = closed.cancelled() => {},
            () = shutdown.cancelled() => {},
            () = stop.cancelled() => {},
        }
        stop.cancel();
    });
    let feed = app.server.feed(session.connection.clone(), caller);
    Ok(listen::stream(
        None,
        feed,
        end.clone(),
        None,
        (guard, end.drop_guard()),
    ))
}

/// `DELETE`: ends the session.
pub(super) async fn delete_mcp(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, Refusal> {
    let caller = app
        .authenticate(&headers, &uri, None, || app.server.baseline_scopes())
        .await?;
    require_session(&headers, Method::DELETE)?;
    let session = app
        .sessions
        .for_request(&headers, &caller, app.validator.is_some())
        .await?;
    app.sessions.end_everywhere(&session.id).await;
    Ok(StatusCode::OK.into_response())
}
