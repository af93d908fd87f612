//! The coverage lint of `check`: items no caller can reach, grants that open nothing and
//! rules that never apply, each at `file:line:column`; `unreachable` acknowledges an item
//! meant to be out of reach, and is itself checked.

use mcp_runtime::Access;
use mcp_runtime::authz::{Catalog, CatalogEntry, Primitive};
use mcp_runtime::policy::{Policy, PolicyError, Source};
use std::sync::Arc;

fn catalog() -> Arc<Catalog> {
    let entry = |kind, name: &str, scope: &str| CatalogEntry {
        kind,
        name: name.into(),
        access: Access::Scopes(vec![scope.into()]),
    };
    Arc::new(Catalog {
        server_name: "t".into(),
        entries: vec![
            entry(Primitive::Tool, "get_order_status", "orders:read"),
            entry(Primitive::Tool, "cancel_order", "orders:write"),
            entry(Primitive::Tool, "export_orders_report", "reports:run"),
            entry(Primitive::Prompt, "draft_apology", "orders:read"),
        ],
        ..Default::default()
    })
}

fn parse(text: &str) -> Result<Policy, PolicyError> {
    Policy::parse(
        Source {
            name: "p.toml".into(),
            text: text.into(),
            base_dir: ".".into(),
        },
        catalog(),
    )
}

/// `(warnings, notes)` as printed, each `p.toml:L:C: message`.
fn lint(text: &str, only: Option<&str>) -> (Vec<String>, Vec<String>) {
    let c = parse(text).unwrap().coverage(&|_| None, only).unwrap();
    let s = |v: Vec<mcp_runtime::policy::Diagnostic>| v.iter().map(ToString::to_string).collect();
    (s(c.warnings), s(c.notes))
}

const HTTP: &str =
    "transport = \"http\"\nbind = \"127.0.0.1:1\"\nresource = \"http://127.0.0.1:1/mcp\"\n";

#[test]
fn a_policy_that_covers_everything_has_no_finding() {
    let text = format!(
        "[grants.role]\nlead = [\"orders:write\", \"orders:read\"]\nanalyst = [\"reports:run\"]\n[env.prod]\n{HTTP}"
    );
    assert_eq!(lint(&text, None), (vec![], vec![]));
}

#[test]
fn an_item_no_grant_reaches_is_reported_at_its_environment() {
    let text =
        format!("[grants.role]\nlead = [\"orders:write\", \"orders:read\"]\n[env.prod]\n{HTTP}");
    let (warnings, notes) = lint(&text, None);
    assert_eq!(
        warnings,
        [
            "p.toml:3:6: tool `export_orders_report` cannot be reached in environment `prod`: no grant yields reports:run (list it in `unreachable` if that is meant)"
        ]
    );
    assert!(notes.is_empty());

    // Without grants, tokens are expected to carry application scopes: nothing to report.
    assert_eq!(lint(&format!("[env.prod]\n{HTTP}"), None), (vec![], vec![]));
}

#[test]
fn the_only_caller_of_a_local_environment_decides_what_is_reachable() {
    let text = "[tools.export_orders_report]\nrequire_claims = { team = \"ops\" }\n[env.local]\ntransport = \"stdio\"\nprincipal = { sub = \"me\", scopes = [\"orders:read\", \"reports:run\"], claims = { team = \"support\" } }\n";
    let (warnings, _) = lint(text, None);
    assert_eq!(
        warnings,
        [
            "p.toml:3:6: tool `cancel_order` cannot be reached in environment `local`: its only caller, the local principal `me`, lacks orders:write (list it in `unreachable` if that is meant)",
            "p.toml:3:6: tool `export_orders_report` cannot be reached in environment `local`: the condition tools.export_orders_report.require_claims.team never holds for its only caller, the local principal `me` (list it in `unreachable` if that is meant)",
        ]
    );

    // Acknowledged: nothing to say, until an acknowledged item becomes reachable.
    let acknowledged =
        format!("{text}unreachable = [\"cancel_order\", \"export_orders_report\"]\n");
    assert_eq!(lint(&acknowledged, None).0, Vec::<String>::new());
    let stale = acknowledged.replace(
        "\"orders:read\", \"reports:run\"",
        "\"orders:read\", \"reports:run\", \"orders:write\"",
    );
    assert_eq!(
        lint(&stale, None).0,
        [
            "p.toml:6:16: tool `cancel_order` is listed in `unreachable` of environment `local`, but a caller can reach it"
        ]
    );
}

