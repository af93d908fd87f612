//! URL mode elicitation over an in-memory stdio pipe: in a 2025-11-25 session the request
//! carries `mode: "url"` and an `elicitationId`, needs `elicitation.url`, and its completion
//! reaches the client as `notifications/elicitation/complete`; a handler that requires one
//! fails the call with `-32042` listing it. In 2026-07-28 the same handler ends with an
//! input-required result asking for it, without the id the newer protocol does not have.

mod stdio_pipe;

use mcp_runtime::asking::{Elicited, UrlElicitation};
use mcp_runtime::{CallToolResult, Caller, Content, Server, Tool};
use serde_json::{Value, json};
use stdio_pipe::Pipe;

const URL: &str = "https://billing.example.com/connect";

fn ask() -> UrlElicitation {
    UrlElicitation::new("Connect your billing account", URL)
        .elicitation_id("bill-1")
        .key("billing")
}

fn server() -> Server {
    Server::builder("urls", "1.0.0")
        .tool(
            Tool::builder("connect")
                .description("Sends the user to the billing page, then announces completion.")
                .public()
                .handler(|ctx, _args| async move {
                    let request = ask();
                    let text = match ctx.elicit_url(request.clone()).await? {
                        Elicited::Accept(()) => {
                            if let Some(done) = ctx.url_elicitation_completion(&request) {
                                done.complete();
                            }
                            "connected"
                        }
                        other => other.action(),
                    };
                    Ok(CallToolResult::success(vec![Content::text(text)]))
                })
                .build(),
        )
        .tool(
            Tool::builder("invoices")
                .description("Needs a connected billing account.")
                .public()
                .handler(|ctx, _args| async move { Err(ctx.require_url_elicitation(ask()).into()) })
                .build(),
        )
        .build()
        .unwrap()
}

impl Pipe {
    fn open() -> Self {
        Self::start(server(), Caller::local("me", Vec::<String>::new()))
    }

    async fn legacy(capabilities: Value) -> Self {
        let mut pipe = Self::open();
        pipe.init(capabilities).await;
        pipe
    }

    async fn call(&mut self, id: i64, tool: &str, meta: Option<Value>) {
        let mut params = json!({"name": tool, "arguments": {}});
        if let Some(m) = meta {
            params["_meta"] = m;
        }
        self.send(json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":params}))
            .await;
    }
}

#[tokio::test]
async fn legacy_url_elicitation_asks_waits_for_consent_and_announces_completion() {
    let mut pipe = Pipe::legacy(json!({"elicitation": {"url": {}}})).await;
    pipe.call(1, "connect", None).await;
    let request = pipe.recv().await;
    assert_eq!(request["method"], "elicitation/create");
    assert_eq!(
        request["params"],
        json!({"mode": "url", "message": "Connect your billing account", "url": URL, "elicitationId": "bill-1"})
    );
    pipe.send(json!({"jsonrpc":"2.0","id":request["id"],"result":{"action":"accept"}}))
        .await;
    let (a, b) = (pipe.recv().await, pipe.recv().await);
    let (note, result) = if a.get("method").is_some() {
        (a, b)
    } else {
        (b, a)
    };
    assert_eq!(note["method"], "notifications/elicitation/complete");
    assert_eq!(note["params"], json!({"elicitationId": "bill-1"}));
    assert_eq!(result["result"]["content"][0]["text"], "connected");
}

#[tokio::test]
async fn url_mode_needs_the_url_capability_a_bare_elicitation_means_form_only() {
    let mut pipe = Pipe::legacy(json!({"elicitation": {}})).await;
    pipe.call(1, "connect", None).await;
    let result = pipe.recv().await;
    assert_eq!(
        result["id"], 1,
        "no request was sent to the client: {result}"
    );
    assert_eq!(result["result"]["isError"], true, "{result}");
}

#[tokio::test]
async fn a_required_url_elicitation_is_error_32042_in_a_legacy_session() {
    let mut pipe = Pipe::legacy(json!({"elicitation": {"form": {}, "url": {}}})).await;
    pipe.call(1, "invoices", None).await;
    let answer = pipe.recv().await;
    assert_eq!(answer["error"]["code"], -32042, "{answer}");
    assert_eq!(
        answer["error"]["data"]["elicitations"],
        json!([{"mode": "url", "message": "Connect your billing account", "url": URL, "elicitationId": "bill-1"}])
    );
}

#[tokio::test]
async fn a_required_url_elicitation_is_an_input_request_in_2026_07_28() {
    let mut pipe = Pipe::open();
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"url": {}}},
    });
    pipe.call(1, "invoices", Some(meta)).await;
    let answer = pipe.recv().await;
    let result = &answer["result"];
    assert_eq!(result["resultType"], "input_required", "{answer}");
    assert_eq!(
        result["inputRequests"]["billing"],
        json!({"method": "elicitation/create",
               "params": {"mode": "url", "message": "Connect your billing account", "url": URL}})
    );
    assert!(result["requestState"].is_string());
}
