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
use mcp_runtime::registry::ResourceError;
use mcp_runtime::resource;

/// The readme.
#[resource(uri = "docs://readme", public, mime_type = "text/markdown")]
pub async fn readme(ctx: &ToolContext) -> String {
    ctx.tool_name().to_owned()
}

/// One order.
#[resource(uri = "orders://{id}", scopes = ["orders:read"])]
pub async fn order(id: String) -> Result<String, ResourceError> {
    Ok(id)
}

/// A service.
#[derive(Debug)]
pub struct Docs;

#[tools]
impl Docs {
    /// One page.
    #[resource(uri = "docs://pages/{page}", public)]
    pub async fn page(&self, page: String) -> String {
        page
    }

    /// The licence.
    #[resource(uri = "docs://licence", public)]
    pub async fn licence(&self) -> &'static str {
        "MIT"
    }
}

fn main() {
    drop(readme_resource());
    drop(order_resource_template());
    drop(std::sync::Arc::new(Docs).resources());
    drop(std::sync::Arc::new(Docs).resource_templates());
}
