use mcp_runtime::prelude::*;

#[derive(serde::Serialize)]
struct Status {
    state: String,
}

/// Look up one order.
#[tool(scopes = ["orders:read"])]
async fn get_order_status(order_id: String) -> Json<Status> {
    Json(Status { state: order_id })
}

fn main() {}
