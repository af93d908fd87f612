//! TechNova order assistant: an MCP server for a support team (look up, list and cancel
//! orders), built on `mcp-runtime` and governed by `policy.toml`.
//!
//! - `technova serve --transport stdio` serves the `local` environment on stdio;
//! - `technova check --env prod` validates the policy against these tools;
//! - `technova explain --env prod --tool cancel_order --claims '{"roles":["support-lead"]}'`;
//! - `technova tools` lists the tools and their declared scopes.

use std::process::ExitCode;

fn main() -> ExitCode {
    mcp_runtime::cli::run(technova::server)
}
