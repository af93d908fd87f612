//! The servers under test, each run as a child process of the bench (`bench serve KIND …`):
//! a bare axum JSON-RPC echo (the ceiling), rmcp's echo over Streamable HTTP (stateless, JSON
//! responses) and over stdio, and this runtime's echo (`#[tool]`) through its standard
//! command line, so it runs exactly as an application built on it would.

use axum::Json;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use clap::Parser;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{ServerCapabilities, ServerConfig};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ServerHandler, ServiceExt, schemars, tool_handler, tool_router};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

/// The scope the runtime's `echo` tool requires (the bench's tokens carry it).
pub(crate) const ECHO_SCOPE: &str = "bench:echo";

/// Echo the text back (requires `bench:echo`).
#[mcp_runtime::tool(scopes = ["bench:echo"], read_only)]
async fn echo(#[arg(description = "The text to send back")] text: String) -> String {
    text
}

/// Echo the text back, to anyone.
#[mcp_runtime::tool(public, read_only)]
async fn echo_public(#[arg(description = "The text to send back")] text: String) -> String {
    text
}

/// This runtime's echo server.
fn runtime_server() -> Result<mcp_runtime::Server, Vec<mcp_runtime::registry::RegistryError>> {
    mcp_runtime::Server::builder("bench-echo", env!("CARGO_PKG_VERSION"))
        .tool(echo_tool())
        .tool(echo_public_tool())
        .build()
}

/// Runs this runtime's command line (`serve --policy … --env … [--bind …|--transport stdio]`).
pub(crate) fn runtime(args: Vec<String>) -> ExitCode {
    let argv = std::iter::once("bench-runtime".to_owned()).chain(args);
    let cli = mcp_runtime::cli::Cli::parse_from(argv);
    mcp_runtime::cli::execute(cli, |_| runtime_server(), &mut std::io::stdout())
}

/// rmcp's `echo` tool arguments.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct EchoArgs {
    /// The text to send back.
    text: String,
}

/// rmcp's echo server, written as its documentation shows.
#[derive(Debug, Clone)]
struct RmcpEcho {
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl RmcpEcho {
    fn new() -> Self {
        Self {
            tool_router: Self::tool_router(),
        }
    }

    #[rmcp::tool(description = "Echo the text back.")]
    fn echo(&self, Parameters(EchoArgs { text }): Parameters<EchoArgs>) -> String {
        text
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for RmcpEcho {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Serves `router` until `SIGTERM` or Ctrl-C, then returns, so the process exits as the
/// runtime's own server does (an instrumented build writes its profile at exit).
async fn serve_router(addr: SocketAddr, router: axum::Router) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, router)
        .with_graceful_shutdown(terminated())
        .await?;
    Ok(())
}

/// Completes on `SIGTERM` or Ctrl-C.
async fn terminated() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// rmcp over Streamable HTTP: stateless, JSON responses, the handler built once and cloned
/// per request (cheaper than building it per request, as rmcp's examples do).
pub(crate) fn rmcp_http(addr: SocketAddr) -> anyhow::Result<()> {
    multi_thread().block_on(async move {
        let echo = RmcpEcho::new();
        let service = StreamableHttpService::new(
            move || Ok(echo.clone()),
            Arc::new(LocalSessionManager::default()),
            StreamableHttpServerConfig::default()
                .with_legacy_session_mode(false)
                .with_json_response(true)
                .with_sse_keep_alive(None),
        );
        serve_router(addr, axum::Router::new().nest_service("/mcp", service)).await
    })
}

/// rmcp over stdio.
pub(crate) fn rmcp_stdio() -> anyhow::Result<()> {
    multi_thread().block_on(async move {
        let running = RmcpEcho::new().serve(rmcp::transport::stdio()).await?;
        running.waiting().await?;
        Ok(())
    })
}

/// The ceiling: parse the JSON-RPC request, answer a `tools/call` result; nothing else.
pub(crate) fn axum_echo(addr: SocketAddr) -> anyhow::Result<()> {
    async fn handle(body: Bytes) -> Result<Json<Value>, StatusCode> {
        let request: Value = serde_json::from_slice(&body).map_err(|_| StatusCode::BAD_REQUEST)?;
        let text = request["params"]["arguments"]["text"].clone();
        Ok(Json(json!({
            "jsonrpc": "2.0",
            "id": request["id"],
            "result": {"content": [{"type": "text", "text": text}], "isError": false}
        })))
    }
    multi_thread().block_on(serve_router(
        addr,
        axum::Router::new().route("/mcp", post(handle)),
    ))
}
