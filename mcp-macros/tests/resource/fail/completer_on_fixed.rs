use mcp_runtime::resource;

fn languages(_variable: &str, value: &str) -> Vec<String> {
    vec![value.to_owned()]
}

/// The readme.
#[resource(uri = "docs://readme", public, completer = languages)]
async fn readme() -> String {
    String::new()
}

fn main() {}
