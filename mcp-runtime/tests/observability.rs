//! Metrics, liveness and readiness through real sockets: the Prometheus exporter after real
//! calls (allowed and denied, valid and refused tokens, token-cache hits), where it is and is
//! not served, `/healthz` and `/readyz` (keys unavailable at start, recovery, no key fetch
//! per probe, no Host check, body limits), and the same registry fed by stdio.
//!
//! The registry is the process's: each test reads the change of the series it drives, and
//! no two tests drive the same series.

mod common;
mod faulty_idp;

use common::{Idp, Key, Running, call, client, now, test_server};
use faulty_idp::{FaultyIdp, Mode};
use mcp_runtime::policy::{Policy, PolicyAuthorizer, PolicyHandle, Source};
use mcp_runtime::transport::http::MetricsEndpoint;
use mcp_runtime::{Caller, Server};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const POLICY: &str = r#"
[grants.scope]
"orders:read" = ["orders:read"]
[env.test]
transport = "http"
bind = "127.0.0.1:8080"
resource = "http://127.0.0.1:8080/mcp"
"#;

/// The test server with a deployment policy, so decisions carry policy rules.
fn with_policy(server: Server) -> Server {
    let policy = Policy::parse(
        Source {
            name: "policy.toml".into(),
            text: POLICY.into(),
            base_dir: ".".into(),
        },
        Arc::new(server.catalog()),
    )
    .unwrap();
    let engine = policy.compile("test", &|_| None).unwrap();
    let authz = PolicyAuthorizer::new(Arc::new(PolicyHandle::fixed(engine)));
    server.with_authorizer(Arc::new(authz))
}

/// A loopback address with a free port.
fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// The value of the sample `series` (name and labels exactly as exported), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

/// The sum of every sample of `name` whose labels contain each of `labels`.
fn sum_where(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter(|l| labels.iter().all(|want| l.contains(want)))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum()
}

