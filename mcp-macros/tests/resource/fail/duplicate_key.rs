use mcp_runtime::resource;

/// One order.
#[resource(uri = "orders://{id}", public, uri = "order://{id}")]
async fn order(id: String) -> String {
    id
}

fn main() {}
