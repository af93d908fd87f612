//! Faults under load over the Streamable HTTP transport (real sockets, loopback only, every
//! loop bounded in count and time): the key set going down, slow, garbage and rotated while
//! concurrent calls run; a panicking handler; clients that vanish mid-call; many idle and
//! slow connections; legacy sessions up to the cap. Each test counts what it tried and
//! asserts: no `5xx` but the `503` of unavailable keys (and of a full session table), no
//! wrong decision, nothing lost.

mod common;
mod faulty_idp;

use common::*;
use faulty_idp::{FaultyIdp, Mode};
use mcp_runtime::{CallToolResult, Content, Tool};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt as _;

/// What a request is, and so what it may be answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// A valid token calling a tool it may call.
    Allowed,
    /// A valid token calling a tool it may not call.
    Denied,
    /// A token signed by a key the issuer never published.
    Forged,
    /// An expired token.
    Expired,
    /// A token signed by a key the issuer has just retired.
    Retired,
}

const KINDS: [Kind; 4] = [Kind::Allowed, Kind::Denied, Kind::Forged, Kind::Expired];

/// The answers that are right for `kind`; `strict` when the key set is up and settled (no
/// `503` is right then).
fn acceptable(kind: Kind, strict: bool) -> &'static [u16] {
    match (kind, strict) {
        (Kind::Allowed, true) => &[200],
        (Kind::Allowed, false) => &[200, 503],
        (Kind::Denied, true) => &[403],
        (Kind::Denied, false) => &[403, 503],
        (Kind::Forged | Kind::Expired, true) => &[401],
        (Kind::Forged | Kind::Expired, false) => &[401, 503],
        (Kind::Retired, true) => &[200, 401],
        (Kind::Retired, false) => &[200, 401, 503],
    }
}

#[derive(Default)]
struct Tally {
    requests: AtomicUsize,
    lost: AtomicUsize,
    server_errors: AtomicUsize,
    unavailable: AtomicUsize,
    wrong: std::sync::Mutex<Vec<String>>,
    statuses: std::sync::Mutex<BTreeMap<u16, usize>>,
}

struct Tokens {
    allowed: String,
    forged: String,
    expired: String,
    retired: Option<String>,
}

fn tokens(signer: &Key, retired: Option<&Key>, issuer: &str, aud: &str) -> Tokens {
    let now = now();
    let claims = |sub: &str, exp: u64| {
        json!({"iss": issuer, "sub": sub, "aud": aud, "scope": "orders:read",
            "client_id": "load", "iat": now, "nbf": now.saturating_sub(60), "exp": exp})
    };
    Tokens {
        allowed: signer.sign(&claims("alice", now + 3600), None),
        forged: Key::generate("never-published").sign(&claims("mallory", now + 3600), None),
        expired: signer.sign(&claims("alice", now - 3600), None),
        retired: retired.map(|k| k.sign(&claims("alice", now + 3600), None)),
    }
}

