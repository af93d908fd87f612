use mcp_runtime::prelude::*;

/// Look up one order.
#[tool(scopes = ["orders:read"])]
async fn get_order_status(
    /// The order id.
    #[arg(description = "The order id, e.g. TN-1001")]
    order_id: String,
) -> String {
    order_id
}

fn main() {}
