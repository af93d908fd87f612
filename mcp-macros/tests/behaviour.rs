use mcp_runtime::prelude::*;
use serde_json::json;

/// Say hello.
#[tool(public, read_only)]
async fn greet(#[arg(description = "Who to greet")] name: String, times: Option<u32>) -> String {
    format!("Hello, {name}! x{}", times.unwrap_or(1))
}

#[test]
fn lists() {
    let t = greet_tool().unwrap();
    println!("{}", serde_json::to_string_pretty(&t.to_json()).unwrap());
    let _ = json!({});
}
