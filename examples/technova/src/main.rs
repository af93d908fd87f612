//! TechNova order assistant: an MCP server for a support team (look up, list and cancel
//! orders), built on `mcp-runtime`.
//!
//! Run it over stdio: `cargo run -p technova -- serve --transport stdio`.
//! Over Streamable HTTP (tokens from `--issuer`, keys from `--jwks` or the issuer's metadata):
//! `cargo run -p technova -- serve --transport http --bind 127.0.0.1:8080 --issuer <url>`.
//! For local development see `examples/technova/dev/README.md`.

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use mcp_runtime::Caller;
use mcp_runtime::auth::TokenValidation;
use mcp_runtime::transport::http::{HttpConfig, serve_http};
use mcp_runtime::transport::stdio::{StdioConfig, serve_stdio};
use std::net::SocketAddr;

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
        #[command(flatten)]
        http: HttpArgs,
    },
    /// List the compiled tools with their declared scopes.
    Tools,
}

/// Settings of `--transport http`.
#[derive(clap::Args, Debug)]
struct HttpArgs {
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// This server's canonical resource URI (default `http://<bind>/mcp`).
    #[arg(long)]
    resource: Option<String>,
    /// The authorization server whose tokens are accepted (`iss`). Required over HTTP.
    #[arg(long, env = "TECHNOVA_ISSUER")]
    issuer: Option<String>,
    /// The issuer's JWKS: an `https://` URL or a file path (default: discovered from the
    /// issuer's metadata).
    #[arg(long, env = "TECHNOVA_JWKS")]
    jwks: Option<String>,
    /// The audience tokens must carry (default: the resource URI).
    #[arg(long)]
    audience: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Transport {
    Stdio,
    Http,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber_init();
    let cli = Cli::parse();
    let server = technova::server()
        .map_err(|errors| anyhow::anyhow!("invalid tool definitions: {errors:?}"))?;
    match cli.command {
        Command::Serve {
            transport: Transport::Http,
            http,
            ..
        } => {
            let resource = http
                .resource
                .unwrap_or_else(|| format!("http://{}/mcp", http.bind));
            let issuer = http.issuer.context(
                "--issuer is required with --transport http (for local development: \
                 --issuer https://dev-issuer.technova.invalid --jwks examples/technova/dev/dev-jwks.json)",
            )?;
            let mut auth =
                TokenValidation::new(issuer, http.audience.unwrap_or_else(|| resource.clone()));
            auth.jwks_uri = http.jwks;
            let mut config = HttpConfig::new(resource);
            config.bind = http.bind;
            config.auth = Some(auth);
            serve_http(server, config)
                .await
                .context("HTTP transport failed")
        }
        Command::Serve {
            transport: Transport::Stdio,
            local_scopes,
            max_line_bytes,
            ..
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
