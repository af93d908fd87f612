use mcp_runtime::resource;

/// One order.
#[resource(uri = "orders://{id}", public)]
async fn order(id: String, flag: &bool) -> String {
    format!("{id} {flag}")
}

fn main() {}
