//! Asking the client, through the dispatcher over an in-memory stdio pipe: the same handler
//! sends `elicitation/create` and waits for the answer in a 2025-11-25 session, and returns
//! input-required results with a sealed `requestState` in 2026-07-28; tampered, foreign and
//! expired states are refused.

mod stdio_pipe;

use mcp_runtime::asking::{Elicitation, Elicited};
use mcp_runtime::registry::{Resource, ResourceContents, ResourceError};
use mcp_runtime::transport::stdio::{StdioConfig, serve};
use mcp_runtime::{CallToolResult, Caller, Content, Server, Tool, ToolError};
use serde_json::{Value, json};
use std::time::Duration;
use stdio_pipe::Pipe;
use tokio::io::{AsyncBufReadExt, BufReader};

const KEY: [u8; 32] = [42; 32];

fn name_form(key: &str, message: &str) -> Elicitation {
    let schema = json!({
        "type": "object",
        "properties": { "name": { "type": "string" } },
        "required": ["name"],
    });
    Elicitation::form(message, schema).key(key)
}

fn server(ttl: Duration) -> Server {
    Server::builder("test", "1.0.0")
        .request_state_key(KEY)
        .request_state_ttl(ttl)
        .tool(
            Tool::builder("greet")
                .description("Asks for a name, then greets.")
                .public()
                .input_schema(json!({"type": "object", "properties": {"n": {"type": "integer"}}}))
                .handler(|ctx, _args| async move {
                    let answer = ctx
                        .elicit::<Value>(name_form("who", "Who are you?"))
                        .await?;
                    let text = match answer {
                        Elicited::Accept(c) => {
                            format!("Hello, {}!", c["name"].as_str().unwrap_or("?"))
                        }
                        other => format!("No name ({})", other.action()),
                    };
                    Ok(CallToolResult::success(vec![Content::text(text)]))
                })
                .build(),
        )
        .tool(
            Tool::builder("two_steps")
                .description("Asks twice, one round each.")
                .public()
                .handler(|ctx, _args| async move {
                    let first = ctx.elicit::<Value>(name_form("first", "First?")).await?;
                    let second = ctx.elicit::<Value>(name_form("second", "Second?")).await?;
                    let name = |e: &Elicited<Value>| match e {
                        Elicited::Accept(c) => c["name"].as_str().unwrap_or("?").to_owned(),
                        _ => "-".to_owned(),
                    };
                    let text = format!("{} then {}", name(&first), name(&second));
                    Ok::<_, ToolError>(CallToolResult::success(vec![Content::text(text)]))
                })
                .build(),
        )
        .tool(
            Tool::builder("where")
                .description("Lists the client's roots.")
                .public()
                .handler(|ctx, _args| async move {
                    let roots = ctx.roots().await?;
                    let uris: Vec<String> = roots.into_iter().map(|r| r.uri).collect();
                    Ok(CallToolResult::success(vec![Content::text(uris.join(" "))]))
                })
                .build(),
        )
        .resource(
            Resource::builder("test://asks", "asks")
                .description("Asks why before it is read.")
                .mime_type("text/plain")
                .public()
                .handler(|ctx, uri| async move {
                    let answer = ctx
                        .elicit::<Value>(name_form("why", "Why?"))
                        .await
                        .map_err(ResourceError::failed)?;
                    let text = format!("read because: {}", answer.action());
                    Ok(vec![ResourceContents::text(uri, "text/plain", text)])
                })
                .build(),
        )
        .build()
        .expect("valid server")
}

impl Pipe {
    async fn call(&mut self, id: i64, method: &str, params: Value) -> Value {
        self.send(json!({"jsonrpc":"2.0","id":id,"method":method,"params":params}))
            .await;
        self.recv().await
    }
}

fn modern(mut params: Value, capabilities: Value) -> Value {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": capabilities,
    });
    params
}

