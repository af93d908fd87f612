//! The HTTP transport's settings ([`HttpConfig`]) and why it could not start ([`HttpError`]).

use super::exporter::MetricsEndpoint;
use super::origin::{host_matches, split_origin};
use crate::auth::jwks::JwksSettings;
use crate::auth::jwt::ValidatorConfigError;
use crate::auth::{CacheEpoch, TokenCacheSettings, TokenValidation};
use std::net::SocketAddr;
use std::time::Duration;

/// Settings of the HTTP transport. Start from [`HttpConfig::new`] and change what differs.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Where to listen (default `127.0.0.1:8080`: loopback only).
    pub bind: SocketAddr,
    /// The path of the MCP endpoint (default `/mcp`).
    pub path: String,
    /// This server's canonical resource URI (e.g. `https://mcp.example.com/mcp`).
    pub resource: String,
    /// Token validation; `None` serves without authentication (development on loopback only):
    /// every caller is then an anonymous principal holding [`HttpConfig::anonymous_scopes`].
    pub auth: Option<TokenValidation>,
    /// Key-cache timing for [`HttpConfig::auth`].
    pub jwks: JwksSettings,
    /// The cache of validated tokens for [`HttpConfig::auth`] (default: 10 000 tokens;
    /// `max_entries: 0` verifies every request's token in full). See
    /// [`TokenCacheSettings`].
    pub token_cache: TokenCacheSettings,
    /// Empties the token cache whenever it advances (default `None`: only a key-set change
    /// does). `mcp-runtime serve` passes the policy's
    /// [`PolicyHandle::cache_epoch`](crate::policy::PolicyHandle::cache_epoch), so each
    /// successful policy reload makes every token be verified in full again.
    pub token_cache_epoch: Option<CacheEpoch>,
    /// Scopes of the anonymous caller when `auth` is `None` (default: none).
    pub anonymous_scopes: Vec<String>,
    /// The longest accepted bearer token, in bytes (default 8 KiB). A longer token is refused
    /// with `401` and `error="invalid_token"` before any decoding or key lookup.
    pub max_token_bytes: usize,
    /// Which scopes the protected resource metadata lists in `scopes_supported` (default:
    /// [`AdvertisedScopes::Baseline`], the minimal set a client needs to start).
    pub scopes_supported: AdvertisedScopes,
    /// Browser origins allowed to call the endpoint cross-origin (CORS), as exact
    /// `scheme://host[:port]` values; empty (the default) allows none. Each must also be
    /// admitted by [`HttpConfig::allowed_origins`], which is checked first. Preflights are
    /// answered without authentication; allowed methods are `POST`, `GET`, `DELETE` and
    /// `OPTIONS`, allowed request headers `Authorization`, `Content-Type`,
    /// `MCP-Protocol-Version`, `Mcp-Session-Id`, `Mcp-Method`, `Mcp-Name` and
    /// `Last-Event-ID`, and `Mcp-Session-Id` and `WWW-Authenticate` are exposed to scripts.
    pub cors_allowed_origins: Vec<String>,
    /// Accepted `Host` header values: a host name (any port) or `host:port`. Empty accepts any
    /// host. Default: `localhost`, `127.0.0.1`, `[::1]` and the host of
    /// [`HttpConfig::resource`].
    pub allowed_hosts: Vec<String>,
    /// Accepted `Origin` values when the header is present: `scheme://host` (any port) or
    /// `scheme://host:port`. Default: the loopback origins and the origin of the resource.
    pub allowed_origins: Vec<String>,
    /// The largest accepted request body in bytes (default 4 MiB); above it: `413`.
    pub max_body_bytes: usize,
    /// How long a request may take before its response starts (default 120 s); then `408`.
    pub request_timeout: Duration,
    /// The most legacy sessions alive at once (default 1 000).
    pub max_sessions: usize,
    /// A legacy session with nothing in flight ends after this long unused (default 30 min).
    pub session_idle_timeout: Duration,
    /// After the shutdown signal, how long in-flight calls may take to finish (default 10 s).
    pub shutdown_grace: Duration,
    /// The Prometheus exporter, on a listener of its own; `None` (the default) serves no
    /// metrics (they are still collected in-process, see [`crate::metrics`]). Started by
    /// [`serve_listener`](super::serve_listener) and [`serve_http`](super::serve_http); an
    /// application embedding [`router`](super::router) serves
    /// [`metrics::render`](crate::metrics::render) itself.
    pub metrics: Option<MetricsEndpoint>,
}