#[test]
fn a_switched_off_item_is_noted_and_rules_on_it_never_apply() {
    let text = format!(
        "[grants.role]\nlead = [\"orders:write\", \"orders:read\", \"reports:run\"]\n[env.staging]\n{HTTP}prompts.draft_apology.rate_limit = \"1/minute\"\n[env.prod]\nextends = \"staging\"\nprompts.draft_apology.enabled = false\n[env.dev]\n{HTTP}prompts.draft_apology.enabled = false\nprompts.draft_apology.require_claims = {{ tenant = \"t\" }}\n"
    );
    let (warnings, notes) = lint(&text, None);
    // In staging the rate limit applies, so that rule is alive; dev's claim rule is not.
    assert_eq!(
        warnings,
        [
            "p.toml:15:9: rule `env.dev.prompts.draft_apology` never applies: prompt `draft_apology` is switched off wherever it applies (dev)"
        ]
    );
    assert_eq!(
        notes,
        [
            "p.toml:10:33: prompt `draft_apology` is switched off in environment `prod` (env.prod.prompts.draft_apology.enabled)",
            "p.toml:15:33: prompt `draft_apology` is switched off in environment `dev` (env.dev.prompts.draft_apology.enabled)",
        ]
    );
    // `--env` narrows the per-environment findings, not the rules and grants.
    let (_, notes) = lint(&text, Some("prod"));
    assert_eq!(notes.len(), 1, "{notes:?}");
}

#[test]
fn a_grant_that_opens_nothing_is_reported_where_it_is_written() {
    let text = format!(
        "[scopes]\nextra = [\"audit:read\"]\n[grants.scope]\n\"tools.read\" = [\"orders:read\"]\n\"audit\" = [\"audit:read\"]\n[grants.role]\nlead = [\"orders:write\", \"reports:run\"]\n[env.prod]\n{HTTP}"
    );
    assert_eq!(
        lint(&text, None).0,
        [
            "p.toml:5:1: grants.scope.\"audit\" opens nothing: it yields audit:read, which no enabled tool, prompt or resource requires in any environment"
        ]
    );
}

#[test]
fn unreachable_names_must_exist() {
    let e = parse("[env.local]\ntransport = \"stdio\"\nprincipal = { sub = \"me\" }\nunreachable = [\"cancel_ordr\"]\n")
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "p.toml:4:16: unknown item `cancel_ordr` in `unreachable`: this binary has no such tool, prompt or resource; did you mean `cancel_order`?"
    );
}

#[test]
fn an_environment_that_does_not_compile_leaves_the_others_linted() {
    let text = format!(
        "[grants.role]\nlead = [\"orders:write\", \"orders:read\"]\n[env.prod]\n{HTTP}[env.staging]\ntransport = \"http\"\nbind = \"${{BIND}}\"\nresource = \"http://127.0.0.1:1/mcp\"\n"
    );
    let policy = parse(&text).unwrap();
    let bad = |v: &str| (v == "BIND").then(|| "not an address".to_owned());
    assert!(policy.compile("staging", &bad).is_err());
    let coverage = policy.coverage(&bad, Some("prod")).unwrap();
    assert_eq!(coverage.warnings.len(), 1, "{:?}", coverage.warnings);
    assert!(
        coverage.warnings[0]
            .message
            .contains("`export_orders_report` cannot be reached in environment `prod`")
    );
}
