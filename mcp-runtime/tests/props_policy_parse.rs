//! Property tests of the policy loader through its public API: arbitrary bytes, and TOML
//! built from the policy's own tables and keys with values of every type, are parsed,
//! validated and compiled for each environment. Never a panic; a refusal is always a
//! [`PolicyError`] whose diagnostics carry a position in the file.

use mcp_runtime::authz::{Catalog, CatalogEntry, Primitive};
use mcp_runtime::policy::{Policy, Source};
use mcp_runtime::{Access, Caller};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn catalog() -> Arc<Catalog> {
    let entry = |kind, name: &str, scopes: &[&str]| CatalogEntry {
        kind,
        name: name.to_owned(),
        access: if scopes.is_empty() {
            Access::Public
        } else {
            Access::Scopes(scopes.iter().map(|s| (*s).to_owned()).collect())
        },
    };
    Arc::new(Catalog {
        server_name: "props".into(),
        entries: vec![
            entry(Primitive::Tool, "get_order_status", &["orders:read"]),
            entry(Primitive::Tool, "cancel_order", &["orders:write"]),
            entry(Primitive::Tool, "ping_tool", &[]),
            entry(Primitive::Prompt, "summary", &["orders:read"]),
            entry(Primitive::Resource, "orders://recent", &["orders:read"]),
        ],
        ..Default::default()
    })
}

/// Tables of the policy file (and a few that do not exist).
const TABLES: &[&str] = &[
    "server",
    "scopes",
    "scopes.implies",
    "grants",
    "grants.scope",
    "grants.role",
    "grants.claims",
    "tools.get_order_status",
    "tools.cancel_order",
    "tools.cancel_ordr",
    "prompts.summary",
    "resources.\"orders://recent\"",
    "defaults",
    "env.local",
    "env.prod",
    "env.prod.tools.cancel_order",
    "env.dev",
    "audit",
    "nonsense",
];

/// Keys the tables accept (and a few they do not), quoted when needed.
const KEYS: &[&str] = &[
    "name",
    "resource",
    "implies",
    "roles_claim",
    "\"tools.read\"",
    "\"support-lead\"",
    "\"orders:write\"",
    "enabled",
    "require",
    "require_claims",
    "rate_limit",
    "list",
    "transport",
    "bind",
    "extends",
    "principal",
    "auth",
    "auth.issuer",
    "auth.jwks",
    "auth.algorithms",
    "auth.leeway",
    "auth.audience",
    "token_env",
    "tools.cancel_order.rate_limit",
    "scopes",
    "sub",
    "claims",
    "tenant",
    "unknown_key",
];

fn toml_value() -> impl Strategy<Value = String> {
    let scalar = prop_oneof![
        proptest::sample::select(vec![
            "\"orders:read\"",
            "\"orders:write\"",
            "\"orders:admin\"",
            "\"http\"",
            "\"stdio\"",
            "\"127.0.0.1:8080\"",
            "\"0.0.0.0:99999\"",
            "\"http://127.0.0.1:8080/mcp\"",
            "\"${VAR}\"",
            "\"${VAR:-x}\"",
            "\"${\"",
            "\"5/minute\"",
            "\"0/second\"",
            "\"30s\"",
            "\"-1s\"",
            "\"permitted\"",
            "\"all\"",
            "\"RS256\"",
            "\"HS256\"",
            "\"none\"",
            "\"file:///nonexistent\"",
            "\"prod\"",
            "\"local\"",
            "true",
            "false",
            "0",
            "-1",
            "18446744073709551615",
            "1.5",
            "1979-05-27T07:32:00Z",
            "\"\"",
        ])
        .prop_map(str::to_owned),
        "\"[ -~]{0,12}\"".prop_map(|s| s.replace('\\', "")),
    ];
    scalar.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            vec(
                (
                    proptest::sample::select(KEYS).prop_map(str::to_owned),
                    inner
                ),
                0..3
            )
            .prop_map(|kv| {
                let body: Vec<String> = kv.into_iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("{{ {} }}", body.join(", "))
            }),
        ]
    })
}

fn toml_file() -> impl Strategy<Value = String> {
    vec(
        (
            proptest::sample::select(TABLES),
            vec((proptest::sample::select(KEYS), toml_value()), 0..5),
        ),
        0..6,
    )
    .prop_map(|tables| {
        let mut out = String::new();
        for (table, pairs) in tables {
            out.push_str(&format!("[{table}]\n"));
            for (k, v) in pairs {
                out.push_str(&format!("{k} = {v}\n"));
            }
        }
        out
    })
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Parses, validates and compiles every environment (and one that does not exist), then
/// decides one call per environment. Returns whether the file was accepted.
fn exercise(text: String) -> bool {
    let source = Source {
        name: "policy.toml".into(),
        text,
        base_dir: ".".into(),
    };
    let policy = match Policy::parse(source, catalog()) {
        Ok(p) => p,
        Err(e) => {
            let shown = e.to_string();
            assert!(!shown.is_empty());
            for d in e.diagnostics() {
                let line = d.to_string();
                assert!(line.starts_with("policy.toml:"), "{line}");
            }
            return false;
        }
    };
    let vars = |name: &str| (name == "VAR").then(|| "127.0.0.1:1".to_owned());
    let mut envs: Vec<String> = policy
        .environments()
        .into_iter()
        .map(str::to_owned)
        .collect();
    envs.push("missing".into());
    for env in envs {
        if let Ok(engine) = policy.compile(&env, &vars) {
            let caller =
                Caller::from_token("p", None, ["orders:read", "tools.read"], Default::default());
            let effective = engine.effective_scopes(&caller);
            let _ = engine.decide(&caller, effective, "cancel_order");
            let _ = engine.decide(&caller, effective, "nope");
        }
    }
    true
}

#[test]
fn arbitrary_bytes_are_refused_with_positions() {
    let tried = AtomicUsize::new(0);
    runner(1500)
        .run(&vec(any::<u8>(), 0..400), |bytes| {
            tried.fetch_add(1, Ordering::Relaxed);
            exercise(String::from_utf8_lossy(&bytes).into_owned());
            Ok(())
        })
        .unwrap();
    eprintln!(
        "battery[policy-bytes]: inputs={} panics=0",
        tried.into_inner()
    );
}

#[test]
fn policy_shaped_toml_is_typed_or_refused() {
    let tried = AtomicUsize::new(0);
    let accepted = AtomicUsize::new(0);
    runner(2500)
        .run(&toml_file(), |text| {
            tried.fetch_add(1, Ordering::Relaxed);
            if exercise(text) {
                accepted.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "battery[policy-toml]: inputs={} accepted={} panics=0",
        tried.into_inner(),
        accepted.into_inner()
    );
}
