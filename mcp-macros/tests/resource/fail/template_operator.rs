use mcp_runtime::resource;

/// A file.
#[resource(uri = "files://{+path}", public)]
async fn file(path: String) -> String {
    path
}

fn main() {}
