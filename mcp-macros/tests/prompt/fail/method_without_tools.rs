use mcp_runtime::prelude::*;
use mcp_runtime::prompt;
use mcp_runtime::registry::PromptMessage;

struct Orders;

impl Orders {
    /// Summarize one order.
    #[prompt(scopes = ["orders:read"])]
    async fn summarize(
        &self,
        /// The order.
        order_id: String,
    ) -> Vec<PromptMessage> {
        vec![PromptMessage::user(Content::text(order_id))]
    }
}

fn main() {}
