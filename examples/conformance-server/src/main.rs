//! `conformance-server --bind 127.0.0.1:3000`: serves the conformance fixtures over
//! Streamable HTTP at `http://<bind>/mcp`, without authentication. The address must be a
//! loopback address.

use clap::Parser;
use mcp_runtime::transport::http::{HttpConfig, serve_http};
use std::net::SocketAddr;
use std::process::ExitCode;

/// Serves the MCP conformance suite's fixtures over Streamable HTTP (no authentication).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The loopback address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    bind: SocketAddr,
}

#[tokio::main]
async fn main() -> ExitCode {
    mcp_runtime::telemetry::init_stderr();
    let args = Args::parse();
    if !args.bind.ip().is_loopback() {
        eprintln!(
            "conformance-server: refusing to serve unauthenticated fixtures on {}; use a loopback address",
            args.bind
        );
        return ExitCode::from(2);
    }
    let server = match conformance_server::server() {
        Ok(s) => s,
        Err(errors) => {
            for e in errors {
                eprintln!("conformance-server: {e}");
            }
            return ExitCode::FAILURE;
        }
    };
    let mut config = HttpConfig::new(format!("http://{}/mcp", args.bind));
    config.bind = args.bind;
    match serve_http(server, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("conformance-server: {e}");
            ExitCode::FAILURE
        }
    }
}
