//! Shared fixtures for the HTTP tests: signing keys made in the test, a JWKS served by a
//! small axum server, a test MCP server on a real socket, and a reqwest client.
#![allow(dead_code, unreachable_pub, missing_docs)]

use axum::Router;
use axum::routing::get;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mcp_runtime::auth::TokenValidation;
use mcp_runtime::transport::http::{HttpConfig, serve_listener};
use mcp_runtime::{CallToolResult, Content, Server, Tool};
use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub const ISSUER_PATH: &str = "";

/// An ES256 key pair generated for this test run.
#[derive(Clone)]
pub struct Key {
    pub kid: String,
    pub private_pem: String,
    pub public_pem: String,
    pub jwk: Value,
}

impl Key {
    pub fn generate(kid: &str) -> Self {
        let secret = loop {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).unwrap();
            if let Ok(k) = p256::SecretKey::from_slice(&bytes) {
                break k;
            }
        };
        let private_pem = secret.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
        let public_pem = secret
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        let mut jwk: Value = serde_json::from_str(&secret.public_key().to_jwk_string()).unwrap();
        jwk["kid"] = json!(kid);
        jwk["alg"] = json!("ES256");
        jwk["use"] = json!("sig");
        Self {
            kid: kid.to_owned(),
            private_pem,
            public_pem,
            jwk,
        }
    }

    /// Signs `claims` with a header of `typ`.
    pub fn sign(&self, claims: &Value, typ: Option<&str>) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        header.typ = typ.map(str::to_owned);
        jsonwebtoken::encode(
            &header,
            claims,
            &EncodingKey::from_ec_pem(self.private_pem.as_bytes()).unwrap(),
        )
        .unwrap()
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A test identity provider: serves its JWKS (and RFC 8414 metadata) and counts JWKS fetches.
pub struct Idp {
    pub url: String,
    pub keys: Arc<Mutex<Vec<Value>>>,
    pub fetches: Arc<AtomicUsize>,
    pub up: Arc<std::sync::atomic::AtomicBool>,
    _stop: oneshot::Sender<()>,
}

impl Idp {
    pub async fn start(keys: &[&Key]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let set = Arc::new(Mutex::new(
            keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>(),
        ));
        let fetches = Arc::new(AtomicUsize::new(0));
        let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let (s, f, u, issuer) = (set.clone(), fetches.clone(), up.clone(), url.clone());
        let app = Router::new()
            .route(
                "/jwks",
                get(move || {
                    let (s, f, u) = (s.clone(), f.clone(), u.clone());
                    async move {
                        f.fetch_add(1, Ordering::SeqCst);
                        if !u.load(Ordering::SeqCst) {
                            return Err(axum::http::StatusCode::SERVICE_UNAVAILABLE);
                        }
                        Ok(axum::Json(json!({ "keys": s.lock().unwrap().clone() })))
                    }
                }),
            )
            .route(
                "/.well-known/oauth-authorization-server",
                get(move || {
                    let issuer = issuer.clone();
                    async move {
                        axum::Json(
                            json!({ "issuer": issuer, "jwks_uri": format!("{issuer}/jwks") }),
                        )
                    }
                }),
            );
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Self {
            url,
            keys: set,
            fetches,
            up,
            _stop: stop,
        }
    }

    pub fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.url)
    }

    /// Settings that trust this provider for `audience` (JWKS by URL).
    pub fn validation(&self, audience: &str) -> TokenValidation {
        let mut v = TokenValidation::new(self.url.clone(), audience);
        v.jwks_uri = Some(self.jwks_uri());
        v.algorithms = vec!["ES256".into()];
        v.leeway = Duration::from_secs(30);
        v
    }

    /// Standard claims for `sub` holding `scope`, valid for an hour, for `aud`.
    pub fn claims(&self, sub: &str, scope: &str, aud: &str) -> Value {
        let now = now();
        json!({
            "iss": self.url, "sub": sub, "aud": aud, "scope": scope,
            "client_id": "test-client", "iat": now, "nbf": now, "exp": now + 3600
        })
    }
}

