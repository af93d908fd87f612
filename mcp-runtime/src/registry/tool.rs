//! One tool: [`Tool`], its [`ToolAnnotations`], and [`ToolBuilder`], which validates a
//! definition and builds its `tools/list` descriptor once.

use super::access::access_setters;
use super::describe::{Describe, Listing, describe_setters};
use super::names::{non_blank, validate_tool_name};
use super::{Access, RegistryError};
use crate::content::{Arguments, CallToolResult, ToolError};
use crate::context::ToolContext;
use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::{Value, json};
use std::fmt;
use std::future::Future;
use std::sync::Arc;

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
    description: String,
    input_schema: Value,
    output_schema: Option<Value>,
    annotations: ToolAnnotations,
    access: Access,
    client_capabilities: Vec<String>,
    descriptor: Value,
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
            describe: Describe::default(),
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

    /// The `Tool` object of `tools/list`, built once by [`ToolBuilder::build`]: `name`,
    /// `title`, `description`, `inputSchema`, `outputSchema` and `annotations`, with the
    /// declared access published under `_meta["io.github.policy-mcp/access"]`
    /// (`{"scopes": [...]}` or `{"public": true}`) so clients can tell what to ask for.
    pub fn descriptor(&self) -> &Value {
        &self.descriptor
    }

    /// The `Tool` object of `tools/list`: an owned copy of [`Tool::descriptor`].
    pub fn to_json(&self) -> Value {
        self.descriptor.clone()
    }

    /// Checks `arguments` against the input schema.
    ///
    /// # Errors
    /// A message naming the first offending field, e.g. ``/order_id: "x" is not of type "integer"``.
    pub fn validate_arguments(&self, arguments: &Value) -> Result<(), String> {
        // The common case, valid arguments, takes the validator's short-circuiting check;
        // only a refusal walks the schema again to collect its messages.
        if self.validator.is_valid(arguments) {
            return Ok(());
        }
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
    describe: Describe,
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
    describe_setters! {
        /// What the tool does (shown to models). Required.
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

    /// Validates the definition and builds the tool's `tools/list` descriptor.
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
        let Some(description) = non_blank(self.describe.description) else {
            return Err(RegistryError::MissingDescription(name));
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
        let title = self.describe.title;
        let mut annotations = self.annotations;
        if annotations.title.is_none() {
            annotations.title.clone_from(&title);
        }
        let descriptor = Listing::new()
            .field("name", name.as_str())
            .optional("title", title)
            .field("description", description.as_str())
            .field("inputSchema", input_schema.clone())
            .optional("outputSchema", self.output_schema.clone())
            .optional(
                "annotations",
                (!annotations.is_empty()).then(|| json!(annotations)),
            )
            .finish(&access);
        Ok(Tool {
            name,
            description,
            input_schema,
            output_schema: self.output_schema,
            annotations,
            access,
            client_capabilities: self.client_capabilities,
            descriptor,
            handler,
            validator: Arc::new(validator),
        })
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A public tool called `name` with a description and a handler: valid as it stands.
    pub(in crate::registry) fn base(name: &str) -> ToolBuilder {
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

    #[test]
    fn the_descriptor_is_built_once_with_every_listed_field() {
        let t = base("t")
            .title("T")
            .scopes(["orders:read"])
            .read_only(true)
            .output_schema(json!({"type": "object"}))
            .build()
            .unwrap();
        assert_eq!(
            *t.descriptor(),
            json!({
                "name": "t",
                "title": "T",
                "description": "d",
                "inputSchema": {"type": "object", "properties": {}, "additionalProperties": false},
                "outputSchema": {"type": "object"},
                "annotations": {"title": "T", "readOnlyHint": true},
                "_meta": {"io.github.policy-mcp/access": {"scopes": ["orders:read"]}}
            })
        );
        assert_eq!(t.to_json(), *t.descriptor());
        let plain = base("p").build().unwrap();
        assert_eq!(
            *plain.descriptor(),
            json!({
                "name": "p",
                "description": "d",
                "inputSchema": {"type": "object", "properties": {}, "additionalProperties": false},
                "_meta": {"io.github.policy-mcp/access": {"public": true}}
            })
        );
    }
}
