use mcp_runtime::prelude::*;

#[tool(public)]
struct GetOrderStatus;

fn main() {}
