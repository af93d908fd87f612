//! MCP on top of JSON-RPC: protocol versions, era detection, per-connection state and the
//! dispatcher that both transports share.
//!
//! Two eras are served side by side:
//! - **modern** (`2026-07-28`): stateless; every request carries its version and client
//!   capabilities in `params._meta`; `server/discover` describes the server; every result has
//!   `resultType`.
//! - **legacy** (`2025-11-25`, `2025-06-18`, `2025-03-26`): an `initialize` handshake opens a
//!   session (the stdio process, or an HTTP session) that fixes the version.

mod connection;
mod server;

pub use connection::Connection;
pub use server::{Implementation, RequestScope, Server, ServerBuilder};

use crate::error::McpError;
use serde_json::{Map, Value, json};

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

/// Reserved `_meta` keys.
pub mod meta {
    /// The protocol version of a modern request.
    pub const PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
    /// The client's capabilities (modern).
    pub const CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
    /// The client's name and version (modern).
    pub const CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
    /// The per-request log level (modern).
    pub const LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
    /// The server's name and version, in each modern result.
    pub const SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
}

/// Which set of protocol rules a request is handled under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    /// 2026-07-28: stateless, per-request `_meta`.
    Modern,
    /// 2025-11-25 and older: handshake and session.
    Legacy,
}

/// Decides the era of a request arriving on a byte stream (stdio): `server/discover` and any
/// request whose `_meta` carries a modern key are modern; `initialize` and everything else are
/// legacy. (The HTTP transport decides from headers and sessions as well.)
pub fn detect_era(method: &str, params: &Map<String, Value>) -> Era {
    if method == "initialize" {
        return Era::Legacy;
    }
    if method == "server/discover" || has_modern_meta(params) {
        Era::Modern
    } else {
        Era::Legacy
    }
}

/// Whether `params._meta` carries any of the modern per-request keys.
pub fn has_modern_meta(params: &Map<String, Value>) -> bool {
    params
        .get("_meta")
        .and_then(Value::as_object)
        .is_some_and(|m| {
            m.contains_key(meta::PROTOCOL_VERSION)
                || m.contains_key(meta::CLIENT_CAPABILITIES)
                || m.contains_key(meta::CLIENT_INFO)
        })
}

/// Checks that a modern request's `_meta` carries the required fields (protocol version and
/// client capabilities, of the right types) and returns the requested version, which is not
/// yet checked against the supported ones.
///
/// # Errors
/// [`McpError::InvalidMeta`] (`-32602`, HTTP `400`) naming the missing or mistyped field.
pub fn modern_meta_version(params: &Map<String, Value>) -> Result<&str, McpError> {
    let missing = |field: &str| McpError::InvalidMeta {
        message: format!("Invalid params: missing required `_meta` field `{field}`"),
        data: Some(json!({ "missing": field })),
    };
    let Some(meta) = params.get("_meta").and_then(Value::as_object) else {
        return Err(missing(meta::PROTOCOL_VERSION));
    };
    let version = match meta.get(meta::PROTOCOL_VERSION) {
        Some(Value::String(v)) => v.as_str(),
        Some(_) => {
            return Err(McpError::InvalidMeta {
                data: None,
                message: format!("`{}` must be a string", meta::PROTOCOL_VERSION),
            });
        }
        None => return Err(missing(meta::PROTOCOL_VERSION)),
    };
    match meta.get(meta::CLIENT_CAPABILITIES) {
        Some(Value::Object(_)) => {}
        Some(_) => {
            return Err(McpError::InvalidMeta {
                data: None,
                message: format!("`{}` must be an object", meta::CLIENT_CAPABILITIES),
            });
        }
        None => return Err(missing(meta::CLIENT_CAPABILITIES)),
    }
    Ok(version)
}
