//! The shipped `policy.toml` enforced over stdio by the real `technova` binary: the `local`
//! user may look orders up but not cancel them, and each decision is audited on stderr.

use e2e::{StdioPeer, modern, root_policy, technova};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

fn serve(args: &[&str], envs: &[(&str, &str)]) -> StdioPeer {
    let mut all = vec!["serve"];
    all.extend_from_slice(args);
    let mut envs = envs.to_vec();
    envs.push(("RUST_LOG", "info"));
    envs.push(("MCP_LOG_FORMAT", "json"));
    envs.push((e2e::TECHNOVA_DB, ":memory:"));
    StdioPeer::spawn(&technova(), &all, &envs)
}

/// The audit events (JSON lines on target `mcp::audit`) the process wrote to stderr.
fn audit_events(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["target"] == "mcp::audit")
        .map(|v| v["fields"].clone())
        .collect()
}

async fn finish(mut peer: StdioPeer) -> Vec<Value> {
    peer.close_stdin();
    let status = peer.wait(Duration::from_secs(20)).await;
    assert!(
        status.success(),
        "exit status {status}; stderr:\n{}",
        peer.stderr()
    );
    let stderr = peer.stderr();
    assert!(!stderr.contains("Bearer "), "no token material in logs");
    audit_events(&stderr)
}

#[tokio::test]
async fn local_user_may_look_up_but_not_cancel_legacy_era() {
    let mut peer = serve(&["--transport", "stdio"], &[]);
    peer.initialize("2025-11-25").await;

    let list = peer.request(1, "tools/list", json!({})).await;
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["get_order_status", "list_orders", "export_orders_report"],
        "only what the local user may call is listed"
    );

    let allowed = peer
        .request(
            2,
            "tools/call",
            json!({"name": "get_order_status", "arguments": {"order_id": "TN-1001"}}),
        )
        .await;
    assert_eq!(
        allowed["result"]["structuredContent"]["id"], "TN-1001",
        "{allowed}"
    );

    let denied = peer
        .request(
            3,
            "tools/call",
            json!({"name": "cancel_order", "arguments": {"order_id": "TN-1002", "reason": "changed mind"}}),
        )
        .await;
    let error = &denied["error"];
    assert_eq!(error["code"], -31003, "{denied}");
    assert_eq!(error["data"]["tool"], "cancel_order");
    assert_eq!(error["data"]["missingScopes"], json!(["orders:write"]));
    assert_eq!(error["data"]["requiredScopes"], json!(["orders:write"]));
    assert_eq!(error["data"]["rule"], "declared:cancel_order");

    // The denied cancellation changed nothing.
    let status = peer
        .request(
            4,
            "tools/call",
            json!({"name": "get_order_status", "arguments": {"order_id": "TN-1002"}}),
        )
        .await;
    assert_eq!(status["result"]["structuredContent"]["status"], "pending");

    let events = finish(peer).await;
    let calls: Vec<&Value> = events
        .iter()
        .filter(|e| e["method"] == "tools/call")
        .collect();
    assert_eq!(calls.len(), 3, "one audit event per decision: {events:#?}");
    let allow = calls[0];
    assert_eq!(allow["decision"], "allow");
    assert_eq!(allow["tool"], "get_order_status");
    assert_eq!(allow["subject"], "local-user");
    assert_eq!(allow["env"], "local");
    assert_eq!(allow["rule"], "declared:get_order_status");
    let deny = calls[1];
    assert_eq!(deny["decision"], "deny");
    assert_eq!(deny["tool"], "cancel_order");
    assert_eq!(deny["missing"], "orders:write");
    assert_eq!(deny["rule"], "declared:cancel_order");
    assert!(
        events
            .iter()
            .any(|e| e["method"] == "tools/list" && e["visible"] == 3 && e["hidden"] == 1),
        "{events:#?}"
    );
}

#[tokio::test]
async fn modern_era_list_is_private_and_denial_is_typed() {
    let mut peer = serve(&[], &[]);
    let list = peer.request(1, "tools/list", modern(json!({}))).await;
    assert_eq!(list["result"]["cacheScope"], "private", "{list}");
    assert_eq!(list["result"]["tools"].as_array().unwrap().len(), 3);
    let denied = peer
        .request(
            2,
            "tools/call",
            modern(json!({"name": "cancel_order", "arguments": {"order_id": "TN-1002", "reason": "changed mind"}})),
        )
        .await;
    assert_eq!(denied["error"]["code"], -31003, "{denied}");
    let allowed = peer
        .request(
            3,
            "tools/call",
            modern(json!({"name": "list_orders", "arguments": {"status": "pending"}})),
        )
        .await;
    assert_eq!(
        allowed["result"]["structuredContent"]["count"], 2,
        "{allowed}"
    );
    let events = finish(peer).await;
    let decisions: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["method"] == "tools/call")
        .map(|e| (e["tool"].as_str().unwrap(), e["decision"].as_str().unwrap()))
        .collect();
    assert_eq!(
        decisions,
        [("cancel_order", "deny"), ("list_orders", "allow")]
    );
}

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("technova-e2e-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("policy.toml");
    std::fs::write(&path, text).expect("write policy");
    path
}

