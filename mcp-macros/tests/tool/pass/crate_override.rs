//! `crate = "..."` points the expansion at a re-export of the runtime.

mod facade {
    pub use mcp_runtime::*;
}

use facade::{tool, tools};

/// Look up one order.
#[tool(crate = "crate::facade", scopes = ["orders:read"])]
async fn get_order_status(order_id: String) -> String {
    order_id
}

struct Orders;

#[tools(crate = "crate::facade")]
impl Orders {
    /// Count orders.
    #[tool(public)]
    async fn count(&self) -> String {
        String::new()
    }
}

fn main() {
    let _ = get_order_status_tool();
    let _ = std::sync::Arc::new(Orders).tools();
}
