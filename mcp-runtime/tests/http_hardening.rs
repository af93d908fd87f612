//! The resource server against an outside review's findings (RFC 8725, RFC 6750, RFC 7515):
//! each test names the defect it holds shut. Tokens are signed by keys made in the test and
//! checked against a key set served over HTTP on loopback.

mod common;
mod faulty_idp;

use common::*;
use faulty_idp::{FaultyIdp, Mode};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mcp_runtime::{CallToolResult, Content, Server, Tool};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Signs `claims` with `key` under an arbitrary `header` (its `alg` and `kid` are set here).
fn sign_with(key: &Key, mut header: Header, claims: &Value) -> String {
    header.alg = Algorithm::ES256;
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_ec_pem(key.private_pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

/// Standard claims from `issuer` for `sub` holding `scope`, valid for an hour, for `aud`.
fn claims_for(issuer: &str, sub: &str, scope: &str, aud: &str) -> Value {
    let now = now();
    json!({
        "iss": issuer, "sub": sub, "aud": aud, "scope": scope,
        "client_id": "test-client", "iat": now, "nbf": now, "exp": now + 3600
    })
}

async fn lookup(srv: &Running, token: &str) -> (u16, Option<String>, Value) {
    let r = lookup_as(srv, token).await;
    parts(r, "www-authenticate").await
}

/// Defect 1 (RFC 7515 §4.1.11): a JWS naming critical extensions this server does not
/// understand is refused, whatever it lists, even `[]` or registered header names.
#[tokio::test]
async fn crit_headers_are_refused() {
    let (idp, key, srv) = setup_auth().await;
    let claims = idp.claims("alice", "orders:read", &srv.resource);
    assert_eq!(lookup(&srv, &key.sign(&claims, None)).await.0, 200);
    for crit in [vec!["x-ext"], vec![], vec!["exp"], vec!["b64"]] {
        let mut header = Header::new(Algorithm::ES256);
        header.crit = Some(crit.iter().map(|s| (*s).to_owned()).collect());
        header.extras.insert("x-ext", true);
        let token = sign_with(&key, header, &claims);
        let (status, h, body) = lookup(&srv, &token).await;
        assert_eq!(status, 401, "crit {crit:?}: {body}");
        assert!(challenge(&h).contains(r#"error="invalid_token""#), "{h:?}");
        assert!(
            challenge(&h).contains("crit"),
            "the reason names crit: {h:?}"
        );
    }
}

/// Defect 2: two `Authorization` headers are a malformed request, not "the first one wins".
#[tokio::test]
async fn two_authorization_headers_are_a_bad_request() {
    let (idp, key, srv) = setup_auth().await;
    let good = key.sign(&idp.claims("alice", "orders:read", &srv.resource), None);
    let r = call(
        &client(),
        &srv.url,
        5,
        "get_order_status",
        json!({"order_id": "TN-1"}),
    )
    .header("authorization", format!("Bearer {good}"))
    .header("authorization", "Bearer other")
    .send()
    .await
    .unwrap();
    let (status, h, body) = parts(r, "www-authenticate").await;
    assert_eq!(status, 400, "{body}");
    assert!(challenge(&h).starts_with("Bearer "), "{h:?}");
    assert!(
        challenge(&h).contains(r#"error="invalid_request""#),
        "{h:?}"
    );
    assert_eq!(body["id"], 5);
    assert_eq!(body["error"]["code"], -32600);
}

/// Defect 3: a token above the size cap (8 KiB by default) is refused with `invalid_token`
/// before any decoding: not even the key set is fetched for it.
#[tokio::test]
async fn oversized_tokens_are_refused_before_decoding() {
    let (idp, key, srv) = setup_auth().await;
    // The server fetches the key set once at start-up (readiness); count from there.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while idp.fetches.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let fetched_at_start = idp.fetches.load(Ordering::SeqCst);
    let mut claims = idp.claims("alice", "orders:read", &srv.resource);
    claims["padding"] = json!("x".repeat(12 * 1024));
    let big_but_valid = key.sign(&claims, None);
    let (status, h, body) = lookup(&srv, &big_but_valid).await;
    assert_eq!(status, 401, "{body}");
    assert!(challenge(&h).contains(r#"error="invalid_token""#), "{h:?}");
    assert!(challenge(&h).contains("8192 bytes"), "{h:?}");
    // A 100 KiB token with an unknown key id: refused without fetching any key.
    let forged = Key::generate("forged");
    claims["padding"] = json!("y".repeat(100 * 1024));
    let (status, _, _) = lookup(&srv, &forged.sign(&claims, None)).await;
    assert_eq!(status, 401);
    assert_eq!(
        idp.fetches.load(Ordering::SeqCst),
        fetched_at_start,
        "no key was fetched for the oversized tokens"
    );
    // Just under the cap still works.
    claims["padding"] = json!("z".repeat(4 * 1024));
    assert_eq!(lookup(&srv, &key.sign(&claims, None)).await.0, 200);
}

/// Defect 4 (RFC 6750 §2.3, §3.1): a token in the query string is a malformed request: `400`
/// with `WWW-Authenticate: Bearer error="invalid_request"`.
#[tokio::test]
async fn query_tokens_get_an_invalid_request_challenge() {
    let (idp, key, srv) = setup_auth().await;
    let token = key.sign(&idp.claims("alice", "orders:read", &srv.resource), None);
    let r = call(
        &client(),
        &format!("{}?access_token={token}", srv.url),
        7,
        "get_order_status",
        json!({"order_id": "TN-1"}),
    )
    .send()
    .await
    .unwrap();
    let (status, h, body) = parts(r, "www-authenticate").await;
    assert_eq!(status, 400);
    assert!(
        challenge(&h).contains(r#"error="invalid_request""#),
        "{h:?}"
    );
    assert!(
        challenge(&h).contains(&format!(
            r#"resource_metadata="{}/.well-known/oauth-protected-resource/mcp""#,
            srv.origin()
        )),
        "{h:?}"
    );
    assert_eq!(body["id"], 7);
}

/// Defect 5 (RFC 8725 §3.8): `iss` must be one string equal to the configured issuer; an
/// array holding it is refused.
#[tokio::test]
async fn an_issuer_array_is_refused() {
    let (idp, key, srv) = setup_auth().await;
    let mut claims = idp.claims("alice", "orders:read", &srv.resource);
    for iss in [
        json!([idp.url, "https://other.example"]),
        json!([idp.url]),
        json!({"iss": idp.url}),
        json!(null),
    ] {
        claims["iss"] = iss.clone();
        let (status, h, _) = lookup(&srv, &key.sign(&claims, None)).await;
        assert_eq!(status, 401, "iss {iss}");
        assert!(challenge(&h).contains(r#"error="invalid_token""#));
    }
}

/// An RSA key (RFC 7517 appendix A.1), to share a `kid` with an EC key.
fn rsa_jwk(kid: &str) -> Value {
    json!({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid, "e": "AQAB",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"})
}

/// Defect 6: keys are chosen by `kid` *and* the token's algorithm family, so an RSA key that
/// shares the `kid` of the EC signing key does not hide it; two usable keys for the same `kid`
/// and family are an ambiguous key set, refused with a reason that says so.
#[tokio::test]
async fn keys_are_chosen_by_kid_and_algorithm_family() {
    let key = Key::generate("shared");
    let idp = Idp::start(&[]).await;
    idp.keys
        .lock()
        .unwrap()
        .extend([rsa_jwk("shared"), key.jwk.clone()]);
    let srv = Running::start(test_server().build().unwrap(), |c| {
        c.auth = Some(idp.validation(&c.resource));
        c.jwks.min_refresh_interval = Duration::ZERO;
    })
    .await;
    let token = key.sign(&idp.claims("alice", "orders:read", &srv.resource), None);
    let (status, _, body) = lookup(&srv, &token).await;
    assert_eq!(
        status, 200,
        "the ES256 key is found behind the RSA one: {body}"
    );

    // Two EC keys under one kid: ambiguous, even though the first one would verify.
    let twin = Key::generate("shared");
    *idp.keys.lock().unwrap() = vec![key.jwk.clone(), twin.jwk.clone()];
    let srv = Running::start(test_server().build().unwrap(), |c| {
        c.auth = Some(idp.validation(&c.resource));
    })
    .await;
    let token = key.sign(&idp.claims("alice", "orders:read", &srv.resource), None);
    let (status, h, _) = lookup(&srv, &token).await;
    assert_eq!(status, 401);
    assert!(challenge(&h).contains("ambiguous"), "{h:?}");
}

/// Defect 7 (RFC 6750 §3.1): a request with no bearer credentials (another scheme) gets a
/// challenge without an error code.
#[tokio::test]
async fn other_schemes_get_a_plain_challenge() {
    let (_idp, _key, srv) = setup_auth().await;
    for value in [
        "Basic YWxpY2U6cHc=",
        "Negotiate abc",
        "Digest username=\"a\"",
    ] {
        let r = call(
            &client(),
            &srv.url,
            1,
            "get_order_status",
            json!({"order_id": "TN-1"}),
        )
        .header("authorization", value)
        .send()
        .await
        .unwrap();
        let (status, h, _) = parts(r, "www-authenticate").await;
        assert_eq!(status, 401, "{value}");
        assert!(!challenge(&h).contains("error="), "{value}: {h:?}");
        assert!(challenge(&h).contains(r#"scope="orders:read""#), "{h:?}");
    }
}

/// Defect 8: when the issuer's keys cannot be had (key set down, slow, garbage, unusable),
/// the answer is `503` with `Retry-After`, never an acceptance, and the server recovers by
/// itself once the keys are back.
#[tokio::test]
async fn unavailable_keys_are_503_and_recover() {
    let key = Key::generate("k1");
    for mode in [Mode::Down, Mode::Garbage, Mode::Slow, Mode::BadKeys] {
        let idp = FaultyIdp::start(vec![key.jwk.clone()], mode).await;
        let srv = Running::start(test_server().build().unwrap(), |c| {
            c.auth = Some(idp.validation(&c.resource));
            c.jwks.min_refresh_interval = Duration::ZERO;
            c.jwks.fetch_timeout = Duration::from_millis(300);
        })
        .await;
        let claims = claims_for(&idp.url, "alice", "orders:read", &srv.resource);
        let token = key.sign(&claims, None);
        let r = call(
            &client(),
            &srv.url,
            3,
            "get_order_status",
            json!({"order_id": "TN-1"}),
        )
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
        let (status, retry, body) = parts(r, "retry-after").await;
        assert_eq!(status, 503, "{mode:?}: {body}");
        assert!(retry.is_some(), "{mode:?}: Retry-After");
        assert_eq!(body["id"], 3, "{mode:?}");
        idp.set_mode(Mode::Up);
        let (status, _, body) = lookup(&srv, &token).await;
        assert_eq!(status, 200, "{mode:?} recovered: {body}");
    }
}

/// Defect 11: a legacy session belongs to the issuer, subject *and client* of the token that
/// opened it; the same subject through another client is refused.
#[tokio::test]
async fn sessions_are_bound_to_the_client_too() {
    let (idp, key, srv) = setup_auth().await;
    let http = client();
    let mine = key.sign(&idp.claims("alice", "orders:read", &srv.resource), None);
    let mut other = idp.claims("alice", "orders:read", &srv.resource);
    other["client_id"] = json!("another-client");
    let other = key.sign(&other, None);
    let r = http
        .post(&srv.url)
        .bearer_auth(&mine)
        .json(&json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
            "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let session = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let list = |token: &str| {
        http.post(&srv.url)
            .bearer_auth(token)
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", "2025-11-25")
            .json(&json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}))
            .send()
    };
    assert_eq!(list(&mine).await.unwrap().status(), 200);
    assert_eq!(list(&other).await.unwrap().status(), 403, "another client");
    let r = http
        .delete(&srv.url)
        .bearer_auth(&other)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(list(&mine).await.unwrap().status(), 200, "still alive");
}

fn read_write_server() -> Server {
    let tool = |name: &str, scope: &str, read_only: bool| {
        Tool::builder(name)
            .description("An order tool.")
            .scopes([scope])
            .read_only(read_only)
            .handler(|_, _| async { Ok(CallToolResult::success(vec![Content::text("ok")])) })
            .build()
    };
    Server::builder("rw", "0.0.1")
        .tool(tool("get_order_status", "orders:read", true))
        .tool(tool("cancel_order", "orders:write", false))
        .build()
        .unwrap()
}

/// Defect 12: `scopes_supported` advertises the minimal baseline (what the `401` challenge
/// of a request naming no tool asks for), not every declared scope.
#[tokio::test]
async fn metadata_advertises_the_baseline_scopes() {
    let idp = Idp::start(&[]).await;
    let srv = Running::start(read_write_server(), |c| {
        c.auth = Some(idp.validation(&c.resource));
    })
    .await;
    let doc: Value = client()
        .get(format!(
            "{}/.well-known/oauth-protected-resource/mcp",
            srv.origin()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["scopes_supported"], json!(["orders:read"]), "{doc}");
    let r = modern(&client(), &srv.url, 1, "tools/list", json!({}))
        .send()
        .await
        .unwrap();
    let (status, h, _) = parts(r, "www-authenticate").await;
    assert_eq!(status, 401);
    assert!(challenge(&h).ends_with(r#"scope="orders:read""#), "{h:?}");
}

/// The defaults above are settings: the metadata can list every declared scope or an
/// explicit list, and the token cap can be raised or lowered.
#[tokio::test]
async fn scopes_supported_and_the_token_cap_are_configurable() {
    use mcp_runtime::transport::http::AdvertisedScopes;
    let key = Key::generate("k1");
    let idp = Idp::start(&[&key]).await;
    for (setting, want) in [
        (
            AdvertisedScopes::AllDeclared,
            json!(["orders:read", "orders:write"]),
        ),
        (
            AdvertisedScopes::List(vec!["orders:admin".into()]),
            json!(["orders:admin"]),
        ),
    ] {
        let srv = Running::start(read_write_server(), |c| {
            c.auth = Some(idp.validation(&c.resource));
            c.scopes_supported = setting.clone();
        })
        .await;
        let doc: Value = client()
            .get(format!(
                "{}/.well-known/oauth-protected-resource",
                srv.origin()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(doc["scopes_supported"], want, "{setting:?}");
    }
    let srv = Running::start(test_server().build().unwrap(), |c| {
        c.auth = Some(idp.validation(&c.resource));
        c.max_token_bytes = 64;
    })
    .await;
    let token = key.sign(&idp.claims("alice", "orders:read", &srv.resource), None);
    let (status, h, _) = lookup(&srv, &token).await;
    assert_eq!(status, 401);
    assert!(challenge(&h).contains("64 bytes"), "{h:?}");
}
