//! Property tests of the wire: arbitrary bytes and arbitrary JSON thrown at the byte-level
//! parse and JSON-RPC classification of both transports (the HTTP router, in process, with
//! and without authentication; the stdio loop over an in-memory pipe). Never a panic, never a
//! `5xx`; always a typed error or a valid answer, in JSON-RPC form. (The classifier itself,
//! crate-private, has its own property test in `jsonrpc.rs`.)

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Key, test_server};
use mcp_runtime::Caller;
use mcp_runtime::auth::TokenValidation;
use mcp_runtime::transport::http::{HttpConfig, router};
use mcp_runtime::transport::stdio::{StdioConfig, serve};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::AsyncReadExt as _;
use tower::ServiceExt as _;

const WORDS: &[&str] = &[
    "2.0",
    "1.0",
    "initialize",
    "tools/call",
    "tools/list",
    "resources/read",
    "prompts/get",
    "server/discover",
    "ping",
    "notifications/cancelled",
    "notifications/initialized",
    "logging/setLevel",
    "get_order_status",
    "count_up",
    "2026-07-28",
    "2025-11-25",
    "2025-03-26",
    "io.modelcontextprotocol/protocolVersion",
    "io.modelcontextprotocol/clientCapabilities",
    "",
];

const KEYS: &[&str] = &[
    "jsonrpc",
    "id",
    "method",
    "params",
    "result",
    "error",
    "code",
    "message",
    "_meta",
    "name",
    "arguments",
    "uri",
    "protocolVersion",
    "capabilities",
    "clientInfo",
    "cursor",
    "requestId",
    "level",
    "progressToken",
    "io.modelcontextprotocol/protocolVersion",
    "io.modelcontextprotocol/clientCapabilities",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(WORDS).prop_map(str::to_owned),
        ".{0,12}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(KEYS).prop_map(str::to_owned),
        1 => "[a-z_/.]{0,10}",
    ]
}

/// Any JSON value, biased towards the words and keys MCP uses.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
        word().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(key(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON-RPC message with each member present or not, of the right type or not.
fn near_miss() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop_oneof![Just(json!("2.0")), json_value()]),
        prop::option::of(prop_oneof![
            any::<i64>().prop_map(Value::from),
            word().prop_map(Value::String),
            json_value()
        ]),
        prop::option::of(prop_oneof![word().prop_map(Value::String), json_value()]),
        prop::option::of(json_value()),
        prop::option::of(json_value()),
        prop::option::of(json_value()),
    )
        .prop_map(|(jsonrpc, id, method, params, result, error)| {
            let mut m = Map::new();
            for (k, v) in [
                ("jsonrpc", jsonrpc),
                ("id", id),
                ("method", method),
                ("params", params),
                ("result", result),
                ("error", error),
            ] {
                if let Some(v) = v {
                    m.insert(k.to_owned(), v);
                }
            }
            Value::Object(m)
        })
}

/// Bytes a transport may receive: raw bytes, JSON text, or a near-miss message, sometimes
/// cut short or wrapped in a batch.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..256),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        near_miss().prop_map(|v| v.to_string().into_bytes()),
        vec(near_miss(), 0..4).prop_map(|v| Value::Array(v).to_string().into_bytes()),
        (near_miss(), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let text = v.to_string().into_bytes();
            let at = cut.index(text.len() + 1);
            text[..at].to_vec()
        }),
    ]
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// A JSON-RPC error response: version, an id that is null, a string or an integer, and an
/// integer code.
fn assert_error_response(v: &Value) {
    assert_eq!(v["jsonrpc"], "2.0", "{v}");
    assert!(
        v["id"].is_null() || v["id"].is_string() || v["id"].is_i64(),
        "{v}"
    );
    assert!(v["error"]["code"].is_i64(), "{v}");
    assert!(v["error"]["message"].is_string(), "{v}");
}

/// Checks one HTTP answer: never `5xx`; a JSON body is a JSON-RPC message (an error
/// response when the status is not `2xx`); an SSE body carries JSON-RPC messages.
async fn check_answer(response: axum::response::Response) -> StatusCode {
    let status = response.status();
    assert!(!status.is_server_error(), "{status}");
    let json = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v == "application/json");
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    if json {
        let v: Value = serde_json::from_slice(&bytes).expect("a JSON body");
        if !status.is_success() {
            assert_error_response(&v);
        } else {
            assert!(v.is_object() || v.is_array(), "{v}");
        }
    } else if !bytes.is_empty() && status.is_success() {
        let text = String::from_utf8(bytes.to_vec()).expect("SSE is UTF-8");
        for data in text.lines().filter_map(|l| l.strip_prefix("data: ")) {
            let v: Value = serde_json::from_str(data).expect("SSE data is JSON");
            assert_eq!(v["jsonrpc"], "2.0");
        }
    }
    status
}

const HEADER_NAMES: &[&str] = &[
    "mcp-protocol-version",
    "mcp-method",
    "mcp-name",
    "mcp-session-id",
    "authorization",
    "accept",
    "content-type",
    "origin",
    "last-event-id",
];

/// Header values: the words MCP uses, or visible ASCII and `obs-text` bytes.
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        word().prop_map(String::into_bytes),
        Just(b"Bearer ".to_vec()),
        "Bearer [A-Za-z0-9._-]{0,40}".prop_map(String::into_bytes),
        Just(b"=?base64?Z2V0X29yZGVyX3N0YXR1cw==?=".to_vec()),
        vec(prop_oneof![0x20u8..0x7f, 0x80u8..=0xff], 0..40),
    ]
}

/// An HTTP request: method, headers, body.
type RawRequest = (String, Vec<(String, Vec<u8>)>, Vec<u8>);

