//! The server's lifecycle methods: the legacy `initialize` handshake and `logging/setLevel`,
//! the modern `server/discover`, and the capabilities both announce.

use super::era::Era;
use super::server::Server;
use super::{Connection, LATEST_LEGACY_VERSION, LEGACY_VERSIONS, MODERN_VERSIONS, Object};
use crate::context::LogLevel;
use crate::error::McpError;
use serde_json::{Map, Value, json};

/// The error for a legacy request that arrives before the `initialize` handshake.
pub(super) fn not_initialized() -> McpError {
    McpError::InvalidRequest(
        "the session is not initialized: send `initialize` first (or per-request `_meta` for protocol 2026-07-28)"
            .to_owned(),
    )
}

impl Server {
    /// The `capabilities` object of `initialize` (legacy) or `server/discover` (modern).
    /// The same in both eras: changes published through the server's `Notifier` reach legacy
    /// sessions (on their stream) and modern `subscriptions/listen` streams alike.
    fn capabilities(&self, _era: Era) -> Value {
        let mut caps = json!({ "tools": { "listChanged": true }, "logging": {} });
        if !self.inner.resources.is_empty() {
            caps["resources"] = json!({ "subscribe": true, "listChanged": true });
        }
        if !self.inner.prompts.is_empty() {
            caps["prompts"] = json!({ "listChanged": true });
        }
        if self.has_completions() {
            caps["completions"] = json!({});
        }
        caps
    }

    /// Legacy `initialize`: negotiates the version (the requested one if known, else the
    /// latest) and, on a connection, records the handshake; a second `initialize` is refused.
    pub(super) fn initialize(
        &self,
        params: &Map<String, Value>,
        connection: Option<&Connection>,
    ) -> Result<Object, McpError> {
        let requested = params
            .get("protocolVersion")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                McpError::invalid_params("`initialize` needs `protocolVersion` (a string)")
            })?;
        let version = if LEGACY_VERSIONS.contains(&requested) {
            requested
        } else {
            LATEST_LEGACY_VERSION
        };
        if let Some(c) = connection {
            if c.protocol_version().is_some() {
                return Err(McpError::InvalidRequest(
                    "the session is already initialized".to_owned(),
                ));
            }
            c.set_handshake(
                version,
                params.get("clientInfo").cloned(),
                params.get("capabilities").cloned(),
            );
        }
        tracing::info!(
            requested,
            negotiated = version,
            "legacy session initialized"
        );
        let mut result = Object::new();
        result.insert("protocolVersion".into(), json!(version));
        result.insert("capabilities".into(), self.capabilities(Era::Legacy));
        result.insert("serverInfo".into(), self.inner.server_info.value().clone());
        if let Some(i) = &self.inner.instructions {
            result.insert("instructions".into(), json!(i));
        }
        Ok(result)
    }

    /// Legacy `logging/setLevel`: the level of the log messages this session receives.
    pub(super) fn set_log_level(
        &self,
        params: &Map<String, Value>,
        connection: Option<&Connection>,
    ) -> Result<Object, McpError> {
        let connection = connection
            .filter(|c| c.protocol_version().is_some())
            .ok_or_else(not_initialized)?;
        let level = params
            .get("level")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let level: LogLevel = level.parse().map_err(McpError::invalid_params)?;
        connection.set_log_level(level);
        Ok(Object::new())
    }

    /// Modern `server/discover`: the supported versions, capabilities and instructions.
    pub(super) fn discover(&self) -> Object {
        let mut result = Object::new();
        result.insert("supportedVersions".into(), json!(MODERN_VERSIONS));
        result.insert("capabilities".into(), self.capabilities(Era::Modern));
        result.insert("ttlMs".into(), json!(self.inner.list_ttl_ms));
        result.insert("cacheScope".into(), json!("public"));
        if let Some(i) = &self.inner.instructions {
            result.insert("instructions".into(), json!(i));
        }
        result
    }
}
