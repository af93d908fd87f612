//! What the generated code does: the `tools/list` entries, argument passing, injection,
//! outputs and error mapping, driven through a real `Server`.

use mcp_runtime::prelude::*;
use mcp_runtime::{Connection, ToolError};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

#[derive(serde::Serialize, schemars::JsonSchema)]
struct OrderView {
    id: String,
    status: String,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Filter {
    /// Only this customer.
    customer: Option<String>,
    /// At most this many.
    limit: u8,
}

/// Look up one order.
#[tool(scopes = ["orders:read"], title = "Order status", read_only, idempotent, open_world = false)]
async fn get_order_status(
    #[arg(description = "The order id, e.g. TN-1001")] order_id: String,
) -> Result<Json<OrderView>, ToolError> {
    if order_id == "TN-0" {
        return Err(ToolError::invalid_arguments("TN-0 is not an order id"));
    }
    Ok(Json(OrderView {
        id: order_id,
        status: "shipped".to_owned(),
    }))
}

/// Counts.
#[tool(public)]
async fn count(
    /// Count up to this number.
    ///
    /// At most 10.
    up_to: u8,
) -> String {
    (1..=up_to.min(10))
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The server's own credentials for a backend, injected by type (never the caller's token).
#[derive(Clone)]
struct BackendKey(&'static str);

impl<'a> mcp_runtime::extract::FromToolContext<'a> for BackendKey {
    fn from_tool_context(ctx: &'a ToolContext) -> Result<Self, ToolError> {
        ctx.state::<BackendKey>()
            .cloned()
            .ok_or_else(|| ToolError::new("no backend key"))
    }
}

/// Uses the backend.
#[tool(public)]
async fn backend(#[arg(context)] key: BackendKey, query: String) -> String {
    format!("{query} with {}", key.0)
}

mod geo {
    /// A US state, an argument despite its name.
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    pub(crate) struct State {
        pub(crate) code: String,
    }
}

/// Names a state.
#[tool(public)]
async fn state_name(#[arg(context = false)] state: geo::State) -> String {
    state.code
}

/// Who is calling.
#[tool(public, name = "whoami")]
async fn who(caller: &Caller, ctx: &ToolContext) -> String {
    format!("{} via {}", caller.subject(), ctx.tool_name())
}

/// Search orders.
#[tool(scopes = ["orders:read"])]
async fn search(#[arg(flatten)] filter: Filter) -> String {
    format!("{:?} {}", filter.customer, filter.limit)
}

/// Always fails.
#[tool(public, description = "Fails with a business error.")]
async fn failing(#[arg(rename = "why")] reason: Option<String>) -> Result<String, std::io::Error> {
    Err(std::io::Error::other(
        reason.unwrap_or_else(|| "no reason".to_owned()),
    ))
}

/// Reads shared state.
#[tool(public)]
async fn prefixed(State(prefix): State<Arc<String>>, text: String) -> Vec<Content> {
    vec![Content::text(format!("{prefix}{text}"))]
}

/// Reads state nobody configured.
#[tool(public)]
async fn unconfigured(State(n): State<u64>) -> String {
    n.to_string()
}

struct Orders {
    cancelled: Mutex<Vec<String>>,
}

#[tools]
impl Orders {
    /// Cancel an order.
    #[tool(scopes = ["orders:write", "orders:read"], destructive, idempotent = false)]
    async fn cancel_order(&self, order_id: String, reason: String) -> Result<String, ToolError> {
        self.cancelled
            .lock()
            .unwrap()
            .push(format!("{order_id}: {reason}"));
        Ok(format!("Order {order_id} is cancelled."))
    }

    /// How many orders were cancelled.
    #[tool(public, read_only)]
    async fn cancelled_count(&self) -> String {
        self.cancelled.lock().unwrap().len().to_string()
    }
}

fn server() -> (Server, Arc<Orders>) {
    let orders = Arc::new(Orders {
        cancelled: Mutex::new(Vec::new()),
    });
    let server = Server::builder("test", "1.0")
        .tool(get_order_status_tool())
        .tool(who_tool())
        .tool(count_tool())
        .tool(backend_tool())
        .tool(state_name_tool())
        .state(BackendKey("k-123"))
        .tool(search_tool())
        .tool(failing_tool())
        .tool(prefixed_tool())
        .tool(unconfigured_tool())
        .tools(Arc::clone(&orders).tools())
        .state(Arc::new(String::from("> ")))
        .build()
        .expect("valid tools");
    (server, orders)
}

async fn request(server: &Server, scopes: &[&str], method: &str, params: Value) -> Value {
    let mut params = params;
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": { "name": "test", "version": "1" }
    });
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let caller = Arc::new(Caller::local("alice", scopes.iter().copied()));
    let message = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    server
        .dispatch(&Arc::new(Connection::new()), message, &caller, &tx)
        .await
        .expect("a response")
}

