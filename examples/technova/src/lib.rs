//! TechNova order assistant: the order store, the tools, and the server that combines them.
//! The `technova` binary serves it; tests and benchmarks build it in-process.

pub mod store;
pub mod tools;

use mcp_runtime::Server;
use mcp_runtime::registry::RegistryError;
use std::sync::Arc;

/// The TechNova server with its sample order book.
///
/// # Errors
/// The tool definition errors, if any tool is misdeclared.
pub fn server() -> Result<Server, Vec<RegistryError>> {
    let store = Arc::new(store::Store::with_sample_data());
    Server::builder("technova-orders", env!("CARGO_PKG_VERSION"))
        .title("TechNova order assistant")
        .instructions("Look up, list and cancel TechNova orders. Order ids look like TN-1001.")
        .tools(Arc::new(tools::Orders::new(Arc::clone(&store))).tools())
        .state(store)
        .build()
}
