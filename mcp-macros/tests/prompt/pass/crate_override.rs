//! `crate = "..."` points the expansion at a re-export of the runtime.

mod facade {
    pub use mcp_runtime::*;
}

use facade::registry::PromptMessage;
use facade::{prompt, tools};

/// Summarize one order.
#[prompt(crate = "crate::facade", scopes = ["orders:read"])]
async fn summarize(
    /// The order.
    order_id: String,
) -> Vec<PromptMessage> {
    vec![PromptMessage::user(facade::Content::text(order_id))]
}

struct Orders;

#[tools(crate = "crate::facade")]
impl Orders {
    /// Explain.
    #[prompt(public)]
    async fn explain(&self) -> Vec<PromptMessage> {
        Vec::new()
    }
}

fn main() {
    let _ = summarize_prompt();
    let _ = std::sync::Arc::new(Orders).prompts();
}
