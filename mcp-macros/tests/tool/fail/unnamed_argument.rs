use mcp_runtime::prelude::*;

/// Look up one order.
#[tool(scopes = ["orders:read"])]
async fn get_order_status((a, b): (String, String)) -> String {
    a + &b
}

fn main() {}
