//! The registries: what a server offers, described once and validated at start-up.
//!
//! [`Tool::builder`] is the one way to define a tool; the `#[tool]` macro generates calls to
//! it, and it is public so that tools can be registered by hand. Resources, resource
//! templates and prompts are defined the same way with [`Resource::builder`],
//! [`ResourceTemplate::builder`] and [`Prompt::builder`], and declare their scopes like tools.
//!
//! ```
//! use mcp_runtime::registry::Tool;
//! use mcp_runtime::{CallToolResult, Content};
//! use serde_json::json;
//!
//! let tool = Tool::builder("echo")
//!     .description("Echo a message back.")
//!     .input_schema(json!({
//!         "type": "object",
//!         "properties": { "message": { "type": "string" } },
//!         "required": ["message"]
//!     }))
//!     .scopes(["echo:use"])
//!     .read_only(true)
//!     .handler(|_ctx, args| async move {
//!         let message = args["message"].as_str().unwrap_or_default().to_owned();
//!         Ok(CallToolResult::success(vec![Content::text(message)]))
//!     })
//!     .build()
//!     .expect("a valid tool");
//! assert_eq!(tool.name(), "echo");
//! ```

/// The `scopes` / `public` / `access` setters every builder shares; `$what` names the
/// primitive in the docs. (Defined before the submodules so they can use it.)
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

mod prompts;
mod resources;

pub use prompts::{
    GetPromptResult, Prompt, PromptArgument, PromptArguments, PromptBuilder, PromptMessage,
    PromptRegistry, Role,
};
pub use resources::{
    Resource, ResourceBuilder, ResourceContents, ResourceError, ResourceRegistry, ResourceTemplate,
    ResourceTemplateBuilder, UriTemplate,
};

use crate::content::{Arguments, CallToolResult, ToolError};
use crate::context::ToolContext;
use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

/// The longest tool name accepted (the conformance suite's limit, stricter than the spec's 128).
pub const MAX_TOOL_NAME_LEN: usize = 64;

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
    pub(crate) fn checked(access: Option<Self>, kind: &str) -> Result<Self, String> {
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
}

/// Checks one scope string: non-empty, no whitespace, printable ASCII without `"` or `\`
/// (RFC 6749 `scope-token`).
pub fn validate_scope(scope: &str) -> Result<(), String> {
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

/// Checks a tool name against the MCP rules: 1 to 64 characters of `A-Z a-z 0-9 _ - .`.
pub fn validate_tool_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a tool name must not be empty".to_owned());
    }
    if name.len() > MAX_TOOL_NAME_LEN {
        return Err(format!(
            "{} characters; at most {MAX_TOOL_NAME_LEN} are allowed",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(format!(
            "{c:?} is not allowed; use only A-Z, a-z, 0-9, `_`, `-` and `.`"
        ));
    }
    Ok(())
}

/// Behaviour hints shown to clients (`annotations`). Hints, not guarantees.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ToolAnnotations {
    /// A display title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The tool does not modify its environment.
    #[serde(rename = "readOnlyHint", skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    /// The tool may destroy or overwrite data.
    #[serde(rename = "destructiveHint", skip_serializing_if = "Option::is_none")]
    pub destructive: Option<bool>,
    /// Repeating a call with the same arguments has no further effect.
    #[serde(rename = "idempotentHint", skip_serializing_if = "Option::is_none")]
    pub idempotent: Option<bool>,
    /// The tool reaches an open world of external entities.
    #[serde(rename = "openWorldHint", skip_serializing_if = "Option::is_none")]
    pub open_world: Option<bool>,
}

impl ToolAnnotations {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

type Handler = dyn Fn(ToolContext, Arguments) -> BoxFuture<'static, Result<CallToolResult, ToolError>>
    + Send
    + Sync;

/// A registered tool: its description for `tools/list`, its declared access, and its handler.
#[derive(Clone)]
pub struct Tool {
    name: String,
    title: Option<String>,
    description: String,
    input_schema: Value,
    output_schema: Option<Value>,
    annotations: ToolAnnotations,
    access: Access,
    client_capabilities: Vec<String>,
    handler: Arc<Handler>,
    validator: Arc<jsonschema::Validator>,
}

impl fmt::Debug for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tool")
            .field("name", &self.name)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

impl Tool {
    /// Starts defining a tool called `name`.
    pub fn builder(name: impl Into<String>) -> ToolBuilder {
        ToolBuilder {
            name: name.into(),
            title: None,
            description: None,
            input_schema: None,
            output_schema: None,
            annotations: ToolAnnotations::default(),
            access: None,
            client_capabilities: Vec::new(),
            handler: None,
        }
    }