#[tokio::test]
async fn a_policy_that_grants_the_scope_allows_the_cancel_and_audits_it() {
    let shipped = std::fs::read_to_string(root_policy()).expect("policy.toml");
    let lead = shipped.replace(
        r#"scopes = ["orders:read", "reports:run"]"#,
        r#"scopes = ["orders:write"]"#,
    );
    assert_ne!(lead, shipped);
    let path = scratch("lead", &lead);
    let mut peer = serve(&["--policy", path.to_str().unwrap()], &[]);
    // `local` requires the user's approval of each cancel: a client that can ask its user.
    let init = json!({"protocolVersion": "2025-06-18", "capabilities": {"elicitation": {}},
        "clientInfo": {"name": "e2e", "version": "1"}});
    peer.request(0, "initialize", init).await;
    peer.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    peer.send(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "cancel_order", "arguments": {"order_id": "TN-1005", "reason": "duplicate order"}}}))
        .await;
    for answer in [json!({"approve": true}), json!({"reason": "ordered twice"})] {
        let ask = peer.recv().await;
        assert_eq!(ask["method"], "elicitation/create", "{ask}");
        peer.send(&json!({"jsonrpc": "2.0", "id": ask["id"],
            "result": {"action": "accept", "content": answer}}))
            .await;
    }
    let (cancelled, _) = peer.recv_response(&json!(1)).await;
    assert_eq!(cancelled["result"]["isError"], Value::Null, "{cancelled}");
    let events = finish(peer).await;
    let call = events
        .iter()
        .find(|e| e["method"] == "tools/call")
        .expect("an audit event");
    assert_eq!(call["decision"], "allow");
    let approval = events.iter().find(|e| e["approval"].is_string());
    assert_eq!(
        approval.map(|e| (e["approval"].clone(), e["rule"].clone())),
        Some((
            json!("approved"),
            json!("env.local.tools.cancel_order.approval")
        )),
        "{events:?}"
    );
    let confirmation = events.iter().find(|e| e["confirmation"].is_string());
    assert_eq!(
        confirmation.map(|e| (e["confirmation"].clone(), e["reason"].clone())),
        Some((json!("approved"), json!("ordered twice"))),
        "{events:?}"
    );
    assert_eq!(
        call["rule"], "declared:cancel_order + tools.cancel_order + env.local.tools.cancel_order",
        "the tenant condition of [tools.cancel_order] was checked too"
    );
}

