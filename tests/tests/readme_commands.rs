//! The README's commands, run as a newcomer would type them (through `cargo run`), so a change
//! that breaks them (a second binary without `default-run`, a renamed flag) fails here.

use std::process::Command;

fn cargo_run(args: &[&str]) -> std::process::Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    Command::new(cargo)
        .args(["run", "--quiet", "-p", "technova"])
        .args(args)
        .current_dir(e2e::workspace_root())
        .env(e2e::TECHNOVA_DB, ":memory:")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("cargo runs")
}

#[test]
fn cargo_run_reaches_the_technova_command_line() {
    let out = cargo_run(&["--", "tools"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("cancel_order") && listed.contains("orders:write"),
        "{listed}"
    );

    let out = cargo_run(&["--", "check", "--env", "dev"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_dev_token_minter_runs_as_the_readme_shows() {
    let out = cargo_run(&[
        "--bin",
        "technova-dev-token",
        "--",
        "--scopes",
        "orders:read",
        "--sub",
        "alice",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8_lossy(&out.stdout);
    assert_eq!(token.trim().split('.').count(), 3, "a JWT: {token}");
    let claims = e2e::jwt_claims(token.trim());
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["scope"], "orders:read");
    assert_eq!(
        claims["aud"], "http://127.0.0.1:8080/mcp",
        "the dev environment's resource"
    );
}
