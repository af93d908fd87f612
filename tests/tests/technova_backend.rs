//! TechNova's own side: the order book is a real SQLite file, and the downstream shipping
//! service is called with the server's own credential, never with the caller's token.

use e2e::{HttpServer, StdioPeer, dev_token, http_client, technova};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A stand-in shipping service on a loopback port: answers `204` to every request and records
/// each request's head (request line and headers).
async fn shipping_service() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = vec![0u8; 16 * 1024];
            let mut head = Vec::new();
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&head).into_owned());
            let _ = socket
                .write_all(
                    b"HTTP/1.1 204 No Content\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
                )
                .await;
        }
    });
    (url, seen)
}

fn modern_call(name: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": name, "arguments": arguments,
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
    }})
}

#[tokio::test]
async fn the_shipping_service_sees_the_servers_credential_never_the_callers_token() {
    let (shipping_url, seen) = shipping_service().await;
    let server = HttpServer::technova(
        "dev",
        &[
            ("TECHNOVA_SHIPPING_URL", &shipping_url),
            ("TECHNOVA_BACKEND_SHIPPING", "server-shipping-key-42"),
        ],
    )
    .await;
    // The development minter adds the `tenant` claim the policy checks on cancellations.
    let token = dev_token("orders:read orders:write", "lead", &server.url);
    let response = http_client()
        .post(&server.url)
        .bearer_auth(&token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", "cancel_order")
        .json(&modern_call(
            "cancel_order",
            json!({"order_id": "TN-1003", "reason": "wrong address"}),
        ))
        .send()
        .await
        .expect("call");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["result"]["content"][0]["text"], "Order TN-1003 is cancelled.",
        "{body}"
    );

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "one downstream call: {seen:?}");
    let head = &seen[0];
    assert!(
        head.starts_with("POST /shipments/TN-1003/cancel "),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("authorization: bearer server-shipping-key-42"),
        "the server's own credential: {head}"
    );
    assert!(
        !head.contains(&token),
        "the caller's token never leaves the server"
    );
    assert!(
        !server.peer.stderr().contains(&token),
        "nor appears in its logs"
    );
}

#[tokio::test]
async fn the_order_book_is_a_sqlite_file_created_and_seeded_on_first_run() {
    let dir = std::env::temp_dir().join(format!("technova-e2e-db-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("orders.db");
    let _ = std::fs::remove_file(&db);
    let db_str = db.to_str().unwrap();
    let mut peer = StdioPeer::spawn(&technova(), &["serve"], &[(e2e::TECHNOVA_DB, db_str)]);
    peer.initialize("2025-11-25").await;
    let r = peer
        .request(
            1,
            "tools/call",
            json!({"name": "list_orders", "arguments": {"status": "pending"}}),
        )
        .await;
    assert_eq!(r["result"]["structuredContent"]["count"], 2, "{r}");
    peer.close_stdin();
    assert!(
        peer.wait(std::time::Duration::from_secs(10))
            .await
            .success()
    );
    assert!(db.exists(), "the database file was created");

    // Another process (here: TechNova's own store, as a second replica would) changes the
    // file; the next run of the server sees the change.
    technova::store::Store::open(&db)
        .expect("open the same file")
        .cancel("TN-1002", "cancelled by another replica")
        .expect("cancel");
    let mut peer = StdioPeer::spawn(&technova(), &["serve"], &[(e2e::TECHNOVA_DB, db_str)]);
    peer.initialize("2025-11-25").await;
    let r = peer
        .request(
            1,
            "tools/call",
            json!({"name": "get_order_status", "arguments": {"order_id": "TN-1002"}}),
        )
        .await;
    assert_eq!(
        r["result"]["structuredContent"]["status"], "cancelled",
        "{r}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
