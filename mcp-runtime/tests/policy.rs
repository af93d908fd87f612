//! The policy: decisions (table-driven), loader diagnostics (pinned), hot reload and rate
//! limits, through the public API.

use mcp_runtime::authz::{Catalog, CatalogEntry, Primitive, Target};
use mcp_runtime::policy::{Outcome, Policy, PolicyAuthorizer, PolicyError, PolicyHandle, Source};
use mcp_runtime::{Access, Authorizer, CallToolResult, Caller, McpError, Tool, ToolRegistry};
use serde_json::{Value, json};
use std::sync::Arc;

fn catalog() -> Arc<Catalog> {
    let s = |v: &[&str]| Access::Scopes(v.iter().map(|s| (*s).to_owned()).collect());
    let tool = |name: &str, access| CatalogEntry {
        kind: Primitive::Tool,
        name: name.into(),
        access,
    };
    Arc::new(Catalog {
        server_name: "technova-orders".into(),
        entries: vec![
            tool("get_order_status", s(&["orders:read"])),
            tool("list_orders", s(&["orders:read"])),
            tool("cancel_order", s(&["orders:write"])),
            tool("export_orders_report", s(&["reports:run"])),
            tool("health", Access::Public),
        ],
        ..Default::default()
    })
}

const POLICY: &str = r#"
[server]
name = "technova-orders"

[scopes]
implies = { "orders:admin" = ["orders:write", "reports:run"], "orders:write" = ["orders:read"] }
extra = ["reports:sensitive", "ops:health"]

[grants]
roles_claim = "realm_access.roles"

[grants.scope]
"tools.read" = ["orders:read"]

[grants.role]
"support-agent" = ["orders:read"]
"support-lead" = ["orders:write"]

[tools.cancel_order]
require_claims = { tenant = "technova" }

[env.local]
transport = "stdio"
principal = { sub = "me", scopes = ["orders:read", "reports:run"], claims = { tenant = "technova" } }

[env.staging]
transport = "http"
bind = "127.0.0.1:8080"
resource = "http://127.0.0.1:8080/mcp"
tools.export_orders_report.enabled = false
tools.health.require_scopes = ["ops:health"]

[env.prod]
extends = "staging"
tools.export_orders_report.enabled = true
tools.export_orders_report.require_scopes = ["reports:sensitive"]
tools.cancel_order.rate_limit = "2/minute"
tools.cancel_order.require_claims = { groups = ["emea", "apac"] }
"#;

fn parse(text: &str) -> Result<Policy, PolicyError> {
    Policy::parse(
        Source {
            name: "policy.toml".into(),
            text: text.into(),
            base_dir: ".".into(),
        },
        catalog(),
    )
}

fn token(scopes: &[&str], claims: Value) -> Caller {
    Caller::from_token(
        "sub-1",
        Some("client-1".into()),
        scopes.iter().copied(),
        claims.as_object().cloned().unwrap_or_default(),
    )
}

fn local() -> Caller {
    // The scopes given here are ignored: the policy's principal decides.
    Caller::local("me", ["orders:admin"])
}

