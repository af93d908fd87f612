//! TechNova order assistant: an MCP server for a support team (look up, list and cancel
//! orders), built on `mcp-runtime`.
//!
//! Run it over stdio: `cargo run -p technova -- serve --transport stdio`.

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use mcp_runtime::Caller;
use mcp_runtime::transport::stdio::{StdioConfig, serve_stdio};

#[derive(Parser, Debug)]
#[command(
    name = "technova",
    version,
    about = "TechNova order assistant (MCP server)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve MCP.
    Serve {
        /// Which transport to serve on.
        #[arg(long, value_enum, default_value_t = Transport::Stdio)]
        transport: Transport,
        /// Scopes the local stdio user holds (comma-separated).
        #[arg(
            long,
            env = "TECHNOVA_LOCAL_SCOPES",
            value_delimiter = ',',
            default_value = "orders:read,reports:run"
        )]
        local_scopes: Vec<String>,
        /// Longest accepted stdio message, in bytes.
        #[arg(long, default_value_t = 4 * 1024 * 1024)]
        max_line_bytes: usize,
    },
    /// List the compiled tools with their declared scopes.
    Tools,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Transport {
    Stdio,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber_init();
    let cli = Cli::parse();
    let server = technova::server()
        .map_err(|errors| anyhow::anyhow!("invalid tool definitions: {errors:?}"))?;
    match cli.command {
        Command::Serve {
            transport: Transport::Stdio,
            local_scopes,
            max_line_bytes,
        } => {
            let caller = Caller::local(whoami(), local_scopes);
            serve_stdio(
                server,
                caller,
                StdioConfig {
                    max_line_bytes,
                    ..StdioConfig::default()
                },
            )
            .await
            .context("stdio transport failed")
        }
        Command::Tools => {
            for tool in server.tools().iter() {
                let access = match tool.access() {
                    mcp_runtime::Access::Public => "public".to_owned(),
                    mcp_runtime::Access::Scopes(s) => s.join(" "),
                };
                eprintln!("{:<24} {access}", tool.name());
            }
            Ok(())
        }
    }
}

fn whoami() -> String {
    std::env::var("USER").unwrap_or_else(|_| "local-user".to_owned())
}

fn tracing_subscriber_init() {
    mcp_runtime::telemetry::init_stderr();
}
