use mcp_runtime::resource;

#[resource(uri = "docs://readme", public)]
async fn readme() -> String {
    String::new()
}

fn main() {}
