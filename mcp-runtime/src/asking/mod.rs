//! Asking the client: elicitation, sampling and roots, the same handler code in both eras.
//!
//! A handler writes straight-line code (`let answer = ctx.elicit(request).await?;`) and the
//! runtime carries it the way the request's era requires:
//! - **legacy** (2025-11-25 and older): a server-to-client JSON-RPC request, written to stdout
//!   (stdio) or on the call's SSE stream (HTTP), and matched with the client's response
//!   ([`PendingRequests`]); with a timeout, and withdrawn when the call is cancelled.
//! - **modern** (2026-07-28): an input-required result. The first call ends with
//!   `{"resultType":"input_required","inputRequests":{key: request},"requestState":"…"}`;
//!   the client retries with `inputResponses`, the handler runs again and this time finds the
//!   answer under the same key ([`Rounds`]). Answers given in earlier rounds travel in the
//!   sealed `requestState` ([`StateSealer`]).
//!
//! This module knows JSON, not the JSON-RPC or MCP layers above it: the dispatcher builds
//! the channel a call asks through and turns what it collected into a result.

mod ask;
mod pending;
mod requests;
mod rounds;
mod state;

pub(crate) use ask::{Asker, ELICITATION, ELICITATION_URL, Kind, ROOTS, SAMPLING};
pub use pending::PendingRequests;
pub(crate) use requests::roots_from_answer;
pub use requests::{Elicitation, Elicited, Root, Sampling, SamplingResult, UrlElicitation};
pub use rounds::Rounds;
pub(crate) use state::canonical_arguments;
pub use state::{StateBinding, StateError, StateSealer, StateUse};

use serde_json::Value;

/// Why asking the client failed. Every variant converts into a tool error with `?`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AskError {
    /// The client did not declare the capability the request needs (`elicitation`,
    /// `sampling`, `roots`), so the request was not sent.
    #[error("the client does not support {0}")]
    MissingCapability(&'static str),
    /// (2026-07-28) the answer is not in this round: the call ends with an input-required
    /// result asking for it, and the client calls again with the answer.
    #[error("waiting for the client's input")]
    InputRequired,
    /// (2025-11-25) the call cannot go on until the user completes a URL mode elicitation:
    /// the call ends with the `-32042` error listing it, and the client retries afterwards.
    #[error("a URL elicitation must be completed first")]
    UrlElicitationRequired,
    /// The client did not answer in time.
    #[error("the client did not answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The call ended (cancelled, or the connection closed) before the client answered.
    #[error("the request to the client was cancelled")]
    Cancelled,
    /// The client answered with a JSON-RPC error.
    #[error("the client refused the request: {message} ({code})")]
    Client {
        /// The JSON-RPC error code.
        code: i64,
        /// The error message.
        message: String,
        /// Structured detail, if any.
        data: Option<Value>,
    },
    /// The client's answer does not have the expected shape.
    #[error("the client's answer is invalid: {0}")]
    InvalidAnswer(String),
    /// This request has no way to reach the client (e.g. a handler called outside a
    /// request, or a request that cannot carry input requests).
    #[error("the client cannot be asked from here")]
    Unavailable,
}

/// A client capability a request needs, by its key in `capabilities`.
pub(crate) fn declares(capabilities: Option<&Value>, key: &str) -> bool {
    capabilities
        .and_then(|c| c.get(key))
        .is_some_and(|v| !v.is_null())
}
