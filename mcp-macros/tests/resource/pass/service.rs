//! `#[resource]` methods in a `#[tools]` impl, next to tools and prompts.

use mcp_runtime::prelude::*;
use mcp_runtime::registry::PromptMessage;
use std::sync::Arc;

// No `use` of `prompt` or `resource` is needed: `#[tools]` reads the marks on its methods itself.

struct Docs<T> {
    prefix: T,
}

#[tools]
impl<T: std::fmt::Display + Send + Sync + 'static> Docs<T> {
    /// Say hello.
    #[tool(public)]
    async fn hello(&self) -> String {
        self.prefix.to_string()
    }

    /// Explain.
    #[prompt(public)]
    async fn explain(&self) -> Vec<PromptMessage> {
        Vec::new()
    }

    /// The changelog.
    #[resource(uri = "docs://changelog", public)]
    async fn changelog(&self, caller: &Caller) -> String {
        format!("{} {}", self.prefix, caller.subject())
    }

    /// The licence.
    #[mcp_runtime::resource(uri = "docs://licence", public)]
    async fn licence() -> &'static str {
        "MIT"
    }

    /// One page.
    #[resource(uri = "docs://pages/{page}", scopes = ["docs:read"])]
    async fn page(&self, page: String) -> String {
        format!("{}{page}", self.prefix)
    }
}

fn main() {
    let docs = Arc::new(Docs { prefix: "> " });
    let counts = (
        Arc::clone(&docs).tools().len(),
        Arc::clone(&docs).prompts().len(),
        Arc::clone(&docs).resources().len(),
        docs.resource_templates().len(),
    );
    assert_eq!(counts, (1, 1, 2, 1));
}
