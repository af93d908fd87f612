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

/// The suites and the least number of compile-fail and compile-pass cases each must hold.
const SUITES: &[(&str, usize, usize)] = &[("tool", 40, 6), ("prompt", 15, 5), ("resource", 15, 5)];

/// Every fail case has its expected diagnostic beside it, every diagnostic its case, and a
/// glob that matches nothing cannot pass for a green suite.
fn check_cases(dir: &str) {
    let (_, min_fail_cases, min_pass_cases) = SUITES
        .iter()
        .find(|(name, ..)| *name == dir)
        .expect("a suite listed in SUITES");
    let suite = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir);
    let fail_dir = suite.join("fail");
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
        } else if path.extension().is_some_and(|e| e == "stderr") {
            assert!(
                path.with_extension("rs").exists(),
                "{} belongs to no case; delete it",
                path.display()
            );
        }
    }
    assert!(
        cases >= *min_fail_cases,
        "only {cases} compile-fail cases in {}",
        fail_dir.display()
    );
    let pass_dir = suite.join("pass");
    let passes = std::fs::read_dir(&pass_dir)
        .expect("the pass directory")
        .filter(|e| {
            e.as_ref()
                .expect("a directory entry")
                .path()
                .extension()
                .is_some_and(|e| e == "rs")
        })
        .count();
    assert!(
        passes >= *min_pass_cases,
        "only {passes} compile-pass cases in {}",
        pass_dir.display()
    );
}

fn run_ui_tests(dir: &str) {
    check_toolchain();
    check_cases(dir);
    let t = trybuild::TestCases::new();
    t.compile_fail(format!("tests/{dir}/fail/*.rs"));
    t.pass(format!("tests/{dir}/pass/*.rs"));
}

/// Every `tests/<macro>/fail` directory is a suite that runs below.
#[test]
fn every_suite_is_run() {
    let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut found: Vec<String> = std::fs::read_dir(&tests)
        .expect("the tests directory")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.join("fail").is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut listed: Vec<&str> = SUITES.iter().map(|(name, ..)| *name).collect();
    listed.sort_unstable();
    assert_eq!(
        found, listed,
        "add the suite to SUITES and give it a #[test]"
    );
}

#[test]
fn ui_tool() {
    run_ui_tests("tool");
}

#[test]
fn ui_prompt() {
    run_ui_tests("prompt");
}

#[test]
fn ui_resource() {
    run_ui_tests("resource");
}
