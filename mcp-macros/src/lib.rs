//! Procedural macros for [`mcp-runtime`](https://docs.rs/mcp-runtime): declare MCP tools,
//! the scopes they require, and their schemas on plain `async fn`s.
//!
//! Applications use these through `mcp_runtime`, which re-exports them; depend on
//! `mcp-runtime` only.
//!
//! * [`#[tool]`](macro@tool) on a free `async fn`, or on the methods of a service type;
//! * [`#[tools]`](macro@tools) on the service's `impl` block.
//!
//! Misdeclarations (a tool with neither `scopes` nor `public`, a malformed scope, a name that
//! breaks the MCP rules, a missing description, a parameter that cannot be deserialized, ...)
//! are compile errors at the token that is wrong; the crate's `tests/tool/fail` suite pins
//! each message.

mod attr;
mod ctxt;
mod expand;
mod model;
mod tool;

use proc_macro::TokenStream;

#[doc = include_str!("docs/tool.md")]
#[proc_macro_attribute]
pub fn tool(args: TokenStream, item: TokenStream) -> TokenStream {
    debug_print("tool", tool::tool(args.into(), item.into())).into()
}

#[doc = include_str!("docs/tools.md")]
#[proc_macro_attribute]
pub fn tools(args: TokenStream, item: TokenStream) -> TokenStream {
    debug_print("tools", tool::tools(args.into(), item.into())).into()
}

/// With `MCP_MACROS_DEBUG` set, prints each expansion to stderr (a debugging aid).
fn debug_print(which: &str, tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    if std::env::var_os("MCP_MACROS_DEBUG").is_some() {
        eprintln!("#[{which}] expansion:\n{tokens}");
    }
    tokens
}