    /// The client capabilities (e.g. `sampling`) a call needs; a client that did not declare
    /// one of them is refused with `-32021` before the handler runs.
    pub fn required_client_capabilities(&self) -> &[String] {
        &self.client_capabilities
    }

    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The description.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Who may call it, as declared in code.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// The input schema.
    pub fn input_schema(&self) -> &Value {
        &self.input_schema
    }

    /// The output schema, if the tool returns structured content.
    pub fn output_schema(&self) -> Option<&Value> {
        self.output_schema.as_ref()
    }

    /// The annotations.
    pub fn annotations(&self) -> &ToolAnnotations {
        &self.annotations
    }

    /// The `Tool` object of `tools/list`. Declared scopes are published under
    /// `_meta["io.github.policy-mcp/scopes"]` so clients can tell what to ask for.
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("name".into(), json!(self.name));
        if let Some(title) = &self.title {
            obj.insert("title".into(), json!(title));
        }
        obj.insert("description".into(), json!(self.description));
        obj.insert("inputSchema".into(), self.input_schema.clone());
        if let Some(out) = &self.output_schema {
            obj.insert("outputSchema".into(), out.clone());
        }
        if !self.annotations.is_empty() {
            obj.insert("annotations".into(), json!(self.annotations));
        }
        let scopes = match &self.access {
            Access::Public => json!({ "public": true }),
            Access::Scopes(s) => json!({ "scopes": s }),
        };
        obj.insert(
            "_meta".into(),
            json!({ "io.github.policy-mcp/access": scopes }),
        );
        Value::Object(obj)
    }

