use mcp_runtime::prelude::*;

/// Look up one order.
#[tool(scopes = ["orders:read"])]
async fn get_order_status(order_id: String) -> u32 {
    order_id.len() as u32
}

fn main() {}
