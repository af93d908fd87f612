//! The real `technova` binary over stdio: both eras' handshakes, tools, malformed input,
//! cancellation, concurrency and shutdown.

use e2e::{StdioPeer, modern};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn tool_names(result: &Value) -> Vec<String> {
    result["tools"]
        .as_array()
        .expect("tools array")
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn legacy_handshake_echoes_supported_versions_and_falls_back_otherwise() {
    for (asked, answered) in [
        ("2025-11-25", "2025-11-25"),
        ("2025-06-18", "2025-06-18"),
        ("2025-03-26", "2025-03-26"),
        ("2024-01-01", "2025-11-25"),
        ("2026-07-28", "2025-11-25"),
    ] {
        let mut peer = StdioPeer::technova(&[]);
        let init = peer.initialize(asked).await;
        assert_eq!(init["protocolVersion"], answered, "asked {asked}");
        assert_eq!(init["serverInfo"]["name"], "technova-orders");
        assert!(init["capabilities"]["tools"].is_object());
        assert!(
            init.get("resultType").is_none(),
            "legacy results carry no resultType"
        );
        let ping = peer.request(1, "ping", json!({})).await;
        assert_eq!(ping["result"], json!({}), "ping answers exactly {{}}");
    }
}

#[tokio::test]
async fn legacy_list_and_call() {
    let mut peer = StdioPeer::technova(&[]);
    peer.initialize("2025-11-25").await;
    let list = peer.request(1, "tools/list", json!({})).await;
    let names = tool_names(&list["result"]);
    assert!(names.contains(&"get_order_status".to_owned()), "{names:?}");
    assert!(
        list["result"].get("ttlMs").is_none(),
        "no caching hints in the legacy era"
    );
    let tool = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "get_order_status")
        .unwrap();
    assert_eq!(tool["inputSchema"]["type"], "object");
    assert_eq!(tool["annotations"]["readOnlyHint"], true);

    let call = peer
        .request(
            2,
            "tools/call",
            json!({"name": "get_order_status", "arguments": {"order_id": "TN-1001"}}),
        )
        .await;
    let result = &call["result"];
    assert_eq!(result["structuredContent"]["status"], "shipped", "{call}");
    assert_eq!(result["structuredContent"]["id"], "TN-1001");
    let text: Value = serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(
        text, result["structuredContent"],
        "the text block mirrors the structured content"
    );

    let missing = peer
        .request(
            3,
            "tools/call",
            json!({"name": "get_order_status", "arguments": {"order_id": "TN-9999"}}),
        )
        .await;
    assert_eq!(
        missing["result"]["isError"], true,
        "a business error is a tool result: {missing}"
    );
    assert!(
        missing["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("TN-9999")
    );
}

#[tokio::test]
async fn modern_discover_list_and_call_without_handshake() {
    let mut peer = StdioPeer::technova(&[]);
    let discover = peer.request(1, "server/discover", modern(json!({}))).await;
    let result = &discover["result"];
    assert_eq!(result["supportedVersions"], json!(["2026-07-28"]));
    assert_eq!(result["resultType"], "complete");
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "technova-orders"
    );
    assert!(result["ttlMs"].as_u64().is_some() && result["cacheScope"].is_string());

    let list = peer.request(2, "tools/list", modern(json!({}))).await;
    assert_eq!(list["result"]["resultType"], "complete");
    assert!(list["result"]["ttlMs"].as_u64().is_some());
    assert_eq!(
        list["result"]["cacheScope"], "private",
        "the list depends on the caller"
    );
    assert!(tool_names(&list["result"]).contains(&"list_orders".to_owned()));

    let call = peer
        .request(
            3,
            "tools/call",
            modern(json!({"name": "list_orders", "arguments": {"customer": "ada@example.com"}})),
        )
        .await;
    assert_eq!(call["result"]["structuredContent"]["count"], 2, "{call}");
    assert_eq!(call["result"]["resultType"], "complete");
}

