//! Authentication of HTTP callers: the server is an OAuth 2.1 *resource server*. It validates
//! access tokens issued by an external authorization server; it never issues tokens.

use std::time::Duration;

/// How bearer tokens are validated. Filled from the deployment policy's environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenValidation {
    /// The expected `iss`, e.g. `https://login.example.com/realms/technova`.
    pub issuer: String,
    /// This server's canonical resource URI; tokens must carry it in `aud`.
    pub audience: String,
    /// Where the issuer's signing keys are; `None` discovers `jwks_uri` from the issuer's
    /// RFC 8414 / OpenID Connect metadata.
    pub jwks_uri: Option<String>,
    /// Accepted JWS algorithms (e.g. `RS256`, `ES256`); never `none`.
    pub algorithms: Vec<String>,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway: Duration,
    /// Authorization servers advertised in the protected resource metadata (defaults to the
    /// issuer when empty).
    pub authorization_servers: Vec<String>,
}

impl TokenValidation {
    /// Settings for tokens from `issuer` meant for `audience`: keys discovered from the
    /// issuer's metadata, `RS256` and `ES256` accepted, 30 s leeway.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            jwks_uri: None,
            algorithms: vec!["RS256".to_owned(), "ES256".to_owned()],
            leeway: Duration::from_secs(30),
            authorization_servers: Vec::new(),
        }
    }
}

pub mod cache;
pub mod challenge;
pub mod jwks;
pub mod jwt;
pub mod keys;
pub mod metadata;

pub use cache::{CacheEpoch, TokenCacheSettings};
pub use jwt::{TokenError, TokenValidator};
