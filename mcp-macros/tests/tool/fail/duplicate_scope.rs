use mcp_runtime::prelude::*;

/// Look up one order.
#[tool(scopes = ["orders:read", "orders:write", "orders:read"])]
async fn get_order_status(order_id: String) -> String {
    order_id
}

fn main() {}