#[test]
fn decisions_table() {
    let policy = parse(POLICY).expect("valid");
    let lead = json!({"realm_access": {"roles": ["support-lead"]}, "tenant": "technova", "groups": "emea"});
    #[rustfmt::skip]
    let rows: Vec<(&str, Caller, &str, &str, &str)> = vec![
        // env, caller, tool, expected ("allow" or "deny:<missing scopes>"/"deny"), rule
        ("local", local(), "get_order_status", "allow", "declared:get_order_status"),
        ("local", local(), "export_orders_report", "allow", "declared:export_orders_report"),
        ("local", local(), "cancel_order", "deny:orders:write", "declared:cancel_order"),
        ("local", token(&[], json!({})), "health", "allow", "declared:health"),
        ("staging", token(&["orders:read"], json!({})), "list_orders", "allow", "declared:list_orders"),
        ("staging", token(&[], json!({"scope": "openid tools.read"})), "get_order_status", "allow", "declared:get_order_status"),
        ("staging", token(&[], json!({"scp": ["tools.read"]})), "list_orders", "allow", "declared:list_orders"),
        ("staging", token(&["tools.write"], json!({})), "list_orders", "deny:orders:read", "declared:list_orders"),
        ("staging", token(&[], json!({"realm_access": {"roles": ["support-agent"]}})), "cancel_order", "deny:orders:write", "declared:cancel_order"),
        ("staging", token(&[], lead.clone()), "cancel_order", "allow", "declared:cancel_order + tools.cancel_order"),
        ("staging", token(&[], lead.clone()), "get_order_status", "allow", "declared:get_order_status"),
        ("staging", token(&[], json!({"realm_access": {"roles": ["support-lead"]}, "tenant": "other"})), "cancel_order", "deny", "tools.cancel_order.require_claims.tenant"),
        ("staging", token(&["orders:admin"], json!({})), "export_orders_report", "deny", "env.staging.tools.export_orders_report.enabled"),
        ("staging", token(&[], json!({})), "health", "deny:ops:health", "env.staging.tools.health.require_scopes"),
        ("staging", token(&["ops:health"], json!({})), "health", "allow", "declared:health + env.staging.tools.health"),
        ("prod", token(&["orders:admin"], json!({})), "export_orders_report", "deny:reports:sensitive", "env.prod.tools.export_orders_report.require_scopes"),
        ("prod", token(&["orders:admin", "reports:sensitive"], json!({})), "export_orders_report", "allow", "declared:export_orders_report + env.staging.tools.export_orders_report + env.prod.tools.export_orders_report"),
        ("prod", token(&[], lead.clone()), "cancel_order", "allow", "declared:cancel_order + tools.cancel_order + env.prod.tools.cancel_order"),
        ("prod", token(&[], json!({"realm_access": {"roles": ["support-lead"]}, "tenant": "technova", "groups": ["us"]})), "cancel_order", "deny", "env.prod.tools.cancel_order.require_claims.groups"),
    ];
    for (i, (env, caller, tool, expected, rule)) in rows.into_iter().enumerate() {
        let engine = policy.compile(env, &|_| None).expect("compiles");
        let effective = engine.effective_scopes(&caller);
        let decision = engine.decide(&caller, effective, tool);
        let got = match decision.outcome {
            Outcome::Allow => "allow".to_owned(),
            Outcome::MissingScopes(m) => format!("deny:{}", engine.scope_names(m).join(" ")),
            _ => "deny".to_owned(),
        };
        assert_eq!(got, expected, "row {i}: {env} {tool}");
        assert_eq!(engine.rule(&decision), rule, "row {i}: {env} {tool}");
    }
}

fn tool(name: &str, access: Access) -> Tool {
    Tool::builder(name)
        .description("d")
        .access(access)
        .handler(|_, _| async { Ok(CallToolResult::default()) })
        .build()
        .expect("tool")
}

fn registry() -> ToolRegistry {
    let mut r = ToolRegistry::new();
    for e in catalog().of_kind(Primitive::Tool) {
        r.register(tool(&e.name, e.access.clone())).expect("unique");
    }
    r
}

