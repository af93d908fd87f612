use mcp_runtime::prelude::*;

#[derive(serde::Deserialize)]
struct OrderId(String);

/// Look up one order.
#[tool(scopes = ["orders:read"])]
async fn get_order_status(order_id: OrderId) -> String {
    order_id.0
}

fn main() {}
