use mcp_runtime::prelude::*;

#[tool(scopes = ["orders:read"], description = "  ")]
async fn get_order_status(order_id: String) -> String {
    order_id
}

fn main() {}
