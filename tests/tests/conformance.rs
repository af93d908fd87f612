//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in
//! `interop/package.json`) against `conformance-server`, once per protocol era, each with the
//! scenarios that revision requires (`--requirements`). The committed baseline
//! `examples/conformance-server/expected-failures.yaml` lists what the server does not
//! support: the suite exits non-zero on any other failure, and on a baseline entry that now
//! passes.

use e2e::{node, run_peer, workspace_root};

/// Removes ANSI colour sequences (`ESC [ … m`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `(passed, failed)` from the summary line `Total: N passed, M failed`.
fn totals(stdout: &str) -> (u32, u32) {
    let clean = strip_ansi(stdout);
    let line = clean
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("Total: "))
        .unwrap_or_else(|| panic!("no `Total:` summary line in:\n{clean}"));
    let numbers: Vec<u32> = line
        .split([' ', ','])
        .filter_map(|w| w.parse().ok())
        .collect();
    match numbers[..] {
        [passed, failed] if line.contains("passed") && line.contains("failed") => (passed, failed),
        _ => panic!("unexpected summary line `Total: {line}`"),
    }
}

/// Runs the suite for `revision` and checks its verdict and the number of passed checks.
async fn run_suite(revision: &str, min_passed: u32) {
    let (server, url) = e2e::start_conformance_server().await;
    let root = workspace_root();
    let suite = root.join("interop/node_modules/@modelcontextprotocol/conformance/dist/index.js");
    let baseline = root.join("examples/conformance-server/expected-failures.yaml");
    let results = root.join("target/conformance").join(revision);
    let (suite, baseline, results) = (
        suite.display().to_string(),
        baseline.display().to_string(),
        results.display().to_string(),
    );
    let args = [
        suite.as_str(),
        "server",
        "--url",
        &url,
        "--requirements",
        revision,
        "--expected-failures",
        &baseline,
        "-o",
        &results,
    ];
    // run_peer asserts exit status 0: every failure is in the baseline, no entry is stale.
    let stdout = run_peer(&node(), &args, &[("NO_COLOR", "1")]).await;
    let (passed, failed) = totals(&stdout);
    eprintln!(
        "conformance {revision}: {passed} passed, {failed} failed (failures expected by the baseline)"
    );
    assert!(
        passed >= min_passed,
        "only {passed} checks passed for {revision} (at least {min_passed} expected):\n{stdout}\nserver stderr:\n{}",
        server.stderr()
    );
    assert!(
        strip_ansi(&stdout).contains("Baseline check passed"),
        "the suite did not confirm the baseline:\n{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_2025_11_25_legacy_era() {
    run_suite("2025-11-25", 80).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_2026_07_28_modern_era() {
    run_suite("2026-07-28", 155).await;
}

#[test]
fn summary_lines_are_parsed_with_or_without_colour() {
    assert_eq!(
        totals("x\n\u{1b}[1mTotal: 61 passed, 5 failed\u{1b}[0m\n"),
        (61, 5)
    );
    assert_eq!(totals("Total: 0 passed, 12 failed"), (0, 12));
}

#[test]
#[should_panic(expected = "no `Total:` summary line")]
fn a_missing_summary_line_fails() {
    totals("Passed: 2/2, 0 failed, 0 warnings");
}
