use mcp_runtime::prelude::*;

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Filter {
    customer: Option<String>,
}

/// List orders.
#[tool(scopes = ["orders:read"])]
async fn list_orders(#[arg(flatten)] filter: Filter, status: Option<String>) -> String {
    format!("{:?} {status:?}", filter.customer)
}

fn main() {}
