use mcp_runtime::prelude::*;

struct Orders;

#[tools]
impl Orders {
    /// Look up one order.
    #[tool(scopes = ["orders:read"])]
    async fn get_order_status(&mut self, order_id: String) -> String {
        order_id
    }
}

fn main() {}
