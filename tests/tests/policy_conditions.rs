//! Policy conditions enforced by the real `technova` binary over stdio: the ownership hook
//! (an order id resolved to its tenant) lets the local user cancel only orders of their own
//! tenant, a resolver failure denies, and a shadow-mode rule audits would-deny without
//! refusing. Both eras take the same decisions.

use e2e::{StdioPeer, modern, root_policy, technova};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

/// The shipped policy, with the local user allowed to cancel (`orders:write`) without the
/// approval step (this client asks no one; approval has its own tests) and a shadow-mode rule
/// on `list_orders` in the `local` environment.
fn policy() -> PathBuf {
    let shipped = std::fs::read_to_string(root_policy()).expect("policy.toml");
    assert!(shipped.contains("tools.cancel_order.approval = \"required\"\n"));
    let text = shipped
        .replacen("tools.cancel_order.approval = \"required\"\n", "", 1)
        .replace(
            r#"scopes = ["orders:read", "reports:run"]"#,
            r#"scopes = ["orders:write"]"#,
        )
        .replace(
            "[env.local]\n",
            "[env.local]\ntools.list_orders.condition = \"has(args.customer)\"\ntools.list_orders.mode = \"shadow\"\n",
        );
    assert_ne!(text, shipped);
    let dir = std::env::temp_dir().join(format!("technova-e2e-{}-conditions", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("policy.toml");
    std::fs::write(&path, text).expect("write policy");
    path
}

fn serve() -> StdioPeer {
    let path = policy();
    let envs = [
        ("RUST_LOG", "info"),
        ("MCP_LOG_FORMAT", "json"),
        (e2e::TECHNOVA_DB, ":memory:"),
    ];
    StdioPeer::spawn(
        &technova(),
        &["serve", "--policy", path.to_str().unwrap()],
        &envs,
    )
}

async fn audit(mut peer: StdioPeer) -> Vec<Value> {
    peer.close_stdin();
    let status = peer.wait(Duration::from_secs(20)).await;
    assert!(
        status.success(),
        "exit {status}; stderr:\n{}",
        peer.stderr()
    );
    peer.stderr()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["target"] == "mcp::audit")
        .map(|v| v["fields"].clone())
        .collect()
}

fn cancel(order: &str) -> Value {
    json!({"name": "cancel_order", "arguments": {"order_id": order, "reason": "changed mind"}})
}

/// The order's status as `get_order_status` reports it.
async fn status(peer: &mut StdioPeer, id: i64, order: &str, era_modern: bool) -> Value {
    let params = json!({"name": "get_order_status", "arguments": {"order_id": order}});
    let params = if era_modern { modern(params) } else { params };
    let r = peer.request(id, "tools/call", params).await;
    r["result"]["structuredContent"]["status"].clone()
}

fn assert_condition_denial(response: &Value, reason_part: &str) {
    let error = &response["error"];
    assert_eq!(error["code"], -31003, "{response}");
    assert_eq!(error["data"]["tool"], "cancel_order");
    assert_eq!(error["data"]["rule"], "tools.cancel_order.condition");
    assert_eq!(
        error["data"]["condition"],
        "resource.tenant == claims.tenant"
    );
    assert_eq!(error["data"]["missingScopes"], json!([]));
    let reason = error["data"]["reason"].as_str().unwrap();
    assert!(reason.contains(reason_part), "{reason}");
}

#[tokio::test]
async fn only_orders_of_the_callers_tenant_can_be_cancelled_legacy_era() {
    let mut peer = serve();
    peer.initialize("2025-11-25").await;

    // TN-1007 belongs to tenant `globex`; the local user is `technova`'s.
    let denied = peer.request(1, "tools/call", cancel("TN-1007")).await;
    assert_condition_denial(&denied, "does not hold");
    assert_eq!(status(&mut peer, 2, "TN-1007", false).await, "processing");

    // An order of the caller's own tenant.
    let allowed = peer.request(3, "tools/call", cancel("TN-1002")).await;
    assert!(allowed["result"].is_object(), "{allowed}");
    assert_eq!(allowed["result"]["isError"], Value::Null, "{allowed}");
    assert_eq!(status(&mut peer, 4, "TN-1002", false).await, "cancelled");

    // The resolver cannot describe an order that does not exist: fail closed.
    let unknown = peer.request(5, "tools/call", cancel("TN-9999")).await;
    assert_condition_denial(&unknown, "no order with id TN-9999");

    let events = audit(peer).await;
    let cancels: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["tool"] == "cancel_order" && e["decision"].is_string())
        .map(|e| (e["decision"].as_str().unwrap(), e["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(
        cancels,
        [
            ("deny", "tools.cancel_order.condition"),
            ("allow", "declared:cancel_order + tools.cancel_order"),
            ("deny", "tools.cancel_order.condition"),
        ],
        "{events:#?}"
    );
    // This client cannot be asked, so the allowed cancel went ahead on the reason it gave,
    // and TechNova's own audit event says the user was not asked.
    let confirmations: Vec<&str> = events
        .iter()
        .filter_map(|e| e["confirmation"].as_str())
        .collect();
    assert_eq!(confirmations, ["not_asked"], "{events:#?}");
    let first = events
        .iter()
        .find(|e| e["tool"] == "cancel_order" && e["decision"].is_string())
        .unwrap();
    let reason = first["reason"].as_str().unwrap();
    assert!(
        reason.contains("resource.tenant == claims.tenant"),
        "the audit event names the condition: {reason}"
    );
}

#[tokio::test]
async fn the_same_conditions_decide_in_the_modern_era() {
    let mut peer = serve();
    let denied = peer
        .request(1, "tools/call", modern(cancel("TN-1007")))
        .await;
    assert_condition_denial(&denied, "does not hold");
    let allowed = peer
        .request(2, "tools/call", modern(cancel("TN-1003")))
        .await;
    assert!(allowed["result"].is_object(), "{allowed}");
    assert_eq!(allowed["result"]["isError"], Value::Null, "{allowed}");
    assert_eq!(status(&mut peer, 3, "TN-1003", true).await, "cancelled");
    assert_eq!(status(&mut peer, 4, "TN-1007", true).await, "processing");
    audit(peer).await;
}

#[tokio::test]
async fn a_shadow_rule_audits_would_deny_and_lets_the_call_through() {
    let mut peer = serve();
    peer.initialize("2025-11-25").await;
    let unfiltered = json!({"name": "list_orders", "arguments": {}});
    let listed = peer.request(1, "tools/call", unfiltered).await;
    assert!(
        listed["result"]["structuredContent"]["count"]
            .as_u64()
            .unwrap()
            >= 7,
        "the shadow rule does not refuse: {listed}"
    );
    let filtered = json!({"name": "list_orders", "arguments": {"customer": "ada@example.com"}});
    let listed = peer.request(2, "tools/call", filtered).await;
    assert_eq!(
        listed["result"]["structuredContent"]["count"], 2,
        "{listed}"
    );

    let events = audit(peer).await;
    let lists: Vec<&Value> = events
        .iter()
        .filter(|e| e["tool"] == "list_orders")
        .collect();
    let decisions: Vec<&str> = lists
        .iter()
        .map(|e| e["decision"].as_str().unwrap())
        .collect();
    assert_eq!(
        decisions,
        ["would_deny", "allow", "allow"],
        "one would-deny for the unfiltered call only: {events:#?}"
    );
    let shadow = lists[0];
    assert_eq!(shadow["shadow"], true);
    assert_eq!(shadow["rule"], "env.local.tools.list_orders.condition");
    assert_eq!(shadow["condition"], "has(args.customer)");
}

/// Runs `technova` with `args`; its exit code and its output (stdout and stderr).
fn technova_cmd(args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(technova())
        .args(args)
        .current_dir(e2e::workspace_root())
        .output()
        .expect("technova runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn check_points_into_a_condition_that_names_a_missing_argument() {
    let shipped = std::fs::read_to_string(root_policy()).expect("policy.toml");
    let broken = shipped.replace(
        r#"condition = "resource.tenant == claims.tenant""#,
        r#"condition = "resource.tenant == claims.tenant && args.order_idd != ''""#,
    );
    assert_ne!(broken, shipped);
    let dir = std::env::temp_dir().join(format!("technova-e2e-{}-cond-check", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("policy.toml");
    std::fs::write(&path, &broken).expect("write policy");
    let p = path.to_str().unwrap();
    let (code, out) = technova_cmd(&["check", "--policy", p]);
    assert_eq!(code, 1, "{out}");
    let line = broken
        .lines()
        .position(|l| l.contains("args.order_idd"))
        .unwrap()
        + 1;
    let column = broken
        .lines()
        .nth(line - 1)
        .unwrap()
        .find("order_idd")
        .unwrap()
        + 1;
    assert!(
        out.contains(&format!(
            "{p}:{line}:{column}: in condition `resource.tenant == claims.tenant && args.order_idd != ''`: unknown argument `order_idd` of tool `cancel_order`, which has: `order_id`, `reason`; did you mean `order_id`?"
        )),
        "{out}"
    );
}

#[test]
fn explain_evaluates_conditions_on_given_arguments() {
    let lead = r#"{"roles":["support-lead"],"tenant":"technova"}"#;
    let args = r#"{"order_id":"TN-1007","reason":"changed mind"}"#;
    let base = [
        "explain",
        "--env",
        "prod",
        "--tool",
        "cancel_order",
        "--claims",
        lead,
    ];
    let run = |extra: &[&str]| {
        let mut all = base.to_vec();
        all.extend_from_slice(extra);
        technova_cmd(&all)
    };
    let (code, out) = run(&["--arguments", args, "--owner", r#"{"tenant":"globex"}"#]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("rule:             tools.cancel_order.condition"),
        "{out}"
    );
    let (code, out) = run(&["--arguments", args, "--owner", r#"{"tenant":"technova"}"#]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("decision:         allow"), "{out}");
    let (code, out) = run(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("condition:        resource.tenant == claims.tenant (tools.cancel_order.condition; not evaluated without --arguments)"),
        "{out}"
    );
}
