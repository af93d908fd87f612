//! TechNova over Streamable HTTP, end to end: the real binary, a real socket, tokens from the
//! development minter, and the three-phase authorization flow.

use e2e::{HttpServer, dev_token};
use serde_json::{Value, json};

fn client() -> reqwest::Client {
    e2e::http_client()
}

fn meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "e2e", "version": "1"}
    })
}

/// Sends a modern `tools/call`, prints the exchange, returns status, `WWW-Authenticate`, body.
async fn call(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    id: i64,
    tool: &str,
    arguments: Value,
) -> (u16, Option<String>, Value) {
    let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": tool, "arguments": arguments, "_meta": meta()}});
    let mut rb = http
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", tool);
    eprintln!("> POST {url}");
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
        eprintln!("> Authorization: Bearer {}…", &t[..t.len().min(24)]);
    }
    eprintln!(
        "> MCP-Protocol-Version: 2026-07-28\n> Mcp-Method: tools/call\n> Mcp-Name: {tool}\n> {body}"
    );
    let response = rb.json(&body).send().await.expect("request");
    let status = response.status().as_u16();
    eprintln!("< HTTP {status}");
    for (k, v) in response.headers() {
        eprintln!("< {k}: {}", v.to_str().unwrap_or("?"));
    }
    let www = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().expect("ascii").to_owned());
    let text = response.text().await.expect("body");
    eprintln!("< {text}\n");
    (
        status,
        www,
        serde_json::from_str(&text).expect("a JSON body"),
    )
}

#[tokio::test]
async fn three_phase_authorization_flow() {
    let server = HttpServer::technova_dev().await;
    let http = client();
    let metadata_url = format!("{}/.well-known/oauth-protected-resource/mcp", server.origin);

    // Phase 1: no token -> 401 pointing at the protected resource metadata.
    let (status, www, body) = call(
        &http,
        &server.url,
        None,
        1,
        "get_order_status",
        json!({"order_id": "TN-1001"}),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    let www = www.expect("a challenge");
    assert!(
        www.starts_with(&format!(r#"Bearer resource_metadata="{metadata_url}""#)),
        "{www}"
    );
    assert!(www.contains(r#"scope="orders:read""#), "{www}");
    let metadata: Value = http
        .get(&metadata_url)
        .send()
        .await
        .expect("metadata")
        .json()
        .await
        .expect("metadata JSON");
    assert_eq!(metadata["resource"], server.url.as_str());
    assert_eq!(metadata["authorization_servers"], json!([e2e::DEV_ISSUER]));
    // The minimal baseline to start with; write scopes come as per-call challenges.
    let scopes = metadata["scopes_supported"].as_array().expect("scopes");
    assert!(scopes.contains(&json!("orders:read")), "{metadata}");
    assert!(!scopes.contains(&json!("orders:write")), "{metadata}");

    // Phase 2: a token for orders:read -> the lookup succeeds.
    let read = dev_token("orders:read", "alice", &server.url);
    let (status, _, body) = call(
        &http,
        &server.url,
        Some(&read),
        2,
        "get_order_status",
        json!({"order_id": "TN-1001"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["structuredContent"]["id"], "TN-1001");

    // Phase 3: cancelling with the read token -> 403 insufficient_scope naming orders:write.
    let (status, www, body) = call(
        &http,
        &server.url,
        Some(&read),
        3,
        "cancel_order",
        json!({"order_id": "TN-1002", "reason": "customer changed their mind"}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let www = www.expect("a challenge");
    assert!(www.contains(r#"error="insufficient_scope""#), "{www}");
    assert!(www.contains(r#"scope="orders:write""#), "{www}");
    assert_eq!(
        body["error"]["data"]["requiredScopes"],
        json!(["orders:write"])
    );

    // Step up: a token with orders:write -> the cancel succeeds.
    let write = dev_token("orders:read orders:write", "alice", &server.url);
    let (status, _, body) = call(
        &http,
        &server.url,
        Some(&write),
        4,
        "cancel_order",
        json!({"order_id": "TN-1002", "reason": "customer changed their mind"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["isError"], json!(null), "{body}");
    assert!(
        body["result"]["content"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("TN-1002")),
        "{body}"
    );
    assert!(
        !server.peer.stderr().contains(&write),
        "the token must never be logged"
    );
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let server = HttpServer::technova_dev().await;
    let token = dev_token("orders:read", "alice", "https://other.example.com/mcp");
    let (status, www, _) = call(
        &client(),
        &server.url,
        Some(&token),
        1,
        "get_order_status",
        json!({"order_id": "TN-1001"}),
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        www.expect("a challenge")
            .contains(r#"error="invalid_token""#)
    );
}

#[tokio::test]
async fn legacy_session_with_a_token() {
    let server = HttpServer::technova_dev().await;
    let http = client();
    let read = dev_token("orders:read", "alice", &server.url);
    let r = http
        .post(&server.url)
        .bearer_auth(&read)
        .header("accept", "application/json, text/event-stream")
        .json(
            &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "e2e", "version": "1"}}}),
        )
        .send()
        .await
        .expect("initialize");
    assert_eq!(r.status(), 200);
    let session = r.headers()["mcp-session-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let post = |token: &str, body: Value| {
        http.post(&server.url)
            .bearer_auth(token)
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", "2025-11-25")
            .header("accept", "application/json, text/event-stream")
            .json(&body)
            .send()
    };
    let r = post(
        &read,
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await
    .expect("initialized");
    assert_eq!(r.status(), 202);
    let list: Value = post(
        &read,
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
    )
    .await
    .expect("list")
    .json()
    .await
    .expect("json");
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(names.contains(&"get_order_status"), "{names:?}");
    assert!(
        names.contains(&"cancel_order"),
        "the dev environment lists every tool (`list = \"all\"`) so clients can step up: {names:?}"
    );
    let r = post(
        &read,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "cancel_order", "arguments": {"order_id": "TN-1003", "reason": "duplicate order"}}}),
    )
    .await
    .expect("cancel");
    assert_eq!(r.status(), 403);
    let www = r.headers()["www-authenticate"].to_str().expect("ascii");
    assert!(www.contains(r#"scope="orders:write""#), "{www}");
    // Another subject's token cannot use alice's session.
    let bob = dev_token("orders:read orders:write", "bob", &server.url);
    let r = post(
        &bob,
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}),
    )
    .await
    .expect("bob");
    assert_eq!(r.status(), 403);
    let r = http
        .delete(&server.url)
        .bearer_auth(&read)
        .header("mcp-session-id", &session)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 200);
    let r = post(
        &read,
        json!({"jsonrpc": "2.0", "id": 4, "method": "tools/list"}),
    )
    .await
    .expect("after delete");
    assert_eq!(r.status(), 404);
}
