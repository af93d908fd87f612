//! A small server on the Streamable HTTP transport, without authentication (loopback only):
//! both protocol eras on one endpoint.
//!
//! ```sh
//! cargo run -p mcp-runtime --example http_demo -- 127.0.0.1:3001
//! ```

use mcp_runtime::transport::http::{HttpConfig, serve_http};
use mcp_runtime::{CallToolResult, Content, Server, Tool};
use serde_json::json;
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    mcp_runtime::telemetry::init_stderr();
    let bind: std::net::SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3001".to_owned())
        .parse()?;
    let server = Server::builder("http-demo", "0.1.0")
        .tool(
            Tool::builder("test_simple_text")
                .description("Answers with a fixed text.")
                .public()
                .handler(|_ctx, _args| async {
                    Ok(CallToolResult::success(vec![Content::text(
                        "This is a simple text response for testing.",
                    )]))
                })
                .build(),
        )
        .tool(
            Tool::builder("test_tool_with_progress")
                .description("Reports progress three times.")
                .public()
                .handler(|ctx, _args| async move {
                    for step in [0.0, 50.0, 100.0] {
                        ctx.progress(step, Some(100.0), None);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Ok(CallToolResult::success(vec![Content::text("done")]))
                })
                .build(),
        )
        .tool(
            Tool::builder("test_error_handling")
                .description("Always fails as a tool error.")
                .input_schema(json!({"type": "object"}))
                .public()
                .handler(|_ctx, _args| async {
                    Err(mcp_runtime::ToolError::new("This tool always fails."))
                })
                .build(),
        )
        .build()
        .map_err(|e| format!("{e:?}"))?;
    let mut config = HttpConfig::new(format!("http://{bind}/mcp"));
    config.bind = bind;
    serve_http(server, config).await?;
    Ok(())
}
