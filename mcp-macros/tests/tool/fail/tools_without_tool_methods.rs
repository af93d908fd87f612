use mcp_runtime::prelude::*;

struct Orders;

#[tools]
impl Orders {
    /// Not a tool.
    async fn get_order_status(&self, order_id: String) -> String {
        order_id
    }
}

fn main() {}
