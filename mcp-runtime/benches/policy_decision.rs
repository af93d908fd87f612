//! The policy decision (`Engine::effective_scopes` + `Engine::decide`) for catalogs of 10,
//! 1 000 and 10 000 tools: it should cost well under a microsecond and not grow with the
//! catalog. Run with `cargo bench -p mcp-runtime --bench policy_decision`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mcp_runtime::authz::{Catalog, CatalogEntry};
use mcp_runtime::policy::{Engine, Policy, Source};
use mcp_runtime::{Access, Caller, Primitive};
use serde_json::json;
use std::hint::black_box;
use std::sync::Arc;

/// Scopes the tools are spread over (a policy holds at most 256).
const SCOPES: usize = 64;

/// A policy for `n` tools: tool `i` declares scope `s{i % 64}` (fewer scopes for fewer tools); an identity-provider scope
/// grants `admin`, which implies every scope; one tool also requires a tenant claim.
fn engine(n: usize) -> Engine {
    let scopes = SCOPES.min(n);
    let catalog = Catalog {
        server_name: "bench".into(),
        entries: (0..n)
            .map(|i| CatalogEntry {
                kind: Primitive::Tool,
                name: format!("tool_{i}"),
                access: Access::Scopes(vec![format!("s{}", i % scopes)]),
            })
            .collect(),
        ..Default::default()
    };
    let all: Vec<String> = (0..scopes).map(|i| format!("\"s{i}\"")).collect();
    let text = format!(
        r#"
[scopes]
implies = {{ "admin" = [{}] }}

[grants.scope]
"idp.all" = ["admin"]

[tools.{target}]
require_claims = {{ tenant = "acme" }}

[env.bench]
transport = "stdio"
principal = {{ sub = "local", scopes = ["s1"] }}
"#,
        all.join(", "),
        target = target(n),
    );
    let source = Source {
        name: "bench.toml".into(),
        text,
        base_dir: ".".into(),
    };
    Policy::parse(source, Arc::new(catalog))
        .expect("a valid policy")
        .compile("bench", &|_| None)
        .expect("a valid environment")
}

/// The tool whose call is decided: one in the middle of the catalog.
fn target(n: usize) -> String {
    format!("tool_{}", n / 2)
}

fn decide(c: &mut Criterion) {
    let caller = Caller::from_token(
        "alice",
        Some("cli".into()),
        ["idp.all", "profile"],
        json!({"tenant": "acme", "scope": "idp.all profile"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    let mut group = c.benchmark_group("policy");
    for n in [10, 1_000, 10_000] {
        let engine = engine(n);
        let tool = target(n);
        let effective = engine.effective_scopes(&caller);
        assert!(engine.decide(&caller, effective, &tool).is_allowed());
        group.bench_with_input(BenchmarkId::new("decide", n), &n, |b, _| {
            b.iter(|| {
                engine
                    .decide(black_box(&caller), effective, black_box(&tool))
                    .is_allowed()
            })
        });
        group.bench_with_input(
            BenchmarkId::new("effective_scopes+decide", n),
            &n,
            |b, _| {
                b.iter(|| {
                    let effective = engine.effective_scopes(black_box(&caller));
                    engine
                        .decide(black_box(&caller), effective, black_box(&tool))
                        .is_allowed()
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, decide);
criterion_main!(benches);
