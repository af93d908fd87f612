#![doc = include_str!("../README.md")]
#![deny(clippy::print_stdout)]

pub mod asking;
pub mod auth;
pub mod authz;
pub mod changes;
pub mod cli;
mod content;
mod context;
pub mod credentials;
mod error;
pub mod extract;
pub mod jsonrpc;
pub mod metrics;
pub mod policy;
pub mod protocol;
pub mod registry;
pub mod store;
pub mod telemetry;
pub mod transport;
mod uri_template;

pub use authz::{Authorizer, CacheScope, DeclaredScopes, Denial, Primitive, Refusal, Target};
pub use changes::{ElicitationCompletion, Notifier};
pub use content::{Arguments, CallToolResult, Content, IntoCallToolResult, Json, ToolError};
pub use context::{Caller, CallerOrigin, Extensions, LogLevel, ToolContext, ToolContextBuilder};
pub use error::McpError;
pub use extract::State;
pub use mcp_macros::{prompt, resource, tool, tools};
pub use protocol::{Connection, Era, Implementation, Server, ServerBuilder};
pub use registry::{Access, Tool, ToolAnnotations, ToolBuilder, ToolRegistry};

/// Everything an application usually needs, in one import.
pub mod prelude {
    pub use crate::{
        CallToolResult, Caller, Content, Json, LogLevel, Server, State, Tool, ToolContext,
        ToolError, tool, tools,
    };
}

