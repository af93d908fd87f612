//! OAuth 2.0 Protected Resource Metadata (RFC 9728): the document that tells a client which
//! authorization server issues tokens for this server and which scopes exist.
//!
//! It is served at the root well-known location and at the path-suffixed one (for a resource
//! `https://mcp.example.com/mcp`: `/.well-known/oauth-protected-resource` and
//! `/.well-known/oauth-protected-resource/mcp`); `WWW-Authenticate` challenges point at the
//! path-suffixed URL.
//!
//! ```
//! use mcp_runtime::auth::metadata::{ProtectedResourceMetadata, metadata_paths, metadata_url};
//! let paths = metadata_paths("https://mcp.example.com/mcp");
//! assert_eq!(paths, ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]);
//! assert_eq!(
//!     metadata_url("https://mcp.example.com/mcp"),
//!     "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
//! );
//! let doc = ProtectedResourceMetadata::new("https://mcp.example.com/mcp", vec!["https://id.example.com".into()], vec!["orders:read".into()]);
//! assert_eq!(serde_json::to_value(&doc).unwrap()["bearer_methods_supported"][0], "header");
//! ```

use serde::Serialize;

/// The well-known path segment of RFC 9728.
pub const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// The metadata document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProtectedResourceMetadata {
    /// This server's canonical resource URI (the token audience).
    pub resource: String,
    /// Authorization servers that issue tokens for this resource.
    pub authorization_servers: Vec<String>,
    /// How tokens may be presented: only the `Authorization` header.
    pub bearer_methods_supported: Vec<String>,
    /// The scopes this server's tools declare (`offline_access` is never listed).
    pub scopes_supported: Vec<String>,
}

impl ProtectedResourceMetadata {
    /// A document for `resource`, header-only bearer tokens.
    pub fn new(
        resource: impl Into<String>,
        authorization_servers: Vec<String>,
        scopes: Vec<String>,
    ) -> Self {
        Self {
            resource: resource.into(),
            authorization_servers,
            bearer_methods_supported: vec!["header".to_owned()],
            scopes_supported: scopes
                .into_iter()
                .filter(|s| s != "offline_access")
                .collect(),
        }
    }
}

/// The path of `resource` (`""` for a bare origin), without a trailing slash.
fn resource_path(resource: &str) -> &str {
    let after_scheme = resource
        .find("://")
        .map_or(resource, |i| &resource[i + 3..]);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    let path = path.split(['?', '#']).next().unwrap_or("");
    path.trim_end_matches('/')
}

fn resource_origin(resource: &str) -> &str {
    let path = resource_path(resource);
    match resource.find("://") {
        Some(i) => {
            let rest = &resource[i + 3..];
            let host_len = rest.find('/').unwrap_or(rest.len());
            &resource[..i + 3 + host_len]
        }
        None => resource.strip_suffix(path).unwrap_or(resource),
    }
}

/// The local paths the metadata is served at: the root form and, when the resource has a
/// path, the path-suffixed form.
pub fn metadata_paths(resource: &str) -> Vec<String> {
    let path = resource_path(resource);
    let mut paths = vec![WELL_KNOWN.to_owned()];
    if !path.is_empty() {
        paths.push(format!("{WELL_KNOWN}{path}"));
    }
    paths
}

/// The absolute URL of the metadata, for `resource_metadata` in challenges.
pub fn metadata_url(resource: &str) -> String {
    format!(
        "{}{WELL_KNOWN}{}",
        resource_origin(resource),
        resource_path(resource)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_origins_have_one_location() {
        assert_eq!(metadata_paths("https://mcp.example.com"), [WELL_KNOWN]);
        assert_eq!(
            metadata_url("https://mcp.example.com/"),
            "https://mcp.example.com/.well-known/oauth-protected-resource"
        );
        assert_eq!(
            metadata_url("http://127.0.0.1:8080/a/mcp"),
            "http://127.0.0.1:8080/.well-known/oauth-protected-resource/a/mcp"
        );
    }

    #[test]
    fn offline_access_is_never_advertised() {
        let doc =
            ProtectedResourceMetadata::new("r", vec![], vec!["offline_access".into(), "a".into()]);
        assert_eq!(doc.scopes_supported, ["a"]);
    }
}
