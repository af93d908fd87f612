//! Hostile input over the Streamable HTTP transport (a real socket on loopback, with token
//! validation on): invalid UTF-8, very deep nesting, oversized bodies, batches, wrong types
//! for every member of `initialize` and `tools/call`, and MCP headers that disagree with the
//! body. Each gets its own typed refusal, and the next valid call still succeeds.

mod common;

use common::*;
use serde_json::{Value, json};

/// One hostile request and the answer it must get.
struct Case {
    what: &'static str,
    /// Extra headers (a modern request's headers are added unless `legacy`).
    headers: Vec<(&'static str, Vec<u8>)>,
    body: Vec<u8>,
    /// Sent on the legacy session (with `Mcp-Session-Id`) instead of as a modern request.
    legacy: bool,
    status: u16,
    /// The JSON-RPC error code, when the answer has a JSON body.
    code: Option<i64>,
}

fn case(what: &'static str, body: impl Into<Vec<u8>>, status: u16, code: Option<i64>) -> Case {
    Case {
        what,
        headers: Vec::new(),
        body: body.into(),
        legacy: false,
        status,
        code,
    }
}

impl Case {
    fn header(mut self, name: &'static str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn legacy(mut self) -> Self {
        self.legacy = true;
        self
    }
}

fn meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}
    })
}

fn call_body(params: Value) -> Vec<u8> {
    json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": params})
        .to_string()
        .into_bytes()
}

fn init_body(message: Value) -> Vec<u8> {
    message.to_string().into_bytes()
}

