//! [`Asker`]: how one call reaches its client, by era: a server-to-client request awaiting
//! its response (legacy), or an answer looked up in this round / an input request collected
//! for the input-required result (modern).

use super::{AskError, PendingRequests, Rounds, declares};
use serde_json::Value;
use std::sync::Arc;
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
        /// What the client declared in `initialize`.
        capabilities: Option<Value>,
        /// How long to wait for each answer.
        timeout: Duration,
    },
    /// 2026-07-28: input-required results.
    Modern {
        /// This round's answers and collected requests.
        rounds: Arc<Rounds>,
        /// What the client declared in this request's `_meta`.
        capabilities: Option<Value>,
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
}

pub(crate) const ELICITATION: Kind = Kind {
    capability: "elicitation",
    method: "elicitation/create",
    prefix: "elicitation",
};
pub(crate) const SAMPLING: Kind = Kind {
    capability: "sampling",
    method: "sampling/createMessage",
    prefix: "sampling",
};
pub(crate) const ROOTS: Kind = Kind {
    capability: "roots",
    method: "roots/list",
    prefix: "roots",
};

impl Asker {
    fn capabilities(&self) -> Option<&Value> {
        match self {
            Self::Legacy { capabilities, .. } | Self::Modern { capabilities, .. } => {
                capabilities.as_ref()
            }
        }
    }

    /// Whether the client declared what `kind` needs. Form elicitation is refused to a
    /// client that declared only URL mode.
    pub(crate) fn supports(&self, kind: Kind) -> bool {
        let caps = self.capabilities();
        if !declares(caps, kind.capability) {
            return false;
        }
        if kind.method == ELICITATION.method {
            let modes = caps.and_then(|c| c.get("elicitation"));
            let form = modes.and_then(|m| m.get("form")).is_some();
            let url = modes.and_then(|m| m.get("url")).is_some();
            return form || !url;
        }
        true
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
                        rounds.ask(key, kind.method, params);
                        Err(AskError::InputRequired)
                    }
                }
            }
        }
    }
}
