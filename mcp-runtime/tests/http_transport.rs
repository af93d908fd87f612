//! The Streamable HTTP transport over real sockets, without authentication: era detection,
//! the 2026-07-28 header rules, legacy sessions, SSE, DNS-rebinding defence, limits,
//! cancellation on disconnect and graceful shutdown.

mod common;

use common::*;
use mcp_runtime::{CallToolResult, Content, Tool};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

async fn plain() -> Running {
    Running::start(test_server().build().unwrap(), |_| {}).await
}

fn post(http: &reqwest::Client, url: &str, body: Value) -> reqwest::RequestBuilder {
    http.post(url)
        .header("accept", "application/json, text/event-stream")
        .json(&body)
}

#[tokio::test]
async fn modern_requests_are_served_statelessly() {
    let srv = plain().await;
    let http = client();
    let r = modern(&http, &srv.url, 1, "server/discover", json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("mcp-session-id").is_none());
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["result"]["supportedVersions"], json!(["2026-07-28"]));
    assert_eq!(body["result"]["resultType"], "complete");
    let r = call(&http, &srv.url, 2, "sleepy", json!({"ms": 1}))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["result"]["content"][0]["text"], "rested");
}

#[tokio::test]
async fn modern_header_rules_and_their_order() {
    let srv = plain().await;
    let http = client();
    let with_meta = |method: &str, version: &str, params: Value| {
        let mut params = params;
        params["_meta"] = meta();
        params["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!(version);
        json!({"jsonrpc":"2.0","id":7,"method":method,"params":params})
    };
    let check = |status: u16, code: i64, (s, _, body): (u16, Option<String>, Value), what: &str| {
        assert_eq!(s, status, "{what}: {body}");
        assert_eq!(body["error"]["code"], code, "{what}: {body}");
    };
    // 1. A missing MCP-Protocol-Version header (with _meta present: modern by its _meta).
    let r = post(
        &http,
        &srv.url,
        with_meta("server/discover", "2026-07-28", json!({})),
    )
    .header("mcp-method", "server/discover")
    .send()
    .await
    .unwrap();
    check(400, -32020, parts(r, "x").await, "missing version header");
    // 2. Missing _meta fields.
    let r = post(
        &http,
        &srv.url,
        json!({"jsonrpc":"2.0","id":7,"method":"server/discover","params":{}}),
    )
    .header("mcp-protocol-version", "2026-07-28")
    .header("mcp-method", "server/discover")
    .send()
    .await
    .unwrap();
    let (s, h, body) = parts(r, "x").await;
    assert_eq!(body["id"], 7);
    check(400, -32602, (s, h, body), "missing _meta");
    // 3. Header disagrees with _meta: -32020, before the unsupported-version check.
    let r = post(
        &http,
        &srv.url,
        with_meta("server/discover", "v999.0.0", json!({})),
    )
    .header("mcp-protocol-version", "2026-07-28")
    .header("mcp-method", "server/discover")
    .send()
    .await
    .unwrap();
    check(400, -32020, parts(r, "x").await, "header/body mismatch");
    // 4. Unsupported in both: -32022 with the supported list.
    let r = post(
        &http,
        &srv.url,
        with_meta("server/discover", "v999.0.0", json!({})),
    )
    .header("mcp-protocol-version", "v999.0.0")
    .header("mcp-method", "server/discover")
    .send()
    .await
    .unwrap();
    let (s, h, body) = parts(r, "x").await;
    assert_eq!(body["error"]["data"]["supported"], json!(["2026-07-28"]));
    assert_eq!(body["error"]["data"]["requested"], "v999.0.0");
    check(400, -32022, (s, h, body), "unsupported version");
    // Mcp-Method missing or wrong, Mcp-Name missing or wrong.
    for (method_header, name_header, what) in [
        (None, Some("sleepy"), "no Mcp-Method"),
        (Some("tools/list"), Some("sleepy"), "wrong Mcp-Method"),
        (Some("tools/call"), None, "no Mcp-Name"),
        (Some("tools/call"), Some("count_up"), "wrong Mcp-Name"),
    ] {
        let mut rb = post(
            &http,
            &srv.url,
            with_meta("tools/call", "2026-07-28", json!({"name": "sleepy"})),
        )
        .header("mcp-protocol-version", "2026-07-28");
        if let Some(m) = method_header {
            rb = rb.header("mcp-method", m);
        }
        if let Some(n) = name_header {
            rb = rb.header("mcp-name", n);
        }
        check(
            400,
            -32020,
            parts(rb.send().await.unwrap(), "x").await,
            what,
        );
    }
    // A base64-encoded Mcp-Name is decoded before comparing.
    let r = post(
        &http,
        &srv.url,
        with_meta(
            "tools/call",
            "2026-07-28",
            json!({"name": "sleepy", "arguments": {"ms": 1}}),
        ),
    )
    .header("mcp-protocol-version", "2026-07-28")
    .header("mcp-method", "tools/call")
    .header("mcp-name", "=?base64?c2xlZXB5?=")
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    // Unknown and legacy-only methods: 404 -32601.
    for method in ["unknown/method", "initialize", "ping", "logging/setLevel"] {
        let r = modern(&http, &srv.url, 3, method, json!({}))
            .send()
            .await
            .unwrap();
        check(404, -32601, parts(r, "x").await, method);
    }
    // Notifications are accepted with 202 and no body.
    let r = post(
        &http,
        &srv.url,
        json!({"jsonrpc":"2.0","method":"notifications/whatever","params":{"_meta": meta()}}),
    )
    .header("mcp-protocol-version", "2026-07-28")
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 202);
    assert!(r.text().await.unwrap().is_empty());
}

