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
//!
//! Each concern has its module: declared [access](Access) and the naming rules every
//! builder checks, [one tool](Tool) and the [tool registry](ToolRegistry),
//! [prompts](Prompt), [one resource](Resource), [one resource template](ResourceTemplate)
//! and the [resource registry](ResourceRegistry); [`UriTemplate`] lives in its own module
//! and is re-exported here.

mod access;
mod completion;
mod describe;
mod error;
mod names;
mod prompts;
mod resource;
mod resources;
mod template;
mod tool;
mod tools;

pub use crate::uri_template::UriTemplate;
pub use access::Access;
pub(crate) use access::validate_scope;
pub use error::RegistryError;
pub use names::MAX_TOOL_NAME_LEN;
pub use prompts::{
    GetPromptResult, Prompt, PromptArgument, PromptArguments, PromptBuilder, PromptMessage,
    PromptRegistry, Role,
};
pub use resource::{Resource, ResourceBuilder, ResourceContents, ResourceError};
pub use resources::ResourceRegistry;
pub use template::{ResourceTemplate, ResourceTemplateBuilder};
pub use tool::{Tool, ToolAnnotations, ToolBuilder};
pub use tools::ToolRegistry;
