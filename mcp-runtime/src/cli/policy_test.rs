//! `policy test`: runs the fixtures file against the policy and the binary's tools, prints
//! one line per passing case and a diff per failing one, then a summary.

use super::{PolicyTestArgs, io, report_errors};
use crate::policy::{Fixtures, Policy, PolicyError, process_env};
use crate::protocol::Server;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// The fixtures file next to `policy`: `NAME.tests.toml` for `NAME.toml`.
fn default_fixtures(policy: &std::path::Path) -> PathBuf {
    let stem = policy
        .file_stem()
        .map_or_else(|| "policy".into(), |s| s.to_string_lossy().into_owned());
    policy.with_file_name(format!("{stem}.tests.toml"))
}

/// Exit 0 when every case passes, 1 when one fails or a file is invalid (listed at
/// `file:line:column`).
pub(super) fn run(
    server: &Server,
    args: &PolicyTestArgs,
    out: &mut dyn Write,
) -> Result<ExitCode, PolicyError> {
    let path = &args.policy.policy;
    let policy = match Policy::load(path, Arc::new(server.catalog())) {
        Ok(p) => p,
        Err(e) => return report_errors(&e, path, out),
    };
    let fixtures_path = args
        .fixtures
        .clone()
        .unwrap_or_else(|| default_fixtures(path));
    let fixtures = match Fixtures::load(&fixtures_path, &policy, server.tools()) {
        Ok(f) => f,
        Err(e) => return report_errors(&e, &fixtures_path, out),
    };
    let outcomes = fixtures.run(&policy, &process_env, args.env.as_deref())?;
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    for o in &outcomes {
        writeln!(out, "{o}").map_err(io)?;
    }
    writeln!(
        out,
        "policy test: {} passed, {failed} failed ({} against {})",
        outcomes.len() - failed,
        fixtures.file_name(),
        policy.file_name()
    )
    .map_err(io)?;
    if outcomes.is_empty() {
        writeln!(out, "error: no case ran").map_err(io)?;
        return Ok(ExitCode::FAILURE);
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