impl HttpConfig {
    /// Defaults for a server whose canonical resource URI is `resource`.
    pub fn new(resource: impl Into<String>) -> Self {
        let resource = resource.into();
        let mut allowed_hosts: Vec<String> =
            LOOPBACK_HOSTS.iter().map(|h| (*h).to_owned()).collect();
        let mut allowed_origins: Vec<String> = LOOPBACK_HOSTS
            .iter()
            .flat_map(|h| [format!("http://{h}"), format!("https://{h}")])
            .collect();
        if let Some((scheme, authority)) = split_origin(&resource) {
            if !allowed_hosts.iter().any(|h| host_matches(h, authority)) {
                allowed_hosts.push(authority.to_owned());
            }
            let origin = format!("{scheme}://{authority}");
            if !allowed_origins.contains(&origin) {
                allowed_origins.push(origin);
            }
        }
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            path: "/mcp".to_owned(),
            resource,
            auth: None,
            jwks: JwksSettings::default(),
            token_cache: TokenCacheSettings::default(),
            token_cache_epoch: None,
            anonymous_scopes: Vec::new(),
            max_token_bytes: 8 * 1024,
            scopes_supported: AdvertisedScopes::default(),
            cors_allowed_origins: Vec::new(),
            allowed_hosts,
            allowed_origins,
            max_body_bytes: 4 * 1024 * 1024,
            request_timeout: Duration::from_secs(120),
            max_sessions: 1000,
            session_idle_timeout: Duration::from_secs(30 * 60),
            shutdown_grace: Duration::from_secs(10),
            metrics: None,
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self::new("http://127.0.0.1:8080/mcp")
    }
}

/// Which scopes the RFC 9728 metadata advertises in `scopes_supported`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdvertisedScopes {
    /// The minimal baseline needed to start: the same scopes a `401` challenge asks for when a
    /// request names no tool (`Server::baseline_scopes`). Clients get the rest through the
    /// per-call `403 insufficient_scope` challenges, as the 2026-07-28 authorization rules
    /// ask. The default.
    #[default]
    Baseline,
    /// Every scope a tool, resource or prompt declares.
    AllDeclared,
    /// Exactly these scopes.
    List(Vec<String>),
}

const LOOPBACK_HOSTS: &[&str] = &["localhost", "127.0.0.1", "[::1]"];

/// Why the transport could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The token-validation settings are unusable.
    #[error("invalid token-validation settings: {0}")]
    Auth(#[from] ValidatorConfigError),
    /// The settings are inconsistent.
    #[error("invalid HTTP settings: {0}")]
    Config(String),
    /// Binding or serving failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::super::origin::origin_matches;
    use super::*;

    #[test]
    fn the_token_cache_is_sized_from_the_config() {
        let server = crate::Server::builder("t", "1").build().unwrap();
        let mut config = HttpConfig::new("https://mcp.example.com/mcp");
        config.auth = Some(TokenValidation::new(
            "https://login.example.com",
            "https://mcp.example.com/mcp",
        ));
        let capacity = |config: &HttpConfig| {
            let (_, app) = super::super::server::build(server.clone(), config).unwrap();
            app.validator.as_ref().map(|v| v.cache_capacity())
        };
        assert_eq!(
            capacity(&config),
            Some(TokenCacheSettings::default().max_entries)
        );
        config.token_cache = TokenCacheSettings { max_entries: 0 };
        assert_eq!(capacity(&config), Some(0), "0 turns the cache off");
        config.token_cache = TokenCacheSettings { max_entries: 64 };
        assert_eq!(capacity(&config), Some(64));
    }

    #[test]
    fn defaults_admit_loopback_and_the_resource() {
        let c = HttpConfig::new("https://mcp.example.com/mcp");
        assert!(
            c.allowed_hosts
                .iter()
                .any(|h| host_matches(h, "mcp.example.com"))
        );
        assert!(
            c.allowed_origins
                .iter()
                .any(|o| origin_matches(o, "https://mcp.example.com"))
        );
        assert!(c.bind.ip().is_loopback());
    }
}
