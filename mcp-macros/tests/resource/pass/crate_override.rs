//! `crate = "..."` points the expansion at a re-export of the runtime.

mod facade {
    pub use mcp_runtime::*;
}

use facade::{resource, tools};

/// One order.
#[resource(crate = "crate::facade", uri = "orders://{id}", scopes = ["orders:read"])]
async fn order(id: String) -> String {
    id
}

struct Docs;

#[tools(crate = "crate::facade")]
impl Docs {
    /// The readme.
    #[resource(uri = "docs://readme", public)]
    async fn readme(&self) -> String {
        String::new()
    }
}

fn main() {
    let _ = order_resource_template();
    let _ = std::sync::Arc::new(Docs).resources();
}
