use mcp_runtime::prelude::*;
use mcp_runtime::prompt;
use mcp_runtime::registry::PromptMessage;

/// Show one page of orders.
#[prompt(scopes = ["orders:read"])]
async fn page(
    /// The page number.
    page: u32,
) -> Vec<PromptMessage> {
    vec![PromptMessage::user(Content::text(page.to_string()))]
}

fn main() {}
