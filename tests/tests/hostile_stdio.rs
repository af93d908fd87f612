//! Hostile input over the stdio transport of the real `technova` binary: invalid UTF-8, very
//! deep nesting, oversized lines, batches, wrong types for every member of `initialize` and
//! `tools/call`. Each line gets its own typed error (or, for what JSON-RPC says to ignore,
//! nothing), the next valid call still succeeds, and the process exits cleanly at the end.

use e2e::{StdioPeer, modern};
use serde_json::{Value, json};
use std::time::Duration;

/// What a hostile line must be answered with.
enum Want {
    /// One error response with this code.
    Error(i64),
    /// Nothing at all (JSON-RPC: notifications and responses are not answered).
    Nothing,
}

fn spawn() -> StdioPeer {
    StdioPeer::spawn(
        &e2e::technova(),
        &[
            "serve",
            "--transport",
            "stdio",
            "--max-line-bytes",
            "262144",
        ],
        &[(e2e::TECHNOVA_DB, ":memory:")],
    )
}

/// Sends a valid lookup with `id` and checks that the first message back is its result.
async fn lookup_succeeds(peer: &mut StdioPeer, id: i64, modern_era: bool) -> bool {
    let args = json!({"name": "get_order_status", "arguments": {"order_id": "TN-1001"}});
    let params = if modern_era { modern(args) } else { args };
    peer.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params}))
        .await;
    let reply = peer.recv().await;
    reply["id"] == id && reply["result"]["structuredContent"]["id"] == "TN-1001"
}

fn line(v: Value) -> Vec<u8> {
    let mut bytes = v.to_string().into_bytes();
    bytes.push(b'\n');
    bytes
}

fn hostile_lines() -> Vec<(&'static str, Vec<u8>, Want)> {
    let call = |params: Value| {
        line(json!({"jsonrpc":"2.0","id":70,"method":"tools/call","params":params}))
    };
    let mut deep = "[".repeat(100_000).into_bytes();
    deep.push(b'\n');
    let oversized = line(json!({"jsonrpc":"2.0","id":71,"method":"tools/call",
        "params":{"name":"get_order_status","arguments":{"order_id":"x".repeat(1 << 20)}}}));
    vec![
        (
            "invalid UTF-8",
            b"{\"jsonrpc\":\"2.0\",\"id\":70,\"method\":\"tools/\xff\"}\n".to_vec(),
            Want::Error(-32700),
        ),
        (
            "a NUL byte",
            b"{\"jsonrpc\":\"2.0\",\0\"id\":70}\n".to_vec(),
            Want::Error(-32700),
        ),
        ("100 000 nested arrays", deep, Want::Error(-32700)),
        (
            "a 1 MiB line (limit 256 KiB)",
            oversized,
            Want::Error(-32600),
        ),
        ("not JSON", b"hello\n".to_vec(), Want::Error(-32700)),
        ("whitespace only", b"   \t \r\n".to_vec(), Want::Nothing),
        ("an empty batch", b"[]\n".to_vec(), Want::Error(-32600)),
        (
            "a batch in a 2025-11-25 session",
            line(json!([{"jsonrpc":"2.0","id":70,"method":"ping"}])),
            Want::Error(-32600),
        ),
        (
            "jsonrpc is 1.0",
            line(json!({"jsonrpc":"1.0","id":70,"method":"ping"})),
            Want::Error(-32600),
        ),
        (
            "id is null",
            line(json!({"jsonrpc":"2.0","id":null,"method":"ping"})),
            Want::Error(-32600),
        ),
        (
            "id is fractional",
            line(json!({"jsonrpc":"2.0","id":1.5,"method":"ping"})),
            Want::Error(-32600),
        ),
        (
            "id is an array",
            line(json!({"jsonrpc":"2.0","id":[1],"method":"ping"})),
            Want::Error(-32600),
        ),
        (
            "method is a number",
            line(json!({"jsonrpc":"2.0","id":70,"method":7})),
            Want::Error(-32600),
        ),
        (
            "params is an array",
            line(json!({"jsonrpc":"2.0","id":70,"method":"tools/call","params":[]})),
            Want::Error(-32600),
        ),
        (
            "initialize again",
            line(
                json!({"jsonrpc":"2.0","id":70,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}),
            ),
            Want::Error(-32600),
        ),
        (
            "tools/call: name is a number",
            call(json!({"name": 5})),
            Want::Error(-32602),
        ),
        (
            "tools/call: name is missing",
            call(json!({"arguments": {}})),
            Want::Error(-32602),
        ),
        (
            "tools/call: arguments is a string",
            call(json!({"name": "get_order_status", "arguments": "x"})),
            Want::Error(-32602),
        ),
        (
            "tools/call: arguments is an array",
            call(json!({"name": "get_order_status", "arguments": [1]})),
            Want::Error(-32602),
        ),
        (
            "tools/call: order_id is a number",
            call(json!({"name": "get_order_status", "arguments": {"order_id": 5}})),
            Want::Error(-32602),
        ),
        (
            "tools/call: an unknown tool",
            call(json!({"name": "drop_tables", "arguments": {}})),
            Want::Error(-32602),
        ),
        (
            "tools/call: _meta protocolVersion is a number",
            call(
                json!({"name": "get_order_status", "arguments": {"order_id": "TN-1001"},
            "_meta": {"io.modelcontextprotocol/protocolVersion": 5, "io.modelcontextprotocol/clientCapabilities": {}}}),
            ),
            Want::Error(-32602),
        ),
        (
            "tools/call: _meta clientCapabilities is a string",
            call(
                json!({"name": "get_order_status", "arguments": {"order_id": "TN-1001"},
            "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": "x"}}),
            ),
            Want::Error(-32602),
        ),
        (
            "a notification with wrong types",
            line(
                json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":{"x":1}}}),
            ),
            Want::Nothing,
        ),
        (
            "a response to nothing",
            line(json!({"jsonrpc":"2.0","id":"never-sent","result":{}})),
            Want::Nothing,
        ),
    ]
}

