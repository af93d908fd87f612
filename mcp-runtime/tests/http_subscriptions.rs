//! Published changes over Streamable HTTP: a legacy session's `GET` stream carries the
//! updates of the resources it subscribed to; a 2026-07-28 `subscriptions/listen` POST answers
//! with an SSE stream that starts with the acknowledgment, carries tagged notifications, and
//! ends with a completion result when the server shuts down.

mod common;

use common::*;
use mcp_runtime::registry::{Resource, ResourceContents};
use serde_json::{Value, json};
use std::time::Duration;

fn server() -> mcp_runtime::Server {
    test_server()
        .resource(
            Resource::builder("test://doc", "doc")
                .description("A document.")
                .mime_type("text/plain")
                .public()
                .handler(|_ctx, uri| async move {
                    Ok(vec![ResourceContents::text(uri, "text/plain", "v1")])
                })
                .build(),
        )
        .build()
        .unwrap()
}

/// Reads SSE chunks until `count` messages have arrived.
async fn messages(
    response: &mut reqwest::Response,
    buffer: &mut String,
    count: usize,
) -> Vec<Value> {
    loop {
        let found = sse_messages(buffer);
        if found.len() >= count {
            return found;
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), response.chunk())
            .await
            .expect("timely")
            .unwrap()
            .expect("the stream stays open");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

async fn subscribed(server: &mcp_runtime::Server, n: usize) {
    for _ in 0..200 {
        if server.notifier().subscribers() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no subscriber appeared");
}

#[tokio::test]
async fn a_legacy_session_hears_of_its_subscribed_resource_on_its_get_stream() {
    let server = server();
    let srv = Running::start(server.clone(), |_| {}).await;
    let http = client();
    let post = |body: Value, session: Option<&str>| {
        let mut rb = http
            .post(&srv.url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json");
        if let Some(s) = session {
            rb = rb
                .header("mcp-session-id", s)
                .header("mcp-protocol-version", "2025-11-25");
        }
        rb.body(body.to_string())
    };
    let init = post(
        json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
            "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}),
        None,
    )
    .send()
    .await
    .unwrap();
    let session = init.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let caps: Value = init.json().await.unwrap();
    assert_eq!(
        caps["result"]["capabilities"]["resources"]["subscribe"],
        true
    );
    let r = post(
        json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
        Some(&session),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 202);
    let r = post(
        json!({"jsonrpc":"2.0","id":1,"method":"resources/subscribe","params":{"uri":"test://doc"}}),
        Some(&session),
    )
    .send()
    .await
    .unwrap();
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["result"], json!({}));

    let mut stream = http
        .get(&srv.url)
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-11-25")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    subscribed(&server, 1).await;
    server.notifier().resource_updated("test://other");
    server.notifier().resource_updated("test://doc");
    let mut buffer = String::new();
    let got = messages(&mut stream, &mut buffer, 1).await;
    assert_eq!(got[0]["method"], "notifications/resources/updated");
    assert_eq!(got[0]["params"], json!({"uri": "test://doc"}));
}

#[tokio::test]
async fn a_modern_listen_stream_acknowledges_tags_and_completes_at_shutdown() {
    let server = server();
    let mut srv = Running::start(server.clone(), |_| {}).await;
    let http = client();
    let discover = modern(&http, &srv.url, 1, "server/discover", json!({}))
        .send()
        .await
        .unwrap();
    let caps: Value = discover.json().await.unwrap();
    assert_eq!(caps["result"]["capabilities"]["tools"]["listChanged"], true);
    assert_eq!(
        caps["result"]["capabilities"]["resources"]["subscribe"],
        true
    );

    let mut stream = modern(
        &http,
        &srv.url,
        42,
        "subscriptions/listen",
        json!({"notifications": {"resourceSubscriptions": ["test://doc"], "toolsListChanged": false}}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(stream.status(), 200);
    let mut buffer = String::new();
    let ack = &messages(&mut stream, &mut buffer, 1).await[0];
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(
        ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        42
    );
    assert_eq!(
        ack["params"]["notifications"],
        json!({"resourceSubscriptions": ["test://doc"]})
    );

    server.notifier().tools_list_changed(); // not asked for
    server.notifier().resource_updated("test://doc");
    let got = messages(&mut stream, &mut buffer, 2).await;
    assert_eq!(got[1]["method"], "notifications/resources/updated");
    assert_eq!(
        got[1]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        42
    );

    srv.shutdown();
    let got = messages(&mut stream, &mut buffer, 3).await;
    assert_eq!(got[2]["id"], 42);
    assert_eq!(got[2]["result"]["resultType"], "complete");
    assert_eq!(
        got[2]["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        42
    );
}
