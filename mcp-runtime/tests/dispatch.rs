//! The dispatcher driven through the stdio transport over an in-memory pipe: panics, tool
//! errors, pagination, logging levels, authorization decisions.

use mcp_runtime::transport::stdio::{StdioConfig, serve};
use mcp_runtime::{CallToolResult, Caller, Content, LogLevel, Server, Tool, ToolError};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};

fn server() -> Server {
    let simple = |name: &str| {
        Tool::builder(name)
            .description(format!("The {name} tool."))
            .public()
            .handler(|ctx, _| async move {
                Ok(CallToolResult::success(vec![Content::text(
                    ctx.tool_name().to_owned(),
                )]))
            })
            .build()
    };
    Server::builder("test", "1.0.0")
        .page_size(2)
        .tool(simple("a"))
        .tool(simple("b"))
        .tool(simple("c"))
        .tool(
            Tool::builder("panics")
                .description("Always panics.")
                .public()
                .handler(|_, _| async { panic!("boom") })
                .build(),
        )
        .tool(
            Tool::builder("fails")
                .description("Always fails.")
                .public()
                .handler(|_, _| async { Err(ToolError::new("the warehouse is closed")) })
                .build(),
        )
        .tool(
            Tool::builder("rejects")
                .description("Rejects its arguments.")
                .public()
                .handler(|_, _| async { Err(ToolError::invalid_arguments("`n` must be even")) })
                .build(),
        )
        .tool(
            Tool::builder("chatty")
                .description("Logs at two levels.")
                .public()
                .handler(|ctx, _| async move {
                    ctx.log(LogLevel::Debug, "debug detail");
                    ctx.log(LogLevel::Warning, "a warning");
                    Ok(CallToolResult::success(vec![]))
                })
                .build(),
        )
        .tool(
            Tool::builder("secret")
                .description("Needs a scope.")
                .scopes(["vault:open"])
                .handler(|_, _| async { Ok(CallToolResult::success(vec![])) })
                .build(),
        )
        .build()
        .expect("valid server")
}

