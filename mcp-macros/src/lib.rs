//! Procedural macros for [`mcp-runtime`](https://docs.rs/mcp-runtime).
//!
//! Applications use these through `mcp_runtime`, which re-exports them; depend on
//! `mcp-runtime` only.

mod attr;
mod ctxt;
mod expand;
mod model;
mod tool;

use proc_macro::TokenStream;

/// Declares an MCP tool.
#[proc_macro_attribute]
pub fn tool(args: TokenStream, item: TokenStream) -> TokenStream {
    debug_print("tool", tool::tool(args.into(), item.into())).into()
}

/// Turns the `#[tool]` methods of an `impl` block into the tools of a service.
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
