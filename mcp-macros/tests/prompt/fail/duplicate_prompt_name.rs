use mcp_runtime::prelude::*;
use mcp_runtime::registry::PromptMessage;

struct Orders;

#[tools]
impl Orders {
    /// Summarize one order.
    #[prompt(public)]
    async fn summarize(&self) -> Vec<PromptMessage> {
        Vec::new()
    }

    /// Summarize one order, briefly.
    #[prompt(public, name = "summarize")]
    async fn summarize_briefly(&self) -> Vec<PromptMessage> {
        Vec::new()
    }
}

fn main() {}
