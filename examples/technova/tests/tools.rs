//! TechNova's tools as clients see them: names, arguments, scopes and behaviour.

use mcp_runtime::{Caller, Connection, Server};
use serde_json::{Value, json};
use std::sync::Arc;

async fn call(server: &Server, scopes: &[&str], name: &str, arguments: Value) -> Value {
    call_collecting(server, scopes, name, arguments).await.0
}

/// Calls a tool asking for progress and debug logs; returns the response and the
/// notifications sent meanwhile.
async fn call_collecting(
    server: &Server,
    scopes: &[&str],
    name: &str,
    arguments: Value,
) -> (Value, Vec<Value>) {
    let message = json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {
            "name": name, "arguments": arguments,
            "_meta": {
                "progressToken": "p1",
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
                "io.modelcontextprotocol/clientInfo": { "name": "test", "version": "1" },
                "io.modelcontextprotocol/logLevel": "debug"
            }
        }
    });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let caller = Arc::new(Caller::local("support", scopes.iter().copied()));
    let response = server
        .dispatch(&Arc::new(Connection::new()), message, &caller, &tx)
        .await
        .expect("a response");
    let mut notifications = Vec::new();
    while let Ok(n) = rx.try_recv() {
        notifications.push(n);
    }
    (response, notifications)
}

fn tool(server: &Server, name: &str) -> Value {
    server.tools().get(name).expect("registered").to_json()
}