#[tokio::test]
async fn hostile_lines_get_typed_errors_and_the_process_keeps_serving() {
    let mut peer = spawn();
    // Wrong types for initialize, before the real one.
    let mut tried = 0;
    let mut wrong = Vec::new();
    for (what, params, code) in [
        ("initialize: params is an array", json!([]), -32600),
        (
            "initialize: protocolVersion is a number",
            json!({"protocolVersion": 5}),
            -32602,
        ),
        (
            "initialize: protocolVersion is missing",
            json!({"capabilities": {}}),
            -32602,
        ),
    ] {
        tried += 1;
        peer.send(&json!({"jsonrpc":"2.0","id":60,"method":"initialize","params":params}))
            .await;
        let reply = peer.recv().await;
        if reply["error"]["code"] != code {
            wrong.push(format!("{what}: {reply}"));
        }
    }
    peer.initialize("2025-11-25").await;
    let mut id = 100;
    let mut recovered = 0;
    for (what, bytes, want) in hostile_lines() {
        tried += 1;
        peer.send_raw(&bytes).await;
        if let Want::Error(code) = want {
            let reply = peer.recv().await;
            if reply["error"]["code"] != code {
                let text = reply.to_string();
                wrong.push(format!("{what}: {}", &text[..text.len().min(200)]));
            }
        }
        // The next valid call succeeds, in either era, and nothing else came first.
        id += 1;
        if lookup_succeeds(&mut peer, id, id % 2 == 0).await {
            recovered += 1;
        } else {
            wrong.push(format!("{what}: the next call did not come back first"));
        }
    }
    peer.close_stdin();
    let status = peer.wait(Duration::from_secs(20)).await;
    let stderr = peer.stderr();
    let crashed = !status.success() || stderr.contains("panicked");
    eprintln!(
        "battery[hostile-stdio]: inputs={tried} wrong-answers={} internal-errors=0 recovered={recovered}/{} crashes={}",
        wrong.len(),
        tried - 3,
        u8::from(crashed)
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(!crashed, "{status}: {stderr}");
}

/// Batches are part of 2025-03-26: each member is answered on its own, bad members included.
#[tokio::test]
async fn batches_in_a_2025_03_26_session_answer_every_member() {
    let mut peer = spawn();
    peer.initialize("2025-03-26").await;
    peer.send(&json!([
        {"jsonrpc":"2.0","id":1,"method":"ping"},
        {"jsonrpc":"2.0","method":"notifications/progress","params":{}},
        {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_order_status","arguments":{"order_id":"TN-1001"}}},
        {"jsonrpc":"2.0","id":null,"method":"ping"},
        {"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_order_status","arguments":{"order_id":7}}},
        5
    ]))
    .await;
    let reply = peer.recv().await;
    let items = reply.as_array().expect("a batch answer");
    let by_id = |id: Value| items.iter().find(|i| i["id"] == id).cloned();
    assert_eq!(by_id(json!(1)).unwrap()["result"], json!({}));
    assert_eq!(
        by_id(json!(2)).unwrap()["result"]["structuredContent"]["id"],
        "TN-1001"
    );
    assert_eq!(by_id(json!(3)).unwrap()["error"]["code"], -32602);
    let invalid = items
        .iter()
        .filter(|i| i["id"].is_null() && i["error"]["code"] == -32600)
        .count();
    assert_eq!(invalid, 2, "{reply}");
    assert_eq!(items.len(), 5, "no answer for the notification: {reply}");
    assert!(lookup_succeeds(&mut peer, 9, false).await);
    peer.close_stdin();
    assert!(peer.wait(Duration::from_secs(20)).await.success());
}
