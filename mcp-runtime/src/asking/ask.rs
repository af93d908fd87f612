//! [`Asker`]: how one call reaches its client, by era: a server-to-client request awaiting
//! its response (legacy), or an answer looked up in this round / an input request collected
//! for the input-required result (modern).

use super::{AskError, PendingRequests, Rounds, declares};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// The way a call asks its client.
#[derive(Clone, Debug)]
pub(crate) enum Asker {
    /// Handshake era: JSON-RPC requests on the connection.
    Legacy {
        /// The connection's table of requests awaiting a response.
        pending: Arc<PendingRequests>,
        /// Where the request is written (stdout, or the call's SSE stream).
        outbound: mpsc::UnboundedSender<Value>,
        /// What the client declared in `initialize` (shared with the session).
        capabilities: Option<Arc<Value>>,
        /// How long to wait for each answer.
        timeout: Duration,
        /// The connection's process-unique id (where a URL elicitation's completion goes).
        connection: u64,
        /// URL elicitations the handler declared required (`-32042` once it returns).
        url_required: Arc<Mutex<Vec<Value>>>,
    },
    /// 2026-07-28: input-required results.
    Modern {
        /// This round's answers and collected requests.
        rounds: Arc<Rounds>,
        /// What the client declared in this request's `_meta`.
        capabilities: Option<Arc<Value>>,
    },
}

/// One kind of request to the client.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Kind {
    /// The capability the client must have declared.
    pub(crate) capability: &'static str,
    /// The JSON-RPC method.
    pub(crate) method: &'static str,
    /// The prefix of default keys.
    pub(crate) prefix: &'static str,
    /// An elicitation in URL mode (needs `elicitation.url`).
    pub(crate) url_mode: bool,
}

pub(crate) const ELICITATION: Kind = Kind {
    capability: "elicitation",
    method: "elicitation/create",
    prefix: "elicitation",
    url_mode: false,
};
pub(crate) const ELICITATION_URL: Kind = Kind {
    capability: "elicitation",
    method: "elicitation/create",
    prefix: "elicitation",
    url_mode: true,
};
pub(crate) const SAMPLING: Kind = Kind {
    capability: "sampling",
    method: "sampling/createMessage",
    prefix: "sampling",
    url_mode: false,
};
pub(crate) const ROOTS: Kind = Kind {
    capability: "roots",
    method: "roots/list",
    prefix: "roots",
    url_mode: false,
};

impl Asker {
    fn capabilities(&self) -> Option<&Value> {
        match self {
            Self::Legacy { capabilities, .. } | Self::Modern { capabilities, .. } => {
                capabilities.as_deref()
            }
        }
    }

    /// Whether the client declared what `kind` needs. Form elicitation is refused to a
    /// client that declared only URL mode; URL mode needs `elicitation.url` (an empty
    /// `elicitation` object means form mode only).
    pub(crate) fn supports(&self, kind: Kind) -> bool {
        let caps = self.capabilities();
        if !declares(caps, kind.capability) {
            return false;
        }
        if kind.method == ELICITATION.method {
            let modes = caps.and_then(|c| c.get("elicitation"));
            let form = modes.and_then(|m| m.get("form")).is_some();
            let url = modes.and_then(|m| m.get("url")).is_some();
            return if kind.url_mode { url } else { form || !url };
        }
        true
    }

    /// Declares that the call cannot go on until the user completes the URL elicitation with
    /// `params`: recorded for the `-32042` error (legacy), or asked for in this round's
    /// input-required result (modern).
    pub(crate) fn require_url(&self, key: Option<String>, params: Value) -> AskError {
        if !self.supports(ELICITATION_URL) {
            return AskError::MissingCapability("elicitation.url");
        }
        match self {
            Self::Legacy { url_required, .. } => {
                url_required
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(params);
                AskError::UrlElicitationRequired
            }
            Self::Modern { rounds, .. } => {
                let key = key.unwrap_or_else(|| rounds.next_key(ELICITATION_URL.prefix));
                rounds.ask(key, ELICITATION_URL.method, modern_url_params(params));
                AskError::InputRequired
            }
        }
    }

    /// The legacy connection's id, for a URL elicitation's completion notification.
    pub(crate) fn legacy_connection(&self) -> Option<u64> {
        match self {
            Self::Legacy { connection, .. } => Some(*connection),
            Self::Modern { .. } => None,
        }
    }

    /// Asks the client: the raw `result` of its answer.
    pub(crate) async fn ask(
        &self,
        kind: Kind,
        key: Option<String>,
        params: Value,
    ) -> Result<Value, AskError> {
        if !self.supports(kind) {
            return Err(AskError::MissingCapability(kind.capability));
        }
        match self {
            Self::Legacy {
                pending,
                outbound,
                timeout,
                ..
            } => {
                pending
                    .request(outbound, kind.method, params, *timeout)
                    .await
            }
            Self::Modern { rounds, .. } => {
                let key = key.unwrap_or_else(|| rounds.next_key(kind.prefix));
                match rounds.answer(&key) {
                    Some(answer) => Ok(answer),
                    None => {
                        let params = if kind.url_mode {
                            modern_url_params(params)
                        } else {
                            params
                        };
                        rounds.ask(key, kind.method, params);
                        Err(AskError::InputRequired)
                    }
                }
            }
        }
    }
}

/// Protocol 2026-07-28 has no `elicitationId` (nor completion notification): the server
/// tracks the interaction through its `requestState`.
fn modern_url_params(mut params: Value) -> Value {
    if let Some(p) = params.as_object_mut() {
        p.remove("elicitationId");
    }
    params
}
