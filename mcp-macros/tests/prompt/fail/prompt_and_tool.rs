use mcp_runtime::prelude::*;
use mcp_runtime::registry::PromptMessage;

struct Orders;

#[tools]
impl Orders {
    /// Summarize one order.
    #[prompt(public)]
    #[tool(public)]
    async fn summarize(&self) -> Vec<PromptMessage> {
        Vec::new()
    }
}

fn main() {}