#[test]
fn the_authorizer_renders_typed_denials_and_rate_limits() {
    let policy = parse(POLICY).unwrap();
    let handle = Arc::new(PolicyHandle::fixed(
        policy.compile("prod", &|_| None).unwrap(),
    ));
    let authz = PolicyAuthorizer::new(handle);
    let registry = registry();
    let cancel = registry.get("cancel_order").unwrap();
    let agent = token(&["tools.read"], json!({}));
    match authz
        .authorize(&agent, &Target::tool(cancel))
        .map_err(McpError::from)
    {
        Err(McpError::Forbidden(d)) => {
            assert_eq!(d.required, ["orders:write"]);
            assert_eq!(d.missing, ["orders:write"]);
            assert_eq!(d.rule, "declared:cancel_order");
            assert_eq!(d.reason, "missing scope(s) orders:write");
        }
        other => panic!("expected Forbidden, got {other:?}"),
    }
    let lead = token(
        &[],
        json!({"realm_access": {"roles": ["support-lead"]}, "tenant": "technova", "groups": "apac"}),
    );
    assert!(
        authz
            .authorize(&lead, &Target::tool(cancel))
            .map_err(McpError::from)
            .is_ok()
    );
    assert!(
        authz
            .authorize(&lead, &Target::tool(cancel))
            .map_err(McpError::from)
            .is_ok()
    );
    match authz
        .authorize(&lead, &Target::tool(cancel))
        .map_err(McpError::from)
    {
        Err(e @ McpError::RateLimited { .. }) => {
            assert_eq!(e.code(), -31029);
            assert_eq!(e.http_status(), 429);
            let McpError::RateLimited {
                retry_after,
                name: tool,
                ..
            } = &e
            else {
                unreachable!()
            };
            assert_eq!(tool, "cancel_order");
            assert!(retry_after.as_secs() <= 30, "{retry_after:?}");
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    // Another caller has its own budget.
    let other_lead = Caller::from_token("sub-2", None, Vec::<String>::new(), lead.claims().clone());
    assert!(
        authz
            .authorize(&other_lead, &Target::tool(cancel))
            .map_err(McpError::from)
            .is_ok()
    );

    // Listing: only what the caller may call, marked private.
    let (names, scope) = list_visible(&authz, &agent, &registry);
    assert_eq!(names, ["get_order_status", "list_orders"]);
    assert_eq!(scope.as_str(), "private");
}

#[test]
fn list_all_shows_every_enabled_tool_publicly() {
    let text = POLICY.replace("[env.staging]\n", "[env.staging]\nlist = \"all\"\n");
    let policy = parse(&text).unwrap();
    let authz = PolicyAuthorizer::new(Arc::new(PolicyHandle::fixed(
        policy.compile("staging", &|_| None).unwrap(),
    )));
    let registry = registry();
    let (names, scope) = list_visible(&authz, &token(&[], json!({})), &registry);
    assert_eq!(
        names,
        ["get_order_status", "list_orders", "cancel_order", "health"]
    );
    assert_eq!(scope.as_str(), "public");
}

fn errors(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.diagnostics().iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn loader_errors_name_file_line_column_and_the_closest_name() {
    let broken = POLICY
        .replace("[tools.cancel_order]", "[tools.cancel_ordr]")
        .replace(r#"extends = "staging""#, r#"extends = "stagng""#)
        .replace(
            r#"require_scopes = ["reports:sensitive"]"#,
            r#"require_scopes = ["reports:sensitiv"]"#,
        )
        .replace(r#""2/minute""#, r#""2 per minute""#);
    assert_eq!(
        errors(&broken),
        [
            "policy.toml:19:8: unknown tool `cancel_ordr` in `tools`: this binary has no such tool; did you mean `cancel_order`?",
            "policy.toml:34:11: unknown environment `stagng` in `extends`; did you mean `staging`?",
            "policy.toml:36:46: unknown scope `reports:sensitiv` in env.prod.tools.export_orders_report.require_scopes: no tool declares it and it is not in `scopes.extra` or `scopes.implies`; did you mean `reports:sensitive`?",
            "policy.toml:37:33: invalid rate limit `2 per minute`; write `N/second`, `N/minute`, `N/hour` or `none`",
        ]
    );
}

#[test]
fn a_token_cache_size_out_of_range_is_refused_where_it_is_written() {
    for (value, column) in [("-1", 55), ("10000001", 55)] {
        let broken = POLICY.replace(
            "resource = \"http://127.0.0.1:8080/mcp\"",
            &format!("resource = \"http://127.0.0.1:8080/mcp\"\nauth = {{ issuer = \"https://id.example\", token_cache = {value} }}"),
        );
        assert_eq!(
            errors(&broken),
            [format!(
                "policy.toml:30:{column}: `auth.token_cache` must be between 0 (no cache) and 10000000 tokens, not {value}"
            )]
        );
    }
    let fine = POLICY.replace(
        "resource = \"http://127.0.0.1:8080/mcp\"",
        "resource = \"http://127.0.0.1:8080/mcp\"\nauth = { issuer = \"https://id.example\", token_cache = 0 }",
    );
    assert!(parse(&fine).is_ok(), "0 turns the cache off");
}

#[test]
fn unknown_keys_and_values_are_all_reported_with_suggestions() {
    let broken = POLICY
        .replace("[grants]\n", "[grants]\nrole_claim = \"x\"\n")
        .replace("transport = \"http\"", "transport = \"htp\"")
        .replace("tools.health.require_scopes", "tools.health.require_scope");
    assert_eq!(
        errors(&broken),
        [
            "policy.toml:10:1: unknown key `role_claim` in `grants`; expected one of: `scope`, `role`, `roles_claim`; did you mean `roles_claim`?",
            "policy.toml:32:14: unknown key `require_scope` in `env.staging.tools.health`; expected one of: `enabled`, `require_scopes`, `require_claims`, `rate_limit`, `condition`, `mode`, `approval`; did you mean `require_scopes`?",
        ]
    );
    let bad_value = POLICY.replace("transport = \"http\"", "transport = \"htp\"");
    assert_eq!(
        errors(&bad_value),
        [
            "policy.toml:27:13: unknown variant `htp`, expected `stdio` or `http`; did you mean `http`?"
        ]
    );
    let bad_alg = POLICY.replace(
        "resource = \"http://127.0.0.1:8080/mcp\"",
        "resource = \"http://127.0.0.1:8080/mcp\"\nauth = { issuer = \"https://id.example\", algorithms = [\"HS256\", \"RS265\"] }",
    );
    let errs = errors(&bad_alg);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(
        errs[0].starts_with("policy.toml:30:55: algorithm `HS256` is not accepted"),
        "{errs:?}"
    );
    assert!(errs[1].ends_with("did you mean `RS256`?"), "{errs:?}");
}

#[test]
fn a_rule_for_a_tool_the_binary_lacks_fails() {
    let stale = format!("{POLICY}\n[tools.refund_order]\nenabled = false\n");
    let errs = errors(&stale);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].contains("unknown tool `refund_order`"), "{errs:?}");
}

#[test]
fn unknown_environment_and_server_mismatch() {
    let policy = parse(POLICY).unwrap();
    let err = policy.compile("prd", &|_| None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "policy.toml: no environment `prd` (did you mean `prod`?); defined: local, prod, staging"
    );
    let errs = errors(&POLICY.replace("name = \"technova-orders\"", "name = \"billing\""));
    assert_eq!(
        errs,
        [
            "policy.toml:3:8: this policy is for server `billing`, but this binary is `technova-orders`"
        ]
    );
}

#[test]
fn interpolation_defaults_unset_variables_and_syntax() {
    let text = POLICY.replace(
        "resource = \"http://127.0.0.1:8080/mcp\"",
        "resource = \"${RES:-http://127.0.0.1:8080/mcp}\"\nauth = { issuer = \"${ISS}\", jwks = \"file://keys/jwks.json\" }",
    );
    let policy = parse(&text).unwrap();
    let unset = policy.compile("staging", &|_| None).unwrap();
    assert_eq!(
        unset.settings().resource.as_deref(),
        Some("http://127.0.0.1:8080/mcp")
    );
    assert_eq!(unset.settings().unresolved.len(), 1);
    assert!(
        unset.settings().unresolved[0]
            .to_string()
            .starts_with("policy.toml:30:19: environment variable `ISS` is not set"),
        "{}",
        unset.settings().unresolved[0]
    );
    let vars = |v: &str| match v {
        "ISS" => Some("https://id.example/realms/t".to_owned()),
        "RES" => Some("https://mcp.example/mcp".to_owned()),
        _ => None,
    };
    let set = policy.compile("staging", &vars).unwrap();
    let auth = set.settings().auth.clone().expect("auth");
    assert_eq!(auth.issuer, "https://id.example/realms/t");
    assert_eq!(
        auth.audience, "https://mcp.example/mcp",
        "audience defaults to the resource"
    );
    assert_eq!(auth.jwks_uri.as_deref(), Some("file://./keys/jwks.json"));
    assert_eq!(auth.algorithms, ["RS256", "ES256"]);
    let errs = errors(&POLICY.replace("bind = \"127.0.0.1:8080\"", "bind = \"${BIND\""));
    assert_eq!(errs, ["policy.toml:28:8: `${` is not closed by `}`"]);
}

mod reload {
    use super::*;

    fn write(path: &std::path::Path, text: &str) {
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn good_then_bad_then_good() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.toml");
        write(&path, POLICY);
        let handle = Arc::new(
            PolicyHandle::load_with_vars(&path, "local", catalog(), Box::new(|_| None)).unwrap(),
        );
        let authz = PolicyAuthorizer::new(handle.clone());
        let mut revisions = handle.revisions();
        let registry = registry();
        let cancel = registry.get("cancel_order").unwrap();
        let me = local();
        assert!(!revisions.has_changed().unwrap(), "nothing reloaded yet");
        assert!(
            authz
                .authorize(&me, &Target::tool(cancel))
                .map_err(McpError::from)
                .is_err()
        );
        let before = handle.snapshot();

        // Good: the local user now holds orders:write.
        write(
            &path,
            &POLICY.replace(
                r#"scopes = ["orders:read", "reports:run"]"#,
                r#"scopes = ["orders:write"]"#,
            ),
        );
        assert_eq!(handle.reload().unwrap(), 1);
        assert!(revisions.has_changed().unwrap());
        assert_eq!(*revisions.borrow_and_update(), 1);
        assert!(
            authz
                .authorize(&me, &Target::tool(cancel))
                .map_err(McpError::from)
                .is_ok()
        );
        // A request that took its snapshot earlier still decides under the old policy.
        let eff = before.effective_scopes(&me);
        assert!(!before.decide(&me, eff, "cancel_order").is_allowed());

        // Bad: refused with positions; the last good policy stays.
        write(
            &path,
            &POLICY.replace("[tools.cancel_order]", "[tools.cancel_ordr]"),
        );
        let err = handle.reload().unwrap_err();
        assert_eq!(err.diagnostics().len(), 1);
        assert_eq!(err.diagnostics()[0].line, 19);
        assert_eq!(err.diagnostics()[0].column, 8);
        assert_eq!(handle.snapshot().revision(), 1);
        assert!(
            !revisions.has_changed().unwrap(),
            "a failed reload publishes nothing"
        );
        assert!(
            authz
                .authorize(&me, &Target::tool(cancel))
                .map_err(McpError::from)
                .is_ok()
        );

        // Good again: back to read-only.
        write(&path, POLICY);
        assert_eq!(handle.reload().unwrap(), 2);
        assert_eq!(*revisions.borrow_and_update(), 2);
        assert!(
            authz
                .authorize(&me, &Target::tool(cancel))
                .map_err(McpError::from)
                .is_err()
        );
    }

    #[test]
    fn a_missing_file_keeps_the_policy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.toml");
        write(&path, POLICY);
        let handle =
            PolicyHandle::load_with_vars(&path, "local", catalog(), Box::new(|_| None)).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(handle.reload(), Err(PolicyError::Io { .. })));
        assert_eq!(handle.snapshot().env(), "local");
    }
}

/// A caller's effective scopes are remembered on the caller (the token cache serves the same
/// caller again), but only for the engine that mapped them: a reloaded policy with other
/// grants maps the same caller afresh, and the older engine still maps it its own way.
#[test]
fn remembered_scopes_belong_to_the_engine_that_mapped_them() {
    let agent = token(
        &[],
        json!({"realm_access": {"roles": ["support-agent"]}, "tenant": "technova"}),
    );
    let before = parse(POLICY)
        .unwrap()
        .compile("staging", &|_| None)
        .unwrap();
    let promoted = POLICY.replace(
        r#""support-agent" = ["orders:read"]"#,
        r#""support-agent" = ["orders:write"]"#,
    );
    let after = parse(&promoted)
        .unwrap()
        .compile("staging", &|_| None)
        .unwrap();
    assert_ne!(before.id(), after.id());
    for _ in 0..2 {
        let old = before.effective_scopes(&agent);
        assert_eq!(before.scope_names(old), ["orders:read"]);
        assert!(!before.decide(&agent, old, "cancel_order").is_allowed());
        let new = after.effective_scopes(&agent);
        assert_eq!(after.scope_names(new), ["orders:read", "orders:write"]);
        assert!(after.decide(&agent, new, "cancel_order").is_allowed());
    }
    // A caller rebuilt with other scopes is mapped again, even by the same engine.
    let reader = agent.clone().with_claims(serde_json::Map::new());
    assert!(before.effective_scopes(&reader).is_empty());
}

#[test]
fn prompts_and_resources_follow_the_policys_grants_and_hierarchy() {
    let policy = parse(POLICY).unwrap();
    let authz = PolicyAuthorizer::new(Arc::new(PolicyHandle::fixed(
        policy.compile("staging", &|_| None).unwrap(),
    )));
    let read = Access::Scopes(vec!["orders:read".into()]);
    let unknown_to_policy = Access::Scopes(vec!["catalog:browse".into()]);
    let target = |access| Target {
        kind: Primitive::Resource,
        name: "technova://orders/TN-1001",
        access,
    };
    // A role granted through the policy, and a broader scope through the hierarchy.
    let agent = token(
        &[],
        json!({"realm_access": {"roles": ["support-agent"]}, "tenant": "technova"}),
    );
    assert!(authz.authorize(&agent, &target(&read)).is_ok());
    let lead = token(&[], json!({"realm_access": {"roles": ["support-lead"]}}));
    assert!(authz.authorize(&lead, &target(&read)).is_ok());
    assert!(authz.is_visible(&lead, &target(&read)));
    // Nothing granted: refused with the missing scope.
    let nobody = token(&["unrelated"], json!({}));
    match authz
        .authorize(&nobody, &target(&read))
        .map_err(McpError::from)
    {
        Err(McpError::Forbidden(denial)) => {
            assert_eq!(denial.kind, Primitive::Resource);
            assert_eq!(denial.missing, ["orders:read"]);
        }
        other => panic!("expected a denial, got {other:?}"),
    }
    assert!(!authz.is_visible(&nobody, &target(&read)));
    // A scope the policy does not know is checked against the token's own scopes.
    let browser = token(&["catalog:browse"], json!({}));
    assert!(
        authz
            .authorize(&browser, &target(&unknown_to_policy))
            .is_ok()
    );
    assert!(
        authz
            .authorize(&agent, &target(&unknown_to_policy))
            .is_err()
    );
}

#[test]
fn signing_keys_are_fetched_over_tls_except_on_loopback() {
    let clear = POLICY.replace(
        "[env.staging]\n",
        "[env.staging]\nauth.issuer = \"http://idp.example.com/realms/technova\"\nauth.jwks = \"http://idp.example.com/jwks\"\n",
    );
    let err = parse(&clear)
        .unwrap()
        .compile("staging", &|_| None)
        .unwrap_err();
    let messages: Vec<String> = err.diagnostics().iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    for m in &messages {
        assert!(m.starts_with("policy.toml:"), "positioned: {m}");
        assert!(m.contains("must use https"), "{m}");
    }
    let fine = POLICY.replace(
        "[env.staging]\n",
        "[env.staging]\nauth.issuer = \"http://127.0.0.1:4000\"\nauth.jwks = \"https://idp.example.com/jwks\"\n",
    );
    assert!(parse(&fine).unwrap().compile("staging", &|_| None).is_ok());
}

/// The names `tools/list` shows `caller`, and the list's cache scope.
fn list_visible(
    authz: &PolicyAuthorizer,
    caller: &Caller,
    registry: &ToolRegistry,
) -> (Vec<String>, mcp_runtime::CacheScope) {
    let targets: Vec<Target<'_>> = registry.iter().map(|t| Target::tool(t)).collect();
    let (visible, scope) = authz.visible_among(caller, &targets);
    let names = visible
        .iter()
        .map(|&i| targets[i].name.to_owned())
        .collect();
    (names, scope)
}
