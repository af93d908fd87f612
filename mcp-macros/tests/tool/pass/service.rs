use mcp_runtime::prelude::*;
use std::sync::{Arc, Mutex};

struct Orders {
    cancelled: Mutex<Vec<String>>,
}

#[tools]
impl Orders {
    /// Cancel one order.
    #[tool(scopes = ["orders:write"], destructive)]
    async fn cancel_order(&self, ctx: &ToolContext, order_id: String) -> Result<String, ToolError> {
        let _ = ctx;
        self.cancelled.lock().unwrap().push(order_id.clone());
        Ok(order_id)
    }

    /// How many orders were cancelled.
    #[mcp_runtime::tool(public, read_only)]
    async fn count(&self) -> String {
        self.cancelled.lock().unwrap().len().to_string()
    }

    /// The version.
    #[tool(public)]
    async fn version() -> &'static str {
        "1"
    }

    fn not_a_tool(&self) -> usize {
        0
    }
}

fn main() {
    let orders = Arc::new(Orders { cancelled: Mutex::new(Vec::new()) });
    assert_eq!(orders.not_a_tool(), 0);
    let _server = Server::builder("orders", "1.0").tools(orders.tools()).build().unwrap();
}