fn me() -> Caller {
    Caller::local("me", Vec::<String>::new())
}

#[tokio::test]
async fn legacy_elicitation_is_a_request_to_the_client_answered_on_stdin() {
    let mut p = Pipe::start(server(Duration::from_secs(60)), me());
    p.init(json!({"elicitation": {}})).await;
    p.send(json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet"}}))
        .await;
    let ask = p.recv().await;
    assert_eq!(ask["method"], "elicitation/create", "{ask}");
    assert_eq!(ask["params"]["message"], "Who are you?");
    assert_eq!(ask["params"]["requestedSchema"]["required"][0], "name");
    p.send(json!({"jsonrpc":"2.0","id":ask["id"],
        "result":{"action":"accept","content":{"name":"Ada"}}}))
        .await;
    let done = p.recv().await;
    assert_eq!(done["id"], 1);
    assert_eq!(
        done["result"]["content"][0]["text"], "Hello, Ada!",
        "{done}"
    );

    // A decline is an answer too.
    p.send(json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"greet"}}))
        .await;
    let ask = p.recv().await;
    p.send(json!({"jsonrpc":"2.0","id":ask["id"],"result":{"action":"decline"}}))
        .await;
    let done = p.recv().await;
    assert_eq!(done["result"]["content"][0]["text"], "No name (decline)");
}

#[tokio::test]
async fn legacy_asks_need_the_capability_and_cancelling_the_call_withdraws_them() {
    let mut p = Pipe::start(server(Duration::from_secs(60)), me());
    p.init(json!({})).await;
    let r = p.call(1, "tools/call", json!({"name":"greet"})).await;
    assert_eq!(r["result"]["isError"], true, "{r}");
    let text = r["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("does not support elicitation"), "{text}");

    let mut p = Pipe::start(server(Duration::from_secs(60)), me());
    p.init(json!({"elicitation": {}})).await;
    p.send(json!({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"greet"}}))
        .await;
    let ask = p.recv().await;
    p.send(json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}))
        .await;
    let withdrawn = p.recv().await;
    assert_eq!(
        withdrawn["method"], "notifications/cancelled",
        "{withdrawn}"
    );
    assert_eq!(withdrawn["params"]["requestId"], ask["id"]);
    // A late answer is ignored, and the session goes on.
    p.send(json!({"jsonrpc":"2.0","id":ask["id"],"result":{"action":"cancel"}}))
        .await;
    let r = p.call(8, "ping", json!({})).await;
    assert_eq!(r["id"], 8);
}

#[tokio::test]
async fn modern_elicitation_is_an_input_required_result_then_a_retry() {
    let mut p = Pipe::start(server(Duration::from_secs(60)), me());
    let caps = json!({"elicitation": {}});
    let r = p
        .call(
            1,
            "tools/call",
            modern(json!({"name":"greet"}), caps.clone()),
        )
        .await;
    let result = &r["result"];
    assert_eq!(result["resultType"], "input_required", "{r}");
    assert_eq!(
        result["inputRequests"]["who"]["method"],
        "elicitation/create"
    );
    assert_eq!(
        result["inputRequests"]["who"]["params"]["message"],
        "Who are you?"
    );
    assert!(result.get("content").is_none());
    let state = result["requestState"].as_str().unwrap().to_owned();

    let retry = json!({"name":"greet","requestState":state,
        "inputResponses":{"who":{"action":"accept","content":{"name":"Ada"}},"extra":{}}});
    let r = p.call(2, "tools/call", modern(retry, caps.clone())).await;
    assert_eq!(r["result"]["resultType"], "complete", "{r}");
    assert_eq!(r["result"]["content"][0]["text"], "Hello, Ada!");

    // Without the capability the handler is told, and nothing is requested.
    let r = p
        .call(3, "tools/call", modern(json!({"name":"greet"}), json!({})))
        .await;
    assert_eq!(r["result"]["resultType"], "complete", "{r}");
    assert_eq!(r["result"]["isError"], true);

    // Responses that are not result objects are refused.
    let bad = json!({"name":"greet","inputResponses":{"who":12345}});
    let r = p.call(4, "tools/call", modern(bad, caps.clone())).await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
    let bad = json!({"name":"greet","inputResponses":null});
    let r = p.call(5, "tools/call", modern(bad, caps)).await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
}

