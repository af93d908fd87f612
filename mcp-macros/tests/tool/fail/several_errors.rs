use mcp_runtime::prelude::*;

#[tool(scopes = ["orders:read", ""], nme = "x", public)]
fn get_order_status<T>(order_id: String) -> String {
    order_id
}

fn main() {}