async fn call(server: &Server, scopes: &[&str], name: &str, arguments: Value) -> Value {
    request(
        server,
        scopes,
        "tools/call",
        json!({ "name": name, "arguments": arguments }),
    )
    .await
}

fn listed(server: &Server, name: &str) -> Value {
    server.tools().get(name).expect("registered").to_json()
}

#[test]
fn tools_list_entries_match_the_declarations() {
    let (server, _) = server();
    assert_eq!(
        listed(&server, "get_order_status"),
        json!({
            "name": "get_order_status",
            "title": "Order status",
            "description": "Look up one order.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "order_id": { "type": "string", "description": "The order id, e.g. TN-1001" }
                },
                "required": ["order_id"],
                "additionalProperties": false
            },
            "outputSchema": {
                "title": "OrderView",
                "type": "object",
                "properties": { "id": { "type": "string" }, "status": { "type": "string" } },
                "required": ["id", "status"]
            },
            "annotations": {
                "title": "Order status",
                "readOnlyHint": true,
                "idempotentHint": true,
                "openWorldHint": false
            },
            "_meta": { "io.github.policy-mcp/access": { "scopes": ["orders:read"] } }
        })
    );
    assert_eq!(
        listed(&server, "cancel_order"),
        json!({
            "name": "cancel_order",
            "description": "Cancel an order.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "order_id": { "type": "string" },
                    "reason": { "type": "string" }
                },
                "required": ["order_id", "reason"],
                "additionalProperties": false
            },
            "annotations": { "destructiveHint": true, "idempotentHint": false },
            "_meta": { "io.github.policy-mcp/access": { "scopes": ["orders:write", "orders:read"] } }
        })
    );
    assert_eq!(
        listed(&server, "whoami"),
        json!({
            "name": "whoami",
            "description": "Who is calling.",
            "inputSchema": { "type": "object", "properties": {}, "additionalProperties": false },
            "_meta": { "io.github.policy-mcp/access": { "public": true } }
        })
    );
}

#[test]
fn optional_renamed_and_flattened_arguments() {
    let (server, _) = server();
    let failing = listed(&server, "failing");
    assert_eq!(failing["description"], "Fails with a business error.");
    assert_eq!(
        failing["inputSchema"]["properties"]["why"]["type"],
        json!(["string", "null"])
    );
    assert!(failing["inputSchema"].get("required").is_none());

    let search = listed(&server, "search")["inputSchema"].clone();
    assert_eq!(search["type"], "object");
    assert_eq!(search["title"], "Filter");
    assert_eq!(search["required"], json!(["limit"]));
    assert_eq!(
        search["properties"]["customer"]["description"],
        "Only this customer."
    );
    let count = listed(&server, "count")["inputSchema"].clone();
    assert_eq!(
        count["properties"]["up_to"]["description"],
        "Count up to this number.\n\nAt most 10."
    );
    // Context parameters are not arguments.
    let prefixed = listed(&server, "prefixed")["inputSchema"].clone();
    assert_eq!(prefixed["required"], json!(["text"]));
    assert_eq!(prefixed["properties"].as_object().unwrap().len(), 1);
}

