//! What a `#[tool]` handler can take and return: injected context parameters
//! ([`FromToolContext`], [`State`]), JSON arguments ([`ToolArgument`]) and outputs
//! ([`ToolOutput`]).
//!
//! The macro generates calls against these traits, so a type from another crate (backend
//! credentials, a database pool handle) becomes injectable by implementing
//! [`FromToolContext`], without any change to the macro.
//!
//! ```
//! use mcp_runtime::extract::{FromToolContext, State};
//! use mcp_runtime::{ToolContext, ToolError};
//!
//! /// The server's own credentials for the order database (never the caller's token).
//! #[derive(Clone)]
//! struct DbCredentials(String);
//!
//! impl<'a> FromToolContext<'a> for DbCredentials {
//!     fn from_tool_context(ctx: &'a ToolContext) -> Result<Self, ToolError> {
//!         State::<DbCredentials>::from_tool_context(ctx).map(|State(c)| c)
//!     }
//! }
//! ```

use crate::content::{Arguments, CallToolResult, Content, IntoCallToolResult, Json, ToolError};
use crate::context::{Caller, ToolContext};
use schemars::{JsonSchema, SchemaGenerator, generate::SchemaSettings};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::fmt;

/// A value a tool handler receives from the request's [`ToolContext`] rather than from the
/// client's arguments. Such parameters are not part of the tool's `inputSchema`.
///
/// Implemented for `&ToolContext`, `ToolContext`, `&Caller`, `Caller` and [`State<T>`].
/// The caller's raw bearer token is deliberately not reachable through any of them.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be injected into an MCP tool",
    label = "not injectable from the tool context",
    note = "context parameters are `&ToolContext`, `&Caller`, `State<T>`, or a type implementing `FromToolContext`",
    note = "tool arguments must be owned types (`String`, not `&str`); references are always treated as context parameters"
)]
pub trait FromToolContext<'a>: Sized {
    /// Extracts the value.
    ///
    /// # Errors
    /// A [`ToolError`] when the value is not available (e.g. missing state); the call then
    /// fails with `isError: true`.
    fn from_tool_context(ctx: &'a ToolContext) -> Result<Self, ToolError>;
}

impl<'a> FromToolContext<'a> for &'a ToolContext {
    fn from_tool_context(ctx: &'a ToolContext) -> Result<Self, ToolError> {
        Ok(ctx)
    }
}

impl<'a> FromToolContext<'a> for ToolContext {
    fn from_tool_context(ctx: &'a ToolContext) -> Result<Self, ToolError> {
        Ok(ctx.clone())
    }
}

impl<'a> FromToolContext<'a> for &'a Caller {
    fn from_tool_context(ctx: &'a ToolContext) -> Result<Self, ToolError> {
        Ok(ctx.caller())
    }
}

impl<'a> FromToolContext<'a> for Caller {
    fn from_tool_context(ctx: &'a ToolContext) -> Result<Self, ToolError> {
        Ok(ctx.caller().clone())
    }
}

/// Shared application state of type `T`, cloned out of the server's state
/// ([`ServerBuilder::state`](crate::ServerBuilder::state)). Wrap large values in an `Arc`.
///
/// A missing value fails the call with `isError: true` (the server is misconfigured).
#[derive(Clone, Copy, Debug, Default)]
pub struct State<T>(pub T);

impl<'a, T: Clone + Send + Sync + 'static> FromToolContext<'a> for State<T> {
    fn from_tool_context(ctx: &'a ToolContext) -> Result<Self, ToolError> {
        ctx.state::<T>().cloned().map(State).ok_or_else(|| {
            ToolError::new(format!(
                "the server has no state of type `{}`; add it with `ServerBuilder::state`",
                std::any::type_name::<T>()
            ))
        })
    }
}

/// A type a tool can take as a JSON argument: it can be deserialized and described as JSON
/// Schema. Blanket-implemented; this trait exists to explain a missing implementation.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an argument of an MCP tool",
    label = "needs `serde::Deserialize` and `schemars::JsonSchema`",
    note = "derive both on your type: `#[derive(serde::Deserialize, schemars::JsonSchema)]`",
    note = "to inject it from the tool context instead, mark the parameter `#[arg(context)]` (its type must implement `FromToolContext`)"
)]
pub trait ToolArgument: DeserializeOwned + JsonSchema {}

impl<T: DeserializeOwned + JsonSchema> ToolArgument for T {}

