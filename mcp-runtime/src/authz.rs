//! The authorization vocabulary shared by every transport and every primitive.
//!
//! Authentication (who is calling) happens in the transport and yields a [`Caller`].
//! Authorization (what that caller may do) happens at dispatch, when the dispatcher knows the
//! method and the item: a tool, a prompt, a resource or a resource template, each described by
//! one [`Target`] (its kind, its name and the [`Access`] its code declares). One trait,
//! [`Authorizer`], decides on every target with one rule set; the default,
//! [`DeclaredScopes`], allows a call only when the caller holds every declared scope, and a
//! deployment policy replaces it with its own. A refusal is a typed [`Refusal`] that the
//! protocol layer renders (403 / 429 on HTTP, a JSON-RPC error on stdio).
//!
//! ```
//! use mcp_runtime::authz::{Authorizer, DeclaredScopes, Refusal, Target};
//! use mcp_runtime::{Caller, CallToolResult, Tool};
//!
//! let cancel = Tool::builder("cancel_order").description("Cancel an order.")
//!     .scopes(["orders:write"])
//!     .handler(|_, _| async { Ok(CallToolResult::default()) }).build().unwrap();
//! let agent = Caller::from_token("bo", None, ["orders:read"], Default::default());
//! match DeclaredScopes.authorize(&agent, &Target::tool(&cancel)) {
//!     Err(Refusal::Forbidden(denial)) => assert_eq!(denial.missing, ["orders:write"]),
//!     other => panic!("{other:?}"),
//! }
//! assert!(!DeclaredScopes.is_visible(&agent, &Target::tool(&cancel)));
//! ```

use crate::context::Caller;
use crate::registry::{Access, Prompt, Resource, ResourceTemplate, Tool};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// An authorization that waits on a shared store (see [`Authorizer::authorize_shared`]).
pub type PendingAuthorization<'a> = Pin<Box<dyn Future<Output = Result<(), Refusal>> + Send + 'a>>;

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
///
/// Resource templates are [`Primitive::Resource`] targets named by their URI template.
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

/// What an authorization decision is about: the kind of item, its name (a tool or prompt
/// name, a resource URI or a URI template) and the access its code declares.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    /// The kind of primitive.
    pub kind: Primitive,
    /// The tool or prompt name, resource URI or URI template.
    pub name: &'a str,
    /// The declared access.
    pub access: &'a Access,
}

impl<'a> Target<'a> {
    /// A tool, named by its name.
    pub fn tool(tool: &'a Tool) -> Self {
        Self {
            kind: Primitive::Tool,
            name: tool.name(),
            access: tool.access(),
        }
    }

    /// A prompt, named by its name.
    pub fn prompt(prompt: &'a Prompt) -> Self {
        Self {
            kind: Primitive::Prompt,
            name: prompt.name(),
            access: prompt.access(),
        }
    }

    /// A resource, named by its URI.
    pub fn resource(resource: &'a Resource) -> Self {
        Self {
            kind: Primitive::Resource,
            name: resource.uri(),
            access: resource.access(),
        }
    }

    /// A resource template, named by its URI template.
    pub fn template(template: &'a ResourceTemplate) -> Self {
        Self {
            kind: Primitive::Resource,
            name: template.template().as_str(),
            access: template.access(),
        }
    }
}

/// A refused call: which scopes were missing, which rule decided, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// What was refused: a tool (the usual case), a prompt or a resource.
    pub kind: Primitive,
    /// The tool or prompt name, resource URI or URI template that was refused.
    pub name: String,
    /// Every scope this call requires (what a client should ask for when it steps up).
    pub required: Vec<String>,
    /// The required scopes the caller lacks (may be empty when a condition failed instead).
    pub missing: Vec<String>,
    /// The rule that decided, e.g. `tool:cancel_order` or `env.prod.tools.cancel_order`.
    pub rule: String,
    /// Why, for people.
    pub reason: String,
    /// The policy condition that failed (its CEL source), when a condition decided.
    pub condition: Option<String>,
}

