//! Per-connection state: what the legacy handshake negotiated, the requests in flight, and
//! the server's own requests awaiting the client's response.

use super::subscriptions::Followed;
use crate::asking::PendingRequests;
use crate::context::LogLevel;
use crate::jsonrpc::{ClientResponse, RequestId};
use futures::future::{AbortHandle, AbortRegistration};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// The state of one client connection: the stdio process, or one legacy HTTP session.
///
/// It holds what the legacy handshake negotiated (version, client capabilities, log level) and
/// the requests in flight, so `notifications/cancelled` can stop them.
#[derive(Debug)]
pub struct Connection {
    id: u64,
    transport: Transport,
    state: Mutex<LegacyState>,
    in_flight: Mutex<HashMap<RequestId, AbortHandle>>,
    pending: Arc<PendingRequests>,
    /// What this connection follows: legacy `resources/subscribe` URIs and the modern
    /// `subscriptions/listen` streams open on it (stdio).
    followed: Mutex<Followed>,
    /// Cancelled when the connection closes: ends its listen streams gracefully.
    closing: CancellationToken,
}

#[derive(Debug, Default)]
struct LegacyState {
    protocol_version: Option<String>,
    initialized: bool,
    log_level: Option<LogLevel>,
    client_info: Option<Value>,
    client_capabilities: Option<Arc<Value>>,
}

impl Default for Connection {
    fn default() -> Self {
        Self::new()
    }
}

/// The transport a [`Connection`] lives on (a label of the request metrics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// A byte stream: the stdio process, a pipe, a socket.
    #[default]
    Stdio,
    /// A legacy Streamable HTTP session.
    Http,
}

impl Transport {
    /// `stdio` or `http`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stdio => "stdio",
            Self::Http => "http",
        }
    }
}

impl Connection {
    /// A fresh connection with no handshake yet, on a byte stream ([`Transport::Stdio`]).
    pub fn new() -> Self {
        Self::over(Transport::Stdio)
    }

    /// A fresh connection with no handshake yet, on `transport`.
    pub fn over(transport: Transport) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            transport,
            state: Mutex::new(LegacyState::default()),
            in_flight: Mutex::new(HashMap::new()),
            pending: Arc::new(PendingRequests::default()),
            followed: Mutex::new(Followed::default()),
            closing: CancellationToken::new(),
        }
    }

    /// A process-unique number, for logs.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The transport it lives on.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LegacyState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The version the `initialize` handshake settled on, if it happened.
    pub fn protocol_version(&self) -> Option<String> {
        self.state().protocol_version.clone()
    }

    /// Whether the client sent `notifications/initialized`.
    pub fn is_initialized(&self) -> bool {
        self.state().initialized
    }

    /// The client's declared capabilities from `initialize`.
    pub fn client_capabilities(&self) -> Option<Value> {
        self.state().client_capabilities.as_deref().cloned()
    }

    /// [`Connection::client_capabilities`], shared rather than copied: what each call of the
    /// session hands to its handler's way of asking the client.
    pub(crate) fn shared_capabilities(&self) -> Option<Arc<Value>> {
        self.state().client_capabilities.clone()
    }

    /// Whether JSON-RPC batches are allowed (only in a 2025-03-26 session).
    pub fn accepts_batches(&self) -> bool {
        self.state().protocol_version.as_deref() == Some(super::BATCH_VERSION)
    }

    pub(crate) fn set_handshake(
        &self,
        version: &str,
        client_info: Option<Value>,
        capabilities: Option<Value>,
    ) {
        let mut s = self.state();
        s.protocol_version = Some(version.to_owned());
        s.client_info = client_info;
        s.client_capabilities = capabilities.map(Arc::new);
    }

    pub(crate) fn mark_initialized(&self) {
        self.state().initialized = true;
    }

    pub(crate) fn log_level(&self) -> Option<LogLevel> {
        let s = self.state();
        // Before any `logging/setLevel`, forward informational messages and above.
        s.protocol_version
            .as_ref()
            .map(|_| s.log_level.unwrap_or(LogLevel::Info))
    }

    pub(crate) fn set_log_level(&self, level: LogLevel) {
        self.state().log_level = Some(level);
    }

    /// Registers request `id` as in flight; `None` if a request with that id already is.
    pub(crate) fn begin(&self, id: &RequestId) -> Option<AbortRegistration> {
        let mut map = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if map.contains_key(id) {
            return None;
        }
        let (handle, registration) = AbortHandle::new_pair();
        map.insert(id.clone(), handle);
        Some(registration)
    }

    pub(crate) fn finish(&self, id: &RequestId) {
        self.in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    /// Cancels request `id` if it is in flight; returns whether it was.
    pub fn cancel(&self, id: &RequestId) -> bool {
        match self
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id)
        {
            Some(handle) => {
                handle.abort();
                true
            }
            None => false,
        }
    }

    /// The server's requests to the client that await its response (legacy era).
    pub fn pending(&self) -> &Arc<PendingRequests> {
        &self.pending
    }

    /// Hands the client's response to the server request it answers; `false` when no
    /// request waits for it (unknown id, or already answered, timed out or withdrawn).
    pub(crate) fn resolve(&self, response: ClientResponse) -> bool {
        let id = serde_json::to_value(&response.id).unwrap_or_default();
        let outcome = response
            .outcome
            .map_err(|e| serde_json::to_value(e).unwrap_or_default());
        self.pending.resolve(&id, outcome)
    }

    /// Cancels everything in flight (the client went away).
    pub fn cancel_all(&self) {
        self.pending.cancel_all();
        for (_, handle) in self
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
        {
            handle.abort();
        }
    }

    pub(crate) fn followed(&self) -> std::sync::MutexGuard<'_, Followed> {
        self.followed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ends the connection's `subscriptions/listen` streams gracefully (each answers its
    /// request with a completion result); the transport calls this when its input ends.
    pub fn close_subscriptions(&self) {
        self.closing.cancel();
    }

    /// Completes when [`Connection::close_subscriptions`] is called.
    pub(crate) async fn subscriptions_closed(&self) {
        self.closing.cancelled().await;
    }

    /// Number of requests in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }
}
