//! List changes after a policy reload, over stdio with the real `technova` binary: a legacy
//! session and a 2026-07-28 `subscriptions/listen` stream on the same process each get
//! `notifications/tools/list_changed` when a reload changes the tools the user may see, and
//! nothing when a reload leaves them as they were.

use e2e::{StdioPeer, modern, root_policy, technova};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

fn scratch(text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("technova-e2e-{}-subs", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("policy.toml");
    std::fs::write(&path, text).expect("write policy");
    path
}

/// Waits until stderr has `count` lines containing `needle`.
async fn until_stderr_count(peer: &StdioPeer, needle: &str, count: usize) {
    let deadline = std::time::Instant::now() + e2e::TIMEOUT;
    while peer.stderr().matches(needle).count() < count {
        assert!(
            std::time::Instant::now() < deadline,
            "stderr never had {count} × {needle:?}:\n{}",
            peer.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_reload_that_changes_what_the_user_sees_announces_it_and_one_that_does_not_stays_quiet() {
    let shipped = std::fs::read_to_string(root_policy()).expect("policy.toml");
    let path = scratch(&shipped);
    let mut peer = StdioPeer::spawn(
        &technova(),
        &[
            "serve",
            "--policy",
            path.to_str().unwrap(),
            "--transport",
            "stdio",
        ],
        &[("RUST_LOG", "info"), (e2e::TECHNOVA_DB, ":memory:")],
    );
    let init = peer.initialize("2025-11-25").await;
    assert_eq!(init["capabilities"]["tools"]["listChanged"], true, "{init}");
    peer.send(
        &json!({"jsonrpc":"2.0","id":"listen","method":"subscriptions/listen",
        "params": modern(json!({"notifications": {"toolsListChanged": true}}))}),
    )
    .await;
    let ack = peer.recv().await;
    assert_eq!(
        ack["method"], "notifications/subscriptions/acknowledged",
        "{ack}"
    );
    assert_eq!(
        ack["params"]["notifications"],
        json!({"toolsListChanged": true})
    );
    // The listen id is a string here; notifications carry it as sent.
    let subscription_is_string =
        ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == "listen";
    assert!(subscription_is_string, "{ack}");

    // A reload that changes nothing this user may see: no notification.
    std::fs::write(&path, format!("{shipped}\n# reviewed\n")).unwrap();
    until_stderr_count(&peer, "policy reloaded", 1).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    peer.send(&json!({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}))
        .await;
    let (list, before) = peer.recv_response(&json!(1)).await;
    assert!(
        before.is_empty(),
        "nothing changed for this user, yet: {before:?}"
    );
    let shown = list["result"]["tools"].as_array().unwrap().len();

    // One that lets the user cancel orders too: both the session and the stream hear of it.
    let lead = shipped.replace(
        r#"scopes = ["orders:read", "reports:run"]"#,
        r#"scopes = ["orders:write", "reports:run"]"#,
    );
    assert_ne!(lead, shipped);
    std::fs::write(&path, &lead).unwrap();
    let (mut legacy, mut tagged) = (false, false);
    while !(legacy && tagged) {
        let m: Value = peer.recv().await;
        assert_eq!(m["method"], "notifications/tools/list_changed", "{m}");
        match &m["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] {
            Value::Null => legacy = true,
            id => {
                assert_eq!(id, "listen");
                tagged = true;
            }
        }
    }
    let list = peer.request(2, "tools/list", json!({})).await;
    assert_eq!(list["result"]["tools"].as_array().unwrap().len(), shown + 1);
    // Closing stdin ends the stream gracefully: its request is answered.
    peer.close_stdin();
    let end = peer.recv().await;
    assert_eq!(end["id"], "listen", "{end}");
    assert_eq!(end["result"]["resultType"], "complete");
    let status = peer.wait(Duration::from_secs(20)).await;
    assert!(status.success(), "stderr:\n{}", peer.stderr());
}
