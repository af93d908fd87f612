//! The official TypeScript SDK client follows changes on a legacy (2025-11-25) HTTP session of
//! the real `conformance-server`: `resources/subscribe`, then `notifications/resources/updated`
//! and `notifications/tools/list_changed` reach its handlers over the session's GET stream;
//! after `resources/unsubscribe` updates stop.

use e2e::{StdioPeer, TIMEOUT, binary, free_port, last_json_line, node, run_peer};
use std::time::Duration;

async fn start_server() -> (StdioPeer, String) {
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let server = StdioPeer::spawn(
        &binary("conformance-server", "conformance-server"),
        &["--bind", &bind],
        &[],
    );
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "conformance-server did not listen on {bind}; stderr:\n{}",
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (server, format!("http://{bind}/mcp"))
}

#[tokio::test]
async fn typescript_sdk_client_hears_of_its_subscribed_resource_and_list_changes() {
    let (server, url) = start_server().await;
    let out = run_peer(&node(), &["ts-subscribe-client.mjs", &url], &[]).await;
    let summary = last_json_line(&out);
    let caps = &summary["capabilities"];
    assert_eq!(caps["resources"]["subscribe"], true, "{summary}");
    assert_eq!(caps["tools"]["listChanged"], true, "{summary}");
    assert_eq!(summary["subscribe"], serde_json::json!({}), "{summary}");
    assert_eq!(
        summary["updated"],
        serde_json::json!(["test://watched-resource"]),
        "{summary}\nserver stderr:\n{}",
        server.stderr()
    );
    assert_eq!(summary["toolsChanged"], true, "{summary}");
    assert_eq!(summary["updatesAfterUnsubscribe"], 0, "{summary}");
}
