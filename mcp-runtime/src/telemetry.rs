//! Logging set-up: `tracing` to **stderr** (stdout belongs to the stdio transport).

use tracing_subscriber::EnvFilter;

/// Installs a stderr `tracing` subscriber filtered by `RUST_LOG` (default `info`).
/// `MCP_LOG_FORMAT=json` switches to one JSON object per line. Safe to call twice.
pub fn init_stderr() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    let result = if std::env::var("MCP_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    let _ = result;
}
