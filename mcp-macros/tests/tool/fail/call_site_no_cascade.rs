use mcp_runtime::prelude::*;

/// Look up one order.
#[tool(scopes = [])]
async fn get_order_status(order_id: String) -> String {
    order_id
}

fn main() {
    let _server = Server::builder("orders", "1.0").tool(get_order_status_tool());
    let _direct = get_order_status(String::from("TN-1"));
}
