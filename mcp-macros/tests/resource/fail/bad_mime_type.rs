use mcp_runtime::resource;

/// The readme.
#[resource(uri = "docs://readme", public, mime_type = "markdown")]
async fn readme() -> String {
    String::new()
}

fn main() {}
