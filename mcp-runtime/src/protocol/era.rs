//! Protocol eras: whether a request is modern or legacy, and the reserved `_meta` keys a
//! modern request carries.

use super::method::Method;
use super::{MODERN_VERSION, MODERN_VERSIONS, Object};
use crate::context::LogLevel;
use crate::error::McpError;
use serde_json::{Map, Value, json};
use std::sync::Arc;

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
    era_of(Method::parse(method), params)
}

/// [`detect_era`] for a method already parsed.
pub(super) fn era_of(method: Option<Method>, params: &Object) -> Era {
    match method {
        Some(Method::Initialize) => Era::Legacy,
        Some(Method::ServerDiscover) => Era::Modern,
        _ if has_modern_meta(params) => Era::Modern,
        _ => Era::Legacy,
    }
}

/// Whether `params._meta` carries any of the modern per-request keys.
pub(crate) fn has_modern_meta(params: &Map<String, Value>) -> bool {
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
pub(crate) fn modern_meta_version(params: &Map<String, Value>) -> Result<&str, McpError> {
    required_meta(params).map(|(_, version)| version)
}

/// The checks of [`modern_meta_version`], also returning the `_meta` object they found.
fn required_meta(params: &Object) -> Result<(&Object, &str), McpError> {
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
    Ok((meta, version))
}

/// Whether a 2026-07-28 request lets its handler send notifications on the request's own
/// stream. Only two kinds go there: progress, when the request carries
/// `_meta.progressToken`, and log messages, when it sets `_meta[`[`meta::LOG_LEVEL`]`]`;
/// whatever else a handler needs from its client is an input request in the result. A
/// transport needs no channel for a request without either.
pub(crate) fn may_notify(params: &Object) -> bool {
    params
        .get("_meta")
        .and_then(Value::as_object)
        .is_some_and(|m| {
            let set = |key: &str| m.get(key).is_some_and(|v| !v.is_null());
            set("progressToken") || set(meta::LOG_LEVEL)
        })
}

/// The validated modern `_meta` of one request.
#[derive(Debug)]
pub(super) struct ModernMeta {
    /// The per-request log level, if the client set one.
    pub(super) log_level: Option<LogLevel>,
    /// The client's declared capabilities, copied out of the request once and shared with
    /// the handler's way of asking the client.
    pub(super) capabilities: Option<Arc<Value>>,
}

/// Validates a modern request's `_meta`: the required fields, a supported version and, when
/// present, the log level.
pub(super) fn validate_modern_meta(params: &Object) -> Result<ModernMeta, McpError> {
    let (meta, version) = required_meta(params)?;
    if version != MODERN_VERSION {
        return Err(McpError::UnsupportedProtocolVersion {
            supported: MODERN_VERSIONS.iter().map(|v| (*v).to_owned()).collect(),
            requested: version.to_owned(),
        });
    }
    let log_level = match meta.get(meta::LOG_LEVEL) {
        None | Some(Value::Null) => None,
        Some(Value::String(l)) => Some(l.parse::<LogLevel>().map_err(McpError::invalid_params)?),
        Some(_) => {
            return Err(McpError::invalid_params(format!(
                "`{}` must be a string",
                meta::LOG_LEVEL
            )));
        }
    };
    Ok(ModernMeta {
        log_level,
        capabilities: meta.get(meta::CLIENT_CAPABILITIES).cloned().map(Arc::new),
    })
}