impl Denial {
    /// The `data` of the JSON-RPC error (the refused item is under `tool`, `prompt` or
    /// `resource`).
    pub fn to_data(&self) -> Value {
        let mut data = json!({
            self.kind.as_str(): self.name,
            "requiredScopes": self.required,
            "missingScopes": self.missing,
            "rule": self.rule,
            "reason": self.reason,
        });
        if let (Some(condition), Some(map)) = (&self.condition, data.as_object_mut()) {
            map.insert("condition".into(), Value::String(condition.clone()));
        }
        data
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Forbidden: {} `{}` is not permitted: {}",
            self.kind.verb(),
            self.name,
            self.reason
        )
    }
}

/// Why an [`Authorizer`] refused a call. The protocol layer turns it into an `McpError`
/// (HTTP `403 insufficient_scope` or `429` with `Retry-After`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The caller may not use the target.
    #[error("{0}")]
    Forbidden(Box<Denial>),
    /// The caller exceeded a rate limit on the target.
    #[error("Rate limit exceeded for {} `{name}`; retry after {} s", kind.as_str(), retry_after.as_secs().max(1))]
    RateLimited {
        /// The kind of item whose limit was hit.
        kind: Primitive,
        /// The item whose limit was hit.
        name: String,
        /// When the next call would be allowed.
        retry_after: Duration,
    },
    /// A rate limit on the target is held in a shared store that cannot be reached: the
    /// call is refused (fail closed) until it can.
    #[error("Service unavailable: the rate limit of {} `{name}` cannot be checked now; retry after {} s", kind.as_str(), retry_after.as_secs().max(1))]
    Unavailable {
        /// The kind of item whose limit could not be checked.
        kind: Primitive,
        /// The item whose limit could not be checked.
        name: String,
        /// When to try again.
        retry_after: Duration,
    },
}

