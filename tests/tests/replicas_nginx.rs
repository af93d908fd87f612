//! Three replicas of TechNova (`serve --env replicas`: the shared store in a real
//! `redis-server`) behind a real nginx configured from `deploy/nginx.conf`, all on loopback.
//!
//! The replicas share one SQLite file: on one machine that is how they share the order book
//! (SQLite serializes the writers across processes), so a cancellation made through one
//! replica is seen by the others and no replica answers from a stale copy. Each replica
//! keeping its own file would give three diverging order books behind one URL.
//!
//! Which replica served a call is read from the `X-Upstream` header nginx adds (a list when
//! nginx moved on to another replica). The figures are printed for quoting.

use e2e::services::{Nginx, Redis};
use e2e::{HttpServer, dev_token};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

struct Cluster {
    replicas: Vec<HttpServer>,
    nginx: Nginx,
    redis: Redis,
    _db: TempDb,
}

/// A directory for the shared order book, removed at the end.
struct TempDb(std::path::PathBuf);

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Cluster {
    async fn start(tag: &str) -> Self {
        let redis = Redis::start();
        let nginx_port = Nginx::reserve_port();
        let public = format!("http://127.0.0.1:{nginx_port}/mcp");
        let dir = std::env::temp_dir().join(format!("e2e-replicas-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let db = dir.join("orders.db");
        let db = db.to_str().expect("a UTF-8 path").to_owned();
        let store = redis.url();
        let envs = [
            ("TECHNOVA_RESOURCE", public.as_str()),
            ("TECHNOVA_DB", db.as_str()),
            ("TECHNOVA_STORE", store.as_str()),
        ];
        // One after the other: the first creates and seeds the order book.
        let mut replicas = Vec::new();
        for _ in 0..3 {
            replicas.push(HttpServer::technova("replicas", &envs).await);
        }
        let ports: Vec<u16> = replicas.iter().map(port_of).collect();
        let nginx = Nginx::start(nginx_port, &ports);
        Self {
            replicas,
            nginx,
            redis,
            _db: TempDb(dir),
        }
    }

    fn url(&self) -> String {
        self.nginx.url()
    }

    fn token(&self, scopes: &str, sub: &str) -> String {
        dev_token(scopes, sub, &self.url())
    }
}

fn port_of(server: &HttpServer) -> u16 {
    server
        .origin
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("an origin with a port")
}

/// One answer through nginx.
#[derive(Debug)]
struct Answer {
    status: u16,
    /// `X-Upstream`: the replica(s) nginx tried, e.g. `127.0.0.1:4101, 127.0.0.1:4102`.
    upstream: String,
    retry_after: Option<String>,
    session: Option<String>,
    body: Value,
}

impl Answer {
    fn replicas(&self) -> Vec<&str> {
        self.upstream
            .split(", ")
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// The JSON body, or the last `data:` event of an SSE body.
fn parse_body(text: &str) -> Value {
    if let Ok(v) = serde_json::from_str(text) {
        return v;
    }
    text.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .next_back()
        .unwrap_or(Value::Null)
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> Answer {
    let mut rb = http
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .timeout(Duration::from_secs(20));
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    let response = rb.json(body).send().await.expect("nginx answers");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (status, upstream) = (response.status().as_u16(), header("x-upstream"));
    let (retry_after, session) = (header("retry-after"), header("mcp-session-id"));
    let text = response.text().await.unwrap_or_default();
    Answer {
        status,
        upstream: upstream.unwrap_or_default(),
        retry_after,
        session,
        body: parse_body(&text),
    }
}

/// A 2026-07-28 (stateless) `tools/call`.
async fn modern_call(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    id: u64,
    tool: &str,
    arguments: Value,
) -> Answer {
    let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": tool, "arguments": arguments, "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "replica-test", "version": "1"}}}});
    let headers = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/call"),
        ("mcp-name", tool),
    ];
    post(http, url, token, &headers, &body).await
}