/// What a tool may return: text, content blocks, [`Json<T>`] (structured output with an
/// `outputSchema`), [`CallToolResult`] or `()`, optionally inside `Result<_, E>` where
/// `E: Display` (an error becomes `isError: true`) or `E = ToolError`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from an MCP tool",
    label = "unsupported tool return type",
    note = "return `String`, `&'static str`, `Content`, `Vec<Content>`, `Json<T>` (with `T: Serialize + JsonSchema`), `CallToolResult` or `()`, optionally inside `Result<_, E>` with `E: Display` or `E = ToolError`"
)]
pub trait ToolOutput: IntoCallToolResult {
    /// The JSON Schema of `structuredContent`, if this output is structured.
    fn output_schema() -> Option<Value>;
}

macro_rules! unstructured {
    ($($ty:ty),* $(,)?) => {$(
        impl ToolOutput for $ty {
            fn output_schema() -> Option<Value> {
                None
            }
        }
    )*};
}

unstructured!(
    String,
    &'static str,
    (),
    Content,
    Vec<Content>,
    CallToolResult
);

impl<T: Serialize + JsonSchema> ToolOutput for Json<T> {
    fn output_schema() -> Option<Value> {
        let mut schema = generator(Direction::Serialize).into_root_schema_for::<T>();
        schema.remove("$schema");
        Some(schema.to_value())
    }
}

impl<T: ToolOutput> ToolOutput for Result<T, ToolError> {
    fn output_schema() -> Option<Value> {
        T::output_schema()
    }
}

impl<T: ToolOutput, E: fmt::Display> ToolOutput for Result<T, E> {
    fn output_schema() -> Option<Value> {
        T::output_schema()
    }
}

/// Builds the `inputSchema` of a tool from its argument parameters, one at a time.
#[derive(Debug)]
pub struct InputSchema {
    generator: SchemaGenerator,
    properties: Map<String, Value>,
    required: Vec<Value>,
}

impl Default for InputSchema {
    fn default() -> Self {
        Self::new()
    }
}

impl InputSchema {
    /// An empty object schema.
    pub fn new() -> Self {
        Self {
            generator: generator(Direction::Deserialize),
            properties: Map::new(),
            required: Vec::new(),
        }
    }

    /// Adds the argument `name` of type `T`. It is required unless `T` accepts an absent
    /// value (as `Option<U>` does).
    #[must_use]
    pub fn param<T: ToolArgument>(mut self, name: &str, description: Option<&str>) -> Self {
        let mut schema = self.generator.subschema_for::<T>();
        // Inline subschemas do not pass through the generator's transforms.
        schemars::transform::Transform::transform(
            &mut schemars::transform::RecursiveTransform(drop_nonstandard_format),
            &mut schema,
        );
        if let Some(description) = description {
            schema.insert("description".to_owned(), json!(description));
        }
        self.properties.insert(name.to_owned(), schema.to_value());
        if !accepts_absent::<T>() {
            self.required.push(json!(name));
        }
        self
    }

    /// The finished schema: `{"type": "object", "properties": …, "required": …}`, closed to
    /// unknown properties, with shared definitions under `$defs`.
    pub fn build(mut self) -> Value {
        let mut root = Map::new();
        root.insert("type".to_owned(), json!("object"));
        root.insert("properties".to_owned(), Value::Object(self.properties));
        if !self.required.is_empty() {
            root.insert("required".to_owned(), Value::Array(self.required));
        }
        root.insert("additionalProperties".to_owned(), json!(false));
        let defs = self.generator.take_definitions(true);
        if !defs.is_empty() {
            root.insert("$defs".to_owned(), Value::Object(defs));
        }
        Value::Object(root)
    }

    /// The schema of a whole argument object `T` (a struct), for a tool whose one argument
    /// parameter is marked `#[arg(flatten)]`.
    pub fn whole<T: ToolArgument>() -> Value {
        let mut schema = generator(Direction::Deserialize).into_root_schema_for::<T>();
        schema.remove("$schema");
        schema.to_value()
    }
}

/// Which side of serde a schema describes.
#[derive(Clone, Copy, Debug)]
enum Direction {
    Serialize,
    Deserialize,
}

/// The `format` values JSON Schema 2020-12 defines; others (schemars' `uint`, `int64`,
/// `double`, …) are dropped, since validators and clients reject or warn about them.
const STANDARD_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

fn drop_nonstandard_format(schema: &mut schemars::Schema) {
    let nonstandard = schema
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|f| !STANDARD_FORMATS.contains(&f));
    if nonstandard {
        schema.remove("format");
    }
}

