use mcp_runtime::resource;

/// One order.
#[resource(uri = "orders://{id}", mime_type = "application/json")]
async fn order(id: String) -> String {
    id
}

fn main() {}