/// The MCP server under test: order tools with scopes, a progress tool, a slow tool.
pub fn test_server() -> mcp_runtime::ServerBuilder {
    Server::builder("http-test", "0.0.1")
        .tool(
            Tool::builder("get_order_status")
                .description("Look up an order.")
                .input_schema(json!({"type":"object","properties":{"order_id":{"type":"string"}},"required":["order_id"]}))
                .scopes(["orders:read"])
                .handler(|ctx, args| async move {
                    let id = args.get("order_id").and_then(Value::as_str).unwrap_or_default().to_owned();
                    Ok(CallToolResult::success(vec![Content::text(format!(
                        "order {id} is shipped (asked by {})",
                        ctx.caller().subject()
                    ))]))
                })
                .build(),
        )
        .tool(
            Tool::builder("cancel_order")
                .description("Cancel an order.")
                .input_schema(json!({"type":"object","properties":{"order_id":{"type":"string"}},"required":["order_id"]}))
                .scopes(["orders:write"])
                .handler(|_ctx, args| async move {
                    let id = args.get("order_id").and_then(Value::as_str).unwrap_or_default().to_owned();
                    Ok(CallToolResult::success(vec![Content::text(format!("order {id} cancelled"))]))
                })
                .build(),
        )
        .tool(
            Tool::builder("count_up")
                .description("Reports progress three times, then answers.")
                .public()
                .handler(|ctx, _args| async move {
                    for i in 1..=3 {
                        ctx.progress(f64::from(i), Some(3.0), None);
                        ctx.log(mcp_runtime::LogLevel::Info, format!("step {i}"));
                    }
                    Ok(CallToolResult::success(vec![Content::text("counted")]))
                })
                .build(),
        )
        .tool(
            Tool::builder("sleepy")
                .description("Sleeps for `ms` milliseconds.")
                .input_schema(json!({"type":"object","properties":{"ms":{"type":"integer"}}}))
                .public()
                .handler(|_ctx, args| async move {
                    let ms = args.get("ms").and_then(Value::as_u64).unwrap_or(100);
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    Ok(CallToolResult::success(vec![Content::text("rested")]))
                })
                .build(),
        )
}

/// A running MCP server.
pub struct Running {
    pub addr: SocketAddr,
    pub url: String,
    pub resource: String,
    stop: Option<oneshot::Sender<()>>,
    pub done: Option<tokio::task::JoinHandle<Result<(), mcp_runtime::transport::http::HttpError>>>,
}

impl Running {
    /// Serves `server` on a fresh loopback port; `configure` adjusts the settings (the
    /// resource URI already names the real port).
    pub async fn start(server: Server, configure: impl FnOnce(&mut HttpConfig)) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let resource = format!("http://{addr}/mcp");
        let mut config = HttpConfig::new(resource.clone());
        config.bind = addr;
        configure(&mut config);
        let (stop, stopped) = oneshot::channel::<()>();
        let done = tokio::spawn(serve_listener(listener, server, config, async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            url: resource.clone(),
            resource,
            stop: Some(stop),
            done: Some(done),
        }
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sends the shutdown signal.
    pub fn shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// `_meta` of a modern request.
pub fn meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"}
    })
}

/// A modern POST with every header right.
pub fn modern(
    client: &reqwest::Client,
    url: &str,
    id: i64,
    method: &str,
    mut params: Value,
) -> reqwest::RequestBuilder {
    let mut full = meta();
    if let Some(extra) = params.get("_meta").and_then(Value::as_object) {
        for (k, v) in extra {
            full[k] = v.clone();
        }
    }
    params["_meta"] = full;
    let mut rb = client
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", method);
    if let Some(name) = params.get("name").and_then(Value::as_str) {
        rb = rb.header("mcp-name", name);
    }
    rb.json(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
}

/// A modern `tools/call`.
pub fn call(
    client: &reqwest::Client,
    url: &str,
    id: i64,
    tool: &str,
    arguments: Value,
) -> reqwest::RequestBuilder {
    modern(
        client,
        url,
        id,
        "tools/call",
        json!({"name": tool, "arguments": arguments}),
    )
}

/// The JSON-RPC messages of an SSE body.
pub fn sse_messages(body: &str) -> Vec<Value> {
    body.split("\n\n")
        .filter_map(|event| {
            let data: Vec<&str> = event
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(str::trim_start)
                .collect();
            (!data.is_empty()).then(|| serde_json::from_str(&data.join("\n")).unwrap())
        })
        .collect()
}

/// Status, a header, and the body as JSON.
pub async fn parts(response: reqwest::Response, header: &str) -> (u16, Option<String>, Value) {
    let status = response.status().as_u16();
    let h = response
        .headers()
        .get(header)
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, h, body)
}

/// A key, an identity provider serving it, and the test server validating its tokens.
pub async fn setup_auth() -> (Idp, Key, Running) {
    let key = Key::generate("k1");
    let idp = Idp::start(&[&key]).await;
    let running = Running::start(test_server().build().unwrap(), |c| {
        c.auth = Some(idp.validation(&c.resource));
    })
    .await;
    (idp, key, running)
}

/// The `WWW-Authenticate` header a response must carry.
pub fn challenge(h: &Option<String>) -> &str {
    h.as_deref().expect("a WWW-Authenticate header")
}

/// `get_order_status` of `TN-1` on `srv` (request id 1) with `token` as the bearer token.
pub async fn lookup_as(srv: &Running, token: impl std::fmt::Display) -> reqwest::Response {
    call(
        &client(),
        &srv.url,
        1,
        "get_order_status",
        json!({"order_id": "TN-1"}),
    )
    .bearer_auth(token)
    .send()
    .await
    .unwrap()
}
