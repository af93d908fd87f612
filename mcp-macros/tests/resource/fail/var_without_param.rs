use mcp_runtime::resource;

/// One line of an order.
#[resource(uri = "orders://{id}/lines/{line}", public)]
async fn order_line(id: String) -> String {
    id
}

fn main() {}
