use mcp_runtime::prelude::*;

struct Docs;

#[tools]
impl Docs {
    /// The readme.
    #[resource(uri = "docs://readme", public)]
    async fn readme(&self) -> String {
        String::new()
    }

    /// The readme, again.
    #[resource(uri = "docs://readme", public, name = "readme-again")]
    async fn readme_again(&self) -> String {
        String::new()
    }
}

fn main() {}
