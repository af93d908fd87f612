//! The resource server over real sockets: token validation, challenges, step-up, metadata,
//! key rotation, session binding, and no token passthrough.

mod common;

use common::*;
use mcp_runtime::authz::{Authorizer, DeclaredScopes, Refusal, Target};
use mcp_runtime::credentials::BackendCredentials;
use mcp_runtime::{CallToolResult, Caller, Content, Tool};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test]
async fn three_phase_flow_no_token_read_token_step_up() {
    let (idp, key, srv) = setup_auth().await;
    let http = client();
    let metadata = format!("{}/.well-known/oauth-protected-resource/mcp", srv.origin());

    // 1. No token: 401 pointing at the metadata, naming the tool's scope.
    let r = call(
        &http,
        &srv.url,
        1,
        "get_order_status",
        json!({"order_id": "TN-1"}),
    )
    .send()
    .await
    .unwrap();
    let (status, www, body) = parts(r, "www-authenticate").await;
    assert_eq!(status, 401);
    assert_eq!(
        challenge(&www),
        format!(r#"Bearer resource_metadata="{metadata}", scope="orders:read""#)
    );
    assert_eq!(body["error"]["code"], -31001);
    assert_eq!(body["id"], 1, "the request id is echoed");

    // 2. A token for orders:read: the lookup succeeds.
    let read = key.sign(
        &idp.claims("alice", "orders:read", &srv.resource),
        Some("at+jwt"),
    );
    let r = call(
        &http,
        &srv.url,
        2,
        "get_order_status",
        json!({"order_id": "TN-1"}),
    )
    .bearer_auth(&read)
    .send()
    .await
    .unwrap();
    let (status, _, body) = parts(r, "www-authenticate").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["result"]["content"][0]["text"],
        "order TN-1 is shipped (asked by alice)"
    );

    // 3. Cancelling with that token: 403 insufficient_scope naming orders:write.
    let r = call(
        &http,
        &srv.url,
        3,
        "cancel_order",
        json!({"order_id": "TN-1"}),
    )
    .bearer_auth(&read)
    .send()
    .await
    .unwrap();
    let (status, www, body) = parts(r, "www-authenticate").await;
    assert_eq!(status, 403);
    let www = challenge(&www);
    assert!(www.contains(r#"error="insufficient_scope""#), "{www}");
    assert!(www.contains(r#"scope="orders:write""#), "{www}");
    assert!(
        www.contains(&format!(r#"resource_metadata="{metadata}""#)),
        "{www}"
    );
    assert_eq!(body["id"], 3);
    assert_eq!(
        body["error"]["data"]["requiredScopes"],
        json!(["orders:write"])
    );

    // 4. A token with the right scope: the cancel succeeds.
    let write = key.sign(
        &idp.claims("alice", "orders:read orders:write", &srv.resource),
        Some("at+jwt"),
    );
    let r = call(
        &http,
        &srv.url,
        4,
        "cancel_order",
        json!({"order_id": "TN-1"}),
    )
    .bearer_auth(&write)
    .send()
    .await
    .unwrap();
    let (status, _, body) = parts(r, "www-authenticate").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["content"][0]["text"], "order TN-1 cancelled");
}

#[tokio::test]
async fn bad_tokens_get_401_invalid_token() {
    let (idp, key, srv) = setup_auth().await;
    let http = client();
    let good = idp.claims("alice", "orders:read", &srv.resource);
    let mut expired = good.clone();
    expired["exp"] = json!(now() - 3600);
    expired["iat"] = json!(now() - 7200);
    expired["nbf"] = json!(now() - 7200);
    let mut early = good.clone();
    early["nbf"] = json!(now() + 3600);
    let mut wrong_aud = good.clone();
    wrong_aud["aud"] = json!("https://other.example.com/mcp");
    let mut wrong_iss = good.clone();
    wrong_iss["iss"] = json!("https://evil.example.com");
    let mut no_sub = good.clone();
    no_sub.as_object_mut().unwrap().remove("sub");
    let stranger = Key::generate("k1"); // same kid, different key: signature fails
    let unknown_kid = Key::generate("k-unknown");

    // alg=none, hand-made.
    let b64 = |v: &Value| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    };
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&good)
    );
    // Key confusion: HS256 with the issuer's public key as the HMAC secret.
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("k1".into());
    let confused = jsonwebtoken::encode(
        &header,
        &good,
        &jsonwebtoken::EncodingKey::from_secret(key.public_pem.as_bytes()),
    )
    .unwrap();

    let cases: Vec<(&str, String)> = vec![
        ("garbage", "not.a.jwt".to_owned()),
        ("expired", key.sign(&expired, Some("at+jwt"))),
        ("not yet valid", key.sign(&early, Some("at+jwt"))),
        ("wrong audience", key.sign(&wrong_aud, Some("at+jwt"))),
        ("wrong issuer", key.sign(&wrong_iss, Some("at+jwt"))),
        ("no subject", key.sign(&no_sub, Some("at+jwt"))),
        ("foreign key", stranger.sign(&good, Some("at+jwt"))),
        ("unknown kid", unknown_kid.sign(&good, Some("at+jwt"))),
        ("wrong typ", key.sign(&good, Some("id_token+jwt"))),
        ("alg none", none),
        ("HS256 with the public key", confused),
    ];
    for (what, token) in cases {
        let r = call(
            &http,
            &srv.url,
            1,
            "get_order_status",
            json!({"order_id": "TN-1"}),
        )
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
        let (status, www, body) = parts(r, "www-authenticate").await;
        assert_eq!(status, 401, "{what}: {body}");
        let www = challenge(&www);
        assert!(www.contains(r#"error="invalid_token""#), "{what}: {www}");
        assert!(www.contains("resource_metadata="), "{what}: {www}");
        assert!(
            !body.to_string().contains("eyJ"),
            "{what}: the token leaked into {body}"
        );
    }

    // Within the leeway, and with typ JWT or none, a token is accepted.
    let mut just_expired = good.clone();
    just_expired["exp"] = json!(now() - 5);
    let mut several_audiences = good.clone();
    several_audiences["aud"] = json!(["https://other.example.com", srv.resource]);
    for (what, token) in [
        (
            "audience list containing ours",
            key.sign(&several_audiences, Some("at+jwt")),
        ),
        (
            "expired within leeway",
            key.sign(&just_expired, Some("at+jwt")),
        ),
        ("typ JWT", key.sign(&good, Some("JWT"))),
        ("no typ", key.sign(&good, None)),
    ] {
        let r = call(
            &http,
            &srv.url,
            1,
            "get_order_status",
            json!({"order_id": "TN-1"}),
        )
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), 200, "{what}");
    }
}

#[tokio::test]
async fn query_string_tokens_and_other_schemes_are_refused() {
    let (idp, key, srv) = setup_auth().await;
    let http = client();
    let token = key.sign(&idp.claims("alice", "orders:read", &srv.resource), None);
    let r = call(
        &http,
        &format!("{}?access_token={token}", srv.url),
        1,
        "get_order_status",
        json!({"order_id": "TN-1"}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let r = call(
        &http,
        &srv.url,
        1,
        "get_order_status",
        json!({"order_id": "TN-1"}),
    )
    .basic_auth("alice", Some("pw"))
    .send()
    .await
    .unwrap();
    let (status, www, _) = parts(r, "www-authenticate").await;
    assert_eq!(status, 401);
    // No bearer credentials at all: a plain challenge, no error code (RFC 6750 §3.1).
    assert!(!challenge(&www).contains("error="));
}

#[tokio::test]
async fn protected_resource_metadata_is_served_at_both_locations() {
    let (idp, _key, srv) = setup_auth().await;
    let http = client();
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let r = http
            .get(format!("{}{path}", srv.origin()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let doc: Value = r.json().await.unwrap();
        assert_eq!(doc["resource"], srv.resource.as_str());
        assert_eq!(doc["authorization_servers"], json!([idp.url]));
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
        assert_eq!(
            doc["scopes_supported"],
            json!(["orders:read", "orders:write"])
        );
    }
}

#[tokio::test]
async fn unknown_kid_refreshes_keys_at_a_limited_rate() {
    let old = Key::generate("old");
    let idp = Idp::start(&[&old]).await;
    let srv = Running::start(test_server().build().unwrap(), |c| {
        c.auth = Some(idp.validation(&c.resource));
        c.jwks.min_refresh_interval = Duration::from_secs(3600);
    })
    .await;
    let http = client();
    let claims = idp.claims("alice", "orders:read", &srv.resource);
    let send = |token: String| {
        call(
            &http,
            &srv.url,
            1,
            "get_order_status",
            json!({"order_id": "TN-1"}),
        )
        .bearer_auth(token)
        .send()
    };
    assert_eq!(send(old.sign(&claims, None)).await.unwrap().status(), 200);
    assert_eq!(send(old.sign(&claims, None)).await.unwrap().status(), 200);
    assert_eq!(idp.fetches.load(Ordering::SeqCst), 1, "keys are cached");
    // Forged kids do not make the server hammer the issuer.
    for i in 0..5 {
        let forged = Key::generate(&format!("forged-{i}"));
        assert_eq!(
            send(forged.sign(&claims, None)).await.unwrap().status(),
            401
        );
    }
    assert_eq!(
        idp.fetches.load(Ordering::SeqCst),
        1,
        "refreshes are rate limited"
    );
}

#[tokio::test]
async fn rotated_keys_are_picked_up_on_an_unknown_kid() {
    let old = Key::generate("old");
    let idp = Idp::start(&[&old]).await;
    let srv = Running::start(test_server().build().unwrap(), |c| {
        c.auth = Some(idp.validation(&c.resource));
        c.jwks.min_refresh_interval = Duration::ZERO;
    })
    .await;
    let http = client();
    let claims = idp.claims("alice", "orders:read", &srv.resource);
    let send = |token: String| {
        call(
            &http,
            &srv.url,
            1,
            "get_order_status",
            json!({"order_id": "TN-1"}),
        )
        .bearer_auth(token)
        .send()
    };
    assert_eq!(send(old.sign(&claims, None)).await.unwrap().status(), 200);
    let new = Key::generate("new");
    idp.keys.lock().unwrap().push(new.jwk.clone());
    assert_eq!(send(new.sign(&claims, None)).await.unwrap().status(), 200);
    assert_eq!(idp.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn keys_are_discovered_from_issuer_metadata() {
    let key = Key::generate("k1");
    let idp = Idp::start(&[&key]).await;
    let srv = Running::start(test_server().build().unwrap(), |c| {
        let mut v = idp.validation(&c.resource);
        v.jwks_uri = None;
        c.auth = Some(v);
    })
    .await;
    let token = key.sign(&idp.claims("alice", "orders:read", &srv.resource), None);
    let r = lookup_as(&srv, token).await;
    assert_eq!(r.status(), 200);
    assert_eq!(idp.fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn unreachable_keys_fail_closed() {
    let key = Key::generate("k1");
    let idp = Idp::start(&[&key]).await;
    idp.up.store(false, Ordering::SeqCst);
    let srv = Running::start(test_server().build().unwrap(), |c| {
        c.auth = Some(idp.validation(&c.resource));
        c.jwks.min_refresh_interval = Duration::ZERO;
    })
    .await;
    let token = key.sign(&idp.claims("alice", "orders:read", &srv.resource), None);
    let r = lookup_as(&srv, &token).await;
    let (status, retry, _) = parts(r, "retry-after").await;
    assert_eq!(status, 503, "keys unavailable: nothing can be verified");
    assert!(retry.is_some());
    // Once the issuer is back, the same token works.
    idp.up.store(true, Ordering::SeqCst);
    let r = lookup_as(&srv, &token).await;
    assert_eq!(r.status(), 200);
}

/// Denies one tool with a rate limit; otherwise the declared scopes decide.
struct Limited;

impl Authorizer for Limited {
    fn authorize(&self, caller: &Caller, target: &Target<'_>) -> Result<(), Refusal> {
        if target.name == "get_order_status" && caller.subject() == "greedy" {
            return Err(Refusal::RateLimited {
                kind: target.kind,
                name: target.name.to_owned(),
                retry_after: Duration::from_secs(7),
            });
        }
        DeclaredScopes.authorize(caller, target)
    }

    fn is_visible(&self, caller: &Caller, target: &Target<'_>) -> bool {
        DeclaredScopes.is_visible(caller, target)
    }
}

#[tokio::test]
async fn rate_limits_are_429_with_retry_after() {
    let key = Key::generate("k1");
    let idp = Idp::start(&[&key]).await;
    let server = test_server().authorizer(Arc::new(Limited)).build().unwrap();
    let srv = Running::start(server, |c| c.auth = Some(idp.validation(&c.resource))).await;
    let token = key.sign(&idp.claims("greedy", "orders:read", &srv.resource), None);
    let r = call(
        &client(),
        &srv.url,
        9,
        "get_order_status",
        json!({"order_id": "TN-1"}),
    )
    .bearer_auth(token)
    .send()
    .await
    .unwrap();
    let (status, retry, body) = parts(r, "retry-after").await;
    assert_eq!(status, 429);
    assert_eq!(retry.as_deref(), Some("7"));
    assert_eq!(body["id"], 9);
    assert_eq!(body["error"]["code"], -31029);
}

async fn legacy_init(http: &reqwest::Client, url: &str, token: &str) -> String {
    let r = http
        .post(url)
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
            "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.headers()["mcp-session-id"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn legacy_sessions_belong_to_their_subject_and_never_replace_tokens() {
    let (idp, key, srv) = setup_auth().await;
    let http = client();
    let alice = key.sign(&idp.claims("alice", "orders:read", &srv.resource), None);
    let bob = key.sign(
        &idp.claims("bob", "orders:read orders:write", &srv.resource),
        None,
    );
    let session = legacy_init(&http, &srv.url, &alice).await;
    let list = json!({"jsonrpc":"2.0","id":1,"method":"tools/list"});
    let post = |token: Option<&str>| {
        let rb = http
            .post(&srv.url)
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", "2025-11-25")
            .json(&list);
        match token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    };
    assert_eq!(post(Some(&alice)).send().await.unwrap().status(), 200);
    assert_eq!(
        post(Some(&bob)).send().await.unwrap().status(),
        403,
        "another subject"
    );
    let (status, www, _) = parts(post(None).send().await.unwrap(), "www-authenticate").await;
    assert_eq!(status, 401, "the session alone is not authentication");
    assert!(!challenge(&www).contains("invalid_token"));
    // Bob cannot end Alice's session either.
    let r = http
        .delete(&srv.url)
        .bearer_auth(&bob)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Legacy policy denials are 403 with the step-up challenge too.
    let r = http
        .post(&srv.url)
        .bearer_auth(&alice)
        .header("mcp-session-id", &session)
        .json(&json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"cancel_order","arguments":{"order_id":"TN-1"}}}))
        .send()
        .await
        .unwrap();
    let (status, www, body) = parts(r, "www-authenticate").await;
    assert_eq!(status, 403, "{body}");
    assert!(challenge(&www).contains(r#"scope="orders:write""#));
}

#[tokio::test]
async fn downstream_calls_use_the_servers_credential_never_the_callers_token() {
    // A downstream API that records the Authorization header it receives.
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = seen.clone();
    let downstream = axum::Router::new().route(
        "/orders/{id}",
        axum::routing::get(move |headers: axum::http::HeaderMap| {
            let record = record.clone();
            async move {
                let auth = headers
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                record.lock().unwrap().push(auth);
                "shipped"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let downstream_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, downstream).await.unwrap() });

    let key = Key::generate("k1");
    let idp = Idp::start(&[&key]).await;
    let url = downstream_url.clone();
    let server = mcp_runtime::Server::builder("creds", "0.0.1")
        .state(BackendCredentials::new().with("orders-api", "backend-secret-123"))
        .tool(
            Tool::builder("fetch_order")
                .description("Fetch an order from the orders API.")
                .scopes(["orders:read"])
                .handler(move |ctx, _args| {
                    let url = url.clone();
                    async move {
                        let secret = ctx
                            .state::<BackendCredentials>()
                            .and_then(|c| c.get("orders-api"))
                            .ok_or_else(|| mcp_runtime::ToolError::new("no backend credential"))?
                            .expose()
                            .to_owned();
                        let status = client()
                            .get(format!("{url}/orders/TN-1"))
                            .bearer_auth(secret)
                            .send()
                            .await
                            .map_err(mcp_runtime::ToolError::new)?
                            .text()
                            .await
                            .map_err(mcp_runtime::ToolError::new)?;
                        Ok(CallToolResult::success(vec![Content::text(status)]))
                    }
                })
                .build(),
        )
        .build()
        .unwrap();
    let srv = Running::start(server, |c| c.auth = Some(idp.validation(&c.resource))).await;
    let token = key.sign(&idp.claims("alice", "orders:read", &srv.resource), None);
    let r = call(&client(), &srv.url, 1, "fetch_order", json!({}))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (status, _, body) = parts(r, "x").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["content"][0]["text"], "shipped");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen, ["Bearer backend-secret-123"]);
    assert!(seen.iter().all(|h| !h.contains(&token)));
}

#[tokio::test]
async fn scoped_resources_and_prompts_get_the_same_challenges_as_tools() {
    use mcp_runtime::registry::{Prompt, PromptMessage, Resource, ResourceContents};
    let key = Key::generate("k1");
    let idp = Idp::start(&[&key]).await;
    let server = test_server()
        .resource(
            Resource::builder("vault://report", "report")
                .scopes(["vault:read"])
                .handler(|ctx, uri| async move {
                    let who = ctx.caller().subject().to_owned();
                    Ok(vec![ResourceContents::text(
                        uri,
                        "text/plain",
                        format!("for {who}"),
                    )])
                })
                .build(),
        )
        .prompt(
            Prompt::builder("audit")
                .description("Needs a scope.")
                .scopes(["audit:read"])
                .handler(|_, _| async {
                    Ok(vec![PromptMessage::user(Content::text("audit"))].into())
                })
                .build(),
        )
        .build()
        .unwrap();
    let srv = Running::start(server, |c| c.auth = Some(idp.validation(&c.resource))).await;
    let http = client();
    let read = |id: i64| {
        modern(
            &http,
            &srv.url,
            id,
            "resources/read",
            json!({"uri": "vault://report"}),
        )
        .header("mcp-name", "vault://report")
    };

    let (status, www, _) = parts(read(1).send().await.unwrap(), "www-authenticate").await;
    assert_eq!(status, 401);
    assert!(
        challenge(&www).ends_with(r#"scope="vault:read""#),
        "{www:?}"
    );

    let other = key.sign(
        &idp.claims("bob", "orders:read", &srv.resource),
        Some("at+jwt"),
    );
    let (status, www, body) = parts(
        read(2).bearer_auth(&other).send().await.unwrap(),
        "www-authenticate",
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let www = challenge(&www);
    assert!(www.contains(r#"error="insufficient_scope""#), "{www}");
    assert!(www.contains(r#"scope="vault:read""#), "{www}");
    assert_eq!(body["error"]["data"]["resource"], "vault://report");

    let reader = key.sign(
        &idp.claims("ana", "vault:read", &srv.resource),
        Some("at+jwt"),
    );
    let (status, _, body) = parts(
        read(3).bearer_auth(&reader).send().await.unwrap(),
        "www-authenticate",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["contents"][0]["text"], "for ana");

    let r = modern(&http, &srv.url, 4, "prompts/get", json!({"name": "audit"}))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    let (status, www, _) = parts(r, "www-authenticate").await;
    assert_eq!(status, 403);
    assert!(challenge(&www).contains(r#"scope="audit:read""#), "{www:?}");

    let metadata = client()
        .get(format!(
            "{}/.well-known/oauth-protected-resource/mcp",
            srv.origin()
        ))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let supported = metadata["scopes_supported"].as_array().unwrap();
    for scope in ["audit:read", "vault:read", "orders:read"] {
        assert!(supported.contains(&json!(scope)), "{scope} in {metadata}");
    }
}
