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

pub mod challenge;
pub mod jwks;
pub mod jwt;
pub mod metadata;

pub use jwt::{TokenError, TokenValidator};
