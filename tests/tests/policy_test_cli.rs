//! `technova policy test` as a real process: the shipped fixtures pass in every environment,
//! a broken fixture fails with a diff of expected against actual, and a fixture naming what
//! does not exist is refused at its position.

use e2e::{technova, workspace_root};
use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("technova-ptest-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs `technova policy test [args]` from the workspace root; exit code and stdout.
fn policy_test(args: &[&str]) -> (i32, String) {
    let out = Command::new(technova())
        .args(["policy", "test"])
        .args(args)
        .env_remove("MCP_POLICY")
        .env_remove("MCP_POLICY_FIXTURES")
        .env_remove("MCP_ENV")
        .current_dir(workspace_root())
        .output()
        .expect("run technova");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), format!("{stdout}{stderr}"))
}

fn shipped_fixtures() -> String {
    std::fs::read_to_string(workspace_root().join("policy.tests.toml")).expect("fixtures")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn the_shipped_fixtures_pass_in_all_four_environments() {
    let (code, out) = policy_test(&[]);
    assert_eq!(code, 0, "{out}");
    for env in ["local", "dev", "staging", "prod"] {
        assert!(
            out.contains(&format!("ok    [{env}] ")),
            "no case ran in {env}:\n{out}"
        );
    }
    let ok = out.lines().filter(|l| l.starts_with("ok    ")).count();
    assert!(ok >= 30, "{out}");
    assert!(
        out.contains(&format!("policy test: {ok} passed, 0 failed")),
        "{out}"
    );
    assert!(!out.contains("FAIL"), "{out}");

    // `--env` runs one environment's cases only.
    let (code, out) = policy_test(&["--env", "local"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("policy test: 4 passed, 0 failed"), "{out}");
}

#[test]
fn a_broken_fixture_fails_with_a_diff() {
    let dir = scratch("broken");
    let shipped = shipped_fixtures();
    // A support agent is expected to cancel; the policy refuses.
    let broken = shipped.replacen(
        "name = \"a support agent may not cancel\"\nenv = [\"dev\", \"staging\", \"prod\"]\nprincipal = \"agent\"\ntool = \"cancel_order\"\narguments = { order_id = \"TN-1001\", reason = \"customer request\" }\nexpect = \"deny\"",
        "name = \"a support agent may not cancel\"\nenv = [\"dev\", \"staging\", \"prod\"]\nprincipal = \"agent\"\ntool = \"cancel_order\"\narguments = { order_id = \"TN-1001\", reason = \"customer request\" }\nexpect = \"allow\"",
        1,
    );
    assert_ne!(
        broken, shipped,
        "the case to break is in the shipped fixtures"
    );
    let fixtures = write(&dir, "broken.tests.toml", &broken);
    let (code, out) = policy_test(&["--fixtures", &fixtures]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  [prod] a support agent may not cancel"),
        "{out}"
    );
    let diff = out
        .split("FAIL  [prod] a support agent may not cancel")
        .nth(1)
        .unwrap();
    let expected_line = shipped[..shipped.find("a support agent may not cancel").unwrap()]
        .lines()
        .count()
        + 5;
    assert!(
        diff.contains(&format!("at {fixtures}:{expected_line}:")),
        "the failure names where the expectation is written:\n{out}"
    );
    assert!(
        diff.contains("tool `cancel_order` as `agent` (scopes: none; claims:"),
        "{out}"
    );
    assert!(
        diff.contains("    - decision: allow\n    + decision: deny\n"),
        "{out}"
    );
    assert!(diff.contains("rule:     declared:cancel_order"), "{out}");
    assert!(
        diff.contains("reason:   missing scope(s) orders:write"),
        "{out}"
    );
    assert!(
        out.contains(", 3 failed ("),
        "one failure per environment:\n{out}"
    );

    // A wrong expected rule alone is a failure too, shown as a rule diff.
    let wrong_rule = shipped.replacen(
        "rule = \"tools.cancel_order.require_claims.tenant\"",
        "rule = \"env.prod.tools.cancel_order.require_claims.tenant\"",
        1,
    );
    let fixtures = write(&dir, "rule.tests.toml", &wrong_rule);
    let (code, out) = policy_test(&["--fixtures", &fixtures, "--env", "prod"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("    - rule:     env.prod.tools.cancel_order.require_claims.tenant\n    + rule:     tools.cancel_order.require_claims.tenant\n"),
        "{out}"
    );
    assert!(out.contains("decision: deny"), "{out}");

    // Expecting an approval the policy does not ask for fails, and says why: in `dev` no
    // person is asked before a cancel.
    let approval = format!(
        "{shipped}\n[[case]]\nname = \"cancelling needs approval\"\nenv = \"dev\"\nprincipal = \"lead\"\ntool = \"cancel_order\"\narguments = {{ order_id = \"TN-1001\", reason = \"customer request\" }}\nowner = {{ tenant = \"technova\" }}\nexpect = \"approval\"\n"
    );
    let fixtures = write(&dir, "approval.tests.toml", &approval);
    let (code, out) = policy_test(&["--fixtures", &fixtures, "--env", "dev"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("    - decision: approval\n    + decision: allow\n"),
        "{out}"
    );
    assert!(out.contains("asks for no approval"), "{out}");

    // In `prod` it does: a case that expects a plain allow there fails with the diff.
    let plain = shipped.replacen(
        "name = \"a support lead of the tenant cancels in prod once a person approves\"\nenv = \"prod\"\nprincipal = \"lead\"\ntool = \"cancel_order\"\narguments = { order_id = \"TN-1001\", reason = \"customer request\" }\nowner = { tenant = \"technova\", owner = \"CUST-1\" }\nexpect = \"approval\"",
        "name = \"a support lead of the tenant cancels in prod once a person approves\"\nenv = \"prod\"\nprincipal = \"lead\"\ntool = \"cancel_order\"\narguments = { order_id = \"TN-1001\", reason = \"customer request\" }\nowner = { tenant = \"technova\", owner = \"CUST-1\" }\nexpect = \"allow\"",
        1,
    );
    assert_ne!(
        plain, shipped,
        "the approval case is in the shipped fixtures"
    );
    let fixtures = write(&dir, "plain.tests.toml", &plain);
    let (code, out) = policy_test(&["--fixtures", &fixtures, "--env", "prod"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("    - decision: allow\n    + decision: approval\n"),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fixtures_naming_what_does_not_exist_are_refused_at_their_position() {
    let dir = scratch("invalid");
    let text = "[principals.lead]\nsub = \"lee\"\n\n[[case]]\nenv = \"prdo\"\nprincipal = \"lead\"\ntool = \"cancel_ordr\"\nexpect = \"deny\"\n\n[[case]]\nenv = \"prod\"\nprincipal = \"leed\"\ntool = \"cancel_order\"\nexpect = \"deny\"\n\n[[case]]\nenv = \"prod\"\nprincipal = \"lead\"\ntool = \"get_order_status\"\narguments = { order_id = \"1001\" }\nexpect = \"deny\"\n";
    let fixtures = write(&dir, "bad.tests.toml", text);
    let (code, out) = policy_test(&["--fixtures", &fixtures]);
    assert_eq!(code, 1, "{out}");
    for line in [
        format!(
            "{fixtures}:5:7: unknown environment `prdo`: the policy does not define it; did you mean `prod`?"
        ),
        format!(
            "{fixtures}:7:8: unknown tool `cancel_ordr`: this binary has no such tool; did you mean `cancel_order`?"
        ),
        format!("{fixtures}:12:13: unknown principal `leed`"),
        format!("{fixtures}:20:13: arguments do not fit tool `get_order_status`: /order_id:"),
    ] {
        assert!(out.contains(&line), "missing {line:?} in:\n{out}");
    }
    assert!(!out.contains("policy test:"), "no case runs:\n{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}
