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

fn run_ui_tests(dir: &str) {
    check_toolchain();
    let t = trybuild::TestCases::new();
    t.compile_fail(format!("tests/{dir}/fail/*.rs"));
    t.pass(format!("tests/{dir}/pass/*.rs"));
}

#[test]
fn ui_tool() {
    run_ui_tests("tool");
}
