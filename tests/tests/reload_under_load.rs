//! Policy reloads under load, over the stdio transport of the real `technova` binary: while
//! rounds of concurrent calls run, the policy file is rewritten with a grant, a broken file,
//! a revocation and the original. Every decision is checked: during a reload it may follow
//! the old or the new policy, once the reload is logged it must follow the new one, and a
//! broken file changes nothing. Nothing may be lost and the process must exit cleanly.

use e2e::{StdioPeer, root_policy, technova};
use serde_json::json;
use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

/// Calls in flight per round (below the transport's cap of 64).
const ROUND: i64 = 32;
/// Strict rounds after each reload is confirmed.
const STRICT_ROUNDS: usize = 4;

/// Whether the local user may look orders up and cancel them under one policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rights {
    lookup: bool,
    cancel: bool,
}

#[derive(Default)]
struct Tally {
    calls: usize,
    wrong: Vec<String>,
    lost: usize,
    internal_errors: usize,
}

/// One round: `ROUND` calls sent back to back (so they run concurrently), then every answer
/// collected and checked against `allowed` (the rights any acceptable policy gives).
async fn round(peer: &mut StdioPeer, next_id: &mut i64, allowed: &[Rights], tally: &mut Tally) {
    let mut sent = HashMap::new();
    for _ in 0..ROUND {
        *next_id += 1;
        let cancel = *next_id % 2 == 0;
        let params = if cancel {
            json!({"name": "cancel_order", "arguments": {"order_id": "TN-1002", "reason": "load"}})
        } else {
            json!({"name": "get_order_status", "arguments": {"order_id": "TN-1001"}})
        };
        peer.send(
            &json!({"jsonrpc": "2.0", "id": *next_id, "method": "tools/call", "params": params}),
        )
        .await;
        sent.insert(*next_id, cancel);
        tally.calls += 1;
    }
    let deadline = Instant::now() + e2e::TIMEOUT;
    while !sent.is_empty() && Instant::now() < deadline {
        let reply = peer.recv().await;
        if reply.get("method").is_some() {
            continue;
        }
        let Some(id) = reply["id"].as_i64() else {
            tally
                .wrong
                .push(format!("an answer without an id: {reply}"));
            continue;
        };
        let Some(cancel) = sent.remove(&id) else {
            tally.wrong.push(format!("an answer to nothing: {reply}"));
            continue;
        };
        let decision = match reply["error"]["code"].as_i64() {
            None if reply.get("result").is_some() => true,
            Some(-31003) => false,
            Some(-32603) => {
                tally.internal_errors += 1;
                continue;
            }
            _ => {
                tally.wrong.push(format!("an unexpected answer: {reply}"));
                continue;
            }
        };
        let right = allowed.iter().any(|r| {
            if cancel {
                r.cancel == decision
            } else {
                r.lookup == decision
            }
        });
        if !right {
            let what = if cancel { "cancel" } else { "lookup" };
            tally
                .wrong
                .push(format!("{what} decided {decision} under {allowed:?}"));
        }
    }
    tally.lost += sent.len();
}

fn count(peer: &StdioPeer, needle: &str) -> usize {
    peer.stderr().matches(needle).count()
}

#[tokio::test]
async fn reloads_under_load_never_make_a_wrong_decision() {
    // Without the approval step (this battery decides authorization, with no one to ask).
    let approval = "tools.cancel_order.approval = \"required\"";
    let shipped = std::fs::read_to_string(root_policy())
        .expect("policy.toml")
        .replace(approval, "");
    let local = r#"scopes = ["orders:read", "reports:run"]"#;
    assert!(shipped.contains(local));
    let grant = shipped.replace(local, r#"scopes = ["orders:write", "reports:run"]"#);
    let broken = grant.replace("[tools.cancel_order]", "[tools.cancel_ordr]");
    let revoke = shipped.replace(local, r#"scopes = ["reports:run"]"#);
    let dir = std::env::temp_dir().join(format!("technova-reload-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("policy.toml");
    std::fs::write(&path, &shipped).unwrap();

    let mut peer = StdioPeer::spawn(
        &technova(),
        &["serve", "--policy", path.to_str().unwrap()],
        &[(e2e::TECHNOVA_DB, ":memory:"), ("RUST_LOG", "info")],
    );
    peer.initialize("2025-11-25").await;
    let shipped_rights = Rights {
        lookup: true,
        cancel: false,
    };
    let phases = [
        (
            "grant",
            &grant,
            Rights {
                lookup: true,
                cancel: true,
            },
            "policy reloaded",
        ),
        (
            "broken",
            &broken,
            Rights {
                lookup: true,
                cancel: true,
            },
            "policy reload rejected",
        ),
        (
            "revoke",
            &revoke,
            Rights {
                lookup: false,
                cancel: false,
            },
            "policy reloaded",
        ),
        ("restore", &shipped, shipped_rights, "policy reloaded"),
    ];
    let mut tally = Tally::default();
    let mut id = 0;
    for _ in 0..STRICT_ROUNDS {
        round(&mut peer, &mut id, &[shipped_rights], &mut tally).await;
    }
    let mut before = shipped_rights;
    let mut reloads = 0;
    let started = Instant::now();
    for (name, text, after, logged) in phases {
        let seen = count(&peer, logged);
        std::fs::write(&path, text).unwrap();
        reloads += 1;
        // Until the reload is logged, either policy may decide.
        let phase_started = Instant::now();
        let deadline = phase_started + e2e::TIMEOUT;
        let mut hup_sent = false;
        while count(&peer, logged) == seen {
            round(&mut peer, &mut id, &[before, after], &mut tally).await;
            assert!(
                Instant::now() < deadline,
                "{name}: never logged {logged:?}:\n{}",
                peer.stderr()
            );
            if !hup_sent && phase_started.elapsed() > Duration::from_secs(3) {
                // The file watcher may have missed the write; SIGHUP reloads too.
                let pid = peer.id().expect("running").to_string();
                Command::new("kill").args(["-HUP", &pid]).status().unwrap();
                hup_sent = true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Let a second event of the same write settle, then hold the new policy to account.
        tokio::time::sleep(Duration::from_millis(400)).await;
        for _ in 0..STRICT_ROUNDS {
            round(&mut peer, &mut id, &[after], &mut tally).await;
        }
        before = after;
    }
    peer.close_stdin();
    let status = peer.wait(Duration::from_secs(20)).await;
    let stderr = peer.stderr();
    let crashed = !status.success() || stderr.contains("panicked");
    eprintln!(
        "battery[reload-under-load]: calls={} faults(reloads)={reloads} in={:?} wrong-decisions={} internal-errors={} lost={} crashes={}",
        tally.calls,
        started.elapsed(),
        tally.wrong.len(),
        tally.internal_errors,
        tally.lost,
        u8::from(crashed),
    );
    assert!(tally.wrong.is_empty(), "{:#?}", tally.wrong);
    assert_eq!((tally.lost, tally.internal_errors), (0, 0));
    assert!(!crashed, "{status}:\n{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
