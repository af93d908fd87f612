use mcp_runtime::prelude::*;
use mcp_runtime::prompt;
use mcp_runtime::registry::PromptMessage;

fn order_ids(value: &str) -> Vec<String> {
    vec![value.to_owned()]
}

/// Summarize one order.
#[prompt(scopes = ["orders:read"], completer = order_ids)]
async fn summarize(
    /// The order.
    order_id: String,
) -> Vec<PromptMessage> {
    vec![PromptMessage::user(Content::text(order_id))]
}

fn main() {}