#[tokio::test]
async fn modern_meta_is_validated() {
    let mut peer = StdioPeer::technova(&[]);
    let no_meta = peer.request(1, "server/discover", json!({})).await;
    assert_eq!(no_meta["error"]["code"], -32602, "{no_meta}");
    let no_caps = peer
        .request(
            2,
            "tools/list",
            json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}),
        )
        .await;
    assert_eq!(no_caps["error"]["code"], -32602, "{no_caps}");
    let unsupported = peer
        .request(
            3,
            "server/discover",
            json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "v999.0.0", "io.modelcontextprotocol/clientCapabilities": {}}}),
        )
        .await;
    assert_eq!(unsupported["error"]["code"], -32022);
    assert_eq!(unsupported["error"]["data"]["requested"], "v999.0.0");
    assert_eq!(
        unsupported["error"]["data"]["supported"],
        json!(["2026-07-28"])
    );
    for legacy_only in [
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "unknown/method",
    ] {
        let r = peer.request(4, legacy_only, modern(json!({}))).await;
        assert_eq!(r["error"]["code"], -32601, "{legacy_only}: {r}");
    }
}

#[tokio::test]
async fn probe_with_discover_then_fall_back_to_initialize() {
    let mut peer = StdioPeer::technova(&[]);
    // A client that only knows a future modern version probes, gets -32022, and falls back.
    let probe = peer
        .request(
            1,
            "server/discover",
            json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2027-01-01", "io.modelcontextprotocol/clientCapabilities": {}}}),
        )
        .await;
    assert_eq!(probe["error"]["code"], -32022);
    let init = peer.initialize("2025-11-25").await;
    assert_eq!(init["protocolVersion"], "2025-11-25");
    let list = peer.request(2, "tools/list", json!({})).await;
    assert!(!tool_names(&list["result"]).is_empty());
}

#[tokio::test]
async fn malformed_input_gets_errors_and_the_server_lives_on() {
    let mut peer = StdioPeer::technova(&[]);
    peer.send_raw(b"{not json\n").await;
    let parse = peer.recv().await;
    assert_eq!(parse["error"]["code"], -32700);
    assert_eq!(parse["id"], Value::Null);

    peer.send_raw(&[0xff, 0xfe, b'\n']).await;
    assert_eq!(
        peer.recv().await["error"]["code"],
        -32700,
        "invalid UTF-8 is a parse error"
    );

    peer.send(&json!({"jsonrpc": "2.0", "id": null, "method": "ping"}))
        .await;
    let null_id = peer.recv().await;
    assert_eq!(null_id["error"]["code"], -32600);
    assert_eq!(null_id["id"], Value::Null);

    peer.send(&json!({"jsonrpc": "1.0", "id": 5, "method": "ping"}))
        .await;
    let wrong_version = peer.recv().await;
    assert_eq!(wrong_version["error"]["code"], -32600);
    assert_eq!(wrong_version["id"], 5);

    peer.send(&json!([{"jsonrpc": "2.0", "id": 6, "method": "ping"}]))
        .await;
    assert_eq!(
        peer.recv().await["error"]["code"],
        -32600,
        "no batches outside a 2025-03-26 session"
    );

    peer.initialize("2025-11-25").await;
    let unknown = peer.request(7, "no/such/method", json!({})).await;
    assert_eq!(unknown["error"]["code"], -32601);
    let unknown_tool = peer.request(8, "tools/call", json!({"name": "nope"})).await;
    assert_eq!(unknown_tool["error"]["code"], -32602);
    let wrong_type = peer
        .request(
            9,
            "tools/call",
            json!({"name": "get_order_status", "arguments": {"order_id": 42}}),
        )
        .await;
    assert_eq!(wrong_type["error"]["code"], -32602);
    assert!(
        wrong_type["error"]["message"]
            .as_str()
            .unwrap()
            .contains("order_id"),
        "{wrong_type}"
    );
    let missing_arg = peer
        .request(
            10,
            "tools/call",
            json!({"name": "get_order_status", "arguments": {}}),
        )
        .await;
    assert_eq!(missing_arg["error"]["code"], -32602);
    assert!(
        missing_arg["error"]["message"]
            .as_str()
            .unwrap()
            .contains("order_id"),
        "{missing_arg}"
    );
    let args_not_object = peer
        .request(
            11,
            "tools/call",
            json!({"name": "list_orders", "arguments": [1]}),
        )
        .await;
    assert_eq!(args_not_object["error"]["code"], -32602);
    let bad_level = peer
        .request(12, "logging/setLevel", json!({"level": "loud"}))
        .await;
    assert_eq!(bad_level["error"]["code"], -32602);

    // A notification is never answered: the next line is the ping's response.
    peer.send(&json!({"jsonrpc": "2.0", "method": "notifications/whatever"}))
        .await;
    let pong = peer.request(13, "ping", json!({})).await;
    assert_eq!(pong["result"], json!({}));
}

