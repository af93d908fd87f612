use mcp_runtime::prelude::*;
use std::sync::Arc;

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Status {
    state: String,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Filter {
    customer: Option<String>,
}

/// Look up one order.
#[tool(scopes = ["orders:read"], title = "Order status", read_only, idempotent, open_world = false)]
async fn get_order_status(
    ctx: &ToolContext,
    caller: &Caller,
    #[arg(description = "The order id")] order_id: String,
) -> Result<Json<Status>, ToolError> {
    let _ = (ctx.tool_name(), caller.subject());
    Ok(Json(Status { state: order_id }))
}

#[tool(public, description = "List orders.", name = "orders.list")]
async fn list_orders(#[arg(flatten)] filter: Filter, State(prefix): State<Arc<String>>) -> Vec<Content> {
    vec![Content::text(format!("{prefix}{:?}", filter.customer))]
}

/// Cancel one order.
#[tool(scopes = ["orders:write"], destructive)]
pub async fn cancel_order(order_id: String, #[arg(rename = "why")] reason: Option<String>) -> Result<String, std::io::Error> {
    Ok(format!("{order_id} {reason:?}"))
}

/// Does nothing.
#[tool(public)]
async fn noop() {}

fn main() {
    let _server = Server::builder("orders", "1.0")
        .tool(get_order_status_tool())
        .tool(list_orders_tool())
        .tool(cancel_order_tool())
        .tool(noop_tool())
        .state(Arc::new(String::from("> ")))
        .build()
        .unwrap();
}
