//! Published changes over an in-memory stdio pipe and through a connection's feed: legacy
//! `resources/subscribe` with `notifications/resources/updated`, `list_changed` (also after an
//! authorization change, only when the caller's visible set changed), modern
//! `subscriptions/listen` with its acknowledgment, tags, filter, cancellation and graceful end,
//! and the resync of a subscriber that fell behind.

use mcp_runtime::authz::{Authorizer, DeclaredScopes, Refusal, Target};
use mcp_runtime::registry::{RegistryError, Resource, ResourceContents};
use mcp_runtime::transport::stdio::{StdioConfig, serve};
use mcp_runtime::{CallToolResult, Caller, Connection, Content, Server, Tool};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};

/// Declared scopes, or everything once `open` is set (a policy reload that grants more).
struct Flip(Arc<AtomicBool>);

impl Authorizer for Flip {
    fn authorize(&self, caller: &Caller, target: &Target<'_>) -> Result<(), Refusal> {
        if self.0.load(Ordering::SeqCst) {
            return Ok(());
        }
        DeclaredScopes.authorize(caller, target)
    }

    fn is_visible(&self, caller: &Caller, target: &Target<'_>) -> bool {
        self.0.load(Ordering::SeqCst) || DeclaredScopes.is_visible(caller, target)
    }
}

fn text_resource(uri: &str, scopes: Option<&[&str]>) -> Result<Resource, RegistryError> {
    let b = Resource::builder(uri, uri.trim_start_matches("test://"))
        .description("A test resource.")
        .mime_type("text/plain");
    let b = match scopes {
        Some(s) => b.scopes(s.iter().copied()),
        None => b.public(),
    };
    b.handler(|_ctx, uri| async move { Ok(vec![ResourceContents::text(uri, "text/plain", "x")]) })
        .build()
}

fn server(open: Arc<AtomicBool>, capacity: usize) -> Server {
    Server::builder("subs", "1.0.0")
        .change_queue(capacity)
        .authorizer(Arc::new(Flip(open)))
        .tool(
            Tool::builder("echo")
                .description("Says hi.")
                .public()
                .handler(|_ctx, _args| async {
                    Ok(CallToolResult::success(vec![Content::text("hi")]))
                })
                .build(),
        )
        .tool(
            Tool::builder("secret")
                .description("Needs a scope the test caller lacks.")
                .scopes(["secret:use"])
                .handler(|_ctx, _args| async {
                    Ok(CallToolResult::success(vec![Content::text("s")]))
                })
                .build(),
        )
        .resource(text_resource("test://open", None))
        .resource(text_resource("test://hidden", Some(&["hidden:read"])))
        .build()
        .unwrap()
}

fn me() -> Caller {
    Caller::local("me", Vec::<String>::new())
}

struct Pipe {
    write: Option<DuplexStream>,
    read: tokio::io::Lines<BufReader<DuplexStream>>,
}

impl Pipe {
    fn start(server: Server) -> Self {
        let (client_w, server_r) = tokio::io::duplex(1 << 16);
        let (server_w, client_r) = tokio::io::duplex(1 << 16);
        tokio::spawn(serve(
            server,
            me(),
            StdioConfig::default(),
            BufReader::new(server_r),
            server_w,
        ));
        Self {
            write: Some(client_w),
            read: BufReader::new(client_r).lines(),
        }
    }

    async fn send(&mut self, v: Value) {
        let mut b = serde_json::to_vec(&v).unwrap();
        b.push(b'\n');
        self.write.as_mut().unwrap().write_all(&b).await.unwrap();
    }

    async fn recv(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(10), self.read.next_line())
            .await
            .expect("timely")
            .unwrap()
            .expect("open");
        serde_json::from_str(&line).unwrap()
    }

    async fn call(&mut self, id: i64, method: &str, params: Value) -> Value {
        self.send(json!({"jsonrpc":"2.0","id":id,"method":method,"params":params}))
            .await;
        self.recv().await
    }
}

fn modern(mut params: Value) -> Value {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    params
}