#[tokio::test]
async fn earlier_answers_travel_in_the_sealed_state() {
    let mut p = Pipe::start(server(Duration::from_secs(60)), me());
    let caps = json!({"elicitation": {}});
    let r = p
        .call(
            1,
            "tools/call",
            modern(json!({"name":"two_steps"}), caps.clone()),
        )
        .await;
    let state1 = r["result"]["requestState"].as_str().unwrap().to_owned();
    assert!(r["result"]["inputRequests"].get("first").is_some(), "{r}");
    let retry = json!({"name":"two_steps","requestState":state1,
        "inputResponses":{"first":{"action":"accept","content":{"name":"A"}}}});
    let r = p.call(2, "tools/call", modern(retry, caps.clone())).await;
    assert_eq!(r["result"]["resultType"], "input_required", "{r}");
    assert!(r["result"]["inputRequests"].get("second").is_some(), "{r}");
    let state2 = r["result"]["requestState"].as_str().unwrap().to_owned();
    assert_ne!(state1, state2);
    let retry = json!({"name":"two_steps","requestState":state2,
        "inputResponses":{"second":{"action":"accept","content":{"name":"B"}}}});
    let r = p.call(3, "tools/call", modern(retry, caps)).await;
    assert_eq!(r["result"]["content"][0]["text"], "A then B", "{r}");
}

/// The first round's `requestState` for `greet` with `arguments`, as `caller`.
async fn first_state(p: &mut Pipe, arguments: Value) -> String {
    let caps = json!({"elicitation": {}});
    let r = p
        .call(
            1,
            "tools/call",
            modern(json!({"name":"greet","arguments":arguments}), caps),
        )
        .await;
    r["result"]["requestState"]
        .as_str()
        .expect("a state")
        .to_owned()
}

async fn retry_error(p: &mut Pipe, state: &str, arguments: Value) -> Value {
    let retry = json!({"name":"greet","arguments":arguments,"requestState":state,
        "inputResponses":{"who":{"action":"accept","content":{"name":"Eve"}}}});
    let r = p
        .call(2, "tools/call", modern(retry, json!({"elicitation": {}})))
        .await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
    r["error"].clone()
}

#[tokio::test]
async fn tampered_foreign_and_expired_states_are_refused() {
    let mut p = Pipe::start(server(Duration::from_secs(60)), me());
    let state = first_state(&mut p, json!({})).await;

    let tampered = retry_error(&mut p, &format!("{state}-TAMPERED"), json!({})).await;
    assert!(
        tampered["message"]
            .as_str()
            .unwrap()
            .contains("requestState"),
        "{tampered}"
    );
    let mut flipped = state.clone().into_bytes();
    let i = flipped.len() / 2;
    flipped[i] = if flipped[i] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let e = retry_error(&mut p, &flipped, json!({})).await;
    assert_eq!(e["data"]["requestState"], "tampered", "{e}");

    let e = retry_error(&mut p, &state, json!({"n": 1})).await;
    assert_eq!(e["data"]["requestState"], "foreign", "{e}");
    assert!(e["message"].as_str().unwrap().contains("arguments"), "{e}");

    // Another caller of a server with the same key cannot use it.
    let mut q = Pipe::start(
        server(Duration::from_secs(60)),
        Caller::local("eve", Vec::<String>::new()),
    );
    let e = retry_error(&mut q, &state, json!({})).await;
    assert_eq!(e["data"]["requestState"], "foreign", "{e}");
    assert!(e["message"].as_str().unwrap().contains("caller"), "{e}");

    let mut short = Pipe::start(server(Duration::from_secs(1)), me());
    let state = first_state(&mut short, json!({})).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let e = retry_error(&mut short, &state, json!({})).await;
    assert_eq!(e["data"]["requestState"], "expired", "{e}");
}

