use mcp_runtime::prelude::*;

struct Orders;

#[tools]
impl Orders {
    /// Look up one order.
    #[tool(scopes = ["orders:read"])]
    async fn get_order_status(self, order_id: String) -> String {
        order_id
    }
}

fn main() {}
