//! The expansion names nothing from the prelude unqualified.
#![allow(dead_code, non_upper_case_globals)]

use mcp_runtime::registry::{GetPromptResult, PromptMessage};
use mcp_runtime::{Content, ToolError, prompt, tools};

type Result<T> = core::result::Result<T, ToolError>;
struct Vec;
struct Arc;
struct Box;
enum Option {
    Some,
    None,
}
struct String;
mod core_shadow {}
mod __private {}
fn unreachable() {}
// Names a careless expansion might bind in a pattern.
const value: u8 = 0;
const error: u8 = 0;
const ctx: u8 = 0;
const args: u8 = 0;

/// Summarize one order.
#[prompt(scopes = ["orders:read"])]
async fn summarize(
    /// The order.
    order_id: std::string::String,
    /// The tone.
    tone: core::option::Option<std::string::String>,
) -> Result<GetPromptResult> {
    let text = format!("{order_id} {tone:?}");
    Ok(std::vec![PromptMessage::user(Content::text(text))].into())
}

struct Orders;

#[tools]
impl Orders {
    /// Explain.
    #[prompt(public)]
    async fn explain(&self) -> std::vec::Vec<PromptMessage> {
        std::vec::Vec::new()
    }
}

fn main() {
    let _ = summarize_prompt();
    let _ = std::sync::Arc::new(Orders).prompts();
}