/// Not public API: paths the macros generate code against. May change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::content::{Arguments, CallToolResult, ToolError};
    pub use crate::context::ToolContext;
    pub use crate::extract::{InputSchema, inject, output, output_schema, take_arg, whole_args};
    pub use crate::registry::{
        GetPromptResult, Prompt, PromptArguments, PromptMessage, RegistryError, Resource,
        ResourceContents, ResourceError, ResourceTemplate, Tool, ToolBuilder,
    };
    pub use futures;
    pub use schemars;
    pub use serde;
    pub use serde_json;

    use crate::extract::FromToolContext;
    use std::collections::BTreeMap;

    /// Sets the output schema when the handler's return type has one.
    pub fn with_output_schema(
        builder: ToolBuilder,
        schema: ::core::option::Option<serde_json::Value>,
    ) -> ToolBuilder {
        match schema {
            Some(schema) => builder.output_schema(schema),
            None => builder,
        }
    }

    /// The type of a `#[prompt]` argument: `String` (required) or `Option<String>` (optional).
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be an argument of an MCP prompt",
        label = "a prompt argument is a `String` or an `Option<String>`",
        note = "prompt arguments are strings: `String` for a required argument, `Option<String>` for an optional one; parse the value inside the prompt"
    )]
    pub trait PromptArg: Sized {
        /// Whether `prompts/get` must supply it.
        const REQUIRED: bool;
        /// Takes the argument `name` out of `args`.
        ///
        /// # Errors
        /// A required argument that is absent (the dispatcher checks this first).
        fn take(args: &mut PromptArguments, name: &str) -> Result<Self, ToolError>;
    }

    impl PromptArg for String {
        const REQUIRED: bool = true;
        fn take(args: &mut PromptArguments, name: &str) -> Result<Self, ToolError> {
            args.remove(name).ok_or_else(|| {
                ToolError::invalid_arguments(format!("missing required argument `{name}`"))
            })
        }
    }

    impl PromptArg for Option<String> {
        const REQUIRED: bool = false;
        fn take(args: &mut PromptArguments, name: &str) -> Result<Self, ToolError> {
            Ok(args.remove(name))
        }
    }

    /// Whether a prompt argument of type `T` is required.
    pub const fn prompt_arg_required<T: PromptArg>() -> bool {
        T::REQUIRED
    }

    /// Takes a prompt argument out of the arguments of `prompts/get`.
    ///
    /// # Errors
    /// See [`PromptArg::take`].
    pub fn take_prompt_arg<T: PromptArg>(
        args: &mut PromptArguments,
        name: &str,
    ) -> Result<T, ToolError> {
        T::take(args, name)
    }

    /// What a `#[prompt]` function may return.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be returned from an MCP prompt",
        label = "unsupported prompt return type",
        note = "return `Vec<PromptMessage>` or `GetPromptResult`, optionally inside `Result<_, ToolError>`"
    )]
    pub trait PromptOutput {
        /// The result of `prompts/get`.
        ///
        /// # Errors
        /// The handler's error.
        fn into_prompt_result(self) -> Result<GetPromptResult, ToolError>;
    }

    impl PromptOutput for Vec<PromptMessage> {
        fn into_prompt_result(self) -> Result<GetPromptResult, ToolError> {
            Ok(self.into())
        }
    }

    impl PromptOutput for GetPromptResult {
        fn into_prompt_result(self) -> Result<GetPromptResult, ToolError> {
            Ok(self)
        }
    }

    impl<T: PromptOutput> PromptOutput for Result<T, ToolError> {
        fn into_prompt_result(self) -> Result<GetPromptResult, ToolError> {
            self.and_then(PromptOutput::into_prompt_result)
        }
    }

    /// Converts a prompt handler's return value.
    ///
    /// # Errors
    /// The handler's error.
    pub fn prompt_output<T: PromptOutput>(value: T) -> Result<GetPromptResult, ToolError> {
        value.into_prompt_result()
    }

    /// Extracts an injected parameter of a resource handler.
    ///
    /// # Errors
    /// [`ResourceError::Failed`] with the message of [`FromToolContext::from_tool_context`].
    pub fn inject_for_resource<'a, T: FromToolContext<'a>>(
        ctx: &'a ToolContext,
    ) -> Result<T, ResourceError> {
        T::from_tool_context(ctx).map_err(|e| ResourceError::failed(e.message()))
    }

    /// The type of a parameter receiving a URI template variable: `String`.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot receive a URI template variable",
        label = "a URI template variable is a `String`",
        note = "take the variable as `String` and parse it inside the resource (return `ResourceError::NotFound` for a value that names nothing)"
    )]
    pub trait TemplateVar: Sized {
        /// Takes the variable `name` out of `vars`.
        ///
        /// # Errors
        /// The variable is absent (the template matched, so it cannot be).
        fn take(vars: &mut BTreeMap<String, String>, name: &str) -> Result<Self, ResourceError>;
    }

    impl TemplateVar for String {
        fn take(vars: &mut BTreeMap<String, String>, name: &str) -> Result<Self, ResourceError> {
            vars.remove(name)
                .ok_or_else(|| ResourceError::failed(format!("no URI variable `{name}`")))
        }
    }

    /// Takes a URI template variable for a resource template handler.
    ///
    /// # Errors
    /// See [`TemplateVar::take`].
    pub fn take_var<T: TemplateVar>(
        vars: &mut BTreeMap<String, String>,
        name: &str,
    ) -> Result<T, ResourceError> {
        T::take(vars, name)
    }

    /// What a `#[resource]` function may return.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be returned from an MCP resource",
        label = "unsupported resource return type",
        note = "return `String` or `&'static str` (text contents of the URI read) or `Vec<ResourceContents>`, optionally inside `Result<_, ResourceError>`"
    )]
    pub trait ResourceOutput {
        /// The contents of `uri`; text is tagged with `mime_type`.
        ///
        /// # Errors
        /// The handler's error.
        fn into_contents(
            self,
            uri: String,
            mime_type: Option<&'static str>,
        ) -> Result<Vec<ResourceContents>, ResourceError>;
    }

    impl ResourceOutput for String {
        fn into_contents(
            self,
            uri: String,
            mime_type: Option<&'static str>,
        ) -> Result<Vec<ResourceContents>, ResourceError> {
            Ok(vec![ResourceContents::Text {
                uri,
                mime_type: mime_type.map(str::to_owned),
                text: self,
            }])
        }
    }

    impl ResourceOutput for &'static str {
        fn into_contents(
            self,
            uri: String,
            mime_type: Option<&'static str>,
        ) -> Result<Vec<ResourceContents>, ResourceError> {
            self.to_owned().into_contents(uri, mime_type)
        }
    }

    impl ResourceOutput for Vec<ResourceContents> {
        fn into_contents(
            self,
            _uri: String,
            _mime_type: Option<&'static str>,
        ) -> Result<Vec<ResourceContents>, ResourceError> {
            Ok(self)
        }
    }

    impl<T: ResourceOutput> ResourceOutput for Result<T, ResourceError> {
        fn into_contents(
            self,
            uri: String,
            mime_type: Option<&'static str>,
        ) -> Result<Vec<ResourceContents>, ResourceError> {
            self.and_then(|v| v.into_contents(uri, mime_type))
        }
    }

    /// Converts a resource handler's return value into the contents of `uri`.
    ///
    /// # Errors
    /// The handler's error.
    pub fn resource_output<T: ResourceOutput>(
        value: T,
        uri: String,
        mime_type: Option<&'static str>,
    ) -> Result<Vec<ResourceContents>, ResourceError> {
        value.into_contents(uri, mime_type)
    }
}
