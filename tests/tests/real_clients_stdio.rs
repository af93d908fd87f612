//! Clients nobody here wrote, against the real `technova` binary over stdio: the official
//! TypeScript SDK client, the official Python SDK client (discover-probe and legacy modes) and
//! the MCP Inspector CLI.

use e2e::{inspector, last_json_line, node, python, root_policy, run_peer, technova};
use serde_json::Value;

fn assert_lookup(summary: &Value) {
    assert_eq!(
        summary["lookup"]["structuredContent"]["id"], "TN-1001",
        "{summary}"
    );
    assert_eq!(summary["lookup"]["structuredContent"]["status"], "shipped");
    let tools: Vec<&str> = summary["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(tools.contains(&"get_order_status"), "{tools:?}");
    assert!(
        !tools.contains(&"cancel_order"),
        "the local user does not see what it may not call: {tools:?}"
    );
    assert_eq!(
        summary["cancelError"]["code"], -31003,
        "cancel is refused by policy: {summary}"
    );
}

#[tokio::test]
async fn typescript_sdk_client_over_stdio() {
    let bin = technova();
    let policy = root_policy();
    let out = run_peer(
        &node(),
        &[
            "ts-client.mjs",
            "stdio",
            bin.to_str().unwrap(),
            "serve",
            "--policy",
            policy.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    let summary = last_json_line(&out);
    assert_eq!(summary["server"]["name"], "technova-orders");
    assert_lookup(&summary);
    assert_eq!(summary["report"]["structuredContent"]["orders"], 7);
    let progress: Vec<f64> = summary["progress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_f64().unwrap())
        .collect();
    assert!(
        progress.len() >= 3 && progress.windows(2).all(|w| w[0] < w[1]),
        "{progress:?}"
    );
}

#[tokio::test]
async fn python_sdk_client_over_stdio_probes_discover_and_speaks_2026_07_28() {
    let bin = technova();
    let policy = root_policy();
    let out = run_peer(
        &python(),
        &[
            "py_client.py",
            "stdio",
            "auto",
            bin.to_str().unwrap(),
            "serve",
            "--policy",
            policy.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    let summary = last_json_line(&out);
    assert_eq!(summary["protocolVersion"], "2026-07-28", "{summary}");
    assert_eq!(summary["lookup"]["resultType"], "complete");
    assert_lookup(&summary);
}

#[tokio::test]
async fn python_sdk_client_over_stdio_in_legacy_mode() {
    let bin = technova();
    let policy = root_policy();
    let out = run_peer(
        &python(),
        &[
            "py_client.py",
            "stdio",
            "legacy",
            bin.to_str().unwrap(),
            "serve",
            "--policy",
            policy.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    let summary = last_json_line(&out);
    assert_eq!(summary["protocolVersion"], "2025-11-25", "{summary}");
    assert_lookup(&summary);
}

#[tokio::test]
async fn inspector_cli_over_stdio_lists_and_calls() {
    let bin = technova();
    let policy = root_policy();
    let server = [
        bin.to_str().unwrap(),
        "serve",
        "--policy",
        policy.to_str().unwrap(),
    ];
    let list = inspector(&[&server[..], &["--method", "tools/list"]].concat()).await;
    let names: Vec<&str> = list["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"list_orders"), "{names:?}");
    let call = inspector(
        &[
            &server[..],
            &[
                "--method",
                "tools/call",
                "--tool-name",
                "get_order_status",
                "--tool-arg",
                "order_id=TN-1003",
            ],
        ]
        .concat(),
    )
    .await;
    assert_eq!(call["structuredContent"]["status"], "processing", "{call}");
}