async fn scrape(addr: SocketAddr) -> String {
    let r = client()
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    r.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exporter_counts_real_calls_and_serves_only_on_its_own_listener() {
    let key = Key::generate("k1");
    let idp = Idp::start(&[&key]).await;
    let metrics_addr = free_addr();
    let srv = Running::start(with_policy(test_server().build().unwrap()), |c| {
        c.auth = Some(idp.validation(&c.resource));
        c.metrics = Some(MetricsEndpoint {
            bind: metrics_addr,
            path: "/metrics".into(),
        });
    })
    .await;
    let http = client();
    let reader = key.sign(&idp.claims("alice", "orders:read", &srv.resource), None);
    let mut expired_claims = idp.claims("alice", "orders:read", &srv.resource);
    expired_claims["exp"] = json!(now() - 3600);
    let expired = key.sign(&expired_claims, None);

    // Wait for the exporter, then take the starting figures.
    let started = Instant::now();
    let before = loop {
        match http
            .get(format!("http://{metrics_addr}/metrics"))
            .send()
            .await
        {
            Ok(r) if r.status() == 200 => break r.text().await.unwrap(),
            _ if started.elapsed() < Duration::from_secs(5) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => panic!("the exporter does not answer: {other:?}"),
        }
    };

    let lookup = |token: &str, tool: &str| {
        call(&http, &srv.url, 1, tool, json!({"order_id": "TN-1"})).bearer_auth(token.to_owned())
    };
    // Allowed twice with one token (the second validation is a cache hit), denied once.
    for _ in 0..2 {
        let r = lookup(&reader, "get_order_status").send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = lookup(&reader, "cancel_order").send().await.unwrap();
    assert_eq!(r.status(), 403);
    // Refused tokens: expired, and not a JWT at all.
    let r = lookup(&expired, "get_order_status").send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = lookup("not-a-jwt", "get_order_status")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // One legacy session.
    let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
        "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}});
    let r = http
        .post(&srv.url)
        .header("accept", "application/json, text/event-stream")
        .bearer_auth(&reader)
        .json(&init)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let after = scrape(metrics_addr).await;
    let delta = |series: &str| sample(&after, series) - sample(&before, series);
    let delta_where = |name: &str, labels: &[&str]| {
        sum_where(&after, name, labels) - sum_where(&before, name, labels)
    };
    let calls = r#"method="tools/call",era="modern",transport="http""#;
    assert_eq!(
        delta(&format!(r#"mcp_requests_total{{{calls},outcome="ok"}}"#)),
        2.0
    );
    assert_eq!(
        delta(&format!(
            r#"mcp_requests_total{{{calls},outcome="denied"}}"#
        )),
        1.0
    );
    assert_eq!(
        delta(&format!(r#"mcp_request_duration_seconds_count{{{calls}}}"#)),
        3.0,
        "one latency per handled call"
    );
    assert_eq!(
        delta_where(
            "mcp_authz_decisions_total",
            &[r#"kind="tool""#, r#"result="allow""#]
        ),
        2.0
    );
    assert_eq!(
        delta_where(
            "mcp_authz_decisions_total",
            &[r#"kind="tool""#, r#"result="deny""#]
        ),
        1.0
    );
    assert_eq!(
        delta(r#"mcp_authz_decision_duration_seconds_count{kind="tool"}"#),
        3.0
    );
    let decisions: Vec<&str> = after
        .lines()
        .filter(|l| l.starts_with("mcp_authz_decisions_total{"))
        .collect();
    assert!(
        decisions
            .iter()
            .any(|l| l.contains("cancel_order") && l.contains(r#"result="deny""#)),
        "the denial names the deciding rule: {decisions:?}"
    );
    // Four tokens on the MCP endpoint and one opening the session: three valid, one
    // expired, one malformed; the second and later uses of the valid token hit the cache.
    assert_eq!(
        delta(r#"mcp_token_validations_total{outcome="valid"}"#),
        4.0
    );
    assert_eq!(
        delta(r#"mcp_token_validations_total{outcome="expired"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"mcp_token_validations_total{outcome="malformed"}"#),
        1.0
    );
    assert_eq!(delta(r#"mcp_token_cache_lookups_total{result="hit"}"#), 3.0);
    assert_eq!(
        delta(r#"mcp_token_cache_lookups_total{result="miss"}"#),
        3.0
    );
    assert_eq!(sample(&after, "mcp_legacy_sessions_active"), 1.0);
    // Nothing about callers or their tokens.
    for secret in ["alice", reader.as_str(), expired.as_str(), "TN-1"] {
        assert!(!after.contains(secret), "the metrics leak `{secret:.20}`");
    }

    // Never on the MCP listener; the exporter serves its one path, for GET only.
    let r = http
        .get(format!("{}/metrics", srv.origin()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        404,
        "metrics are not served on the MCP listener"
    );
    let r = http
        .get(format!("http://{metrics_addr}/mcp"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http
        .post(format!("http://{metrics_addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_waits_for_signing_keys_without_a_fetch_per_probe() {
    let key = Key::generate("k1");
    let idp = FaultyIdp::start(vec![key.jwk.clone()], Mode::Down).await;
    let interval = Duration::from_millis(400);
    let srv = Running::start(test_server().build().unwrap(), |c| {
        c.auth = Some(idp.validation(&c.resource));
        c.jwks.min_refresh_interval = interval;
    })
    .await;
    let http = client();
    let ready = || async {
        let r = http
            .get(format!("{}/readyz", srv.origin()))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, text)
    };
    // Live from the start, not ready while no key can be had.
    let r = http
        .get(format!("{}/healthz", srv.origin()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.text().await.unwrap()),
        (200, "ok".into())
    );
    let (status, text) = ready().await;
    assert_eq!(status, 503, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["checks"]["signing_keys"], "unavailable");
    assert_eq!(body["checks"]["policy"], "ok");
    assert!(
        !text.contains(&idp.url) && !text.contains("jwks"),
        "no address in the body: {text}"
    );
    // A burst of probes within one refresh interval fetches at most once more.
    let fetches = idp.fetches();
    for _ in 0..20 {
        assert_eq!(ready().await.0, 503);
    }
    assert!(
        idp.fetches() <= fetches + 1,
        "{} fetches for 20 probes",
        idp.fetches() - fetches
    );
    // The issuer comes back: ready within a refresh interval or two, without any token.
    idp.set_mode(Mode::Up);
    let started = Instant::now();
    loop {
        let (status, text) = ready().await;
        if status == 200 {
            let body: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(body["status"], "ready");
            assert_eq!(body["checks"]["signing_keys"], "ok");
            break;
        }
        assert!(started.elapsed() < interval * 10, "still not ready: {text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Keys in hand stay in hand: the issuer going away again does not flap readiness.
    idp.set_mode(Mode::Down);
    let fetches = idp.fetches();
    for _ in 0..5 {
        assert_eq!(ready().await.0, 200);
    }
    assert_eq!(idp.fetches(), fetches, "probes reuse the keys in hand");
}

#[tokio::test]
async fn probes_skip_the_host_check_and_auth_but_keep_the_body_limit() {
    let srv = Running::start(test_server().build().unwrap(), |c| {
        c.max_body_bytes = 512;
    })
    .await;
    let http = client();
    for path in ["/healthz", "/readyz"] {
        let r = http
            .get(format!("{}{path}", srv.origin()))
            .header("host", "10.1.2.3:8080")
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "{path} answers a probe addressed by pod IP"
        );
        let r = http
            .get(format!("{}{path}", srv.origin()))
            .body(vec![b'x'; 1000])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413, "{path} keeps the body limit");
    }
    let r = http
        .get(format!("{}/readyz", srv.origin()))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["checks"]["signing_keys"], "not_required");
    // The MCP endpoint still refuses a foreign Host.
    let r = call(&http, &srv.url, 1, "count_up", json!({}))
        .header("host", "10.1.2.3:8080")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn stdio_requests_are_counted_in_the_same_registry() {
    let series =
        r#"mcp_requests_total{method="tools/call",era="modern",transport="stdio",outcome="ok"}"#;
    let before = sample(&mcp_runtime::metrics::render(), series);
    let line = |id: i64| {
        json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":{
            "name":"count_up","arguments":{},"_meta": common::meta()}})
    };
    let input = format!("{}\n{}\n", line(1), line(2));
    mcp_runtime::transport::stdio::serve(
        test_server().build().unwrap(),
        Caller::local("me", Vec::<String>::new()),
        Default::default(),
        input.as_bytes(),
        tokio::io::sink(),
    )
    .await
    .unwrap();
    let after = sample(&mcp_runtime::metrics::render(), series);
    assert_eq!(after - before, 2.0);
}
