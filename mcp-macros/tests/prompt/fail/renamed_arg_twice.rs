use mcp_runtime::prelude::*;
use mcp_runtime::prompt;
use mcp_runtime::registry::PromptMessage;

/// Compare two orders.
#[prompt(scopes = ["orders:read"])]
async fn compare(
    /// The first order.
    order_id: String,
    /// The second order.
    #[arg(rename = "order_id")]
    other: String,
) -> Vec<PromptMessage> {
    vec![PromptMessage::user(Content::text(format!("{order_id} {other}")))]
}

fn main() {}
