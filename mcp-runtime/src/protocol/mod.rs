//! MCP on top of JSON-RPC: protocol versions, era detection, per-connection state and the
//! dispatcher that both transports share.
//!
//! Two eras are served side by side:
//! - **modern** (`2026-07-28`): stateless; every request carries its version and client
//!   capabilities in `params._meta`; `server/discover` describes the server; every result has
//!   `resultType`.
//! - **legacy** (`2025-11-25`, `2025-06-18`, `2025-03-26`): an `initialize` handshake opens a
//!   session (the stdio process, or an HTTP session) that fixes the version.
//!
//! Where things are: [`Server`] and its scopes in `server`, [`ServerBuilder`] in `builder`,
//! eras and `_meta` in `era`, the typed method names in `method`, routing in `dispatch`, the
//! handshake in `lifecycle`, one file per primitive (`tools`, `resources`, `prompts`,
//! `completion`), list pagination in `paging`, session state in `connection`, subscriptions and the
//! per-subscriber [`Feed`] in `subscriptions`, asking the
//! client (legacy requests or modern input-required rounds) in `input`.

mod answer;
mod approval;
mod builder;
mod completion;
mod connection;
mod dispatch;
mod era;
mod feed;
mod input;
mod lifecycle;
mod method;
mod observe;
mod ownership;
mod paging;
mod prompts;
mod resources;
mod server;
mod subscriptions;
mod tools;

pub use crate::context::Outbound;
pub(crate) use answer::Answer;
pub use builder::{Implementation, ServerBuilder};
pub use connection::{Connection, Transport};
pub use era::{Era, detect_era, meta};
pub(crate) use era::{may_notify, modern_meta_version};
pub use feed::Feed;
pub use method::{Method, NotificationMethod};
pub use ownership::{ResolveError, ResourceRef};
pub use server::{RequestScope, Server};
pub use subscriptions::{Listen, MAX_LISTENS, MAX_RESOURCE_SUBSCRIPTIONS, SUBSCRIPTION_ID};

/// The newest protocol version, the only modern one.
pub const MODERN_VERSION: &str = "2026-07-28";
/// Versions served statelessly with per-request `_meta`.
pub const MODERN_VERSIONS: &[&str] = &[MODERN_VERSION];
/// Handshake-era versions accepted in `initialize`, newest first.
pub const LEGACY_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26"];
/// What `initialize` answers when the client asks for a version it does not know.
pub const LATEST_LEGACY_VERSION: &str = "2025-11-25";
/// The only legacy version in which JSON-RPC batches are allowed.
pub const BATCH_VERSION: &str = "2025-03-26";

/// A JSON object: what every handler returns as its `result`.
type Object = serde_json::Map<String, serde_json::Value>;

/// Serializes a handler's typed result into the `result` object.
fn to_object(result: impl serde::Serialize) -> Result<Object, crate::error::McpError> {
    use crate::error::McpError;
    match serde_json::to_value(result) {
        Ok(serde_json::Value::Object(object)) => Ok(object),
        Ok(other) => Err(McpError::Internal(format!(
            "a result serialized to {other}, not to an object"
        ))),
        Err(e) => Err(McpError::Internal(e.to_string())),
    }
}

/// Takes the `name` a `tools/call` or `prompts/get` names (a string).
fn take_name(params: &mut Object, method: &str) -> Result<String, crate::error::McpError> {
    match params.remove("name") {
        Some(serde_json::Value::String(name)) => Ok(name),
        _ => Err(crate::error::McpError::invalid_params(format!(
            "`{method}` needs `name` (a string)"
        ))),
    }
}

/// `-32602` for a tool or prompt (`noun`) this server does not have.
fn unknown(noun: &str, name: &str) -> crate::error::McpError {
    crate::error::McpError::InvalidParams {
        message: format!("Unknown {noun}: {name}"),
        data: Some(serde_json::json!({ "name": name })),
    }
}
