//! [`RegistryError`]: why a tool, resource, resource template or prompt was refused.

/// Why a tool definition or registration was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// The name breaks the MCP tool-name rules.
    #[error("invalid tool name `{name}`: {why}")]
    InvalidName {
        /// The name.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// The description is missing or blank.
    #[error("tool `{0}` has no description; clients and models need one")]
    MissingDescription(String),
    /// Neither scopes nor public access was declared, or a scope is malformed.
    #[error("tool `{name}`: {why}")]
    InvalidAccess {
        /// The tool.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// A schema is not a valid JSON Schema object.
    #[error("tool `{name}`: invalid {which}: {why}")]
    InvalidSchema {
        /// The tool.
        name: String,
        /// `inputSchema` or `outputSchema`.
        which: &'static str,
        /// What is wrong.
        why: String,
    },
    /// No handler was given.
    #[error("tool `{0}` has no handler")]
    MissingHandler(String),
    /// Two tools share a name.
    #[error("a tool named `{0}` is already registered")]
    Duplicate(String),
    /// A resource, resource template or prompt definition or registration was refused.
    #[error("{kind} `{name}`: {why}")]
    Invalid {
        /// `resource`, `resource template` or `prompt`.
        kind: &'static str,
        /// Its URI, URI template or name.
        name: String,
        /// What is wrong.
        why: String,
    },
}

impl RegistryError {
    /// [`RegistryError::Invalid`]: the `kind` called `name` is refused because of `why`.
    pub(super) fn invalid(kind: &'static str, name: &str, why: impl Into<String>) -> Self {
        Self::Invalid {
            kind,
            name: name.to_owned(),
            why: why.into(),
        }
    }
}