fn http_request() -> impl Strategy<Value = RawRequest> {
    (
        prop_oneof![
            4 => Just("POST".to_owned()),
            1 => Just("GET".to_owned()),
            1 => Just("DELETE".to_owned()),
            1 => Just("OPTIONS".to_owned()),
        ],
        vec(
            (
                proptest::sample::select(HEADER_NAMES).prop_map(str::to_owned),
                header_value(),
            ),
            0..6,
        ),
        body(),
    )
}

/// A well-formed 2026-07-28 envelope (headers agreeing with the body) around a method and
/// arguments of any shape, so the dispatcher itself sees arbitrary params.
fn modern_envelope() -> impl Strategy<Value = RawRequest> {
    (
        proptest::sample::select(WORDS),
        prop::option::of(word()),
        btree_map(key(), json_value(), 0..4),
    )
        .prop_map(|(method, name, extra)| {
            let mut params: Map<String, Value> = extra.into_iter().collect();
            params.insert(
                "_meta".into(),
                json!({
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {}
                }),
            );
            let mut headers = vec![
                ("mcp-protocol-version".to_owned(), b"2026-07-28".to_vec()),
                ("mcp-method".to_owned(), method.as_bytes().to_vec()),
                ("content-type".to_owned(), b"application/json".to_vec()),
            ];
            if let Some(name) = name {
                params.insert("name".into(), json!(name));
                params.insert("uri".into(), json!(name));
                headers.push(("mcp-name".to_owned(), name.into_bytes()));
            }
            let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
            ("POST".to_owned(), headers, body.to_string().into_bytes())
        })
}

fn build_request(
    method: &str,
    path: &str,
    headers: &[(String, Vec<u8>)],
    body: Vec<u8>,
) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1");
    for (name, value) in headers {
        if let Ok(v) = axum::http::HeaderValue::from_bytes(value) {
            b = b.header(name.as_str(), v);
        }
    }
    b.body(Body::from(body)).unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn http_bytes_and_headers_get_typed_answers() {
    let rt = rt();
    let key = Key::generate("k1");
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, json!({"keys": [key.jwk]}).to_string()).unwrap();
    let open = {
        let _guard = rt.enter();
        router(test_server().build().unwrap(), HttpConfig::default()).unwrap()
    };
    let guarded = {
        let _guard = rt.enter();
        let mut config = HttpConfig::default();
        let mut auth = TokenValidation::new("https://issuer.example", &config.resource);
        auth.jwks_uri = Some(jwks.display().to_string());
        auth.algorithms = vec!["ES256".into()];
        config.auth = Some(auth);
        router(test_server().build().unwrap(), config).unwrap()
    };
    let tried = AtomicUsize::new(0);
    let statuses = std::sync::Mutex::new(std::collections::BTreeMap::<u16, usize>::new());
    runner(800)
        .run(
            &(
                prop_oneof![http_request(), modern_envelope()],
                proptest::bool::weighted(0.3),
                proptest::bool::weighted(0.2),
            ),
            |((method, headers, body), with_auth, metadata)| {
                tried.fetch_add(1, Ordering::Relaxed);
                let path = if metadata {
                    "/.well-known/oauth-protected-resource/mcp"
                } else {
                    "/mcp"
                };
                let app = if with_auth { &guarded } else { &open };
                let request = build_request(&method, path, &headers, body);
                let status = rt.block_on(async {
                    let response = app.clone().oneshot(request).await.unwrap();
                    check_answer(response).await
                });
                *statuses.lock().unwrap().entry(status.as_u16()).or_default() += 1;
                Ok(())
            },
        )
        .unwrap();
    eprintln!(
        "battery[http-bytes]: inputs={} statuses={:?} 5xx=0 panics=0",
        tried.into_inner(),
        statuses.into_inner().unwrap()
    );
}

#[test]
fn stdio_bytes_get_typed_answers() {
    let rt = rt();
    let tried = AtomicUsize::new(0);
    let lines_out = AtomicUsize::new(0);
    let input = vec(
        prop_oneof![
            body(),
            Just(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-03-26\",\"capabilities\":{},\"clientInfo\":{\"name\":\"p\",\"version\":\"1\"}}}".to_vec()),
        ],
        1..8,
    );
    runner(300)
        .run(&input, |messages| {
            tried.fetch_add(1, Ordering::Relaxed);
            let mut bytes = Vec::new();
            for m in messages {
                bytes.extend(m.into_iter().filter(|b| *b != b'\n'));
                bytes.push(b'\n');
            }
            let out = rt.block_on(async move {
                let (writer, mut reader) = tokio::io::duplex(1 << 16);
                let config = StdioConfig {
                    max_line_bytes: 4096,
                    ..StdioConfig::default()
                };
                let served = tokio::spawn(serve(
                    test_server().build().unwrap(),
                    Caller::local("local", ["orders:read"]),
                    config,
                    tokio::io::BufReader::new(std::io::Cursor::new(bytes)),
                    writer,
                ));
                let mut out = String::new();
                reader.read_to_string(&mut out).await.unwrap();
                served.await.unwrap().unwrap();
                out
            });
            for line in out.lines() {
                let v: Value = serde_json::from_str(line).expect("stdout carries JSON only");
                match &v {
                    Value::Array(items) => {
                        items.iter().for_each(|i| assert_eq!(i["jsonrpc"], "2.0"))
                    }
                    other => assert_eq!(other["jsonrpc"], "2.0", "{other}"),
                }
                lines_out.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "battery[stdio-bytes]: inputs={} answers={} panics=0",
        tried.into_inner(),
        lines_out.into_inner()
    );
}
