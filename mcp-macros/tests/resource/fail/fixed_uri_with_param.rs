use mcp_runtime::resource;

/// The readme.
#[resource(uri = "docs://readme", public)]
async fn readme(lang: String) -> String {
    lang
}

fn main() {}