#[tokio::test]
async fn batches_are_accepted_in_a_2025_03_26_session() {
    let mut peer = StdioPeer::technova(&[]);
    peer.initialize("2025-03-26").await;
    peer.send(&json!([
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "method": "notifications/whatever"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    ]))
    .await;
    let batch = peer.recv().await;
    let responses = batch.as_array().expect("a batch answer is an array");
    assert_eq!(
        responses.len(),
        2,
        "the notification gets no response: {batch}"
    );
    let mut ids: Vec<i64> = responses
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, [1, 2]);
}

#[tokio::test]
async fn oversized_line_is_refused_and_the_server_lives_on() {
    let mut peer = StdioPeer::technova(&["--max-line-bytes", "1024"]);
    let huge = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{{\"pad\":\"{}\"}}}}\n",
        "x".repeat(200_000)
    );
    peer.send_raw(huge.as_bytes()).await;
    let refused = peer.recv().await;
    assert_eq!(refused["error"]["code"], -32600, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1024")
    );
    let pong = peer.request(2, "ping", json!({})).await;
    assert_eq!(pong["result"], json!({}));
}

#[tokio::test]
async fn a_slow_call_does_not_delay_ping_and_reports_progress() {
    let mut peer = StdioPeer::technova(&[]);
    peer.initialize("2025-11-25").await;
    peer.send(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "export_orders_report", "arguments": {"step_ms": 300}, "_meta": {"progressToken": "report-1"}
    }}))
    .await;
    let started = Instant::now();
    peer.send(&json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}))
        .await;
    let (pong, _) = peer.recv_response(&json!(2)).await;
    assert_eq!(pong["result"], json!({}));
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "ping waited for the slow tool"
    );

    let (report, notes) = peer.recv_response(&json!(1)).await;
    assert_eq!(
        report["result"]["structuredContent"]["orders"], 7,
        "{report}"
    );
    let progress: Vec<f64> = notes
        .iter()
        .filter(|n| n["method"] == "notifications/progress")
        .map(|n| {
            assert_eq!(n["params"]["progressToken"], "report-1");
            n["params"]["progress"].as_f64().unwrap()
        })
        .collect();
    assert!(progress.len() >= 3, "{notes:?}");
    assert!(
        progress.windows(2).all(|w| w[0] < w[1]),
        "progress increases: {progress:?}"
    );
}

#[tokio::test]
async fn cancellation_drops_the_call_and_sends_no_response() {
    let mut peer = StdioPeer::technova(&[]);
    peer.initialize("2025-11-25").await;
    peer.send(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "export_orders_report", "arguments": {"step_ms": 400}, "_meta": {"progressToken": 9}
    }}))
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    peer.send(&json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1, "reason": "user"}}))
        .await;
    peer.send(&json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}))
        .await;
    let (_, before) = peer.recv_response(&json!(2)).await;
    // Nothing for request 1 may follow: wait past the time the report would have needed.
    peer.send(
        &json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
            "name": "export_orders_report", "arguments": {"step_ms": 500}
        }}),
    )
    .await;
    let (later, after) = peer.recv_response(&json!(3)).await;
    assert!(later["result"]["structuredContent"].is_object());
    for message in before.iter().chain(&after) {
        assert_ne!(
            message.get("id"),
            Some(&json!(1)),
            "a cancelled request got a response: {message}"
        );
    }
    let late_progress = after
        .iter()
        .filter(|n| n["params"]["progressToken"] == 9)
        .count();
    assert_eq!(
        late_progress, 0,
        "progress continued after cancellation: {after:?}"
    );
}

