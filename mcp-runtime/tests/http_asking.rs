//! Asking the client over Streamable HTTP in a 2025-11-25 session: the server's
//! `sampling/createMessage` arrives on the call's SSE stream, the client answers with a POST
//! (answered `202`), and the call's result follows on the same stream.

mod common;

use common::*;
use mcp_runtime::asking::Sampling;
use mcp_runtime::{CallToolResult, Content, Tool};
use serde_json::{Value, json};
use std::time::Duration;

fn post(http: &reqwest::Client, url: &str, body: Value) -> reqwest::RequestBuilder {
    http.post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(body.to_string())
}

/// Reads SSE chunks until a message satisfies `wanted`.
async fn next_message(
    response: &mut reqwest::Response,
    buffer: &mut String,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    loop {
        if let Some(found) = sse_messages(buffer).into_iter().find(|m| wanted(m)) {
            return found;
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), response.chunk())
            .await
            .expect("timely")
            .unwrap()
            .expect("the stream stays open until the answer");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test]
async fn a_legacy_call_asks_on_its_stream_and_the_answer_comes_back_as_a_post() {
    let server = test_server()
        .tool(
            Tool::builder("ask_model")
                .description("Asks the client's model.")
                .public()
                .handler(|ctx, _args| async move {
                    let reply = ctx.sample(Sampling::prompt("Say hi", 10)).await?;
                    let text = format!("model says: {}", reply.text());
                    Ok(CallToolResult::success(vec![Content::text(text)]))
                })
                .build(),
        )
        .build()
        .unwrap();
    let srv = Running::start(server, |_| {}).await;
    let http = client();
    let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
        "protocolVersion":"2025-11-25","capabilities":{"sampling":{}},
        "clientInfo":{"name":"t","version":"1"}}});
    let r = post(&http, &srv.url, init).send().await.unwrap();
    let session = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let in_session = |body: Value| {
        post(&http, &srv.url, body)
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", "2025-11-25")
    };
    let r = in_session(json!({"jsonrpc":"2.0","method":"notifications/initialized"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);

    let call = json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ask_model"}});
    let mut stream = in_session(call).send().await.unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let mut buffer = String::new();
    let ask = next_message(&mut stream, &mut buffer, |m| m.get("method").is_some()).await;
    assert_eq!(ask["method"], "sampling/createMessage", "{ask}");
    assert_eq!(ask["params"]["maxTokens"], 10);

    let answer = json!({"jsonrpc":"2.0","id":ask["id"],"result":{
        "role":"assistant","content":{"type":"text","text":"hi!"},"model":"m"}});
    let r = in_session(answer).send().await.unwrap();
    assert_eq!(r.status(), 202);

    let done = next_message(&mut stream, &mut buffer, |m| m.get("result").is_some()).await;
    assert_eq!(
        done["result"]["content"][0]["text"], "model says: hi!",
        "{done}"
    );
}
