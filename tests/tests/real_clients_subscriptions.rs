//! The official TypeScript SDK client follows changes on a legacy (2025-11-25) HTTP session of
//! the real `conformance-server`: `resources/subscribe`, then `notifications/resources/updated`
//! and `notifications/tools/list_changed` reach its handlers over the session's GET stream;
//! after `resources/unsubscribe` updates stop.

use e2e::{last_json_line, node, run_peer};

#[tokio::test]
async fn typescript_sdk_client_hears_of_its_subscribed_resource_and_list_changes() {
    let (server, url) = e2e::start_conformance_server().await;
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