/// A draft 2020-12 generator for one direction, emitting only standard `format`s.
fn generator(direction: Direction) -> SchemaGenerator {
    let settings = match direction {
        Direction::Serialize => SchemaSettings::draft2020_12().for_serialize(),
        Direction::Deserialize => SchemaSettings::draft2020_12().for_deserialize(),
    };
    settings
        .with_transform(schemars::transform::RecursiveTransform(
            drop_nonstandard_format,
        ))
        .into_generator()
}

fn accepts_absent<T: DeserializeOwned>() -> bool {
    serde_json::from_value::<T>(Value::Null).is_ok()
}

/// Takes the argument `name` out of `args` and deserializes it; an absent argument is
/// deserialized from `null` (so `Option<T>` becomes `None`).
///
/// # Errors
/// [`ToolError::invalid_arguments`] naming the argument.
pub fn take_arg<T: ToolArgument>(args: &mut Arguments, name: &str) -> Result<T, ToolError> {
    let value = args.remove(name).unwrap_or(Value::Null);
    serde_json::from_value(value)
        .map_err(|e| ToolError::invalid_arguments(format!("argument `{name}`: {e}")))
}

/// Deserializes the whole arguments object (an `#[arg(flatten)]` parameter).
///
/// # Errors
/// [`ToolError::invalid_arguments`] with serde's message.
pub fn whole_args<T: ToolArgument>(args: Arguments) -> Result<T, ToolError> {
    serde_json::from_value(Value::Object(args)).map_err(ToolError::invalid_arguments)
}

/// Extracts an injected parameter.
///
/// # Errors
/// Whatever [`FromToolContext::from_tool_context`] reports.
pub fn inject<'a, T: FromToolContext<'a>>(ctx: &'a ToolContext) -> Result<T, ToolError> {
    T::from_tool_context(ctx)
}

/// Converts a handler's return value.
///
/// # Errors
/// An invalid-arguments [`ToolError`], which the dispatcher reports as `-32602`.
pub fn output<T: ToolOutput>(value: T) -> Result<CallToolResult, ToolError> {
    value.into_call_tool_result()
}

/// The `outputSchema` for a handler returning `T`, if any.
pub fn output_schema<T: ToolOutput>() -> Option<Value> {
    T::output_schema()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, JsonSchema)]
    struct Point {
        x: i32,
        y: i32,
    }

    #[test]
    fn options_are_optional_and_descriptions_kept() {
        let schema = InputSchema::new()
            .param::<String>("a", Some("the a"))
            .param::<Option<u32>>("b", None)
            .param::<Point>("p", None)
            .build();
        assert_eq!(schema["required"], json!(["a", "p"]));
        assert_eq!(schema["properties"]["a"]["description"], json!("the a"));
        assert_eq!(schema["properties"]["p"]["$ref"], json!("#/$defs/Point"));
        assert_eq!(schema["$defs"]["Point"]["required"], json!(["x", "y"]));
        assert_eq!(schema["additionalProperties"], json!(false));
    }

    #[test]
    fn arguments_name_the_offending_parameter() {
        let mut args = Arguments::new();
        args.insert("n".into(), json!("three"));
        let err = take_arg::<u32>(&mut args, "n").unwrap_err();
        assert!(err.is_invalid_arguments());
        assert!(
            err.message().starts_with("argument `n`:"),
            "{}",
            err.message()
        );
        assert_eq!(take_arg::<Option<u32>>(&mut args, "m").unwrap(), None);
    }

    #[test]
    fn schemas_carry_only_standard_formats() {
        #[derive(serde::Serialize, schemars::JsonSchema)]
        struct Counts {
            orders: usize,
            share: f64,
            at: Option<String>,
        }
        let schema = <Json<Counts> as ToolOutput>::output_schema().unwrap();
        assert!(!schema.to_string().contains("\"format\""), "{schema}");
        assert_eq!(
            schema["properties"]["orders"]["minimum"], 0,
            "bounds stay: {schema}"
        );
        let input = InputSchema::new().param::<u32>("n", None).build();
        assert_eq!(
            input["properties"]["n"],
            json!({"type": "integer", "minimum": 0})
        );
    }

    #[test]
    fn only_json_outputs_have_a_schema() {
        assert!(output_schema::<Result<String, ToolError>>().is_none());
        let schema = output_schema::<Result<Json<Point>, std::io::Error>>().unwrap();
        assert_eq!(schema["type"], json!("object"));
        assert!(schema.get("$schema").is_none());
    }
}
