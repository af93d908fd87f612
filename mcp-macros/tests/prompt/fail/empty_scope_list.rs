use mcp_runtime::prelude::*;
use mcp_runtime::prompt;
use mcp_runtime::registry::PromptMessage;

/// Summarize one order.
#[prompt(scopes = [])]
async fn summarize(
    /// The order.
    order_id: String,
) -> Vec<PromptMessage> {
    vec![PromptMessage::user(Content::text(order_id))]
}

fn main() {}