    /// Checks `arguments` against the input schema.
    ///
    /// # Errors
    /// A message naming the first offending field, e.g. ``/order_id: "x" is not of type "integer"``.
    pub fn validate_arguments(&self, arguments: &Value) -> Result<(), String> {
        let errors: Vec<String> = self
            .validator
            .iter_errors(arguments)
            .take(5)
            .map(|e| {
                let path = e.instance_path().to_string();
                if path.is_empty() {
                    e.to_string()
                } else {
                    format!("{path}: {e}")
                }
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    /// Runs the handler (no validation, no authorization: the dispatcher does those).
    pub fn call(
        &self,
        ctx: ToolContext,
        arguments: Arguments,
    ) -> BoxFuture<'static, Result<CallToolResult, ToolError>> {
        (self.handler)(ctx, arguments)
    }
}

/// Builds a [`Tool`]; see [`Tool::builder`].
#[must_use = "call .build() to finish the tool"]
pub struct ToolBuilder {
    name: String,
    title: Option<String>,
    description: Option<String>,
    input_schema: Option<Value>,
    output_schema: Option<Value>,
    annotations: ToolAnnotations,
    access: Option<Access>,
    client_capabilities: Vec<String>,
    handler: Option<Arc<Handler>>,
}

impl fmt::Debug for ToolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolBuilder")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ToolBuilder {
    /// A human-readable title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// What the tool does (shown to models). Required.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The JSON Schema of the arguments object (`type: "object"` at the root). Defaults to an
    /// object with no properties.
    pub fn input_schema(mut self, schema: Value) -> Self {
        self.input_schema = Some(schema);
        self
    }

    /// The JSON Schema of `structuredContent`.
    pub fn output_schema(mut self, schema: Value) -> Self {
        self.output_schema = Some(schema);
        self
    }

    access_setters!("tool");

    /// Declares that calls need the client capability `capability` (a top-level key of the
    /// client's capabilities, such as `sampling` or `elicitation`). Clients that did not
    /// declare it get `MissingRequiredClientCapabilityError` (`-32021`).
    pub fn requires_client_capability(mut self, capability: impl Into<String>) -> Self {
        self.client_capabilities.push(capability.into());
        self
    }

    /// `readOnlyHint`.
    pub fn read_only(mut self, hint: bool) -> Self {
        self.annotations.read_only = Some(hint);
        self
    }

    /// `destructiveHint`.
    pub fn destructive(mut self, hint: bool) -> Self {
        self.annotations.destructive = Some(hint);
        self
    }

    /// `idempotentHint`.
    pub fn idempotent(mut self, hint: bool) -> Self {
        self.annotations.idempotent = Some(hint);
        self
    }

    /// `openWorldHint`.
    pub fn open_world(mut self, hint: bool) -> Self {
        self.annotations.open_world = Some(hint);
        self
    }

    /// Sets all annotations at once.
    pub fn annotations(mut self, annotations: ToolAnnotations) -> Self {
        self.annotations = annotations;
        self
    }

    /// The async handler: receives the context and the (schema-validated) arguments object.
    pub fn handler<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(ToolContext, Arguments) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<CallToolResult, ToolError>> + Send + 'static,
    {
        self.handler = Some(Arc::new(move |ctx, args| Box::pin(handler(ctx, args))));
        self
    }

    /// Validates the definition.
    ///
    /// # Errors
    /// A [`RegistryError`] naming what is wrong: the name, a missing description, missing or
    /// malformed scopes, a schema that is not a JSON Schema object, a missing handler.
    pub fn build(self) -> Result<Tool, RegistryError> {
        let name = self.name;
        validate_tool_name(&name).map_err(|why| RegistryError::InvalidName {
            name: name.clone(),
            why,
        })?;
        let description = match self.description {
            Some(d) if !d.trim().is_empty() => d,
            _ => return Err(RegistryError::MissingDescription(name)),
        };
        let access =
            Access::checked(self.access, "tool").map_err(|why| RegistryError::InvalidAccess {
                name: name.clone(),
                why,
            })?;
        let input_schema = self.input_schema.unwrap_or_else(
            || json!({ "type": "object", "properties": {}, "additionalProperties": false }),
        );
        if input_schema.get("type") != Some(&json!("object")) {
            return Err(RegistryError::InvalidSchema {
                name,
                which: "inputSchema",
                why: "the root must be `{\"type\": \"object\", ...}`".to_owned(),
            });
        }
        let validator =
            jsonschema::validator_for(&input_schema).map_err(|e| RegistryError::InvalidSchema {
                name: name.clone(),
                which: "inputSchema",
                why: e.to_string(),
            })?;
        if let Some(out) = &self.output_schema {
            jsonschema::validator_for(out).map_err(|e| RegistryError::InvalidSchema {
                name: name.clone(),
                which: "outputSchema",
                why: e.to_string(),
            })?;
        }
        let handler = self
            .handler
            .ok_or_else(|| RegistryError::MissingHandler(name.clone()))?;
        let mut annotations = self.annotations;
        if annotations.title.is_none() {
            annotations.title.clone_from(&self.title);
        }
        Ok(Tool {
            name,
            title: self.title,
            description,
            input_schema,
            output_schema: self.output_schema,
            annotations,
            access,
            client_capabilities: self.client_capabilities,
            handler,
            validator: Arc::new(validator),
        })
    }
}

/// All tools of a server, in registration order (the order `tools/list` uses).
#[derive(Clone, Debug, Default)]
pub struct ToolRegistry {
    tools: Vec<Arc<Tool>>,
    by_name: HashMap<String, usize>,
}

impl ToolRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tool.
    ///
    /// # Errors
    /// [`RegistryError::Duplicate`] when the name is taken.
    pub fn register(&mut self, tool: Tool) -> Result<(), RegistryError> {
        if self.by_name.contains_key(tool.name()) {
            return Err(RegistryError::Duplicate(tool.name.clone()));
        }
        self.by_name.insert(tool.name.clone(), self.tools.len());
        self.tools.push(Arc::new(tool));
        Ok(())
    }

    /// Looks a tool up by name.
    pub fn get(&self, name: &str) -> Option<&Arc<Tool>> {
        self.by_name.get(name).map(|&i| &self.tools[i])
    }

