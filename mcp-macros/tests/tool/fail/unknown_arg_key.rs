use mcp_runtime::prelude::*;

/// Look up one order.
#[tool(scopes = ["orders:read"])]
async fn get_order_status(#[arg(desc = "The order id")] order_id: String) -> String {
    order_id
}

fn main() {}
