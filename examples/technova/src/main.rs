//! TechNova order assistant: an MCP server for a support team (look up, list and cancel
//! orders), built on `mcp-runtime` and governed by `policy.toml`.
//!
//! - `technova serve --transport stdio` serves the `local` environment on stdio;
//! - `technova check --env prod` validates the policy against these tools;
//! - `technova explain --env prod --tool cancel_order --claims '{"roles":["support-lead"]}'`;
//! - `technova tools` lists the tools and their declared scopes.
//!
//! The order book is the SQLite file `TECHNOVA_DB` (default `technova.db`, created and seeded
//! on first run); see the library docs for the other settings.

use mcp_runtime::cli::Purpose;
use std::process::ExitCode;

fn main() -> ExitCode {
    mcp_runtime::cli::run_with(|purpose| match purpose {
        // `check`, `explain` and `tools` only look at the tools: no database file is created.
        Purpose::Inspect => technova::server().map_err(|e| anyhow::anyhow!("{e:?}")),
        Purpose::Serve => technova::Settings::from_env().and_then(technova::build),
    })
}