/// Decides what a caller may use and see, for tools, prompts, resources and resource
/// templates alike. Implementations must be cheap: they run on every request.
pub trait Authorizer: Send + Sync + 'static {
    /// Allows `caller` to use `target` (call the tool, get the prompt, read the resource, or
    /// complete the prompt's arguments or the template's variables).
    ///
    /// # Errors
    /// The typed [`Refusal`] that the transport renders.
    fn authorize(&self, caller: &Caller, target: &Target<'_>) -> Result<(), Refusal>;

    /// Allows `caller` to make one `tools/call` of `target` with `input` (its arguments and
    /// the resource they name), for authorizers whose rules look at them. The default
    /// ignores the input and decides like [`Authorizer::authorize`].
    ///
    /// # Errors
    /// The typed [`Refusal`] that the transport renders.
    fn authorize_call(
        &self,
        caller: &Caller,
        target: &Target<'_>,
        input: &CallInput<'_>,
    ) -> Result<(), Refusal> {
        let _ = input;
        self.authorize(caller, target)
    }

    /// Whether deciding a call of `target` by `caller` needs the resource its arguments
    /// name ([`CallInput::resource`]). Asked before the resource is looked up, so a caller
    /// that is refused anyway never causes a lookup. The default is `false`.
    fn needs_resource(&self, caller: &Caller, target: &Target<'_>) -> bool {
        let _ = (caller, target);
        false
    }

    /// The authorization of `target` when it must wait for a shared store (a rate limit held
    /// for every replica). `None`, the default, when [`Authorizer::authorize`] decides alone;
    /// when it returns a future, the dispatcher awaits that instead of calling `authorize`.
    fn authorize_shared<'a>(
        &'a self,
        caller: &'a Caller,
        target: Target<'a>,
        input: CallInput<'a>,
    ) -> Option<PendingAuthorization<'a>> {
        let _ = (caller, target, input);
        None
    }

    /// Whether list results (`tools/list`, `prompts/list`, `resources/list`,
    /// `resources/templates/list`) show `target` to `caller`.
    fn is_visible(&self, caller: &Caller, target: &Target<'_>) -> bool;

    /// The `cacheScope` of list results.
    fn list_cache_scope(&self) -> CacheScope {
        CacheScope::Private
    }

    /// The indices of the `targets` (all of one kind, in list order) that a list shows
    /// `caller`, and the result's `cacheScope`, decided together (a policy takes one snapshot
    /// for the whole list).
    fn visible_among(&self, caller: &Caller, targets: &[Target<'_>]) -> (Vec<usize>, CacheScope) {
        let visible = targets
            .iter()
            .enumerate()
            .filter(|(_, t)| self.is_visible(caller, t))
            .map(|(i, _)| i)
            .collect();
        (visible, self.list_cache_scope())
    }

    /// The rule that requires `caller`'s approval, in person, of each use of `target` (a
    /// tool): the runtime then asks the user through elicitation before the handler runs.
    /// `None` (the default) when no approval is needed. Asked after
    /// [`Authorizer::authorize`] allowed the call.
    fn approval(&self, caller: &Caller, target: &Target<'_>) -> Option<String> {
        let _ = (caller, target);
        None
    }
}

/// The default authorizer: a caller may use an item when it holds every scope the item
/// declares (public items are open to everyone), and sees only what it may use.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeclaredScopes;

impl DeclaredScopes {
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
}

impl Authorizer for DeclaredScopes {
    fn authorize(&self, caller: &Caller, target: &Target<'_>) -> Result<(), Refusal> {
        let missing = Self::missing_scopes(caller, target.access);
        if missing.is_empty() {
            return Ok(());
        }
        let (kind, name) = (target.kind, target.name);
        Err(Refusal::Forbidden(Box::new(Denial {
            kind,
            name: name.to_owned(),
            required: target.access.scopes().to_vec(),
            reason: format!("missing scope(s) {}", missing.join(", ")),
            missing,
            rule: format!("{}:{name} (declared scopes)", kind.as_str()),
            condition: None,
        })))
    }

    fn is_visible(&self, caller: &Caller, target: &Target<'_>) -> bool {
        match target.access {
            Access::Public => true,
            Access::Scopes(required) => required
                .iter()
                .all(|s| caller.scopes().contains(s.as_str())),
        }
    }
}

/// What one `tools/call` carries that an [`Authorizer`] may look at: the call's arguments
/// and, when the tool names a resource and the authorizer asked for it
/// ([`Authorizer::needs_resource`]), the resource as the application's resolver described it.
#[derive(Clone, Copy, Debug)]
pub struct CallInput<'a> {
    /// The `arguments` object of the call (`null` when absent).
    pub arguments: &'a Value,
    /// The resource the arguments name: its attributes, or why it could not be resolved
    /// (`None`: not looked up).
    pub resource: Option<Result<&'a Map<String, Value>, &'a str>>,
}

impl CallInput<'_> {
    /// No arguments, no resource.
    pub const NONE: CallInput<'static> = CallInput {
        arguments: &Value::Null,
        resource: None,
    };
}

/// Everything a built server can authorize, as a policy sees it: each tool, prompt, resource
/// and resource template with its declared access, in registration order.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// The server's name (`serverInfo.name`).
    pub server_name: String,
    /// Every item, tools first, then prompts, resources and resource templates.
    pub entries: Vec<CatalogEntry>,
    /// Each tool's input, by tool name (what policy conditions are checked against).
    pub inputs: BTreeMap<String, ToolInput>,
}

/// What a tool takes, as policy conditions see it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ToolInput {
    /// The tool's `inputSchema`.
    pub schema: Value,
    /// The argument that names the resource the tool acts on, if the server declares one
    /// (`ServerBuilder::resource_argument`).
    pub resource_argument: Option<String>,
}

/// One item of a [`Catalog`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogEntry {
    /// The kind of item.
    pub kind: Primitive,
    /// Its name (see [`Target::name`]).
    pub name: String,
    /// Its declared access.
    pub access: Access,
}

impl Catalog {
    /// The entries of one kind.
    pub fn of_kind(&self, kind: Primitive) -> impl Iterator<Item = &CatalogEntry> {
        self.entries.iter().filter(move |e| e.kind == kind)
    }
}
