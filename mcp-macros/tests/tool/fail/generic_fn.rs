use mcp_runtime::prelude::*;

/// Look up one order.
#[tool(scopes = ["orders:read"])]
async fn get_order_status<T: Into<String>>(order_id: String) -> String {
    order_id
}

fn main() {}
