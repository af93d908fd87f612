//! Every accepted form of a free `#[prompt]` function.

use mcp_runtime::prelude::*;
use mcp_runtime::prompt;
use mcp_runtime::registry::{GetPromptResult, PromptMessage};
use std::sync::Arc;

fn order_ids(_argument: &str, value: &str) -> Vec<String> {
    vec![value.to_owned()]
}

/// Summarize one order.
#[prompt(scopes = ["orders:read", "customers:read"], title = "Summary", completer = order_ids)]
async fn summarize(
    ctx: &ToolContext,
    caller: &Caller,
    State(greeting): State<Arc<String>>,
    /// The order.
    order_id: String,
    #[arg(rename = "toneOfVoice", description = "The tone")] tone: Option<String>,
) -> Vec<PromptMessage> {
    let text = format!("{greeting} {} {} {order_id} {tone:?}", ctx.tool_name(), caller.subject());
    vec![PromptMessage::user(Content::text(text))]
}

#[prompt(public, name = "greeting.v2", description = "Greets.")]
pub(crate) async fn greet() -> GetPromptResult {
    GetPromptResult::default()
}

/// Fails when asked to.
#[prompt(public)]
pub async fn fallible(
    /// Whether to fail.
    fail: Option<String>,
) -> Result<Vec<PromptMessage>, ToolError> {
    match fail {
        Some(why) => Err(ToolError::invalid_arguments(why)),
        None => Ok(Vec::new()),
    }
}

/// A raw identifier.
#[prompt(public)]
async fn r#type(
    /// A keyword as an argument name.
    r#match: String,
) -> Result<GetPromptResult, ToolError> {
    Ok(vec![PromptMessage::assistant(Content::text(r#match))].into())
}

fn main() {
    let server = Server::builder("prompts", "1.0")
        .prompt(summarize_prompt())
        .prompt(greet_prompt())
        .prompt(fallible_prompt())
        .prompt(type_prompt())
        .state(Arc::new(String::from("hi")))
        .build()
        .unwrap();
    let names: Vec<&str> = server.prompts().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["summarize", "greeting.v2", "fallible", "type"]);
    assert_eq!(server.prompts().get("type").unwrap().arguments()[0].name, "match");
}
