use mcp_runtime::prelude::*;

/// Look up one order.
#[tool(scopes = ["orders:read"])]
async fn get_order_status(order_id: impl Into<String>) -> String {
    order_id.into()
}

fn main() {}
