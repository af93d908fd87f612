//! The authorization hook at JSON-RPC dispatch, shared by every transport.
//!
//! Authentication (who is calling) happens in the transport and yields a [`Caller`].
//! Authorization (what that caller may do) happens here, when the dispatcher knows the method
//! and the tool. The default, [`DeclaredScopes`], allows a call only when the caller holds
//! every scope the tool declares; a deployment policy replaces it with its own [`Authorizer`].
//!
//! Resources, resource templates and prompts declare their scopes like tools ([`Access`]);
//! [`Authorizer::authorize_primitive`] and [`Authorizer::is_primitive_visible`] decide on them,
//! by default with the same rule: declared scopes are required, public ones are open.

use crate::context::Caller;
use crate::error::McpError;
use crate::registry::{Access, Tool, ToolRegistry};
use serde_json::{Value, json};
use std::fmt;
use std::sync::Arc;

/// Whether a list result may be shared between callers (`cacheScope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheScope {
    /// The same for every caller.
    Public,
    /// Depends on who asks.
    Private,
}

impl CacheScope {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
        }
    }
}

/// What kind of server primitive a decision is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Primitive {
    /// A tool (`tools/call`).
    Tool,
    /// A prompt (`prompts/get`, and completing its arguments).
    Prompt,
    /// A resource or resource template (`resources/read`, and completing template variables).
    Resource,
}

impl Primitive {
    /// `tool`, `prompt` or `resource`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tool => "tool",
            Self::Prompt => "prompt",
            Self::Resource => "resource",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Self::Tool => "calling tool",
            Self::Prompt => "getting prompt",
            Self::Resource => "reading resource",
        }
    }
}

/// A prompt or resource an authorization decision is about: what it is, its name (a prompt
/// name, a resource URI or a URI template) and the access its code declares.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    /// The kind of primitive.
    pub kind: Primitive,
    /// The prompt name, resource URI or URI template.
    pub name: &'a str,
    /// The declared access.
    pub access: &'a Access,
}

/// A refused call: which scopes were missing, which rule decided, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// What was refused: a tool (the usual case), a prompt or a resource.
    pub kind: Primitive,
    /// The tool (or prompt name, or resource URI) that was refused.
    pub tool: String,
    /// Every scope this call requires (what a client should ask for when it steps up).
    pub required: Vec<String>,
    /// The required scopes the caller lacks (may be empty when a condition failed instead).
    pub missing: Vec<String>,
    /// The rule that decided, e.g. `tool:cancel_order` or `env.prod.tools.cancel_order`.
    pub rule: String,
    /// Why, for people.
    pub reason: String,
}

impl Denial {
    /// The `data` of the JSON-RPC error (the refused item is under `tool`, `prompt` or
    /// `resource`).
    pub fn to_data(&self) -> Value {
        json!({
            self.kind.as_str(): self.tool,
            "requiredScopes": self.required,
            "missingScopes": self.missing,
            "rule": self.rule,
            "reason": self.reason,
        })
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Forbidden: {} `{}` is not permitted: {}",
            self.kind.verb(),
            self.tool,
            self.reason
        )
    }
}

/// Decides what a caller may call and see. Implementations must be cheap: they run on every
/// request.
pub trait Authorizer: Send + Sync + 'static {
    /// Allows the call, or returns [`McpError::Forbidden`] / [`McpError::RateLimited`].
    ///
    /// # Errors
    /// The typed refusal that the transport renders (403 / 429 on HTTP, a JSON-RPC error on
    /// stdio).
    fn authorize_call(&self, caller: &Caller, tool: &Tool) -> Result<(), McpError>;

    /// Whether `tools/list` shows `tool` to `caller`.
    fn is_visible(&self, caller: &Caller, tool: &Tool) -> bool;

    /// The `cacheScope` of list results.
    fn list_cache_scope(&self) -> CacheScope {
        CacheScope::Private
    }

    /// Allows reading a resource (or completing a template's variables) or getting a prompt
    /// (or completing its arguments).
    ///
    /// The default requires every declared scope, like [`DeclaredScopes`] does for tools, and
    /// lets public ones through; policies that only know tools keep this behaviour.
    ///
    /// # Errors
    /// [`McpError::Forbidden`] naming the missing scopes.
    fn authorize_primitive(&self, caller: &Caller, target: &Target<'_>) -> Result<(), McpError> {
        DeclaredScopes::check(caller, target.kind, target.name, target.access)
    }

    /// Whether `resources/list`, `resources/templates/list` or `prompts/list` shows `target`
    /// to `caller`. The default shows what [`Authorizer::authorize_primitive`]'s default
    /// would allow.
    fn is_primitive_visible(&self, caller: &Caller, target: &Target<'_>) -> bool {
        DeclaredScopes::missing_scopes(caller, target.access).is_empty()
    }

    /// The tools `tools/list` shows `caller`, in registry order, and the result's
    /// `cacheScope`, decided together (a policy takes one snapshot for the whole list).
    fn list_visible<'t>(
        &self,
        caller: &Caller,
        tools: &'t ToolRegistry,
    ) -> (Vec<&'t Arc<Tool>>, CacheScope) {
        let visible = tools
            .iter()
            .filter(|t| self.is_visible(caller, t))
            .collect();
        (visible, self.list_cache_scope())
    }
}

/// The default authorizer: a caller may call a tool when it holds every scope the tool
/// declares (public tools are open to everyone), and sees only what it may call.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeclaredScopes;

impl DeclaredScopes {
    /// The declared scopes of `tool` that `caller` lacks.
    pub fn missing(caller: &Caller, tool: &Tool) -> Vec<String> {
        Self::missing_scopes(caller, tool.access())
    }

    /// The scopes of `access` that `caller` lacks (none for public access).
    pub fn missing_scopes(caller: &Caller, access: &Access) -> Vec<String> {
        match access {
            Access::Public => Vec::new(),
            Access::Scopes(required) => required
                .iter()
                .filter(|s| !caller.scopes().contains(s.as_str()))
                .cloned()
                .collect(),
        }
    }

    /// Allows `caller` to use the `kind` called `name` when it holds every scope of `access`.
    ///
    /// # Errors
    /// [`McpError::Forbidden`] naming the missing scopes.
    pub fn check(
        caller: &Caller,
        kind: Primitive,
        name: &str,
        access: &Access,
    ) -> Result<(), McpError> {
        let missing = Self::missing_scopes(caller, access);
        if missing.is_empty() {
            return Ok(());
        }
        Err(McpError::Forbidden(Box::new(Denial {
            kind,
            tool: name.to_owned(),
            required: access.scopes().to_vec(),
            reason: format!("missing scope(s) {}", missing.join(", ")),
            missing,
            rule: format!("{}:{name} (declared scopes)", kind.as_str()),
        })))
    }
}

impl Authorizer for DeclaredScopes {
    fn authorize_call(&self, caller: &Caller, tool: &Tool) -> Result<(), McpError> {
        Self::check(caller, Primitive::Tool, tool.name(), tool.access())
    }

    fn is_visible(&self, caller: &Caller, tool: &Tool) -> bool {
        Self::missing(caller, tool).is_empty()
    }
}