#[tokio::test]
async fn progress_turns_the_answer_into_an_sse_stream() {
    let srv = plain().await;
    let http = client();
    let mut params = json!({"name": "count_up", "arguments": {}});
    params["_meta"] = json!({"progressToken": "p1"});
    let r = modern(&http, &srv.url, 5, "tools/call", params)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    assert_eq!(r.headers()["x-accel-buffering"], "no");
    let messages = sse_messages(&r.text().await.unwrap());
    let progress: Vec<f64> = messages
        .iter()
        .filter(|m| m["method"] == "notifications/progress")
        .map(|m| m["params"]["progress"].as_f64().unwrap())
        .collect();
    assert_eq!(progress, [1.0, 2.0, 3.0]);
    assert!(
        messages
            .iter()
            .all(|m| m["method"] != "notifications/message"),
        "no logLevel, no log messages"
    );
    let last = messages.last().unwrap();
    assert_eq!(last["id"], 5);
    assert_eq!(last["result"]["content"][0]["text"], "counted");
}

#[tokio::test]
async fn legacy_sessions_live_and_end() {
    let srv = plain().await;
    let http = client();
    let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
        "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}});
    let r = post(&http, &srv.url, init.clone()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let session = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    assert_eq!(session.len(), 64);
    assert!(session.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["result"]["protocolVersion"], "2025-11-25");
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
    // Another version of the same era in the header is fine (the conformance suite does it).
    let r = post(
        &http,
        &srv.url,
        json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}),
    )
    .header("mcp-session-id", &session)
    .header("mcp-protocol-version", "2025-03-26")
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["result"]["tools"].as_array().unwrap().len(),
        2,
        "public tools only"
    );
    // An unknown version in the header: 400.
    let r = post(
        &http,
        &srv.url,
        json!({"jsonrpc":"2.0","id":1,"method":"ping"}),
    )
    .header("mcp-session-id", &session)
    .header("mcp-protocol-version", "1999-01-01")
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    // A call that logs answers with SSE (legacy sessions forward info and above by default).
    let r = in_session(
        json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"count_up"}}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let messages = sse_messages(&r.text().await.unwrap());
    assert_eq!(
        messages
            .iter()
            .filter(|m| m["method"] == "notifications/message")
            .count(),
        3
    );
    assert_eq!(
        messages.last().unwrap()["result"]["content"][0]["text"],
        "counted"
    );
    // No session: 400. Unknown session: 404.
    let r = post(
        &http,
        &srv.url,
        json!({"jsonrpc":"2.0","id":3,"method":"tools/list"}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let r = post(
        &http,
        &srv.url,
        json!({"jsonrpc":"2.0","id":3,"method":"tools/list"}),
    )
    .header("mcp-session-id", "no-such-session")
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 404);
    // The GET stream opens once per session.
    let get = || {
        http.get(&srv.url)
            .header("accept", "text/event-stream")
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", "2025-11-25")
    };
    let stream = get().send().await.unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    assert_eq!(get().send().await.unwrap().status(), 409);
    // GET without a session from a stateless client: 405.
    let r = http
        .get(&srv.url)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    // DELETE ends the session (and its GET stream); later requests get 404.
    let r = http
        .delete(&srv.url)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let rest = tokio::time::timeout(Duration::from_secs(10), stream.text())
        .await
        .expect("the GET stream ends with its session")
        .unwrap();
    assert!(sse_messages(&rest).is_empty());
    let r = in_session(json!({"jsonrpc":"2.0","id":4,"method":"tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn batches_only_in_2025_03_26_sessions() {
    let srv = plain().await;
    let http = client();
    let mut sessions = Vec::new();
    for version in ["2025-03-26", "2025-06-18"] {
        let r = post(
            &http,
            &srv.url,
            json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
                "protocolVersion":version,"capabilities":{},"clientInfo":{"name":"t","version":"1"}}}),
        )
        .send()
        .await
        .unwrap();
        sessions.push(r.headers()["mcp-session-id"].to_str().unwrap().to_owned());
    }
    let batch = json!([
        {"jsonrpc":"2.0","id":1,"method":"ping"},
        {"jsonrpc":"2.0","id":2,"method":"tools/list"}
    ]);
    let r = post(&http, &srv.url, batch.clone())
        .header("mcp-session-id", &sessions[0])
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body.as_array().map(Vec::len), Some(2), "{body}");
    let r = post(&http, &srv.url, batch)
        .header("mcp-session-id", &sessions[1])
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32600, "{body}");
}

