//! Compile-fail and compile-pass suites of the macros (`tests/<macro>/{fail,pass}/*.rs`).
//!
//! Every `fail/*.rs` holds one mistake; its `.stderr` beside it is the exact diagnostic,
//! generated with the toolchain CI runs (rustc 1.95). Regenerate after a deliberate change
//! with `TRYBUILD=overwrite cargo test -p mcp-macros --test ui` and review the diff like code.
//! This suite never skips itself: on another toolchain it fails and says why.

const STDERR_TOOLCHAIN: &str = "rustc 1.95.";

fn check_toolchain() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let out = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .expect("running `rustc --version`");
    let version = String::from_utf8_lossy(&out.stdout);
    assert!(
        version.starts_with(STDERR_TOOLCHAIN),
        "the .stderr files were generated with {STDERR_TOOLCHAIN}x, this is {version}; \
         compiler messages differ between versions, so run this suite on that toolchain \
         or regenerate them with TRYBUILD=overwrite and review the diff"
    );
}

/// Every fail case has its expected diagnostic beside it, and a glob that matches nothing
/// cannot pass for a green suite.
fn check_cases(dir: &str, min_fail_cases: usize) {
    let fail_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir)
        .join("fail");
    let mut cases = 0;
    for entry in std::fs::read_dir(&fail_dir).expect("the fail directory") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            cases += 1;
            assert!(
                path.with_extension("stderr").exists() || std::env::var_os("TRYBUILD").is_some(),
                "{} has no .stderr; generate it with TRYBUILD=overwrite and review it",
                path.display()
            );
        }
    }
    assert!(
        cases >= min_fail_cases,
        "only {cases} compile-fail cases in {}",
        fail_dir.display()
    );
}

fn run_ui_tests(dir: &str, min_fail_cases: usize) {
    check_toolchain();
    check_cases(dir, min_fail_cases);
    let t = trybuild::TestCases::new();
    t.compile_fail(format!("tests/{dir}/fail/*.rs"));
    t.pass(format!("tests/{dir}/pass/*.rs"));
}

#[test]
fn ui_tool() {
    run_ui_tests("tool", 40);
}