#[tokio::test]
async fn stdout_carries_only_json_and_eof_exits_cleanly() {
    let mut peer = StdioPeer::technova(&[]);
    peer.initialize("2025-11-25").await;
    let _ = peer.request(1, "tools/list", json!({})).await;
    peer.close_stdin();
    let status = peer.wait(Duration::from_secs(10)).await;
    assert!(status.success(), "exit status {status}");
    assert!(
        peer.stderr().contains("serving MCP over stdio"),
        "logs go to stderr:\n{}",
        peer.stderr()
    );
}

#[tokio::test]
async fn eof_with_a_slow_call_in_flight_exits_promptly() {
    let mut peer = StdioPeer::technova(&[]);
    peer.initialize("2025-11-25").await;
    peer.send(
        &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "export_orders_report", "arguments": {"step_ms": 10000}
        }}),
    )
    .await;
    peer.close_stdin();
    let started = Instant::now();
    let status = peer.wait(Duration::from_secs(10)).await;
    assert!(status.success());
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
}

/// The lines a legacy client sends first: `initialize`, `notifications/initialized`, `ping`.
#[cfg(unix)]
fn handshake_and_ping() -> String {
    [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "stdio-kinds", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}),
    ]
    .iter()
    .map(|m| format!("{m}\n"))
    .collect()
}

/// Checks the two responses to [`handshake_and_ping`], read from `output`.
#[cfg(unix)]
fn assert_handshake_and_ping(output: impl std::io::BufRead) {
    let responses: Vec<Value> = output
        .lines()
        .take(2)
        .map(|l| serde_json::from_str(&l.expect("a line")).expect("JSON"))
        .collect();
    assert_eq!(responses.len(), 2, "{responses:?}");
    assert_eq!(
        responses[0]["result"]["serverInfo"]["name"], "technova-orders",
        "{responses:?}"
    );
    assert_eq!(
        responses[1],
        json!({"jsonrpc": "2.0", "id": 2, "result": {}})
    );
}

/// Clients spawn servers with pipes (Python) or Unix socket pairs (Node.js); the server
/// reads and writes both directly. Any other kind of stream, a file here, goes through
/// blocking threads, and is served the same.
#[cfg(unix)]
#[test]
fn stdio_is_served_over_sockets_and_files_as_over_pipes() {
    use std::io::{BufReader, Write as _};
    use std::os::fd::OwnedFd;
    use std::os::unix::net::UnixStream;
    use std::process::{Command, Stdio};

    // stdin and stdout are each one end of a Unix socket pair.
    let (mut to_server, server_in) = UnixStream::pair().unwrap();
    let (from_server, server_out) = UnixStream::pair().unwrap();
    from_server
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let child = Command::new(e2e::technova())
        .arg("serve")
        .current_dir(e2e::workspace_root())
        .env(e2e::TECHNOVA_DB, ":memory:")
        .env("RUST_LOG", "mcp_runtime::transport::stdio=debug")
        .stdin(Stdio::from(OwnedFd::from(server_in)))
        .stdout(Stdio::from(OwnedFd::from(server_out)))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    to_server
        .write_all(handshake_and_ping().as_bytes())
        .unwrap();
    assert_handshake_and_ping(BufReader::new(&from_server));
    drop(to_server);
    let exit = child.wait_with_output().unwrap();
    assert!(exit.status.success(), "exits at end of input");
    let log = String::from_utf8_lossy(&exit.stderr);
    assert!(log.contains("serving MCP over stdio"), "{log}");
    assert!(
        !log.contains("blocking thread"),
        "sockets are used directly: {log}"
    );

    // stdin is a file: the messages, then end of input.
    let input = std::env::temp_dir().join(format!("stdio-kinds-{}.jsonl", std::process::id()));
    std::fs::write(&input, handshake_and_ping()).unwrap();
    let output = Command::new(e2e::technova())
        .arg("serve")
        .current_dir(e2e::workspace_root())
        .env(e2e::TECHNOVA_DB, ":memory:")
        .env("RUST_LOG", "mcp_runtime::transport::stdio=debug")
        .stdin(std::fs::File::open(&input).unwrap())
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&input);
    assert!(output.status.success());
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("stdin is read on a blocking thread"), "{log}");
    assert!(
        !log.contains("stdout is written on a blocking thread"),
        "a pipe: {log}"
    );
    assert_handshake_and_ping(&output.stdout[..]);
}