#[tokio::test]
async fn foreign_hosts_and_origins_are_refused() {
    let srv = plain().await;
    let http = client();
    let discover = |host: &str, origin: &str| {
        modern(&http, &srv.url, 1, "server/discover", json!({}))
            .header("host", host)
            .header("origin", origin)
    };
    let r = discover("evil.example.com", "http://evil.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = discover(&srv.addr.to_string(), "http://evil.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = discover("evil.example.com", &srv.origin())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = discover(&srv.addr.to_string(), &srv.origin())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = discover(
        &format!("localhost:{}", srv.addr.port()),
        "http://localhost:5173",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn oversized_bodies_get_413_and_the_server_lives_on() {
    let srv = Running::start(test_server().build().unwrap(), |c| c.max_body_bytes = 1024).await;
    let http = client();
    let r = call(
        &http,
        &srv.url,
        1,
        "sleepy",
        json!({"pad": "x".repeat(4096)}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 413);
    let r = modern(&http, &srv.url, 2, "server/discover", json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .post(&srv.url)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, _, body) = parts(r, "x").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], -32700);
}

#[tokio::test]
async fn slow_calls_time_out_with_408() {
    let srv = Running::start(test_server().build().unwrap(), |c| {
        c.request_timeout = Duration::from_millis(200);
    })
    .await;
    let r = call(&client(), &srv.url, 1, "sleepy", json!({"ms": 30_000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 408);
}

#[tokio::test]
async fn legacy_sessions_are_bounded_and_expire() {
    let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
        "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}});
    let srv = Running::start(test_server().build().unwrap(), |c| c.max_sessions = 1).await;
    let http = client();
    assert_eq!(
        post(&http, &srv.url, init.clone())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = post(&http, &srv.url, init.clone()).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));

    let srv = Running::start(test_server().build().unwrap(), |c| {
        c.session_idle_timeout = Duration::ZERO;
    })
    .await;
    let r = post(&http, &srv.url, init).send().await.unwrap();
    let session = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let r = post(
        &http,
        &srv.url,
        json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}),
    )
    .header("mcp-session-id", &session)
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 404, "an idle session has expired");
}

