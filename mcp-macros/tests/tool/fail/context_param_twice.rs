use mcp_runtime::prelude::*;

/// Look up one order.
#[tool(scopes = ["orders:read"])]
async fn get_order_status(ctx: &ToolContext, order_id: String, again: &ToolContext) -> String {
    let _ = (ctx, again);
    order_id
}

fn main() {}
