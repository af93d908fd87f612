//! `#[prompt]` methods in a `#[tools]` impl, next to tools, with and without a receiver.

use mcp_runtime::prelude::*;
use mcp_runtime::registry::PromptMessage;
use std::sync::Arc;

// No `use` of `prompt` is needed: `#[tools]` reads the marks on its methods itself.

struct Support<T> {
    greeting: T,
}

#[tools]
impl<T: std::fmt::Display + Send + Sync + 'static> Support<T> {
    /// Say hello.
    #[tool(public)]
    async fn hello(&self) -> String {
        self.greeting.to_string()
    }

    /// Draft a reply.
    #[prompt(scopes = ["support:write"])]
    async fn draft(
        &self,
        caller: &Caller,
        /// The ticket.
        ticket: String,
    ) -> Vec<PromptMessage> {
        let text = format!("{} {} {ticket}", self.greeting, caller.subject());
        vec![PromptMessage::user(Content::text(text))]
    }

    /// Close politely.
    #[mcp_runtime::prompt(public, name = "close")]
    async fn closing() -> Vec<PromptMessage> {
        Vec::new()
    }
}

fn main() {
    let support = Arc::new(Support { greeting: "hi" });
    let tools: Vec<_> = Arc::clone(&support).tools();
    let prompts: Vec<_> = support.prompts();
    assert_eq!((tools.len(), prompts.len()), (1, 2));
    let names: Vec<String> = prompts.into_iter().map(|p| p.unwrap().name().to_owned()).collect();
    assert_eq!(names, ["draft", "close"]);
}
