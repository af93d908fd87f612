//! `WWW-Authenticate: Bearer …` challenges (RFC 6750 §3, RFC 9728 §5.1).
//!
//! ```
//! use mcp_runtime::auth::challenge::Challenge;
//! let c = Challenge::new("https://mcp.example.com/.well-known/oauth-protected-resource/mcp")
//!     .scope(["orders:write"])
//!     .error("insufficient_scope");
//! assert_eq!(
//!     c.to_string(),
//!     r#"Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="orders:write", error="insufficient_scope""#
//! );
//! ```

use std::fmt;

/// One Bearer challenge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Challenge {
    resource_metadata: String,
    scope: Vec<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl Challenge {
    /// A challenge pointing at the protected resource metadata URL.
    pub fn new(resource_metadata: impl Into<String>) -> Self {
        Self {
            resource_metadata: resource_metadata.into(),
            ..Self::default()
        }
    }

    /// The scopes the request needs (all of them, in one challenge).
    #[must_use]
    pub fn scope<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scope = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The RFC 6750 error code (`invalid_token`, `insufficient_scope`, `invalid_request`).
    #[must_use]
    pub fn error(mut self, error: impl Into<String>) -> Self {
        self.error = Some(error.into());
        self
    }

    /// A human-readable description (never containing the token).
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.error_description = Some(description.into());
        self
    }
}

/// Quotes a parameter value: RFC 7230 quoted-string, dropping characters it cannot carry.
fn quoted(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in value.chars() {
        match c {
            '"' | '\\' => write!(f, "\\{c}")?,
            ' ' | '!' | '#'..='[' | ']'..='~' | '\t' => write!(f, "{c}")?,
            _ => {}
        }
    }
    f.write_str("\"")
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bearer resource_metadata=")?;
        quoted(f, &self.resource_metadata)?;
        if !self.scope.is_empty() {
            f.write_str(", scope=")?;
            quoted(f, &self.scope.join(" "))?;
        }
        if let Some(e) = &self.error {
            f.write_str(", error=")?;
            quoted(f, e)?;
        }
        if let Some(d) = &self.error_description {
            f.write_str(", error_description=")?;
            quoted(f, d)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_controls_dropped() {
        let c = Challenge::new("u").description("a \"b\"\n\\c");
        assert_eq!(
            c.to_string(),
            r#"Bearer resource_metadata="u", error_description="a \"b\"\\c""#
        );
    }
}