#[tokio::test]
async fn a_resource_read_can_ask_too() {
    let mut p = Pipe::start(server(Duration::from_secs(60)), me());
    let caps = json!({"elicitation": {}});
    let read = json!({"uri": "test://asks"});
    let r = p
        .call(1, "resources/read", modern(read, caps.clone()))
        .await;
    assert_eq!(r["result"]["resultType"], "input_required", "{r}");
    assert!(r["result"].get("ttlMs").is_none(), "{r}");
    let state = r["result"]["requestState"].clone();
    let retry = json!({"uri": "test://asks", "requestState": state,
        "inputResponses": {"why": {"action": "cancel"}}});
    let r = p.call(2, "resources/read", modern(retry, caps)).await;
    assert_eq!(r["result"]["resultType"], "complete", "{r}");
    assert_eq!(r["result"]["contents"][0]["text"], "read because: cancel");
    assert_eq!(r["result"]["cacheScope"], "private");
}

#[tokio::test]
async fn roots_are_listed_in_both_eras() {
    let mut p = Pipe::start(server(Duration::from_secs(60)), me());
    p.init(json!({"roots": {"listChanged": true}})).await;
    p.send(json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"where"}}))
        .await;
    let ask = p.recv().await;
    assert_eq!(ask["method"], "roots/list", "{ask}");
    p.send(json!({"jsonrpc":"2.0","id":ask["id"],
        "result":{"roots":[{"uri":"file:///a","name":"A"},{"uri":"file:///b"}]}}))
        .await;
    let done = p.recv().await;
    assert_eq!(
        done["result"]["content"][0]["text"], "file:///a file:///b",
        "{done}"
    );

    let mut p = Pipe::start(server(Duration::from_secs(60)), me());
    let caps = json!({"roots": {}});
    let r = p
        .call(
            1,
            "tools/call",
            modern(json!({"name":"where"}), caps.clone()),
        )
        .await;
    assert_eq!(
        r["result"]["inputRequests"]["roots-1"]["method"], "roots/list",
        "{r}"
    );
    let retry = json!({"name":"where","requestState":r["result"]["requestState"],
        "inputResponses":{"roots-1":{"roots":[{"uri":"file:///c"}]}}});
    let r = p.call(2, "tools/call", modern(retry, caps)).await;
    assert_eq!(r["result"]["content"][0]["text"], "file:///c", "{r}");
}

#[tokio::test]
async fn closing_stdin_fails_the_asks_at_once() {
    let (client_w, server_r) = tokio::io::duplex(1 << 16);
    let (server_w, client_r) = tokio::io::duplex(1 << 16);
    let config = StdioConfig {
        shutdown_grace: Duration::from_secs(30),
        ..StdioConfig::default()
    };
    let task = tokio::spawn(serve(
        server(Duration::from_secs(60)),
        me(),
        config,
        BufReader::new(server_r),
        server_w,
    ));
    let mut p = Pipe {
        write: client_w,
        read: BufReader::new(client_r).lines(),
    };
    p.init(json!({"elicitation": {}})).await;
    p.send(json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet"}}))
        .await;
    assert_eq!(p.recv().await["method"], "elicitation/create");
    let Pipe { write, mut read } = p;
    drop(write);
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("no wait for the grace period")
        .unwrap()
        .unwrap();
    let mut last = Value::Null;
    while let Some(line) = read.next_line().await.unwrap() {
        last = serde_json::from_str(&line).unwrap();
        if last["id"] == 1 {
            break;
        }
    }
    assert_eq!(last["result"]["isError"], true, "{last}");
}
