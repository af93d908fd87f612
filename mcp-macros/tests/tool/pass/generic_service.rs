use mcp_runtime::prelude::*;
use std::fmt::Display;
use std::sync::Arc;

struct Greeter<T> {
    greeting: T,
}

#[tools]
impl<T> Greeter<T>
where
    T: Display + Send + Sync + 'static,
{
    /// Greet someone.
    #[tool(public)]
    async fn greet(&self, name: String) -> String {
        format!("{} {name}", self.greeting)
    }
}

fn main() {
    let tools = Arc::new(Greeter { greeting: "Hello" }).tools();
    assert_eq!(tools.len(), 1);
}
