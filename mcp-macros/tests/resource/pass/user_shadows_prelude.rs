//! The expansion names nothing from the prelude unqualified.
#![allow(dead_code, non_upper_case_globals)]

use mcp_runtime::registry::{ResourceContents, ResourceError};
use mcp_runtime::{resource, tools};

type Result<T> = core::result::Result<T, ResourceError>;
struct Vec;
struct Arc;
struct Box;
enum Option {
    Some,
    None,
}
struct String;
struct BTreeMap;
mod core_shadow {}
mod std_shadow {}
mod __private {}
fn unreachable() {}
// Names a careless expansion might bind in a pattern.
const value: u8 = 0;
const error: u8 = 0;
const ctx: u8 = 0;
const uri: u8 = 0;
const vars: u8 = 0;

/// One order.
#[resource(uri = "orders://{id}", scopes = ["orders:read"], mime_type = "application/json")]
async fn order(id: std::string::String) -> Result<std::string::String> {
    Ok(id)
}

/// The readme.
#[resource(uri = "docs://readme", public)]
async fn readme() -> std::vec::Vec<ResourceContents> {
    std::vec::Vec::new()
}

struct Docs;

#[tools]
impl Docs {
    /// One page.
    #[resource(uri = "docs://pages/{page}", public)]
    async fn page(&self, page: std::string::String) -> &'static str {
        let _ = page;
        ""
    }
}

fn main() {
    let _ = order_resource_template();
    let _ = readme_resource();
    let _ = std::sync::Arc::new(Docs).resource_templates();
}
