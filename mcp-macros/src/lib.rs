//! Procedural macros for [`mcp-runtime`](https://docs.rs/mcp-runtime): declare MCP tools,
//! prompts and resources, the scopes they require, and their schemas on plain `async fn`s.
//!
//! Applications use these through `mcp_runtime`, which re-exports them; depend on
//! `mcp-runtime` only.
//!
//! * [`#[tool]`](macro@tool) on a free `async fn`, or on the methods of a service type;
//! * [`#[prompt]`](macro@prompt) and [`#[resource]`](macro@resource) likewise, for prompts,
//!   resources and resource templates;
//! * [`#[tools]`](macro@tools) on the service's `impl` block.
//!
//! Misdeclarations (an item with neither `scopes` nor `public`, a malformed scope, a name that
//! breaks the MCP rules, a missing description, a parameter that cannot be deserialized, a URI
//! template whose variables do not match the parameters, ...) are compile errors at the token
//! that is wrong; the crate's `tests/{tool,prompt,resource}/fail` suites pin each message.

mod attr;
mod ctxt;
mod expand;
mod item;
mod model;
mod prompt_model;
mod resource_model;
mod service;
mod tool_model;

use item::Which;
use proc_macro::TokenStream;

#[doc = include_str!("docs/tool.md")]
#[proc_macro_attribute]
pub fn tool(args: TokenStream, item: TokenStream) -> TokenStream {
    debug_print("tool", item::free_fn(Which::Tool, args.into(), item.into())).into()
}

#[doc = include_str!("docs/prompt.md")]
#[proc_macro_attribute]
pub fn prompt(args: TokenStream, item: TokenStream) -> TokenStream {
    debug_print(
        "prompt",
        item::free_fn(Which::Prompt, args.into(), item.into()),
    )
    .into()
}

#[doc = include_str!("docs/resource.md")]
#[proc_macro_attribute]
pub fn resource(args: TokenStream, item: TokenStream) -> TokenStream {
    debug_print(
        "resource",
        item::free_fn(Which::Resource, args.into(), item.into()),
    )
    .into()
}

#[doc = include_str!("docs/tools.md")]
#[proc_macro_attribute]
pub fn tools(args: TokenStream, item: TokenStream) -> TokenStream {
    debug_print("tools", service::tools(args.into(), item.into())).into()
}

/// With `MCP_MACROS_DEBUG` set, prints each expansion to stderr (a debugging aid).
fn debug_print(which: &str, tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    if std::env::var_os("MCP_MACROS_DEBUG").is_some() {
        eprintln!("#[{which}] expansion:\n{tokens}");
    }
    tokens
}
