//! Clients nobody here wrote, against the real `technova` binary over stdio: the official
//! TypeScript SDK client, the official Python SDK client (discover-probe and legacy modes) and
//! the MCP Inspector CLI. The Python client also answers TechNova's questions about a cancel
//! (the approval `local` requires, then the reason), as a person would in its form.

use e2e::{
    inspector, last_json_line, node, python, root_policy, run_peer, run_peer_with_stderr, technova,
};
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

/// The questions a peer printed (`asked: …` lines), in order.
fn asked(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("asked: "))
        .collect()
}

/// Runs `py_elicit.py` over stdio against `technova serve --policy <policy>`.
async fn elicit_over_stdio(
    policy: &str,
    mode: &str,
    answer: &str,
    order: &str,
) -> (String, String) {
    let bin = technova();
    let args = [
        "py_elicit.py",
        "stdio",
        mode,
        answer,
        order,
        bin.to_str().unwrap(),
        "serve",
        "--policy",
        policy,
    ];
    let (out, err) = run_peer_with_stderr(&python(), &args, &[]).await;
    // The client's transcript, shown with `--nocapture`.
    println!("py_elicit.py stdio {mode} {answer} {order}:\n{out}");
    (out, err)
}

#[tokio::test]
async fn python_sdk_client_approves_a_cancel_and_gives_the_reason_over_stdio_in_both_eras() {
    // The shipped policy, with a local user who may cancel (each cancel approved in person).
    let shipped = std::fs::read_to_string(root_policy()).expect("policy.toml");
    let lead = shipped.replace(
        r#"scopes = ["orders:read", "reports:run"]"#,
        r#"scopes = ["orders:write", "reports:run"]"#,
    );
    assert!(lead.contains(r#"tools.cancel_order.approval = "required""#));
    let dir = std::env::temp_dir().join(format!("technova-ask-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("policy.toml");
    std::fs::write(&policy, lead).unwrap();
    let policy = policy.to_str().unwrap();

    for (mode, version, order) in [
        ("auto", "2026-07-28", "TN-1002"),
        ("legacy", "2025-11-25", "TN-1005"),
    ] {
        let (out, err) = elicit_over_stdio(policy, mode, "approve", order).await;
        let summary = last_json_line(&out);
        assert_eq!(summary["protocolVersion"], version, "{out}");
        let questions = asked(&out);
        assert_eq!(questions.len(), 2, "approval, then the reason only: {out}");
        assert!(
            questions[0]
                .starts_with("Approve this call? The assistant wants to run `cancel_order`")
                && questions[0].contains(order)
                && questions[0].ends_with("fields=['approve']"),
            "{out}"
        );
        assert!(
            questions[1].starts_with(&format!("Cancelling order {order}"))
                && questions[1].ends_with("fields=['reason']"),
            "{out}"
        );
        assert_eq!(
            summary["cancel"]["content"][0]["text"],
            format!("Order {order} is cancelled."),
            "{out}"
        );
        assert_eq!(summary["statusAfter"], "cancelled", "{out}");
        assert!(
            err.contains(r#"approval="approved" rule="env.local.tools.cancel_order.approval""#),
            "{err}"
        );
        assert!(
            err.contains(&format!(
                r#"order="{order}" confirmation="approved" reason="customer found a better price""#
            )),
            "{err}"
        );
    }

    // The TypeScript SDK client (handshake era) answers the same two questions.
    let bin = technova();
    let args = [
        "ts-elicit.mjs",
        "approve",
        "TN-1003",
        "stdio",
        bin.to_str().unwrap(),
        "serve",
        "--policy",
        policy,
    ];
    let (out, err) = run_peer_with_stderr(&node(), &args, &[]).await;
    println!("ts-elicit.mjs approve TN-1003 stdio:\n{out}");
    let summary = last_json_line(&out);
    let questions = asked(&out);
    assert!(
        questions.len() == 2
            && questions[0].ends_with(r#"fields=["approve"]"#)
            && questions[1].ends_with(r#"fields=["reason"]"#),
        "{out}"
    );
    assert_eq!(
        summary["cancel"]["content"][0]["text"], "Order TN-1003 is cancelled.",
        "{out}"
    );
    assert_eq!(summary["statusAfter"], "cancelled", "{out}");
    assert!(
        err.contains(r#"order="TN-1003" confirmation="approved""#),
        "{err}"
    );

    // Declined: nothing is cancelled, and the tool's own question is never reached.
    let (out, err) = elicit_over_stdio(policy, "auto", "decline", "TN-1003").await;
    let summary = last_json_line(&out);
    assert_eq!(asked(&out).len(), 1, "{out}");
    assert_eq!(summary["cancel"]["isError"], true, "{out}");
    assert!(
        summary["cancel"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("was not approved (the user declined); nothing was done"),
        "{out}"
    );
    assert_eq!(summary["statusAfter"], "processing", "{out}");
    assert!(err.contains(r#"approval="declined""#), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
