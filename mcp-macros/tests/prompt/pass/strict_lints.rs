//! The expansion passes strict lints.
#![deny(
    warnings,
    unused_qualifications,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    unused_results,
    unused_extern_crates,
    trivial_casts,
    single_use_lifetimes,
    rust_2018_idioms,
    unsafe_code
)]

use mcp_runtime::prelude::*;
use mcp_runtime::prompt;
use mcp_runtime::registry::PromptMessage;

/// Summarize one order.
#[prompt(scopes = ["orders:read"])]
pub async fn summarize(
    ctx: &ToolContext,
    /// The order.
    order_id: String,
) -> Result<Vec<PromptMessage>, ToolError> {
    Ok(vec![PromptMessage::user(Content::text(format!("{} {order_id}", ctx.tool_name())))])
}

/// Greet.
#[prompt(public)]
pub async fn greet() -> Vec<PromptMessage> {
    Vec::new()
}

/// A service.
#[derive(Debug)]
pub struct Orders;

#[tools]
impl Orders {
    /// Explain.
    #[prompt(public)]
    pub async fn explain(&self, #[arg(description = "The topic")] topic: Option<String>) -> Vec<PromptMessage> {
        vec![PromptMessage::user(Content::text(topic.unwrap_or_default()))]
    }
}

fn main() {
    drop(summarize_prompt());
    drop(greet_prompt());
    drop(std::sync::Arc::new(Orders).prompts());
}
