use mcp_runtime::resource;

/// One order.
#[resource(uri = "orders://{id}", scopes = [])]
async fn order(id: String) -> String {
    id
}

fn main() {}