fn cases() -> Vec<Case> {
    let deep_array = "[".repeat(100_000);
    let deep_params = format!(
        r#"{{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{{"name":"get_order_status","arguments":{}"#,
        r#"{"a":"#.repeat(100_000)
    );
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{{"name":"get_order_status","arguments":{{"order_id":"{}"}}}}}}"#,
        "x".repeat(5 * 1024 * 1024)
    );
    let ok_init = json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "h", "version": "1"}});
    let mut init = Vec::new();
    for (what, message, status, code) in [
        (
            "initialize: params is an array",
            json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":[]}),
            400,
            -32600,
        ),
        (
            "initialize: params is a string",
            json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":"x"}),
            400,
            -32600,
        ),
        (
            "initialize: protocolVersion is a number",
            json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":5,"capabilities":{},"clientInfo":{}}}),
            200,
            -32602,
        ),
        (
            "initialize: protocolVersion is null",
            json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":null}}),
            200,
            -32602,
        ),
        (
            "initialize: protocolVersion is missing",
            json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}),
            200,
            -32602,
        ),
        (
            "initialize: jsonrpc is 1.0",
            json!({"jsonrpc":"1.0","id":1,"method":"initialize","params":ok_init}),
            400,
            -32600,
        ),
        (
            "initialize: jsonrpc is a number",
            json!({"jsonrpc":2,"id":1,"method":"initialize","params":ok_init}),
            400,
            -32600,
        ),
        (
            "initialize: id is null",
            json!({"jsonrpc":"2.0","id":null,"method":"initialize","params":ok_init}),
            400,
            -32600,
        ),
        (
            "initialize: id is fractional",
            json!({"jsonrpc":"2.0","id":1.5,"method":"initialize","params":ok_init}),
            400,
            -32600,
        ),
        (
            "initialize: id is an object",
            json!({"jsonrpc":"2.0","id":{},"method":"initialize","params":ok_init}),
            400,
            -32600,
        ),
        (
            "initialize: method is a number",
            json!({"jsonrpc":"2.0","id":1,"method":5,"params":ok_init}),
            400,
            -32600,
        ),
        (
            "initialize: inside a batch",
            json!([{"jsonrpc":"2.0","id":1,"method":"initialize","params":ok_init}]),
            400,
            -32600,
        ),
        ("an empty batch", json!([]), 400, -32600),
    ] {
        init.push(
            case(what, init_body(message), status, Some(code))
                .header("mcp-protocol-version", "2025-11-25"),
        );
    }
    let good = |extra: Value| {
        let mut p =
            json!({"name": "get_order_status", "arguments": {"order_id": "TN-1"}, "_meta": meta()});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        p
    };
    let mut calls = vec![
        case("invalid UTF-8 in the method", &b"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/\xff\xfe\"}"[..], 400, Some(-32700)),
        case("invalid UTF-8 in an argument", &b"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"get_order_status\",\"arguments\":{\"order_id\":\"\xc3\x28\"}}}"[..], 400, Some(-32700)),
        case("100 000 nested arrays", deep_array, 400, Some(-32700)),
        case("100 000 nested objects in the arguments", deep_params, 400, Some(-32700)),
        case("a 5 MiB body", huge, 413, None),
        case("not JSON", "tools/call please", 400, Some(-32700)),
        case("two JSON values", r#"{"jsonrpc":"2.0","id":9,"method":"ping"}{}"#, 400, Some(-32700)),
        case("a batch of calls", format!("[{}]", String::from_utf8(call_body(good(json!({})))).unwrap()), 400, Some(-32600)),
        case("a client response", json!({"jsonrpc":"2.0","id":9,"result":{}}).to_string(), 400, Some(-32600)),
        case("tools/call: name is a number", call_body(good(json!({"name": 5}))), 400, Some(-32020)).header("mcp-name", "5"),
        case("tools/call: arguments is a string", call_body(good(json!({"arguments": "x"}))), 200, Some(-32602)),
        case("tools/call: arguments is an array", call_body(good(json!({"arguments": []}))), 200, Some(-32602)),
        case("tools/call: an argument of the wrong type", call_body(good(json!({"arguments": {"order_id": 5}}))), 200, Some(-32602)),
        case("tools/call: a required argument missing", call_body(good(json!({"arguments": {}}))), 200, Some(-32602)),
        case("tools/call: an unknown tool", call_body(good(json!({"name": "nope"}))), 200, Some(-32602)).header("mcp-name", "nope"),
        case("tools/call: _meta protocolVersion is a number", call_body(good(json!({"_meta": {"io.modelcontextprotocol/protocolVersion": 5, "io.modelcontextprotocol/clientCapabilities": {}}}))), 400, Some(-32602)),
        case("tools/call: _meta clientCapabilities is a string", call_body(good(json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": "x"}}))), 400, Some(-32602)),
        case("tools/call: params is an array", json!({"jsonrpc":"2.0","id":9,"method":"tools/call","params":[1]}).to_string(), 400, Some(-32600)),
        case("tools/call: id is a boolean", json!({"jsonrpc":"2.0","id":true,"method":"tools/call","params":good(json!({}))}).to_string(), 400, Some(-32600)),
        case("Mcp-Method disagrees with the body", call_body(good(json!({})))  , 400, Some(-32020)).header("mcp-method", "tools/list"),
        case("Mcp-Name disagrees with the body", call_body(good(json!({}))), 400, Some(-32020)).header("mcp-name", "cancel_order"),
        case("Mcp-Name is bad base64", call_body(good(json!({}))), 400, Some(-32020)).header("mcp-name", "=?base64?***?="),
        case("Mcp-Method is not ASCII", call_body(good(json!({}))), 400, Some(-32020)).header("mcp-method", &b"tools/c\xffll"[..]),
        case("MCP-Protocol-Version disagrees with _meta", call_body(good(json!({}))), 400, Some(-32020)).header("mcp-protocol-version", "2099-01-01"),
        case("an unknown method", json!({"jsonrpc":"2.0","id":9,"method":"tools/explode","params":{"_meta": meta()}}).to_string(), 404, Some(-32601)).header("mcp-method", "tools/explode"),
    ];
    let legacy_call = |params: Value| {
        json!({"jsonrpc":"2.0","id":9,"method":"tools/call","params":params}).to_string()
    };
    calls.extend([
        case("legacy tools/call: name is a number", legacy_call(json!({"name": 5})), 200, Some(-32602)).legacy(),
        case("legacy tools/call: arguments is a number", legacy_call(json!({"name": "get_order_status", "arguments": 5})), 200, Some(-32602)).legacy(),
        case("legacy: a batch in a 2025-11-25 session", format!("[{}]", legacy_call(json!({"name": "get_order_status", "arguments": {"order_id": "TN-1"}}))), 200, Some(-32600)).legacy(),
        case("legacy: initialize again", json!({"jsonrpc":"2.0","id":9,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}).to_string(), 400, Some(-32600)).legacy(),
        case("legacy: invalid UTF-8", &b"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"\xff\"}"[..], 400, Some(-32700)).legacy(),
        case("legacy: 100 000 nested arrays", "[".repeat(100_000), 400, Some(-32700)).legacy(),
    ]);
    init.extend(calls);
    init
}

#[tokio::test]
async fn hostile_requests_get_typed_refusals_and_the_server_keeps_serving() {
    let key = Key::generate("k1");
    let idp = Idp::start(&[&key]).await;
    let srv = Running::start(test_server().build().unwrap(), |c| {
        c.auth = Some(idp.validation(&c.resource));
    })
    .await;
    let http = client();
    let token = key.sign(&idp.claims("alice", "orders:read", &srv.resource), None);
    let r = http
        .post(&srv.url)
        .bearer_auth(&token)
        .json(&json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
            "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"h","version":"1"}}}))
        .send()
        .await
        .unwrap();
    let session = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();

    let (mut tried, mut server_errors, mut wrong, mut recovered) = (0, 0, Vec::new(), 0);
    for case in cases() {
        tried += 1;
        let mut rb = http.post(&srv.url).bearer_auth(&token);
        if case.legacy {
            rb = rb
                .header("mcp-session-id", &session)
                .header("mcp-protocol-version", "2025-11-25");
        } else if !case
            .headers
            .iter()
            .any(|(n, v)| *n == "mcp-protocol-version" && v.starts_with(b"2025"))
        {
            for (name, value) in [
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/call"),
                ("mcp-name", "get_order_status"),
            ] {
                if !case.headers.iter().any(|(n, _)| *n == name) {
                    rb = rb.header(name, value);
                }
            }
        }
        for (name, value) in &case.headers {
            rb = rb.header(*name, value.as_slice());
        }
        let r = rb
            .header("content-type", "application/json")
            .body(case.body.clone())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        if status >= 500 {
            server_errors += 1;
        }
        let text = r.text().await.unwrap_or_default();
        let code = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["error"]["code"].as_i64());
        if status != case.status || (case.code.is_some() && code != case.code) {
            wrong.push(format!(
                "{}: got {status} {code:?}, want {} {:?}: {}",
                case.what,
                case.status,
                case.code,
                text.chars().take(200).collect::<String>()
            ));
        }
        // The next valid call still succeeds.
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
        let (status, _, body) = parts(r, "content-type").await;
        if status == 200 && body["result"]["content"][0]["text"].is_string() {
            recovered += 1;
        }
    }
    eprintln!(
        "battery[hostile-http]: inputs={tried} wrong-answers={} 5xx={server_errors} recovered={recovered}/{tried} crashes=0",
        wrong.len()
    );
    assert!(wrong.is_empty(), "wrong answers:\n{}", wrong.join("\n"));
    assert_eq!(server_errors, 0);
    assert_eq!(recovered, tried);
    // The session survived it all.
    let r = http
        .post(&srv.url)
        .bearer_auth(&token)
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-11-25")
        .json(&json!({"jsonrpc":"2.0","id":2,"method":"ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