fn technova_cmd(args: &[&str]) -> (i32, String) {
    let out = Command::new(technova())
        .args(args)
        .current_dir(e2e::workspace_root())
        .env_remove("MCP_ENV")
        .env_remove("MCP_POLICY")
        .output()
        .expect("run technova");
    assert!(
        out.stderr.is_empty() || !String::from_utf8_lossy(&out.stdout).is_empty(),
        "human output goes to stdout"
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn check_passes_on_the_shipped_policy() {
    let (code, out) = technova_cmd(&["check", "--env", "prod"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok: environment `prod`"), "{out}");
    let (code, out) = technova_cmd(&["check", "--deny-warnings"]);
    assert_eq!(code, 0, "{out}");
    for env in ["local", "dev", "staging", "prod"] {
        assert!(out.contains(&format!("ok: environment `{env}`")), "{out}");
    }
    assert!(!out.contains("cannot be reached"), "{out}");
}

/// The coverage lint on a copy where the local user's acknowledgement is gone and a role
/// grants a scope no tool needs: warnings at their positions, errors with `--deny-warnings`.
#[test]
fn check_lints_coverage_and_denies_warnings_on_request() {
    let shipped = std::fs::read_to_string(root_policy()).expect("policy.toml");
    let linted = shipped
        .replace("unreachable = [\"cancel_order\"]\n", "")
        .replace(
            "\"ops-admin\" = [\"orders:admin\"]",
            "\"ops-admin\" = [\"orders:admin\"]\n\"auditor\" = [\"audit:read\"]",
        )
        .replace("[scopes]\n", "[scopes]\nextra = [\"audit:read\"]\n");
    assert_ne!(linted, shipped);
    let path = scratch("lint", &linted);
    let p = path.to_str().unwrap();
    let line_of = |needle: &str| linted.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let local = format!(
        "warning: {p}:{}:6: tool `cancel_order` cannot be reached in environment `local`: its only caller, the local principal `local-user`, lacks orders:write",
        line_of("[env.local]")
    );
    let auditor = format!(
        "warning: {p}:{}:1: grants.role.\"auditor\" opens nothing: it yields audit:read",
        line_of("\"auditor\"")
    );
    let (code, out) = technova_cmd(&["check", "--policy", p]);
    assert_eq!(code, 0, "warnings alone do not fail: {out}");
    assert!(out.contains(&local) && out.contains(&auditor), "{out}");
    let (code, out) = technova_cmd(&["check", "--policy", p, "--deny-warnings"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&local), "{out}");
    assert!(
        out.contains(&format!(
            "error: {p} has 2 coverage warning(s) (--deny-warnings)"
        )),
        "{out}"
    );
}

#[test]
fn check_fails_on_a_broken_copy_with_positions_and_suggestions() {
    let shipped = std::fs::read_to_string(root_policy()).expect("policy.toml");
    let broken = shipped
        .replace("[tools.cancel_order]", "[tools.cancel_ordr]")
        .replace(
            r#""support-agent" = ["orders:read"]"#,
            r#""support-agent" = ["orders:raed"]"#,
        )
        .replace(r#"extends = "staging""#, r#"extends = "stagin""#);
    let path = scratch("broken", &broken);
    let p = path.to_str().unwrap();
    let (code, out) = technova_cmd(&["check", "--policy", p, "--env", "prod"]);
    assert_eq!(code, 1, "{out}");
    let line_of = |needle: &str| broken.lines().position(|l| l.contains(needle)).unwrap() + 1;
    assert!(
        out.contains(&format!(
            "{p}:{}:8: unknown tool `cancel_ordr` in `tools`: this binary has no such tool; did you mean `cancel_order`?",
            line_of("[tools.cancel_ordr]")
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("{p}:{}:", line_of("orders:raed")))
            && out.contains("unknown scope `orders:raed`")
            && out.contains("did you mean `orders:read`?"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{p}:{}:11: unknown environment `stagin` in `extends`; did you mean `staging`?",
            line_of("extends = ")
        )),
        "{out}"
    );
}

#[test]
fn explain_prints_the_decision_and_the_rule() {
    let (code, out) = technova_cmd(&[
        "explain",
        "--env",
        "prod",
        "--tool",
        "cancel_order",
        "--claims",
        r#"{"roles":["support-lead"],"tenant":"technova"}"#,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("decision:         allow"), "{out}");
    assert!(
        out.contains("env.prod.tools.cancel_order.rate_limit"),
        "{out}"
    );
    let (code, out) = technova_cmd(&[
        "explain",
        "--env",
        "prod",
        "--tool",
        "cancel_order",
        "--scopes",
        "tools.read",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("missing scopes:   orders:write"), "{out}");
    let (code, out) = technova_cmd(&["tools"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("cancel_order") && out.contains("orders:write"),
        "{out}"
    );
}

async fn visible_tools(peer: &mut StdioPeer, id: i64) -> usize {
    let list = peer.request(id, "tools/list", json!({})).await;
    list["result"]["tools"].as_array().expect("tools").len()
}

/// Polls (a listing per step) until `want` tools are visible; fails after [`e2e::TIMEOUT`].
async fn until_visible(peer: &mut StdioPeer, next_id: &mut i64, want: usize) {
    let deadline = std::time::Instant::now() + e2e::TIMEOUT;
    loop {
        *next_id += 1;
        if visible_tools(peer, *next_id).await == want {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never saw {want} tools; stderr:\n{}",
            peer.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn until_stderr(peer: &StdioPeer, needle: &str) {
    let deadline = std::time::Instant::now() + e2e::TIMEOUT;
    while !peer.stderr().contains(needle) {
        assert!(
            std::time::Instant::now() < deadline,
            "stderr never contained {needle:?}:\n{}",
            peer.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn reload_on_change_keeps_the_last_good_policy_and_on_sighup() {
    let shipped = std::fs::read_to_string(root_policy()).expect("policy.toml");
    let path = scratch("reload", &shipped);
    let mut peer = serve(&["--policy", path.to_str().unwrap()], &[]);
    peer.initialize("2025-11-25").await;
    let mut id = 0;
    assert_eq!(visible_tools(&mut peer, 1).await, 3);

    // A good change: the local user may now cancel too.
    let lead = shipped.replace(
        r#"scopes = ["orders:read", "reports:run"]"#,
        r#"scopes = ["orders:write", "reports:run"]"#,
    );
    std::fs::write(&path, &lead).unwrap();
    until_visible(&mut peer, &mut id, 4).await;

    // A bad change is refused with its position; the last good policy stays in force.
    let broken = lead.replace("[tools.cancel_order]", "[tools.cancel_ordr]");
    std::fs::write(&path, &broken).unwrap();
    let line = broken
        .lines()
        .position(|l| l.contains("cancel_ordr"))
        .unwrap()
        + 1;
    until_stderr(
        &peer,
        &format!(
            "policy reload rejected: {}:{line}:8: unknown tool `cancel_ordr`",
            path.display()
        ),
    )
    .await;
    id += 1;
    assert_eq!(visible_tools(&mut peer, id).await, 4);

    // SIGHUP reloads too.
    std::fs::write(&path, &shipped).unwrap();
    let pid = peer.id().expect("running").to_string();
    let status = Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    until_stderr(&peer, "SIGHUP").await;
    until_visible(&mut peer, &mut id, 3).await;
    finish(peer).await;
}

#[test]
fn serve_refuses_a_stale_policy_before_speaking() {
    let shipped = std::fs::read_to_string(root_policy()).expect("policy.toml");
    let stale = format!("{shipped}\n[tools.refund_order]\nenabled = false\n");
    let path = scratch("stale", &stale);
    let out = Command::new(technova())
        .args(["serve", "--policy", path.to_str().unwrap()])
        .env(e2e::TECHNOVA_DB, ":memory:")
        .current_dir(e2e::workspace_root())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run technova");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "stdout is the protocol channel");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stale
        .lines()
        .position(|l| l.contains("refund_order"))
        .unwrap()
        + 1;
    assert!(
        stderr.contains(&format!(
            "{}:{line}:8: unknown tool `refund_order` in `tools`: this binary has no such tool",
            path.display()
        )),
        "{stderr}"
    );
}

/// A stdio environment whose user is identified by a bearer token in a variable, validated
/// like an HTTP token: the decisions follow the token's scopes, and a bad token stops start-up.
#[tokio::test]
async fn a_stdio_user_identified_by_a_validated_token() {
    let dir = std::env::temp_dir().join(format!("technova-token-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let jwks = e2e::dev_jwks();
    let policy = dir.join("policy.toml");
    let mut text = std::fs::read_to_string(root_policy()).unwrap();
    text.push_str(&format!(
        "\n[env.desk]\ntransport = \"stdio\"\nresource = \"https://desk.technova.example/mcp\"\ntoken_env = \"TECHNOVA_TOKEN\"\n\
         auth.issuer = \"{}\"\nauth.jwks = \"file://{}\"\n",
        e2e::DEV_ISSUER,
        jwks.display()
    ));
    std::fs::write(&policy, text).unwrap();
    let policy = policy.to_str().unwrap().to_owned();
    let token = e2e::dev_token(
        "orders:read",
        "desk-user",
        "https://desk.technova.example/mcp",
    );

    let mut peer = serve(
        &["--policy", &policy, "--env", "desk"],
        &[("TECHNOVA_TOKEN", &token)],
    );
    peer.initialize("2025-11-25").await;
    let lookup = peer
        .request(
            1,
            "tools/call",
            json!({"name": "get_order_status", "arguments": {"order_id": "TN-1001"}}),
        )
        .await;
    assert_eq!(
        lookup["result"]["structuredContent"]["id"], "TN-1001",
        "{lookup}"
    );
    let cancel = peer
        .request(2, "tools/call", json!({"name": "cancel_order", "arguments": {"order_id": "TN-1002", "reason": "no longer needed"}}))
        .await;
    assert_eq!(cancel["error"]["code"], -31003, "{cancel}");
    let events = finish(peer).await;
    assert!(
        events
            .iter()
            .any(|e| e["subject"] == "desk-user" && e["origin"] == "token"),
        "decisions name the token's subject: {events:?}"
    );

    // A token for another audience never gets the process started.
    let wrong = e2e::dev_token("orders:read", "desk-user", "https://elsewhere.example/mcp");
    let output = Command::new(technova())
        .args(["serve", "--policy", &policy, "--env", "desk"])
        .env("TECHNOVA_TOKEN", &wrong)
        .env(e2e::TECHNOVA_DB, ":memory:")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("TECHNOVA_TOKEN") && stderr.contains("refused"),
        "{stderr}"
    );
    assert!(!stderr.contains(&wrong), "the token is never printed");
    std::fs::remove_dir_all(&dir).unwrap();
}
