use mcp_runtime::resource;

/// One order.
#[resource(uri = "orders://{id}", public)]
async fn order(id: String, order_id: String) -> String {
    format!("{id} {order_id}")
}

fn main() {}