struct Pipe {
    write: DuplexStream,
    read: tokio::io::Lines<BufReader<DuplexStream>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Pipe {
    fn start(caller: Caller) -> Self {
        let (client_w, server_r) = tokio::io::duplex(1 << 16);
        let (server_w, client_r) = tokio::io::duplex(1 << 16);
        let task = tokio::spawn(serve(
            server(),
            caller,
            StdioConfig::default(),
            BufReader::new(server_r),
            server_w,
        ));
        Self {
            write: client_w,
            read: BufReader::new(client_r).lines(),
            task,
        }
    }

    async fn send(&mut self, v: Value) {
        let mut b = serde_json::to_vec(&v).unwrap();
        b.push(b'\n');
        self.write.write_all(&b).await.unwrap();
    }

    async fn recv(&mut self) -> Value {
        let line = tokio::time::timeout(std::time::Duration::from_secs(10), self.read.next_line())
            .await
            .expect("timely")
            .unwrap()
            .expect("open");
        serde_json::from_str(&line).unwrap()
    }

    /// Sends a request; returns its response and the notifications that came before it.
    async fn call(&mut self, id: i64, method: &str, params: Value) -> (Value, Vec<Value>) {
        self.send(json!({"jsonrpc":"2.0","id":id,"method":method,"params":params}))
            .await;
        let mut notes = Vec::new();
        loop {
            let m = self.recv().await;
            if m.get("id") == Some(&json!(id)) {
                return (m, notes);
            }
            notes.push(m);
        }
    }

    async fn init(&mut self) {
        let (r, _) = self
            .call(
                0,
                "initialize",
                json!({"protocolVersion":"2025-06-18","capabilities":{}}),
            )
            .await;
        assert_eq!(r["result"]["protocolVersion"], "2025-06-18");
        self.send(json!({"jsonrpc":"2.0","method":"notifications/initialized"}))
            .await;
    }
}

fn modern(mut p: Value) -> Value {
    p["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    p
}

#[tokio::test]
async fn a_panicking_handler_becomes_an_error_result_and_serving_continues() {
    let mut p = Pipe::start(Caller::local("me", Vec::<String>::new()));
    p.init().await;
    let (r, _) = p.call(1, "tools/call", json!({"name":"panics"})).await;
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert!(
        !r["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("boom"),
        "panic text is not leaked"
    );
    let (r, _) = p.call(2, "tools/call", json!({"name":"a"})).await;
    assert_eq!(r["result"]["content"][0]["text"], "a");
}

#[tokio::test]
async fn tool_errors_map_to_is_error_or_invalid_params() {
    let mut p = Pipe::start(Caller::local("me", Vec::<String>::new()));
    p.init().await;
    let (r, _) = p.call(1, "tools/call", json!({"name":"fails"})).await;
    assert_eq!(
        r["result"],
        json!({"content":[{"type":"text","text":"the warehouse is closed"}],"isError":true})
    );
    let (r, _) = p
        .call(2, "tools/call", json!({"name":"rejects","arguments":{}}))
        .await;
    assert_eq!(r["error"]["code"], -32602);
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("must be even")
    );
}

#[tokio::test]
async fn tools_list_paginates_deterministically_and_rejects_bad_cursors() {
    let mut p = Pipe::start(Caller::local("me", Vec::<String>::new()));
    p.init().await;
    let mut names = Vec::new();
    let mut cursor = Value::Null;
    for id in 1..10 {
        let params = if cursor.is_null() {
            json!({})
        } else {
            json!({"cursor": cursor})
        };
        let (r, _) = p.call(id, "tools/list", params).await;
        let page = r["result"]["tools"].as_array().unwrap();
        assert!(page.len() <= 2);
        names.extend(page.iter().map(|t| t["name"].as_str().unwrap().to_owned()));
        cursor = r["result"]
            .get("nextCursor")
            .cloned()
            .unwrap_or(Value::Null);
        if cursor.is_null() {
            break;
        }
    }
    // Registration order; `secret` is hidden from a caller without `vault:open`.
    assert_eq!(
        names,
        ["a", "b", "c", "panics", "fails", "rejects", "chatty"]
    );
    for bad in [json!("nope"), json!("tl1.999"), json!(5)] {
        let (r, _) = p.call(20, "tools/list", json!({"cursor": bad})).await;
        assert_eq!(r["error"]["code"], -32602, "{bad}");
    }
}

#[tokio::test]
async fn declared_scopes_decide_calls_and_listing() {
    let mut denied = Pipe::start(Caller::local("me", ["other"]));
    denied.init().await;
    let (r, _) = denied.call(1, "tools/call", json!({"name":"secret"})).await;
    assert_eq!(r["error"]["code"], -31003, "{r}");
    assert_eq!(r["error"]["data"]["missingScopes"], json!(["vault:open"]));

    let mut allowed = Pipe::start(Caller::local("me", ["vault:open"]));
    allowed.init().await;
    let (r, _) = allowed
        .call(1, "tools/call", json!({"name":"secret"}))
        .await;
    assert!(r["result"].is_object(), "{r}");
}

#[tokio::test]
async fn legacy_log_level_filters_messages() {
    let mut p = Pipe::start(Caller::local("me", Vec::<String>::new()));
    p.init().await;
    let (_, notes) = p.call(1, "tools/call", json!({"name":"chatty"})).await;
    let levels: Vec<&str> = notes
        .iter()
        .map(|n| n["params"]["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["warning"], "default threshold is info");
    let (r, _) = p
        .call(2, "logging/setLevel", json!({"level":"debug"}))
        .await;
    assert_eq!(r["result"], json!({}));
    let (_, notes) = p.call(3, "tools/call", json!({"name":"chatty"})).await;
    assert_eq!(notes.len(), 2);
}

#[tokio::test]
async fn modern_logging_only_with_a_per_request_level() {
    let mut p = Pipe::start(Caller::local("me", Vec::<String>::new()));
    let (r, notes) = p
        .call(1, "tools/call", modern(json!({"name":"chatty"})))
        .await;
    assert_eq!(r["result"]["resultType"], "complete");
    assert!(notes.is_empty(), "no logLevel, no messages: {notes:?}");
    let mut params = modern(json!({"name":"chatty"}));
    params["_meta"]["io.modelcontextprotocol/logLevel"] = json!("debug");
    let (_, notes) = p.call(2, "tools/call", params).await;
    assert_eq!(notes.len(), 2);
    let mut params = modern(json!({"name":"chatty"}));
    params["_meta"]["io.modelcontextprotocol/logLevel"] = json!("verbose");
    let (r, _) = p.call(3, "tools/call", params).await;
    assert_eq!(r["error"]["code"], -32602);
}

#[tokio::test]
async fn requests_before_initialize_are_refused_except_ping() {
    let mut p = Pipe::start(Caller::local("me", Vec::<String>::new()));
    let (r, _) = p.call(1, "tools/list", json!({})).await;
    assert_eq!(r["error"]["code"], -32600);
    let (r, _) = p.call(2, "ping", json!({})).await;
    assert_eq!(r["result"], json!({}));
    p.init().await;
    let (r, _) = p
        .call(
            3,
            "initialize",
            json!({"protocolVersion":"2025-06-18","capabilities":{}}),
        )
        .await;
    assert_eq!(r["error"]["code"], -32600, "a second initialize is refused");
    drop(p.write);
    p.task.await.unwrap().unwrap();
}
