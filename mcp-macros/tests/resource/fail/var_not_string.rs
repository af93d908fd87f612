use mcp_runtime::resource;

/// One order.
#[resource(uri = "orders://{id}", public)]
async fn order(id: u64) -> String {
    id.to_string()
}

fn main() {}