/// Runs `workers` concurrent clients for `length`, each cycling through the kinds of request.
async fn load(srv: &Running, tokens: &Tokens, strict: bool, length: Duration, tally: &Tally) {
    let http = client();
    let until = Instant::now() + length;
    let mut kinds: Vec<Kind> = KINDS.to_vec();
    if tokens.retired.is_some() {
        kinds.push(Kind::Retired);
    }
    let workers = (0..8).map(|w| {
        let (http, kinds) = (http.clone(), kinds.clone());
        async move {
            let mut i = w;
            while Instant::now() < until {
                let kind = kinds[i % kinds.len()];
                i += 1;
                let (token, tool) = match kind {
                    Kind::Allowed => (&tokens.allowed, "get_order_status"),
                    Kind::Denied => (&tokens.allowed, "cancel_order"),
                    Kind::Forged => (&tokens.forged, "get_order_status"),
                    Kind::Expired => (&tokens.expired, "get_order_status"),
                    Kind::Retired => (tokens.retired.as_ref().unwrap(), "get_order_status"),
                };
                tally.requests.fetch_add(1, Ordering::Relaxed);
                let sent = call(&http, &srv.url, 1, tool, json!({"order_id": "TN-1"}))
                    .bearer_auth(token)
                    .timeout(Duration::from_secs(10))
                    .send()
                    .await;
                let Ok(response) = sent else {
                    tally.lost.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let status = response.status().as_u16();
                let _ = response.bytes().await;
                *tally.statuses.lock().unwrap().entry(status).or_default() += 1;
                if status == 503 {
                    tally.unavailable.fetch_add(1, Ordering::Relaxed);
                } else if status >= 500 {
                    tally.server_errors.fetch_add(1, Ordering::Relaxed);
                }
                if !acceptable(kind, strict).contains(&status) {
                    tally
                        .wrong
                        .lock()
                        .unwrap()
                        .push(format!("{kind:?} (strict: {strict}) answered {status}"));
                }
            }
        }
    });
    futures::future::join_all(workers).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_set_faults_under_load_fail_closed_and_recover() {
    let k1 = Key::generate("k1");
    let k2 = Key::generate("k2");
    let idp = FaultyIdp::start(vec![k1.jwk.clone()], Mode::Down).await;
    let settle = Duration::from_millis(250);
    let srv = Running::start(test_server().build().unwrap(), |c| {
        c.auth = Some(idp.validation(&c.resource));
        c.jwks.max_age = Duration::from_millis(200);
        c.jwks.min_refresh_interval = Duration::from_millis(50);
        c.jwks.fetch_timeout = Duration::from_millis(200);
    })
    .await;
    let tally = Tally::default();
    let phase = Duration::from_millis(400);
    let mut faults = 0;
    let old = tokens(&k1, None, &idp.url, &srv.resource);

    // 1. The key set is down from the start: nothing can be verified, nothing is accepted.
    faults += 1;
    load(&srv, &old, false, phase, &tally).await;
    assert_eq!(
        tally.statuses.lock().unwrap().get(&200),
        None,
        "nothing accepted without keys"
    );
    // 2. It comes back: served again, by itself.
    idp.set_mode(Mode::Up);
    tokio::time::sleep(settle).await;
    load(&srv, &old, true, phase, &tally).await;
    // 3-5. Slow, garbage, unusable: the keys already fetched stay in use.
    for mode in [Mode::Slow, Mode::Garbage, Mode::BadKeys] {
        faults += 1;
        idp.set_mode(mode);
        load(&srv, &old, false, phase, &tally).await;
    }
    idp.set_mode(Mode::Up);
    tokio::time::sleep(settle).await;
    load(&srv, &old, true, phase, &tally).await;
    // 6. Rotation: the new key is published first, used next, and the old one retired.
    faults += 1;
    idp.set_keys(vec![k1.jwk.clone(), k2.jwk.clone()]);
    tokio::time::sleep(settle).await;
    idp.set_keys(vec![k2.jwk.clone()]);
    let new = tokens(&k2, Some(&k1), &idp.url, &srv.resource);
    load(&srv, &new, true, phase, &tally).await;
    // 7. Down again after the rotation: the new key is cached and keeps working.
    faults += 1;
    idp.set_mode(Mode::Down);
    load(&srv, &new, false, phase, &tally).await;
    idp.set_mode(Mode::Up);
    tokio::time::sleep(settle).await;
    load(&srv, &new, true, phase, &tally).await;

    let wrong = tally.wrong.lock().unwrap().clone();
    eprintln!(
        "battery[jwks-faults]: requests={} faults={faults} key-fetches={} statuses={:?} 503={} other-5xx={} wrong-decisions={} lost={} crashes=0",
        tally.requests.load(Ordering::Relaxed),
        idp.fetches(),
        tally.statuses.lock().unwrap(),
        tally.unavailable.load(Ordering::Relaxed),
        tally.server_errors.load(Ordering::Relaxed),
        wrong.len(),
        tally.lost.load(Ordering::Relaxed),
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(tally.server_errors.load(Ordering::Relaxed), 0);
    assert_eq!(tally.lost.load(Ordering::Relaxed), 0);
    assert!(
        tally.unavailable.load(Ordering::Relaxed) > 0,
        "the outage was seen"
    );
}

fn text_of(body: &Value) -> Option<&str> {
    body["result"]["content"][0]["text"].as_str()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_is_an_error_result_and_the_server_lives_on() {
    // The injected panics are expected: keep their backtraces out of the output.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() != Some(&"handler bug") {
            default_hook(info);
        }
    }));
    let server = test_server()
        .tool(
            Tool::builder("boom")
                .description("Panics.")
                .public()
                .handler(|_ctx, _args| async move {
                    if std::hint::black_box(true) {
                        panic!("handler bug");
                    }
                    Ok(CallToolResult::success(vec![Content::text("unreachable")]))
                })
                .build(),
        )
        .build()
        .unwrap();
    let srv = Running::start(server, |_| {}).await;
    let http = client();
    let (panics, fine, bad) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let workers = (0..8).map(|w| {
        let (http, srv, panics, fine, bad) = (&http, &srv, &panics, &fine, &bad);
        async move {
            for i in 0..25 {
                let boom = (w + i) % 2 == 0;
                let (tool, args) = if boom {
                    ("boom", json!({}))
                } else {
                    ("sleepy", json!({"ms": 1}))
                };
                let r = call(http, &srv.url, 1, tool, args).send().await.unwrap();
                let (status, _, body) = parts(r, "content-type").await;
                let ok = status == 200
                    && if boom {
                        body["result"]["isError"] == true
                    } else {
                        text_of(&body) == Some("rested")
                    };
                if !ok {
                    bad.fetch_add(1, Ordering::Relaxed);
                } else if boom {
                    panics.fetch_add(1, Ordering::Relaxed);
                } else {
                    fine.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });
    futures::future::join_all(workers).await;
    eprintln!(
        "battery[panics]: requests=200 faults(panics)={} served-alongside={} 5xx-or-wrong={} crashes=0",
        panics.load(Ordering::Relaxed),
        fine.load(Ordering::Relaxed),
        bad.load(Ordering::Relaxed)
    );
    assert_eq!(bad.load(Ordering::Relaxed), 0);
    assert_eq!(panics.load(Ordering::Relaxed), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_vanish_mid_call_leave_the_server_serving() {
    let srv = Running::start(test_server().build().unwrap(), |_| {}).await;
    let http = client();
    // Legacy session whose calls run on after their client leaves.
    let r = http
        .post(&srv.url)
        .json(&json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
            "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"v","version":"1"}}}))
        .send()
        .await
        .unwrap();
    let session = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let mut vanished = 0;
    let mut drops = Vec::new();
    for i in 0..40 {
        vanished += 1;
        let rb = if i % 2 == 0 {
            call(&http, &srv.url, i, "sleepy", json!({"ms": 300}))
        } else {
            http.post(&srv.url)
                .header("mcp-session-id", &session)
                .header("mcp-protocol-version", "2025-11-25")
                .json(&json!({"jsonrpc":"2.0","id":i,"method":"tools/call",
                    "params":{"name":"sleepy","arguments":{"ms":300}}}))
        };
        drops.push(rb.timeout(Duration::from_millis(30)).send());
    }
    let outcomes = futures::future::join_all(drops).await;
    assert!(
        outcomes.iter().all(Result::is_err),
        "every client left early"
    );
    // A streaming call whose reader goes away after the first event.
    let r = call(&http, &srv.url, 99, "count_up", json!({}))
        .send()
        .await
        .unwrap();
    drop(r);
    vanished += 1;
    // Everything else still works, the legacy session included.
    let mut served = 0;
    for i in 0..20 {
        let r = call(&http, &srv.url, i, "sleepy", json!({"ms": 1}))
            .send()
            .await
            .unwrap();
        let (status, _, body) = parts(r, "content-type").await;
        assert_eq!((status, text_of(&body)), (200, Some("rested")));
        served += 1;
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let r = http
        .post(&srv.url)
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-11-25")
        .json(&json!({"jsonrpc":"2.0","id":1000,"method":"ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .delete(&srv.url)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    eprintln!(
        "battery[vanishing-clients]: faults(vanished)={vanished} served-after={served} 5xx=0 lost=0 crashes=0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_connections_do_not_starve_callers() {
    let srv = Running::start(test_server().build().unwrap(), |c| {
        c.anonymous_scopes = vec!["orders:read".into()];
    })
    .await;
    const IDLE: usize = 100;
    const SLOW: usize = 20;
    let mut idle = Vec::new();
    for _ in 0..IDLE {
        idle.push(tokio::net::TcpStream::connect(srv.addr).await.unwrap());
    }
    // Slow clients: a request trickled out one byte at a time (headers, then a body).
    let stop = Arc::new(AtomicBool::new(false));
    let mut slow = Vec::new();
    for i in 0..SLOW {
        let stop = stop.clone();
        let addr = srv.addr;
        slow.push(tokio::spawn(async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            let request = if i % 2 == 0 {
                "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n".to_owned()
            } else {
                "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n{\"jsonrpc\":\"2.0\",".to_owned()
            };
            for b in request.bytes().cycle().take(2000) {
                if stop.load(Ordering::SeqCst) || s.write_all(&[b]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let http = client();
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for i in 0..50 {
        let t = Instant::now();
        let r = call(
            &http,
            &srv.url,
            i,
            "get_order_status",
            json!({"order_id": "TN-1"}),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
        let r = call(&http, &srv.url, i, "sleepy", json!({"ms": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        slowest = slowest.max(t.elapsed());
    }
    stop.store(true, Ordering::SeqCst);
    for s in slow {
        s.abort();
    }
    drop(idle);
    eprintln!(
        "battery[idle-slow-connections]: idle={IDLE} slow={SLOW} calls=100 served-in={:?} slowest-pair={slowest:?} 5xx=0 crashes=0",
        started.elapsed()
    );
    assert!(slowest < Duration::from_secs(2), "{slowest:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_legacy_sessions_up_to_the_cap() {
    const CAP: usize = 2000;
    let srv = Running::start(test_server().build().unwrap(), |c| c.max_sessions = CAP).await;
    let http = client();
    let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
        "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"s","version":"1"}}});
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let ids = std::sync::Mutex::new(Vec::with_capacity(CAP));
    let workers = (0..16).map(|_| async {
        while next.fetch_add(1, Ordering::SeqCst) < CAP {
            let r = http.post(&srv.url).json(&init).send().await.unwrap();
            assert_eq!(r.status(), 200);
            let id = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
            ids.lock().unwrap().push(id);
        }
    });
    futures::future::join_all(workers).await;
    let mut ids = ids.into_inner().unwrap();
    let opened = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), CAP, "every session id is distinct");
    // Full: the next one is refused with 503 and Retry-After, and nothing else breaks.
    let r = http.post(&srv.url).json(&init).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let mut pinged = 0;
    for id in ids.iter().step_by(CAP / 100) {
        let r = http
            .post(&srv.url)
            .header("mcp-session-id", id)
            .header("mcp-protocol-version", "2025-11-25")
            .json(&json!({"jsonrpc":"2.0","id":1,"method":"ping"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        pinged += 1;
    }
    let r = call(&http, &srv.url, 1, "sleepy", json!({"ms": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "stateless calls are not held up by the table"
    );
    // One ends; one more may open.
    let r = http
        .delete(&srv.url)
        .header("mcp-session-id", &ids[0])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http.post(&srv.url).json(&init).send().await.unwrap();
    assert_eq!(r.status(), 200);
    eprintln!(
        "battery[sessions]: opened={opened} cap={CAP} refused-at-cap(503, expected)=1 pinged={pinged} in={:?} other-5xx=0 crashes=0",
        started.elapsed()
    );
}
