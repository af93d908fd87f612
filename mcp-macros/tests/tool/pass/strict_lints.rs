//! The expansion passes strict lints.
#![deny(
    warnings,
    unused_qualifications,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    unused_results,
    unused_extern_crates,
    trivial_casts,
    single_use_lifetimes,
    rust_2018_idioms,
    unsafe_code
)]

use mcp_runtime::prelude::*;

/// Look up one order.
#[tool(scopes = ["orders:read"], read_only)]
pub async fn get_order_status(ctx: &ToolContext, order_id: String) -> Result<String, ToolError> {
    Ok(format!("{} {order_id}", ctx.tool_name()))
}

/// Tell the time.
#[tool(public)]
pub async fn now() -> &'static str {
    "12:00"
}

/// A service.
#[derive(Debug)]
pub struct Orders;

#[tools]
impl Orders {
    /// Count orders.
    #[tool(public)]
    pub async fn count(&self, #[arg(description = "Only this customer")] customer: Option<String>) -> String {
        format!("{customer:?}")
    }
}

fn main() {
    drop(get_order_status_tool());
    drop(now_tool());
    drop(std::sync::Arc::new(Orders).tools());
}
