use mcp_runtime::State as Shared;
use mcp_runtime::prelude::*;
use std::sync::Arc;

/// Greet someone.
#[tool(public)]
async fn greet(greeting: Shared<Arc<String>>, name: String) -> String {
    format!("{} {name}", greeting.0)
}

fn main() {}
