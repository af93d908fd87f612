use mcp_runtime::prelude::*;
use std::rc::Rc;

/// Look up one order.
#[tool(scopes = ["orders:read"])]
async fn get_order_status(order_id: String) -> String {
    let shared = Rc::new(order_id);
    std::future::ready(()).await;
    shared.to_string()
}

fn main() {}