    /// All tools, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Tool>> {
        self.tools.iter()
    }

    /// Number of tools.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether there are no tools.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// The scopes a `401` challenge asks for when the request is not a call of one tool:
    /// those of the read-only tools (least privilege first; clients step up to write scopes
    /// through a `403 insufficient_scope` when they need them), or every declared scope when
    /// no tool is marked read-only. Sorted and deduplicated.
    pub fn baseline_scopes(&self) -> Vec<String> {
        let mut read: Vec<String> = self
            .tools
            .iter()
            .filter(|t| t.annotations.read_only == Some(true))
            .flat_map(|t| t.access.scopes().to_vec())
            .collect();
        if read.is_empty() {
            return self.declared_scopes();
        }
        read.sort();
        read.dedup();
        read
    }

    /// Every scope any tool declares, sorted and deduplicated.
    pub fn declared_scopes(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .tools
            .iter()
            .flat_map(|t| t.access.scopes().to_vec())
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(name: &str) -> ToolBuilder {
        Tool::builder(name)
            .description("d")
            .public()
            .handler(|_, _| async { Ok(CallToolResult::default()) })
    }

    #[test]
    fn names_follow_the_mcp_rules() {
        assert!(base("get_order.v2-x").build().is_ok());
        for bad in ["", "has space", "comma,", &"x".repeat(65), "é"] {
            assert!(
                matches!(base(bad).build(), Err(RegistryError::InvalidName { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn access_must_be_declared_and_well_formed() {
        let no_access = Tool::builder("t")
            .description("d")
            .handler(|_, _| async { Ok(CallToolResult::default()) });
        assert!(matches!(
            no_access.build(),
            Err(RegistryError::InvalidAccess { .. })
        ));
        assert!(matches!(
            base("t").scopes(Vec::<String>::new()).build(),
            Err(RegistryError::InvalidAccess { .. })
        ));
        assert!(matches!(
            base("t").scopes(["has space"]).build(),
            Err(RegistryError::InvalidAccess { .. })
        ));
        assert!(base("t").scopes(["orders:read"]).build().is_ok());
    }

    #[test]
    fn description_and_schema_are_checked() {
        let no_desc = Tool::builder("t")
            .public()
            .handler(|_, _| async { Ok(CallToolResult::default()) });
        assert_eq!(
            no_desc.build().unwrap_err(),
            RegistryError::MissingDescription("t".into())
        );
        assert!(matches!(
            base("t").input_schema(json!({"type": "string"})).build(),
            Err(RegistryError::InvalidSchema { .. })
        ));
    }

    #[test]
    fn baseline_scopes_prefer_read_only_tools() {
        let mut r = ToolRegistry::new();
        r.register(base("w").scopes(["orders:write"]).build().unwrap())
            .unwrap();
        assert_eq!(
            r.baseline_scopes(),
            ["orders:write"],
            "no read-only tool: everything"
        );
        r.register(
            base("r")
                .scopes(["orders:read"])
                .read_only(true)
                .build()
                .unwrap(),
        )
        .unwrap();
        r.register(base("p").read_only(true).build().unwrap())
            .unwrap();
        assert_eq!(r.baseline_scopes(), ["orders:read"]);
        assert_eq!(r.declared_scopes(), ["orders:read", "orders:write"]);
    }

    #[test]
    fn duplicates_are_refused() {
        let mut r = ToolRegistry::new();
        r.register(base("a").build().unwrap()).unwrap();
        assert_eq!(
            r.register(base("a").build().unwrap()),
            Err(RegistryError::Duplicate("a".into()))
        );
    }

    #[test]
    fn arguments_are_validated_naming_the_field() {
        let t = base("t")
            .input_schema(
                json!({"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}),
            )
            .build()
            .unwrap();
        assert!(t.validate_arguments(&json!({"n": 3})).is_ok());
        let err = t.validate_arguments(&json!({"n": "three"})).unwrap_err();
        assert!(err.contains("/n"), "{err}");
        let err = t.validate_arguments(&json!({})).unwrap_err();
        assert!(err.contains("\"n\""), "{err}");
    }
}
