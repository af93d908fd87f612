#![doc = include_str!("../README.md")]
#![deny(clippy::print_stdout)]

pub mod auth;
pub mod authz;
pub mod cli;
mod content;
mod context;
pub mod credentials;
mod error;
pub mod extract;
pub mod jsonrpc;
pub mod policy;
pub mod protocol;
pub mod registry;
pub mod telemetry;
pub mod transport;
mod uri_template;

pub use authz::{Authorizer, CacheScope, DeclaredScopes, Denial, Primitive, Refusal, Target};
pub use content::{Arguments, CallToolResult, Content, IntoCallToolResult, Json, ToolError};
pub use context::{Caller, CallerOrigin, Extensions, LogLevel, ToolContext, ToolContextBuilder};
pub use error::McpError;
pub use extract::State;
pub use mcp_macros::{tool, tools};
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
    pub use crate::registry::{RegistryError, Tool, ToolBuilder};
    pub use futures;
    pub use schemars;
    pub use serde;
    pub use serde_json;

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
}
