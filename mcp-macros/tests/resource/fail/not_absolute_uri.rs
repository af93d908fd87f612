use mcp_runtime::resource;

/// The readme.
#[resource(uri = "readme.md", public)]
async fn readme() -> String {
    String::new()
}

fn main() {}
