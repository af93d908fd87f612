use mcp_runtime::prelude::*;

/// Look up one order.
#[tool(scopes = ["orders:read"])]
async fn get_order_status(order_id: &str) -> String {
    order_id.to_owned()
}

fn main() {}
