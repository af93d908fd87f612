//! Decision logs from the real `technova` binary: one versioned JSON line per authorization
//! decision, configured in `policy.toml` (HTTP, real tokens) or on the command line (stdio),
//! with no token in it.

use e2e::{HttpServer, StdioPeer, dev_jwks, dev_token, root_policy, technova};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("technova-dlog-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Waits until `path` holds `count` lines; returns them parsed.
async fn lines(path: &Path, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + e2e::TIMEOUT;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().count() >= count {
            return text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
                .collect();
        }
        assert!(Instant::now() < deadline, "only:\n{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn call(url: &str, token: &str, id: i64, tool: &str, arguments: Value) -> u16 {
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "e2e", "version": "1"}
    });
    e2e::http_client()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", tool)
        .bearer_auth(token)
        .json(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments, "_meta": meta}}))
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

#[tokio::test]
async fn http_decisions_are_logged_as_json_lines_configured_in_the_policy() {
    let dir = scratch("http");
    let shipped = std::fs::read_to_string(root_policy()).expect("policy.toml");
    let policy = dir.join("policy.toml");
    std::fs::write(
        &policy,
        shipped.replace(
            "[env.dev]\n",
            "[env.dev]\ndecision_log = \"file:decisions.jsonl\"\n",
        ),
    )
    .unwrap();
    let jwks = format!("file://{}", dev_jwks().display());
    let server = HttpServer::technova(
        "dev",
        &[
            ("MCP_POLICY", policy.to_str().unwrap()),
            ("TECHNOVA_JWKS", &jwks),
        ],
    )
    .await;
    let token = dev_token("tools.read", "dana", &server.url);
    assert_eq!(
        call(
            &server.url,
            &token,
            1,
            "get_order_status",
            json!({"order_id": "TN-1001"})
        )
        .await,
        200
    );
    assert_eq!(
        call(
            &server.url,
            &token,
            2,
            "cancel_order",
            json!({"order_id": "TN-1001", "reason": "changed mind"})
        )
        .await,
        403
    );
    let log = dir.join("decisions.jsonl");
    let got = lines(&log, 2).await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains(&token),
        "a decision line never holds the token"
    );
    assert!(!text.contains("TN-1001"), "nor argument values");

    let (allow, deny) = (&got[0], &got[1]);
    assert_eq!(allow["v"], 1, "{allow}");
    assert!(allow["time"].as_str().unwrap().ends_with('Z'), "{allow}");
    let input = &allow["input"];
    assert_eq!(input["principal"]["sub"], "dana", "{allow}");
    assert_eq!(input["principal"]["issuer"], e2e::DEV_ISSUER, "{allow}");
    assert_eq!(input["principal"]["origin"], "token", "{allow}");
    assert_eq!(input["scopes"], json!(["tools.read"]), "{allow}");
    assert_eq!(input["effective_scopes"], json!(["orders:read"]), "{allow}");
    assert_eq!(input["transport"], "http", "{allow}");
    assert_eq!(input["environment"], "dev", "{allow}");
    assert_eq!(
        (input["kind"].as_str(), input["name"].as_str()),
        (Some("tool"), Some("get_order_status"))
    );
    assert_eq!(allow["result"], "allow", "{allow}");
    assert_eq!(allow["rule"], "declared:get_order_status", "{allow}");
    assert!(allow["latency_us"].is_u64(), "{allow}");

    assert_eq!(
        input["arguments"]["names"],
        json!(["order_id"]),
        "arguments by name only: {allow}"
    );
    assert_eq!(deny["input"]["name"], "cancel_order", "{deny}");
    assert_eq!(
        deny["input"]["arguments"]["names"],
        json!(["order_id", "reason"]),
        "{deny}"
    );
    let digest = deny["input"]["arguments"]["sha256"].as_str().unwrap();
    assert_eq!(digest.len(), 64, "{deny}");
    assert_ne!(
        digest,
        input["arguments"]["sha256"].as_str().unwrap(),
        "other arguments, another digest"
    );
    assert_eq!(deny["result"], "deny", "{deny}");
    assert_eq!(deny["rule"], "declared:cancel_order", "{deny}");
    assert_eq!(deny["reason"], "missing scope(s) orders:write", "{deny}");
    assert_eq!(deny["missing"], json!(["orders:write"]), "{deny}");
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn stdio_decisions_go_where_the_command_line_says() {
    let dir = scratch("stdio");
    let log = dir.join("stdio.jsonl");
    let target = format!("file:{}", log.display());
    let mut peer = StdioPeer::spawn(
        &technova(),
        &["serve", "--transport", "stdio", "--decision-log", &target],
        &[(e2e::TECHNOVA_DB, ":memory:")],
    );
    peer.initialize("2025-11-25").await;
    let cancel = peer
        .request(
            1,
            "tools/call",
            json!({"name": "cancel_order", "arguments": {"order_id": "TN-1001", "reason": "no"}}),
        )
        .await;
    assert_eq!(cancel["error"]["code"], -31003, "{cancel}");
    let got = lines(&log, 1).await;
    let line = &got[0];
    assert_eq!(line["input"]["principal"]["sub"], "local-user", "{line}");
    assert_eq!(line["input"]["principal"]["origin"], "local", "{line}");
    assert_eq!(line["input"]["transport"], "stdio", "{line}");
    assert_eq!(line["input"]["environment"], "local", "{line}");
    assert_eq!(line["result"], "deny", "{line}");
    peer.close_stdin();
    assert!(peer.wait(Duration::from_secs(20)).await.success());

    // A target that is not one is refused before serving.
    let out = std::process::Command::new(technova())
        .args(["serve", "--transport", "stdio", "--decision-log", "syslog"])
        .env(e2e::TECHNOVA_DB, ":memory:")
        .current_dir(e2e::workspace_root())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("expected `off`, `stderr` or `file:PATH`"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
