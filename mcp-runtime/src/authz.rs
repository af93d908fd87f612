//! The authorization hook at JSON-RPC dispatch, shared by every transport.
//!
//! Authentication (who is calling) happens in the transport and yields a [`Caller`].
//! Authorization (what that caller may do) happens here, when the dispatcher knows the method
//! and the tool. The default, [`DeclaredScopes`], allows a call only when the caller holds
//! every scope the tool declares; a deployment policy replaces it with its own [`Authorizer`].

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

/// A refused call: which scopes were missing, which rule decided, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// The tool that was refused.
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
    /// The `data` of the JSON-RPC error.
    pub fn to_data(&self) -> Value {
        json!({
            "tool": self.tool,
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
            "Forbidden: calling tool `{}` is not permitted: {}",
            self.tool, self.reason
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
        match tool.access() {
            Access::Public => Vec::new(),
            Access::Scopes(required) => required
                .iter()
                .filter(|s| !caller.scopes().contains(s.as_str()))
                .cloned()
                .collect(),
        }
    }
}

impl Authorizer for DeclaredScopes {
    fn authorize_call(&self, caller: &Caller, tool: &Tool) -> Result<(), McpError> {
        let missing = Self::missing(caller, tool);
        if missing.is_empty() {
            return Ok(());
        }
        Err(McpError::Forbidden(Box::new(Denial {
            tool: tool.name().to_owned(),
            required: tool.access().scopes().to_vec(),
            reason: format!("missing scope(s) {}", missing.join(", ")),
            missing,
            rule: format!("tool:{} (declared scopes)", tool.name()),
        })))
    }

    fn is_visible(&self, caller: &Caller, tool: &Tool) -> bool {
        Self::missing(caller, tool).is_empty()
    }
}