/// Waits until the server's connection feed is subscribed (it subscribes when serving starts).
async fn subscribed(server: &Server, n: usize) {
    for _ in 0..200 {
        if server.notifier().subscribers() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no subscriber appeared");
}

#[tokio::test]
async fn legacy_subscribers_hear_only_about_what_they_follow_and_may_read() {
    let open = Arc::new(AtomicBool::new(false));
    let server = server(open.clone(), 64);
    let notifier = server.notifier().clone();
    let mut pipe = Pipe::start(server.clone());
    let init = pipe
        .call(
            0,
            "initialize",
            json!({"protocolVersion":"2025-11-25","capabilities":{}}),
        )
        .await;
    let caps = &init["result"]["capabilities"];
    assert_eq!(
        caps["resources"],
        json!({"subscribe": true, "listChanged": true})
    );
    assert_eq!(caps["tools"]["listChanged"], true);
    pipe.send(json!({"jsonrpc":"2.0","method":"notifications/initialized"}))
        .await;
    subscribed(&server, 1).await;

    let ok = pipe
        .call(1, "resources/subscribe", json!({"uri":"test://open"}))
        .await;
    assert_eq!(ok["result"], json!({}));
    // Subscribing needs the read permission: the same refusal as reading.
    let refused = pipe
        .call(2, "resources/subscribe", json!({"uri":"test://hidden"}))
        .await;
    let read = pipe
        .call(3, "resources/read", json!({"uri":"test://hidden"}))
        .await;
    assert!(refused["error"]["code"].is_i64(), "{refused}");
    assert_eq!(refused["error"]["code"], read["error"]["code"]);
    let unknown = pipe
        .call(4, "resources/subscribe", json!({"uri":"test://nope"}))
        .await;
    assert_eq!(unknown["error"]["code"], -32002);

    notifier.resource_updated("test://open");
    let note = pipe.recv().await;
    assert_eq!(note["method"], "notifications/resources/updated");
    assert_eq!(note["params"], json!({"uri": "test://open"}));

    // Not followed, not readable: nothing. The list change that follows arrives first.
    notifier.resource_updated("test://hidden");
    notifier.resource_updated("test://elsewhere");
    notifier.tools_list_changed();
    assert_eq!(
        pipe.recv().await["method"],
        "notifications/tools/list_changed"
    );

    let bye = pipe
        .call(5, "resources/unsubscribe", json!({"uri":"test://open"}))
        .await;
    assert_eq!(bye["result"], json!({}));
    notifier.resource_updated("test://open");
    notifier.resources_list_changed();
    assert_eq!(
        pipe.recv().await["method"],
        "notifications/resources/list_changed"
    );

    // An authorization change that changes nothing for this caller: no notification.
    notifier.authorization_changed();
    notifier.tools_list_changed();
    assert_eq!(
        pipe.recv().await["method"],
        "notifications/tools/list_changed"
    );
    // One that shows it `secret` and `test://hidden`: the two lists changed.
    open.store(true, Ordering::SeqCst);
    notifier.authorization_changed();
    let first = pipe.recv().await;
    let second = pipe.recv().await;
    assert_eq!(first["method"], "notifications/tools/list_changed");
    assert_eq!(second["method"], "notifications/resources/list_changed");
    let tools = pipe.call(6, "tools/list", json!({})).await;
    assert_eq!(tools["result"]["tools"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_modern_listen_stream_is_acknowledged_tagged_filtered_and_ends_gracefully() {
    let server = server(Arc::new(AtomicBool::new(false)), 64);
    let notifier = server.notifier().clone();
    let mut pipe = Pipe::start(server.clone());
    subscribed(&server, 1).await;
    let filter = json!({"notifications": {
        "toolsListChanged": true,
        "promptsListChanged": true,
        "resourceSubscriptions": ["test://open", "test://hidden", "test://nope"]
    }});
    pipe.send(
        json!({"jsonrpc":"2.0","id":7,"method":"subscriptions/listen","params":modern(filter)}),
    )
    .await;
    let ack = pipe.recv().await;
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(
        ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        7
    );
    // No prompts here, and only the resource this caller may read.
    assert_eq!(
        ack["params"]["notifications"],
        json!({"toolsListChanged": true, "resourceSubscriptions": ["test://open"]})
    );

    notifier.resource_updated("test://hidden");
    notifier.resources_list_changed(); // not asked for
    notifier.resource_updated("test://open");
    let note = pipe.recv().await;
    assert_eq!(note["method"], "notifications/resources/updated");
    assert_eq!(note["params"]["uri"], "test://open");
    assert_eq!(
        note["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        7
    );

    // Cancelled: the stream is gone and no response follows.
    pipe.send(json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}))
        .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    notifier.tools_list_changed();
    let listed = pipe.call(8, "tools/list", modern(json!({}))).await;
    assert_eq!(listed["id"], 8, "{listed}");

    // A second stream ends with a completion result when the input closes.
    pipe.send(
        json!({"jsonrpc":"2.0","id":9,"method":"subscriptions/listen",
        "params":modern(json!({"notifications":{"toolsListChanged":true}}))}),
    )
    .await;
    assert_eq!(
        pipe.recv().await["method"],
        "notifications/subscriptions/acknowledged"
    );
    notifier.tools_list_changed();
    let note = pipe.recv().await;
    assert_eq!(note["method"], "notifications/tools/list_changed");
    assert_eq!(
        note["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        9
    );
    pipe.write = None;
    let end = pipe.recv().await;
    assert_eq!(end["id"], 9);
    assert_eq!(end["result"]["resultType"], "complete");
    assert_eq!(
        end["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        9
    );
}

#[tokio::test]
async fn a_listen_without_a_filter_is_invalid() {
    let server = server(Arc::new(AtomicBool::new(false)), 64);
    let mut pipe = Pipe::start(server);
    let bad = pipe
        .call(1, "subscriptions/listen", modern(json!({})))
        .await;
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_gets_one_resync_not_an_unbounded_queue() {
    let server = server(Arc::new(AtomicBool::new(false)), 4);
    let caller = Arc::new(me());
    let connection = Arc::new(Connection::new());
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    for message in [
        json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}}),
        json!({"jsonrpc":"2.0","id":2,"method":"resources/subscribe","params":{"uri":"test://open"}}),
    ] {
        let answer = server
            .dispatch(&connection, message, &caller, &tx)
            .await
            .unwrap();
        assert!(answer.get("result").is_some(), "{answer}");
    }
    let mut feed = server.feed(connection, caller);
    for _ in 0..100 {
        server.notifier().resource_updated("test://elsewhere");
    }
    let resync = feed.next().await.unwrap();
    let methods: Vec<&str> = resync
        .iter()
        .map(|m| m["method"].as_str().unwrap())
        .collect();
    assert_eq!(
        methods,
        [
            "notifications/tools/list_changed",
            "notifications/resources/list_changed",
            "notifications/resources/updated"
        ]
    );
    assert_eq!(resync[2]["params"]["uri"], "test://open");
}
