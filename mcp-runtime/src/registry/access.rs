//! Declared access: [`Access`], the scope-token rule ([`validate_scope`]), the check every
//! builder runs on what was declared, and the `scopes` / `public` / `access` setters the
//! builders share.

use super::RegistryError;
use serde_json::{Value, json};

/// Who may call a tool, as the code declares it. A deployment policy can only tighten this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone who can reach the server (after authentication, where the transport requires it).
    Public,
    /// Callers holding every one of these scopes.
    Scopes(Vec<String>),
}

impl Access {
    /// Checks a builder's declared access: present, and if scoped, a non-empty list of
    /// well-formed scopes. `kind` (`tool`, `prompt`, …) names the item in the message.
    pub(super) fn checked(access: Option<Self>, kind: &str) -> Result<Self, String> {
        let access = access
            .ok_or_else(|| "declare the scopes it requires, or declare it public".to_owned())?;
        if let Self::Scopes(scopes) = &access {
            if scopes.is_empty() {
                return Err(format!(
                    "an empty scope list; declare at least one scope, or declare the {kind} public"
                ));
            }
            for scope in scopes {
                validate_scope(scope)?;
            }
        }
        Ok(access)
    }

    /// The declared scopes (empty for public tools).
    pub fn scopes(&self) -> &[String] {
        match self {
            Self::Public => &[],
            Self::Scopes(s) => s,
        }
    }

    /// The `_meta` object of a listing, publishing the declared access under
    /// `io.github.policy-mcp/access` so clients can tell what to ask for.
    pub(super) fn listing_meta(&self) -> Value {
        let access = match self {
            Self::Public => json!({ "public": true }),
            Self::Scopes(s) => json!({ "scopes": s }),
        };
        json!({ "io.github.policy-mcp/access": access })
    }
}

/// Checks the declared access of a resource, resource template or prompt, with the rule
/// tools use, reporting a refusal as [`RegistryError::Invalid`].
pub(super) fn check_access(
    kind: &'static str,
    name: &str,
    access: Option<Access>,
) -> Result<Access, RegistryError> {
    Access::checked(access, kind).map_err(|why| RegistryError::invalid(kind, name, why))
}

/// Checks one scope string: non-empty, no whitespace, printable ASCII without `"` or `\`
/// (RFC 6749 `scope-token`).
pub(crate) fn validate_scope(scope: &str) -> Result<(), String> {
    if scope.is_empty() {
        return Err("a scope must not be empty".to_owned());
    }
    if let Some(c) = scope
        .chars()
        .find(|c| !matches!(c, '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e'))
    {
        return Err(format!(
            "scope `{scope}` contains {c:?}; scopes are printable ASCII without spaces, `\"` or `\\`"
        ));
    }
    Ok(())
}

/// The `scopes` / `public` / `access` setters every builder shares; `$what` names the
/// primitive in the docs. The builder needs an `access: Option<Access>` field.
macro_rules! access_setters {
    ($what:literal) => {
        /// Requires every one of `scopes` (exactly one of `scopes` or `public` must be called).
        pub fn scopes<I, S>(mut self, scopes: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.access = Some($crate::registry::Access::Scopes(
                scopes.into_iter().map(Into::into).collect(),
            ));
            self
        }

        #[doc = concat!("Declares the ", $what, " public: no scope needed.")]
        pub fn public(mut self) -> Self {
            self.access = Some($crate::registry::Access::Public);
            self
        }

        /// Sets the declared access directly.
        pub fn access(mut self, access: $crate::registry::Access) -> Self {
            self.access = Some(access);
            self
        }
    };
}
pub(super) use access_setters;
