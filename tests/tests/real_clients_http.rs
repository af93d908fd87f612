//! Clients nobody here wrote, against the real `technova` binary over Streamable HTTP, with
//! access tokens from a real authorization server (oidc-provider) that TechNova finds through
//! standard discovery: the TypeScript SDK client with its own OAuth support (authorization
//! code with PKCE and a 403 step-up, and client credentials), the Python SDK client in both of
//! its modes, and the MCP Inspector CLI. The Python client also answers TechNova's questions
//! about a cancel: the approval `prod` requires and the reason, or (in `staging`) the tool's
//! own confirmation.

use e2e::{
    AuthServer, HttpServer, http_client, inspector, jwt_claims, last_json_line, node, python,
    run_peer,
};
use serde_json::{Value, json};
use std::time::Duration;

/// TechNova's `staging` environment trusting `auth`'s issuer (keys by discovery).
async fn technova_for(auth: &AuthServer) -> HttpServer {
    HttpServer::technova("staging", &[("OIDC_ISSUER", &auth.issuer)]).await
}

fn statuses(summary: &Value) -> Vec<(String, u64)> {
    summary["exchange"]
        .as_array()
        .expect("exchange")
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap_or_default().to_owned(),
                e["status"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

fn challenge_for(summary: &Value, status: u64) -> String {
    summary["exchange"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["status"] == status)
        .and_then(|e| e["challenge"].as_str())
        .unwrap_or_else(|| panic!("no {status} challenge in {summary}"))
        .to_owned()
}

#[tokio::test]
async fn typescript_sdk_oauth_authorization_code_with_step_up() {
    let auth = AuthServer::start("RS256").await;
    let server = technova_for(&auth).await;
    let out = run_peer(
        &node(),
        &[
            "ts-oauth-client.mjs",
            &server.url,
            "authorization_code",
            "technova-public",
            "alice",
            &auth.issuer,
        ],
        &[],
    )
    .await;
    let summary = last_json_line(&out);
    // 401 -> metadata -> authorization server metadata -> token -> retry.
    let unauthorized = challenge_for(&summary, 401);
    assert!(
        unauthorized.contains(&format!(
            "resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
            server.origin
        )),
        "{unauthorized}"
    );
    assert!(
        unauthorized.contains("scope=\"orders:read reports:run\""),
        "least privilege first: {unauthorized}"
    );
    let seen = statuses(&summary);
    assert!(
        seen.contains(&("/.well-known/oauth-protected-resource/mcp".to_owned(), 200)),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("/.well-known/oauth-authorization-server".to_owned(), 200)),
        "{seen:?}"
    );
    assert_eq!(
        summary["lookup"]["structuredContent"]["status"], "processing",
        "{summary}"
    );
    // The cancel needs orders:write: 403 insufficient_scope, the SDK steps up, the retry works.
    let forbidden = challenge_for(&summary, 403);
    assert!(
        forbidden.contains("error=\"insufficient_scope\""),
        "{forbidden}"
    );
    assert!(forbidden.contains("scope=\"orders:write\""), "{forbidden}");
    assert_eq!(
        summary["cancel"]["content"][0]["text"], "Order TN-1005 is cancelled.",
        "{summary}"
    );
    assert_eq!(
        summary["tokenScopes"],
        json!(["orders:read reports:run", "orders:write"])
    );
}

#[tokio::test]
async fn typescript_sdk_oauth_client_credentials() {
    let auth = AuthServer::start("ES256").await;
    let server = technova_for(&auth).await;
    // A machine client whose rights come from its token's scopes alone: the SDK always asks
    // for its configured scope, so the step-up is retried once and refused.
    let out = run_peer(
        &node(),
        &[
            "ts-oauth-client.mjs",
            &server.url,
            "client_credentials",
            "ops-bot",
            "bot-secret",
            &auth.issuer,
            "orders:read",
        ],
        &[],
    )
    .await;
    let bot = last_json_line(&out);
    assert_eq!(bot["lookup"]["structuredContent"]["id"], "TN-1003", "{bot}");
    assert_eq!(bot["cancelError"]["code"], 403, "{bot}");
    assert!(challenge_for(&bot, 403).contains("scope=\"orders:write\""));
    // A support lead: the policy maps the `roles` claim to orders:write.
    let out = run_peer(
        &node(),
        &[
            "ts-oauth-client.mjs",
            &server.url,
            "client_credentials",
            "support-lead",
            "lead-secret",
            &auth.issuer,
            "orders:read",
        ],
        &[],
    )
    .await;
    let lead = last_json_line(&out);
    assert_eq!(
        lead["cancel"]["content"][0]["text"], "Order TN-1005 is cancelled.",
        "{lead}"
    );
}

#[tokio::test]
async fn python_sdk_over_http_with_a_bearer_token_in_both_modes() {
    let auth = AuthServer::start("RS256").await;
    let server = technova_for(&auth).await;
    let token = auth
        .token("support-agent", "agent-secret", "orders:read", &server.url)
        .await;
    for (mode, version) in [("auto", "2026-07-28"), ("legacy", "2025-11-25")] {
        let out = run_peer(
            &python(),
            &["py_client.py", "http", mode, &server.url, &token],
            &[],
        )
        .await;
        let summary = last_json_line(&out);
        assert_eq!(summary["protocolVersion"], version, "{mode}: {summary}");
        assert_eq!(
            summary["lookup"]["structuredContent"]["id"], "TN-1001",
            "{mode}: {summary}"
        );
        let tools: Vec<&str> = summary["tools"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            !tools.contains(&"cancel_order"),
            "{mode}: only what the agent may call: {tools:?}"
        );
        let refusal = summary["cancelError"].to_string();
        assert!(
            refusal.contains("403") || refusal.contains("-31003") || refusal.contains("Forbidden"),
            "{mode}: {summary}"
        );
    }
}

#[tokio::test]
async fn inspector_cli_over_http_with_a_bearer_token() {
    let auth = AuthServer::start("ES256").await;
    let server = technova_for(&auth).await;
    let token = auth
        .token("support-agent", "agent-secret", "orders:read", &server.url)
        .await;
    let header = format!("Authorization: Bearer {token}");
    let server_args = [
        server.url.as_str(),
        "--transport",
        "http",
        "--header",
        &header,
    ];
    let list = inspector(&[&server_args[..], &["--method", "tools/list"]].concat()).await;
    let names: Vec<&str> = list["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["get_order_status", "list_orders"],
        "the agent sees what it may call"
    );
    let call = inspector(
        &[
            &server_args[..],
            &[
                "--method",
                "tools/call",
                "--tool-name",
                "list_orders",
                "--tool-arg",
                "customer=ada@example.com",
            ],
        ]
        .concat(),
    )
    .await;
    assert_eq!(call["structuredContent"]["count"], 2, "{call}");
}

#[tokio::test]
async fn tokens_from_the_authorization_server_are_checked_for_audience_tenant_and_scope() {
    let auth = AuthServer::start("RS256").await;
    let server = technova_for(&auth).await;
    let http = http_client();
    let call = |token: Option<String>, tool: &'static str, arguments: Value| {
        let mut request = http
            .post(&server.url)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/call")
            .header("mcp-name", tool)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
                "name": tool, "arguments": arguments,
                "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
            }}));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        request.send()
    };
    let cancel = json!({"order_id": "TN-1002", "reason": "duplicate order"});

    let agent = auth
        .token("support-agent", "agent-secret", "orders:read", &server.url)
        .await;
    let claims = jwt_claims(&agent);
    assert_eq!(
        claims["aud"],
        server.url.as_str(),
        "audience-bound by the resource indicator"
    );
    assert_eq!(claims["iss"], auth.issuer.as_str());

    let r = call(None, "get_order_status", json!({"order_id": "TN-1001"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let elsewhere = auth
        .token(
            "support-agent",
            "agent-secret",
            "orders:read",
            "http://127.0.0.1:1/other/mcp",
        )
        .await;
    let r = call(
        Some(elsewhere),
        "get_order_status",
        json!({"order_id": "TN-1001"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 401, "a token for another resource is refused");
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );

    let r = call(
        Some(agent.clone()),
        "get_order_status",
        json!({"order_id": "TN-1001"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);

    let r = call(Some(agent), "cancel_order", cancel.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // The agent cannot even obtain orders:write from the issuer.
    let (status, refused) = auth
        .client_credentials("support-agent", "agent-secret", "orders:write", &server.url)
        .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_scope"))
    );

    // A lead of another tenant holds the role but fails the policy's tenant condition.
    let other = auth
        .token("other-tenant", "other-secret", "orders:read", &server.url)
        .await;
    let r = call(Some(other), "cancel_order", cancel.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["data"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("tenant"),
        "{body}"
    );

    let lead = auth
        .token("support-lead", "lead-secret", "orders:read", &server.url)
        .await;
    let r = call(Some(lead), "cancel_order", cancel).await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["result"]["content"][0]["text"], "Order TN-1002 is cancelled.",
        "{body}"
    );
}

/// The questions a peer printed (`asked: …` lines), in order.
fn asked(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("asked: "))
        .collect()
}

/// Runs `py_elicit.py` over Streamable HTTP against `server` with `token`.
async fn elicit_over_http(
    server: &HttpServer,
    token: &str,
    mode: &str,
    answer: &str,
    order: &str,
) -> String {
    let args = [
        "py_elicit.py",
        "http",
        mode,
        answer,
        order,
        &server.url,
        token,
    ];
    let out = run_peer(&python(), &args, &[]).await;
    // The client's transcript, shown with `--nocapture`.
    println!("py_elicit.py http {mode} {answer} {order}:\n{out}");
    out
}

/// Waits until the server's stderr holds `needle` (log lines are written as they happen).
async fn stderr_has(server: &HttpServer, needle: &str) -> bool {
    for _ in 0..100 {
        if server.peer.stderr().contains(needle) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn python_sdk_client_approves_a_cancel_over_http_in_both_eras_where_prod_requires_it() {
    let auth = AuthServer::start("RS256").await;
    let server = HttpServer::technova("prod", &[("OIDC_ISSUER", &auth.issuer)]).await;
    let lead = auth
        .token("support-lead", "lead-secret", "orders:read", &server.url)
        .await;
    for (mode, version, order) in [
        ("auto", "2026-07-28", "TN-1002"),
        ("legacy", "2025-11-25", "TN-1005"),
    ] {
        let out = elicit_over_http(&server, &lead, mode, "approve", order).await;
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
        assert!(questions[1].ends_with("fields=['reason']"), "{out}");
        assert_eq!(
            summary["cancel"]["content"][0]["text"],
            format!("Order {order} is cancelled."),
            "{out}"
        );
        assert_eq!(summary["statusAfter"], "cancelled", "{out}");
        let recorded = format!(
            r#"order="{order}" confirmation="approved" reason="customer found a better price""#
        );
        assert!(
            stderr_has(&server, &recorded).await,
            "{}",
            server.peer.stderr()
        );
    }
    assert!(
        stderr_has(
            &server,
            r#"approval="approved" rule="env.prod.tools.cancel_order.approval""#
        )
        .await
    );

    // Declined on the POST's SSE stream: the order stays as it was.
    let out = elicit_over_http(&server, &lead, "legacy", "decline", "TN-1003").await;
    let summary = last_json_line(&out);
    assert_eq!(asked(&out).len(), 1, "{out}");
    assert_eq!(summary["cancel"]["isError"], true, "{out}");
    assert_eq!(summary["statusAfter"], "processing", "{out}");
    assert!(stderr_has(&server, r#"approval="declined""#).await);
}

#[tokio::test]
async fn typescript_sdk_client_approves_a_cancel_on_the_post_s_sse_stream_in_prod() {
    let auth = AuthServer::start("ES256").await;
    let server = HttpServer::technova("prod", &[("OIDC_ISSUER", &auth.issuer)]).await;
    let lead = auth
        .token("support-lead", "lead-secret", "orders:read", &server.url)
        .await;
    let run = |answer: &'static str, order: &'static str| {
        let args = [
            "ts-elicit.mjs".to_owned(),
            answer.to_owned(),
            order.to_owned(),
            "http".to_owned(),
            server.url.clone(),
            lead.clone(),
        ];
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = run_peer(&node(), &args, &[]).await;
            println!("ts-elicit.mjs {answer} {order} http:\n{out}");
            out
        }
    };
    let out = run("approve", "TN-1002").await;
    let summary = last_json_line(&out);
    let questions = asked(&out);
    assert!(
        questions.len() == 2
            && questions[0].starts_with("Approve this call?")
            && questions[0].ends_with(r#"fields=["approve"]"#)
            && questions[1].ends_with(r#"fields=["reason"]"#),
        "{out}"
    );
    assert_eq!(summary["statusAfter"], "cancelled", "{out}");
    assert!(
        stderr_has(
            &server,
            r#"order="TN-1002" confirmation="approved" reason="customer found a better price""#
        )
        .await
    );
    let out = run("decline", "TN-1003").await;
    let summary = last_json_line(&out);
    assert_eq!(summary["cancel"]["isError"], true, "{out}");
    assert_eq!(summary["statusAfter"], "processing", "{out}");
}

#[tokio::test]
async fn python_sdk_client_confirms_a_cancel_through_the_tool_s_own_question_in_staging() {
    let auth = AuthServer::start("ES256").await;
    let server = technova_for(&auth).await;
    let lead = auth
        .token("support-lead", "lead-secret", "orders:read", &server.url)
        .await;
    // No approval step in staging: the tool asks for the confirmation and the reason at once.
    let out = elicit_over_http(&server, &lead, "auto", "approve", "TN-1002").await;
    let summary = last_json_line(&out);
    let questions = asked(&out);
    assert_eq!(questions.len(), 1, "{out}");
    assert!(
        questions[0].starts_with("Cancel order TN-1002 (")
            && questions[0].ends_with("fields=['confirm', 'reason']"),
        "{out}"
    );
    assert_eq!(summary["statusAfter"], "cancelled", "{out}");
    assert!(
        stderr_has(
            &server,
            r#"order="TN-1002" confirmation="confirmed" reason="customer found a better price""#
        )
        .await,
        "{}",
        server.peer.stderr()
    );
    // The user says no: nothing changes.
    let out = elicit_over_http(&server, &lead, "legacy", "decline", "TN-1003").await;
    let summary = last_json_line(&out);
    assert_eq!(summary["statusAfter"], "processing", "{out}");
    assert!(
        summary["cancel"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("was not cancelled: the user declined"),
        "{out}"
    );
    assert!(stderr_has(&server, r#"confirmation="declined""#).await);
}
