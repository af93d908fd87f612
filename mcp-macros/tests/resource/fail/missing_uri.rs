use mcp_runtime::resource;

/// The readme.
#[resource(public, mime_type = "text/markdown")]
async fn readme() -> String {
    String::new()
}

fn main() {}
