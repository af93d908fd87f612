use mcp_runtime::prompt;

/// Summarize one order.
#[prompt(scopes = ["orders:read"])]
async fn summarize(
    /// The order.
    order_id: String,
) -> String {
    order_id
}

fn main() {}