#[tokio::test]
async fn a_modern_client_disconnect_cancels_the_call() {
    let started = Arc::new(Notify::new());
    let dropped = Arc::new(Notify::new());
    let (s, d) = (started.clone(), dropped.clone());
    let server = test_server()
        .tool(
            Tool::builder("forever")
                .description("Reports progress, then waits forever.")
                .public()
                .handler(move |ctx, _| {
                    let (s, d) = (s.clone(), d.clone());
                    async move {
                        struct OnDrop(Arc<Notify>);
                        impl Drop for OnDrop {
                            fn drop(&mut self) {
                                self.0.notify_one();
                            }
                        }
                        let _guard = OnDrop(d);
                        ctx.progress(1.0, None, Some("started"));
                        s.notify_one();
                        std::future::pending::<()>().await;
                        Ok(CallToolResult::success(vec![Content::text("never")]))
                    }
                })
                .build(),
        )
        .build()
        .unwrap();
    let srv = Running::start(server, |_| {}).await;
    let mut params = json!({"name": "forever", "arguments": {}});
    params["_meta"] = json!({"progressToken": 1});
    let mut r = modern(&client(), &srv.url, 1, "tools/call", params)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let first = r.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("notifications/progress"));
    started.notified().await;
    drop(r);
    tokio::time::timeout(Duration::from_secs(10), dropped.notified())
        .await
        .expect("the handler was cancelled after the client went away");
}

#[tokio::test]
async fn shutdown_drains_calls_in_flight() {
    let entered = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let (e, r) = (entered.clone(), release.clone());
    let server = test_server()
        .tool(
            Tool::builder("gated")
                .description("Waits until the test lets it finish.")
                .public()
                .handler(move |_ctx, _| {
                    let (e, r) = (e.clone(), r.clone());
                    async move {
                        e.notify_one();
                        r.notified().await;
                        Ok(CallToolResult::success(vec![Content::text("finished")]))
                    }
                })
                .build(),
        )
        .build()
        .unwrap();
    let mut srv = Running::start(server, |_| {}).await;
    let http = client();
    let pending = tokio::spawn(call(&http, &srv.url, 1, "gated", json!({})).send());
    entered.notified().await;
    srv.shutdown();
    let mut done = srv.done.take().unwrap();
    // The server waits for the call in flight...
    assert!(
        tokio::time::timeout(Duration::from_millis(200), &mut done)
            .await
            .is_err(),
        "the server must not stop while a call is in flight"
    );
    // ...which completes normally once it can.
    release.notify_one();
    let r = pending.await.unwrap().unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["result"]["content"][0]["text"], "finished");
    tokio::time::timeout(Duration::from_secs(10), done)
        .await
        .expect("the server stops after draining")
        .unwrap()
        .unwrap();
    let refused = client().post(&srv.url).json(&json!({})).send().await;
    assert!(refused.is_err(), "no new connections after shutdown");
}

#[tokio::test]
async fn shutdown_stops_waiting_after_the_grace_period() {
    let entered = Arc::new(Notify::new());
    let e = entered.clone();
    let server = test_server()
        .tool(
            Tool::builder("stuck")
                .description("Never finishes.")
                .public()
                .handler(move |_ctx, _| {
                    let e = e.clone();
                    async move {
                        e.notify_one();
                        std::future::pending::<()>().await;
                        Ok(CallToolResult::success(vec![Content::text("never")]))
                    }
                })
                .build(),
        )
        .build()
        .unwrap();
    let mut srv = Running::start(server, |c| c.shutdown_grace = Duration::from_millis(100)).await;
    let http = client();
    let _pending = tokio::spawn(call(&http, &srv.url, 1, "stuck", json!({})).send());
    entered.notified().await;
    srv.shutdown();
    tokio::time::timeout(Duration::from_secs(10), srv.done.take().unwrap())
        .await
        .expect("the server gives up on a stuck call after the grace period")
        .unwrap()
        .unwrap();
}
