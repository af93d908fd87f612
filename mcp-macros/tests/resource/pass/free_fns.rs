//! Every accepted form of a free `#[resource]` function.

use mcp_runtime::prelude::*;
use mcp_runtime::registry::{ResourceContents, ResourceError};
use mcp_runtime::resource;
use std::sync::Arc;

fn tables(_variable: &str, value: &str) -> Vec<String> {
    vec![value.to_owned()]
}

/// The readme.
#[resource(uri = "docs://readme", public, mime_type = "text/markdown", title = "README")]
async fn readme() -> &'static str {
    "# Hello"
}

/// The logo.
#[resource(uri = "assets://logo.png", scopes = ["assets:read"], name = "logo")]
pub(crate) async fn logo_png() -> Vec<ResourceContents> {
    vec![ResourceContents::blob("assets://logo.png", "image/png", "AAAA")]
}

/// One row.
#[resource(uri = "db://{table}/{row.id}", scopes = ["db:read"], completer = tables)]
pub async fn row(
    ctx: &ToolContext,
    caller: &Caller,
    State(prefix): State<Arc<String>>,
    table: String,
    #[arg(rename = "row.id")] id: String,
) -> Result<String, ResourceError> {
    if id.is_empty() {
        return Err(ResourceError::NotFound);
    }
    Ok(format!("{prefix} {} {} {table} {id}", ctx.tool_name(), caller.subject()))
}

/// Several contents.
#[resource(uri = "logs://{day}", public, description = "The logs of one day.")]
async fn logs(day: String) -> Result<Vec<ResourceContents>, ResourceError> {
    Ok(vec![ResourceContents::text(format!("logs://{day}"), "text/plain", day)])
}

/// A raw identifier.
#[resource(uri = "kw://{type}", public)]
async fn r#match(r#type: String) -> String {
    r#type
}

fn main() {
    let server = Server::builder("resources", "1.0")
        .resource(readme_resource())
        .resource(logo_png_resource())
        .resource_template(row_resource_template())
        .resource_template(logs_resource_template())
        .resource_template(match_resource_template())
        .state(Arc::new(String::from(">")))
        .build()
        .unwrap();
    assert!(server.resources().get("assets://logo.png").is_some());
    assert_eq!(server.resources().templates().count(), 3);
}