fn is_success(answer: &Answer) -> bool {
    answer.status == 200
        && answer.body["result"].is_object()
        && answer.body["result"]["isError"] != json!(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_share_limits_sessions_and_recover_with_the_store() {
    let mut cluster = Cluster::start("shared").await;
    let http = e2e::http_client();
    let url = cluster.url();
    let reader = cluster.token("orders:read", "rita");

    // A 2026-07-28 client: every call is stateless, so round robin spreads them.
    let mut served = BTreeMap::<String, usize>::new();
    for id in 1..=9 {
        let a = modern_call(
            &http,
            &url,
            &reader,
            id,
            "get_order_status",
            json!({"order_id": "TN-1001"}),
        )
        .await;
        assert!(is_success(&a), "modern call {id}: {a:?}");
        *served.entry(a.upstream.clone()).or_default() += 1;
    }
    println!("2026-07-28 client: 9 calls, all succeeded, served by replicas {served:?}");
    assert_eq!(served.len(), 3, "every replica served some: {served:?}");

    // "5/minute" on list_orders, counted in the store: exactly 5 across all replicas.
    let (mut allowed, mut limited) = (0, 0);
    let mut replicas_seen = BTreeSet::new();
    for id in 100..112 {
        let a = modern_call(&http, &url, &reader, id, "list_orders", json!({})).await;
        replicas_seen.insert(a.upstream.clone());
        match a.status {
            200 if is_success(&a) => allowed += 1,
            429 => {
                assert!(a.retry_after.is_some(), "429 carries Retry-After: {a:?}");
                assert_eq!(a.body["error"]["code"], -31029);
                limited += 1;
            }
            _ => panic!("unexpected answer to list_orders: {a:?}"),
        }
    }
    println!(
        "rate limit 5/minute over {} replicas: 12 calls, {allowed} allowed, {limited} refused with 429",
        replicas_seen.len()
    );
    assert_eq!((allowed, limited), (5, 7));
    assert_eq!(replicas_seen.len(), 3);
    // Another caller has its own budget.
    let other = cluster.token("orders:read", "omar");
    let a = modern_call(&http, &url, &other, 200, "list_orders", json!({})).await;
    assert!(is_success(&a), "{a:?}");

    // A handshake-era session opened through nginx, used on every replica.
    let legacy = cluster.token("orders:read", "lena");
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "replica-test", "version": "1"}}});
    let opened = post(&http, &url, &legacy, &[], &init).await;
    assert_eq!(opened.status, 200, "{opened:?}");
    let session = opened.session.clone().expect("a session id");
    let with_session = [
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let a = post(&http, &url, &legacy, &with_session, &initialized).await;
    assert_eq!(a.status, 202, "{a:?}");
    let mut session_replicas = BTreeSet::from([opened.upstream.clone()]);
    for id in 2..=7 {
        let call = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "get_order_status", "arguments": {"order_id": "TN-1002"}}});
        let a = post(&http, &url, &legacy, &with_session, &call).await;
        assert!(is_success(&a), "session call {id}: {a:?}");
        session_replicas.insert(a.upstream.clone());
    }
    // The session belongs to its creator, on every replica.
    let intruder = cluster.token("orders:read", "mallory");
    let ping = json!({"jsonrpc": "2.0", "id": 50, "method": "ping"});
    for _ in 0..3 {
        let a = post(&http, &url, &intruder, &with_session, &ping).await;
        assert_eq!(
            a.status, 403,
            "another caller may not use the session: {a:?}"
        );
    }
    println!(
        "2025-11-25 session: opened on {}, 6 calls succeeded on replicas {session_replicas:?}",
        opened.upstream
    );
    assert_eq!(
        session_replicas.len(),
        3,
        "the session worked on every replica"
    );
    // DELETE ends it everywhere.
    let deleted = http
        .delete(&url)
        .bearer_auth(&legacy)
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-11-25")
        .send()
        .await
        .expect("nginx answers");
    assert_eq!(deleted.status().as_u16(), 200);
    for _ in 0..3 {
        let a = post(&http, &url, &legacy, &with_session, &ping).await;
        assert_eq!(
            a.status, 404,
            "an ended session is gone on every replica: {a:?}"
        );
    }

    // The store goes down: limited calls fail closed (503 + Retry-After, not retried by
    // nginx), everything else goes on; it comes back by itself.
    cluster.redis.kill();
    let fresh = cluster.token("orders:read", "sam");
    let (mut unavailable, mut others_ok) = (0, 0);
    for id in 300..306 {
        let a = modern_call(&http, &url, &fresh, id, "list_orders", json!({})).await;
        assert_eq!(a.status, 503, "a limited call fails closed: {a:?}");
        assert_eq!(a.body["error"]["code"], -31503);
        assert!(a.retry_after.is_some(), "{a:?}");
        assert_eq!(a.replicas().len(), 1, "nginx does not retry a 503: {a:?}");
        unavailable += 1;
        let a = modern_call(
            &http,
            &url,
            &fresh,
            id + 1000,
            "get_order_status",
            json!({"order_id": "TN-1001"}),
        )
        .await;
        assert!(is_success(&a), "an unlimited call goes on: {a:?}");
        others_ok += 1;
    }
    cluster.redis.restart();
    let mut waited_calls = 0;
    let recovered = loop {
        waited_calls += 1;
        let a = modern_call(
            &http,
            &url,
            &fresh,
            400 + waited_calls,
            "list_orders",
            json!({}),
        )
        .await;
        if is_success(&a) {
            break true;
        }
        assert_eq!(a.status, 503, "{a:?}");
        if waited_calls > 100 {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    println!(
        "store down: {unavailable} limited calls refused with 503, {others_ok} unlimited calls succeeded; store back: limited calls allowed again after {waited_calls} call(s)"
    );
    assert!(recovered, "the replicas did not reconnect to the store");
    // Every replica is back in business with the store.
    let mut back = BTreeSet::new();
    for id in 500..503 {
        let a = modern_call(&http, &url, &other, id, "list_orders", json!({})).await;
        assert!(a.status == 200 || a.status == 429, "{a:?}");
        back.insert(a.upstream.clone());
    }
    assert_eq!(back.len(), 3);
    drop(cluster.replicas);
}

/// Sends `signal` to replica `i` of `cluster`.
fn signal(cluster: &Cluster, i: usize, signal: &str) {
    let pid = cluster.replicas[i].peer.id().expect("a running replica");
    let sent = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
}

/// Under a steady load of allowed lookups and refused cancellations, one replica is stopped
/// gracefully (`SIGTERM`: it drains its calls in flight and closes its socket) and then
/// another is killed outright (`SIGKILL`). nginx moves every call that had not reached a
/// replica to a live one; the only calls that may fail are those the killed replica was
/// running, which nginx must not resend (they may have been carried out). Every answer that
/// arrives carries the right decision.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stopping_and_killing_replicas_under_load_loses_no_retryable_call_and_no_decision_goes_wrong()
 {
    const CALLS: usize = 300;
    const CONCURRENCY: usize = 12;
    const STOP_AT: usize = 80;
    const KILL_AT: usize = 180;
    let cluster = Cluster::start("kill").await;
    let http = e2e::http_client();
    let url = Arc::new(cluster.url());
    let reader = Arc::new(cluster.token("orders:read", "kim"));
    let name = |i: usize| format!("127.0.0.1:{}", port_of(&cluster.replicas[i]));
    let (stopped, killed) = (name(0), name(1));

    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (http, url, token) = (http.clone(), url.clone(), reader.clone());
        let (next, done) = (next.clone(), done.clone());
        workers.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= CALLS {
                    break;
                }
                // Alternate an allowed lookup and a cancellation this caller may not make.
                let cancel = n % 2 == 1;
                let (tool, arguments) = if cancel {
                    (
                        "cancel_order",
                        json!({"order_id": "TN-1003", "reason": "load"}),
                    )
                } else {
                    ("get_order_status", json!({"order_id": "TN-1001"}))
                };
                let a = modern_call(&http, &url, &token, n as u64, tool, arguments).await;
                done.fetch_add(1, Ordering::SeqCst);
                answers.push((cancel, a));
            }
            answers
        }));
    }
    let wait_for = |count: usize| {
        let done = done.clone();
        async move {
            while done.load(Ordering::SeqCst) < count {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    };
    wait_for(STOP_AT).await;
    signal(&cluster, 0, "-TERM");
    wait_for(KILL_AT).await;
    signal(&cluster, 1, "-KILL");

    let (mut allowed, mut denied, mut retried, mut failed) = (0, 0, 0, 0);
    let mut failed_lookups = 0;
    let mut failed_on_stop = 0;
    let mut wrong = Vec::new();
    let mut served = BTreeMap::<String, usize>::new();
    for worker in workers {
        for (cancel, a) in worker.await.expect("a worker") {
            let tried = a.replicas();
            if tried.len() > 1 {
                retried += 1;
                let dead = [stopped.as_str(), killed.as_str()];
                assert!(
                    tried[..tried.len() - 1].iter().all(|t| dead.contains(t)),
                    "only a stopped replica is ever skipped: {a:?}"
                );
            }
            if let Some(last) = tried.last() {
                *served.entry((*last).to_owned()).or_default() += 1;
            }
            match (a.status, cancel) {
                (200, false) if is_success(&a) => allowed += 1,
                (403, true) if a.body["error"]["code"] == -31003 => denied += 1,
                // A call sent to the killed replica, or queued in the stopped replica's accept
                // backlog when it closed its listener: the request had left nginx, so it is
                // not resent (an MCP POST is not idempotent) and the client sees 502.
                (502, _) if tried == [killed.as_str()] || tried == [stopped.as_str()] => {
                    failed += 1;
                    failed_lookups += usize::from(!cancel);
                    failed_on_stop += usize::from(tried == [stopped.as_str()]);
                }
                _ => wrong.push(format!("cancel={cancel}: {a:?}")),
            }
        }
    }
    let log = cluster.nginx.access_log();
    let retried_in_log = log
        .lines()
        .filter(|l| l.contains("upstream=") && l.contains(", 127.0.0.1:"))
        .count();
    println!(
        "3 replicas behind nginx, {CALLS} calls ({CONCURRENCY} concurrent): replica {stopped} stopped (SIGTERM) after {STOP_AT}, \
         replica {killed} killed (SIGKILL) after {KILL_AT}"
    );
    println!(
        "sent {CALLS}, succeeded {} ({allowed} allowed lookups, {denied} refused cancellations with 403), \
         retried by nginx on another replica {retried} (access log: {retried_in_log}), \
         failed {failed} (502, not resent: running on the killed replica, or {failed_on_stop} caught in the stopped one's accept queue), \
         wrong decisions or other failures {}",
        allowed + denied,
        wrong.len()
    );
    println!("last replica per call: {served:?}");
    assert!(
        wrong.is_empty(),
        "wrong decisions or lost calls:\n{}",
        wrong.join("\n")
    );
    assert_eq!(allowed + denied + failed, CALLS);
    assert_eq!(
        allowed + failed_lookups,
        CALLS / 2,
        "every lookup that arrived was allowed"
    );
    assert_eq!(
        denied + failed - failed_lookups,
        CALLS / 2,
        "every cancellation that arrived was refused"
    );
    assert!(
        failed <= CONCURRENCY,
        "only calls in flight at the kill may fail: {failed}"
    );
    assert_eq!(retried, retried_in_log);
}