#[test]
fn tools_keep_their_names_arguments_and_scopes() {
    let server = technova::server().unwrap();
    let names: Vec<&str> = server.tools().iter().map(|t| t.name()).collect();
    assert_eq!(
        names,
        [
            "get_order_status",
            "list_orders",
            "cancel_order",
            "export_orders_report"
        ]
    );
    let expect = [
        (
            "get_order_status",
            json!(["orders:read"]),
            json!(["order_id"]),
            json!(["order_id"]),
        ),
        (
            "list_orders",
            json!(["orders:read"]),
            json!(["customer", "status"]),
            Value::Null,
        ),
        (
            "cancel_order",
            json!(["orders:write"]),
            json!(["order_id", "reason"]),
            json!(["order_id", "reason"]),
        ),
        (
            "export_orders_report",
            json!(["reports:run"]),
            json!(["step_ms"]),
            Value::Null,
        ),
    ];
    for (name, scopes, properties, required) in expect {
        let t = tool(&server, name);
        assert_eq!(
            t["_meta"]["io.github.policy-mcp/access"]["scopes"], scopes,
            "{name}"
        );
        let props: Vec<&String> = t["inputSchema"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(json!(props), properties, "{name}");
        assert_eq!(
            t["inputSchema"]
                .get("required")
                .cloned()
                .unwrap_or(Value::Null),
            required,
            "{name}"
        );
        assert_eq!(t["inputSchema"]["additionalProperties"], false, "{name}");
    }
    let get = tool(&server, "get_order_status");
    assert_eq!(
        get["annotations"],
        json!({ "title": "Order status", "readOnlyHint": true, "idempotentHint": true, "openWorldHint": false })
    );
    assert_eq!(
        get["inputSchema"]["properties"]["order_id"],
        json!({ "type": "string", "pattern": "^TN-[0-9]+$", "description": "The order id, e.g. TN-1001" })
    );
    assert_eq!(
        get["outputSchema"]["required"],
        json!(["id", "status", "item"])
    );
    let cancel = tool(&server, "cancel_order");
    assert_eq!(cancel["annotations"]["destructiveHint"], true);
    assert_eq!(cancel["annotations"]["idempotentHint"], false);
    assert_eq!(
        cancel["inputSchema"]["properties"]["reason"]["minLength"],
        3
    );
    let report = tool(&server, "export_orders_report");
    assert_eq!(
        report["inputSchema"]["properties"]["step_ms"]["maximum"],
        10_000
    );
}

#[tokio::test]
async fn get_order_status_returns_structured_json() {
    let server = technova::server().unwrap();
    let r = call(
        &server,
        &["orders:read"],
        "get_order_status",
        json!({ "order_id": "TN-1001" }),
    )
    .await;
    let out = &r["result"]["structuredContent"];
    assert_eq!(out["id"], "TN-1001");
    assert_eq!(out["status"], "shipped");
    assert_eq!(out["tracking"], "1Z999AA10123456784");
    let text = r["result"]["content"][0]["text"].as_str().unwrap();
    assert_eq!(&serde_json::from_str::<Value>(text).unwrap(), out);

    let r = call(
        &server,
        &["orders:read"],
        "get_order_status",
        json!({ "order_id": "TN-9999" }),
    )
    .await;
    assert_eq!(r["result"]["isError"], true);
    assert_eq!(
        r["result"]["content"][0]["text"],
        "No order with id TN-9999."
    );

    let r = call(
        &server,
        &["orders:read"],
        "get_order_status",
        json!({ "order_id": "1001" }),
    )
    .await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
}

#[tokio::test]
async fn list_orders_filters() {
    let server = technova::server().unwrap();
    let r = call(&server, &["orders:read"], "list_orders", json!({})).await;
    let all = r["result"]["structuredContent"]["count"].as_u64().unwrap();
    assert!(all >= 2);
    let r = call(
        &server,
        &["orders:read"],
        "list_orders",
        json!({ "status": "pending" }),
    )
    .await;
    let out = &r["result"]["structuredContent"];
    assert!(out["count"].as_u64().unwrap() < all);
    for order in out["orders"].as_array().unwrap() {
        assert_eq!(order["status"], "pending");
    }
    let r = call(
        &server,
        &["orders:read"],
        "list_orders",
        json!({ "customer": "ADA@example.com" }),
    )
    .await;
    for order in r["result"]["structuredContent"]["orders"]
        .as_array()
        .unwrap()
    {
        assert_eq!(order["customer"], "ada@example.com");
    }
    let r = call(
        &server,
        &["orders:read"],
        "list_orders",
        json!({ "status": "lost" }),
    )
    .await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
}

#[tokio::test]
async fn cancel_order_needs_its_scope_and_a_reason() {
    let server = technova::server().unwrap();
    let args = json!({ "order_id": "TN-1002", "reason": "changed my mind" });
    let denied = call(&server, &["orders:read"], "cancel_order", args.clone()).await;
    assert!(denied.get("result").is_none(), "{denied}");
    let short = call(
        &server,
        &["orders:write"],
        "cancel_order",
        json!({ "order_id": "TN-1002", "reason": "no" }),
    )
    .await;
    assert_eq!(short["error"]["code"], -32602, "{short}");
    let r = call(&server, &["orders:write"], "cancel_order", args.clone()).await;
    assert_eq!(
        r["result"]["content"][0]["text"],
        "Order TN-1002 is cancelled."
    );
    let again = call(&server, &["orders:write"], "cancel_order", args).await;
    assert_eq!(again["result"]["isError"], true);
    let shipped = call(
        &server,
        &["orders:write"],
        "cancel_order",
        json!({ "order_id": "TN-1001", "reason": "too late" }),
    )
    .await;
    assert_eq!(shipped["result"]["isError"], true);
}

#[tokio::test]
async fn export_orders_report_reports_progress_and_logs() {
    let server = technova::server().unwrap();
    let (r, notifications) = call_collecting(
        &server,
        &["reports:run"],
        "export_orders_report",
        json!({ "step_ms": 0 }),
    )
    .await;
    let out = &r["result"]["structuredContent"];
    let total = out["orders"].as_u64().unwrap();
    let counted: u64 = out["by_status"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(counted, total);
    let progress: Vec<&Value> = notifications
        .iter()
        .filter(|n| n["method"] == "notifications/progress")
        .collect();
    assert_eq!(progress.len() as u64, total);
    assert_eq!(
        progress.last().unwrap()["params"]["progress"],
        json!(total as f64)
    );
    assert!(
        notifications
            .iter()
            .any(|n| n["method"] == "notifications/message")
    );

    let r = call(
        &server,
        &["reports:run"],
        "export_orders_report",
        json!({ "step_ms": 20_000 }),
    )
    .await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
}