#[tokio::test]
async fn structured_output_has_a_text_copy() {
    let (server, _) = server();
    let response = call(
        &server,
        &["orders:read"],
        "get_order_status",
        json!({ "order_id": "TN-1001" }),
    )
    .await;
    let result = &response["result"];
    assert_eq!(
        result["structuredContent"],
        json!({ "id": "TN-1001", "status": "shipped" })
    );
    let text = result["content"][0]["text"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(text).unwrap(),
        result["structuredContent"]
    );
    assert!(result.get("isError").is_none());
}

#[tokio::test]
async fn context_state_and_arguments_are_passed() {
    let (server, orders) = server();
    let response = call(&server, &[], "whoami", json!({})).await;
    assert_eq!(response["result"]["content"][0]["text"], "alice via whoami");

    let response = call(&server, &[], "backend", json!({ "query": "q" })).await;
    assert_eq!(response["result"]["content"][0]["text"], "q with k-123");
    assert_eq!(
        listed(&server, "backend")["inputSchema"]["required"],
        json!(["query"])
    );

    let response = call(
        &server,
        &[],
        "state_name",
        json!({ "state": { "code": "OR" } }),
    )
    .await;
    assert_eq!(response["result"]["content"][0]["text"], "OR");

    let response = call(&server, &[], "prefixed", json!({ "text": "hi" })).await;
    assert_eq!(response["result"]["content"][0]["text"], "> hi");

    let response = call(
        &server,
        &["orders:read"],
        "search",
        json!({ "customer": "bob@example.com", "limit": 3 }),
    )
    .await;
    assert_eq!(
        response["result"]["content"][0]["text"],
        "Some(\"bob@example.com\") 3"
    );

    let response = call(
        &server,
        &["orders:write", "orders:read"],
        "cancel_order",
        json!({ "order_id": "TN-1", "reason": "changed mind" }),
    )
    .await;
    assert_eq!(
        response["result"]["content"][0]["text"],
        "Order TN-1 is cancelled."
    );
    assert_eq!(*orders.cancelled.lock().unwrap(), ["TN-1: changed mind"]);
    let response = call(&server, &[], "cancelled_count", json!({})).await;
    assert_eq!(response["result"]["content"][0]["text"], "1");
}

#[tokio::test]
async fn errors_map_as_specified() {
    let (server, _) = server();
    // `E: Display` -> isError: true with the message.
    let response = call(&server, &[], "failing", json!({ "why": "out of stock" })).await;
    assert_eq!(response["result"]["isError"], true);
    assert_eq!(response["result"]["content"][0]["text"], "out of stock");
    let response = call(&server, &[], "failing", json!({})).await;
    assert_eq!(response["result"]["content"][0]["text"], "no reason");

    // `ToolError::invalid_arguments` -> -32602.
    let response = call(
        &server,
        &["orders:read"],
        "get_order_status",
        json!({ "order_id": "TN-0" }),
    )
    .await;
    assert_eq!(response["error"]["code"], -32602);

    // Arguments that break the generated schema -> -32602 naming the field.
    let response = call(
        &server,
        &["orders:read"],
        "get_order_status",
        json!({ "order_id": 7 }),
    )
    .await;
    assert_eq!(response["error"]["code"], -32602);
    assert!(
        response["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/order_id"),
        "{response}"
    );

    // Missing state -> isError naming the type.
    let response = call(&server, &[], "unconfigured", json!({})).await;
    assert_eq!(response["result"]["isError"], true);
    assert!(
        response["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("u64")
    );
}

#[tokio::test]
async fn declared_scopes_are_enforced() {
    let (server, _) = server();
    let response = call(
        &server,
        &["orders:read"],
        "cancel_order",
        json!({ "order_id": "TN-1", "reason": "x" }),
    )
    .await;
    assert!(response.get("error").is_some(), "{response}");
    assert!(response.get("result").is_none());
}
