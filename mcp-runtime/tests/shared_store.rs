//! The shared store against a real `redis-server` (Debian's package, installed by
//! `scripts/setup-services.sh`), started here on a free loopback port with a temporary
//! directory and stopped at the end: rate limits counted once for several replicas and kept
//! through reloads, fail-closed refusals while the store is down and recovery once it is back,
//! single-use records and legacy session records.

use mcp_runtime::authz::{CallInput, Catalog, CatalogEntry, Primitive, Target};
use mcp_runtime::policy::{PolicyAuthorizer, PolicyHandle};
use mcp_runtime::store::{SharedStore, StoreError};
use mcp_runtime::{Access, Authorizer, CallToolResult, Caller, Refusal, Tool};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A `redis-server` child process on loopback, without persistence, killed on drop.
struct Redis {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl Redis {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut redis = Self {
            child: None,
            port,
            dir: tempfile::tempdir().expect("a temporary directory"),
        };
        redis.restart();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Starts (again) on the same port and waits until it accepts connections.
    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (scripts/setup-services.sh installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server (SIGKILL) and waits until it is gone.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn policy(dir: &Path, store: &str, extra: &str) -> PathBuf {
    let path = dir.join("policy.toml");
    let text = format!(
        r#"
[grants.scope]
"tools.read" = ["orders:read"]
"tools.write" = ["orders:write"]

[env.prod]
transport = "http"
bind = "127.0.0.1:8080"
resource = "http://127.0.0.1:8080/mcp"
store = "{store}"
tools.cancel_order.rate_limit = "5/minute"
{extra}
"#
    );
    std::fs::write(&path, text).expect("the policy is written");
    path
}

fn catalog() -> Arc<Catalog> {
    let entry = |name: &str, scope: &str| CatalogEntry {
        kind: Primitive::Tool,
        name: name.into(),
        access: Access::Scopes(vec![scope.to_owned()]),
    };
    Arc::new(Catalog {
        server_name: "demo".into(),
        entries: vec![
            entry("cancel_order", "orders:write"),
            entry("get_order_status", "orders:read"),
        ],
        ..Default::default()
    })
}

fn tool(name: &str, scope: &str) -> Tool {
    Tool::builder(name)
        .description("A tool.")
        .scopes([scope])
        .handler(|_, _| async { Ok(CallToolResult::default()) })
        .build()
        .expect("a valid tool")
}

/// One replica: its own policy handle, its own connection to the store.
fn replica(path: &Path) -> (Arc<PolicyHandle>, PolicyAuthorizer) {
    let handle = Arc::new(PolicyHandle::load(path, "prod", catalog()).expect("the policy loads"));
    let url = handle.snapshot().settings().store.clone().expect("a store");
    let store = Arc::new(SharedStore::open(&url).expect("a Redis URL"));
    (
        handle.clone(),
        PolicyAuthorizer::new(handle).with_store(store),
    )
}

async fn authorize(
    authorizer: &PolicyAuthorizer,
    caller: &Caller,
    tool: &Tool,
) -> Result<(), Refusal> {
    authorizer
        .authorize_shared(caller, Target::tool(tool), CallInput::NONE)
        .expect("a store-backed authorizer waits on the store")
        .await
}

fn caller(sub: &str) -> Caller {
    Caller::from_token(
        sub,
        Some("app".into()),
        ["tools.read", "tools.write"],
        Default::default(),
    )
}

#[tokio::test]
async fn a_limit_is_counted_once_for_every_replica_and_survives_reloads() {
    let redis = Redis::start();
    let dir = tempfile::tempdir().unwrap();
    let path = policy(dir.path(), &redis.url(), "");
    let replicas = [replica(&path), replica(&path), replica(&path)];
    let cancel = tool("cancel_order", "orders:write");
    let alice = caller("alice");
    let mut allowed = 0;
    let mut limited = 0;
    for i in 0..9 {
        match authorize(&replicas[i % 3].1, &alice, &cancel).await {
            Ok(()) => allowed += 1,
            Err(Refusal::RateLimited { retry_after, .. }) => {
                assert!(
                    retry_after > Duration::from_secs(1) && retry_after <= Duration::from_secs(12),
                    "{retry_after:?}"
                );
                limited += 1;
            }
            Err(other) => panic!("unexpected refusal: {other:?}"),
        }
    }
    println!("5/minute across 3 replicas: 9 calls, {allowed} allowed, {limited} rate-limited");
    assert_eq!((allowed, limited), (5, 4));

    // Another caller has a budget of its own; a call without a limit never counts.
    assert!(
        authorize(&replicas[0].1, &caller("bob"), &cancel)
            .await
            .is_ok()
    );
    let status = tool("get_order_status", "orders:read");
    assert!(authorize(&replicas[1].1, &alice, &status).await.is_ok());

    // A reload (a changed file, same limit) keeps the count.
    policy(dir.path(), &redis.url(), "list = \"all\"");
    let revision = replicas[0].0.reload().expect("the edited policy reloads");
    assert_eq!(revision, 1);
    assert!(matches!(
        authorize(&replicas[0].1, &alice, &cancel).await,
        Err(Refusal::RateLimited { .. })
    ));
    // A denial is decided by the policy alone, before any counting.
    let reader = Caller::from_token("carol", None, ["tools.read"], Default::default());
    assert!(matches!(
        authorize(&replicas[2].1, &reader, &cancel).await,
        Err(Refusal::Forbidden(_))
    ));
}

#[tokio::test]
async fn a_store_that_is_down_fails_limited_calls_closed_and_recovers_by_itself() {
    let mut redis = Redis::start();
    let dir = tempfile::tempdir().unwrap();
    let path = policy(dir.path(), &redis.url(), "");
    let (_handle, authorizer) = replica(&path);
    let cancel = tool("cancel_order", "orders:write");
    let status = tool("get_order_status", "orders:read");
    let alice = caller("alice");
    assert!(authorize(&authorizer, &alice, &cancel).await.is_ok());

    redis.kill();
    let started = Instant::now();
    let refused = authorize(&authorizer, &alice, &cancel).await;
    let waited = started.elapsed();
    println!("store down: limited call refused after {waited:?}: {refused:?}");
    match refused {
        Err(Refusal::Unavailable { retry_after, .. }) => {
            assert!(retry_after >= Duration::from_secs(1))
        }
        other => panic!("a limited call must fail closed, not {other:?}"),
    }
    assert!(
        waited < Duration::from_secs(3),
        "the refusal is bounded in time: {waited:?}"
    );
    assert!(
        authorize(&authorizer, &alice, &status).await.is_ok(),
        "a call without a limit goes on"
    );

    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut refusals = 0;
    loop {
        match authorize(&authorizer, &alice, &cancel).await {
            Ok(()) => break,
            Err(Refusal::Unavailable { .. }) => refusals += 1,
            Err(other) => panic!("unexpected refusal while recovering: {other:?}"),
        }
        assert!(
            Instant::now() < deadline,
            "the store connection did not recover"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("store back: recovered after {refusals} more refusals");
}

#[tokio::test]
async fn single_use_and_session_records_are_shared() {
    let redis = Redis::start();
    let one = SharedStore::open(&redis.url()).unwrap();
    let two = SharedStore::open(&redis.url()).unwrap();
    one.ping().await.expect("the store answers");
    let id = [7u8; 24];
    assert_eq!(
        one.use_once("state", &id, Duration::from_secs(60)).await,
        Ok(true)
    );
    assert_eq!(
        two.use_once("state", &id, Duration::from_secs(60)).await,
        Ok(false)
    );
    assert_eq!(
        two.use_once("state", &[8u8; 24], Duration::from_millis(50))
            .await,
        Ok(true)
    );
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(
        one.use_once("state", &[8u8; 24], Duration::from_secs(1))
            .await,
        Ok(true),
        "a record lives as long as its state"
    );

    let ttl = Duration::from_secs(60);
    one.put_session("s1", r#"{"version":"2025-11-25"}"#, ttl)
        .await
        .unwrap();
    assert_eq!(
        two.session("s1").await.unwrap().as_deref(),
        Some(r#"{"version":"2025-11-25"}"#)
    );
    assert_eq!(two.touch_session("s1", ttl).await, Ok(true));
    two.remove_session("s1").await.unwrap();
    assert_eq!(one.session("s1").await, Ok(None));
    assert_eq!(one.touch_session("s1", ttl).await, Ok(false));

    drop(redis);
    assert!(matches!(one.ping().await, Err(StoreError::Unavailable(_))));
}

#[tokio::test]
async fn a_store_that_was_down_from_the_start_is_reached_once_it_is_up() {
    let mut redis = Redis::start();
    redis.kill();
    let store = SharedStore::open(&redis.url()).unwrap();
    let period = Duration::from_secs(60);
    assert!(matches!(
        store.admit("item", "alice", 5, period).await,
        Err(StoreError::Unavailable(_))
    ));
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    while store.admit("item", "alice", 5, period).await.is_err() {
        assert!(Instant::now() < deadline, "never connected");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Two replicas sharing a request-state key and a store: a `requestState` sealed by one is
/// answered once, on either, and a second answer anywhere is refused as replayed.
#[tokio::test]
async fn a_sealed_request_state_is_answered_once_across_replicas() {
    use mcp_runtime::asking::{Elicitation, Elicited};
    use mcp_runtime::jsonrpc::{Request, RequestId};
    use mcp_runtime::protocol::RequestScope;
    use mcp_runtime::{Content, Era, Server};
    use serde_json::{Value, json};

    let redis = Redis::start();
    let replica = || {
        let store = Arc::new(SharedStore::open(&redis.url()).unwrap());
        Server::builder("test", "1.0.0")
            .request_state_key([9; 32])
            .tool(
                Tool::builder("greet")
                    .description("Asks for a name, then greets.")
                    .public()
                    .handler(|ctx, _args| async move {
                        let schema = json!({"type": "object",
                            "properties": {"name": {"type": "string"}}, "required": ["name"]});
                        let answer = ctx
                            .elicit::<Value>(Elicitation::form("Who?", schema).key("who"))
                            .await?;
                        let name = match answer {
                            Elicited::Accept(c) => c["name"].as_str().unwrap_or("?").to_owned(),
                            other => other.action().to_owned(),
                        };
                        Ok(CallToolResult::success(vec![Content::text(format!(
                            "Hello, {name}!"
                        ))]))
                    })
                    .build(),
            )
            .build()
            .expect("a server")
            .with_store(Some(store))
    };
    let (one, two) = (replica(), replica());
    let scope = RequestScope {
        connection: None,
        caller: Arc::new(Caller::local("me", Vec::<String>::new())),
        outbound: None,
    };
    let call = |id: i64, mut params: Value| {
        params["_meta"] = json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}},
        });
        Request {
            id: RequestId::Number(id),
            method: "tools/call".into(),
            params: params.as_object().cloned().unwrap(),
        }
    };
    let first = one
        .handle_request(call(1, json!({"name": "greet"})), Era::Modern, &scope)
        .await
        .expect("an input-required result");
    assert_eq!(first["resultType"], "input_required", "{first}");
    let state = first["requestState"].clone();
    let answer = json!({"name": "greet", "requestState": state,
        "inputResponses": {"who": {"action": "accept", "content": {"name": "Ada"}}}});

    let done = two
        .handle_request(call(2, answer.clone()), Era::Modern, &scope)
        .await
        .expect("the state opens on the other replica");
    assert_eq!(done["content"][0]["text"], "Hello, Ada!", "{done}");
    for (server, id) in [(&one, 3), (&two, 4)] {
        let replayed = server
            .handle_request(call(id, answer.clone()), Era::Modern, &scope)
            .await
            .expect_err("a second answer is refused");
        let e = replayed.to_error_object();
        let e = serde_json::to_value(e).unwrap();
        assert_eq!(e["code"], -32602, "{e}");
        assert_eq!(e["data"]["requestState"], "replayed", "{e}");
    }
}
