//! Prompts, resources and resource templates under a policy: `[prompts.NAME]` and
//! `[resources."URI"]` rules tighten them per environment like tools (disable, require scopes,
//! require claims, rate-limit), listings hide what is disabled, and rules for items the
//! binary lacks are refused with their position and the closest name.

use mcp_runtime::authz::{Catalog, CatalogEntry, Primitive, Target};
use mcp_runtime::policy::{Policy, PolicyAuthorizer, PolicyError, PolicyHandle, Source};
use mcp_runtime::{Access, Authorizer, Caller, Refusal};
use serde_json::{Value, json};
use std::sync::Arc;

const TEMPLATE: &str = "technova://orders/{id}";

fn read() -> Access {
    Access::Scopes(vec!["orders:read".into()])
}

fn catalog() -> Arc<Catalog> {
    let entry = |kind, name: &str, access| CatalogEntry {
        kind,
        name: name.into(),
        access,
    };
    Arc::new(Catalog {
        server_name: "technova-orders".into(),
        entries: vec![
            entry(Primitive::Tool, "get_order_status", read()),
            entry(Primitive::Prompt, "summarize_order", read()),
            entry(Primitive::Prompt, "draft_apology", read()),
            entry(Primitive::Resource, "technova://catalog", Access::Public),
            entry(Primitive::Resource, TEMPLATE, read()),
        ],
        ..Default::default()
    })
}

const POLICY: &str = r#"
[scopes]
implies = { "orders:admin" = ["orders:read"] }
extra = ["orders:pii"]

[grants.role]
"support-agent" = ["orders:read"]

[prompts.draft_apology]
require_claims = { tenant = "technova" }

[env.staging]
transport = "http"
bind = "127.0.0.1:8080"
resource = "http://127.0.0.1:8080/mcp"

[env.prod]
extends = "staging"
prompts.summarize_order.enabled = false
resources."technova://orders/{id}".require_scopes = ["orders:pii"]
resources."technova://orders/{id}".rate_limit = "2/minute"
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

fn authorizer(text: &str, env: &str) -> PolicyAuthorizer {
    let engine = parse(text).unwrap().compile(env, &|_| None).unwrap();
    PolicyAuthorizer::new(Arc::new(PolicyHandle::fixed(engine)))
}

fn token(sub: &str, scopes: &[&str], claims: Value) -> Caller {
    Caller::from_token(
        sub,
        None,
        scopes.iter().copied(),
        claims.as_object().cloned().unwrap_or_default(),
    )
}

fn agent(tenant: Option<&str>) -> Caller {
    let mut claims = json!({"roles": ["support-agent"]});
    if let Some(t) = tenant {
        claims["tenant"] = json!(t);
    }
    token("agent", &[], claims)
}

fn prompt<'a>(name: &'a str, access: &'a Access) -> Target<'a> {
    Target {
        kind: Primitive::Prompt,
        name,
        access,
    }
}

fn resource<'a>(name: &'a str, access: &'a Access) -> Target<'a> {
    Target {
        kind: Primitive::Resource,
        name,
        access,
    }
}

/// `Ok(())`, or the denial's rule, missing scopes and reason.
fn decide(
    authz: &PolicyAuthorizer,
    caller: &Caller,
    target: &Target<'_>,
) -> Result<(), (String, Vec<String>, String)> {
    match authz.authorize(caller, target) {
        Ok(()) => Ok(()),
        Err(Refusal::Forbidden(d)) => {
            assert_eq!((d.kind, d.name.as_str()), (target.kind, target.name));
            Err((d.rule, d.missing, d.reason))
        }
        Err(other) => panic!("expected a denial, got {other:?}"),
    }
}

#[test]
fn without_an_environment_rule_the_declaration_decides() {
    let authz = authorizer(POLICY, "staging");
    let access = read();
    assert_eq!(
        decide(&authz, &agent(None), &prompt("summarize_order", &access)),
        Ok(())
    );
    assert_eq!(
        decide(&authz, &agent(None), &resource(TEMPLATE, &access)),
        Ok(())
    );
    let nobody = token("nobody", &["unrelated"], json!({}));
    assert_eq!(
        decide(&authz, &nobody, &prompt("summarize_order", &access)),
        Err((
            "declared:prompt:summarize_order".to_owned(),
            vec!["orders:read".to_owned()],
            "missing scope(s) orders:read".to_owned()
        ))
    );
    assert_eq!(
        decide(&authz, &nobody, &resource(TEMPLATE, &access)).map_err(|e| e.0),
        Err(format!("declared:resource:{TEMPLATE}"))
    );
    let public = Access::Public;
    assert_eq!(
        decide(&authz, &nobody, &resource("technova://catalog", &public)),
        Ok(())
    );
}

#[test]
fn a_prompt_rule_requires_claims_everywhere_and_an_environment_disables_one() {
    let staging = authorizer(POLICY, "staging");
    let access = read();
    let apology = prompt("draft_apology", &access);
    assert_eq!(
        decide(&staging, &agent(Some("other")), &apology),
        Err((
            "prompts.draft_apology.require_claims.tenant".to_owned(),
            vec![],
            "claim `tenant` must be one of: technova".to_owned()
        ))
    );
    assert_eq!(decide(&staging, &agent(Some("technova")), &apology), Ok(()));

    let prod = authorizer(POLICY, "prod");
    let admin = token("admin", &["orders:admin"], json!({}));
    assert_eq!(
        decide(&prod, &admin, &prompt("summarize_order", &access)),
        Err((
            "env.prod.prompts.summarize_order.enabled".to_owned(),
            vec![],
            "prompt `summarize_order` is disabled in environment `prod`".to_owned()
        ))
    );
    assert_eq!(
        decide(&staging, &admin, &prompt("summarize_order", &access)),
        Ok(()),
        "only prod disables it"
    );
}

#[test]
fn a_resource_template_rule_adds_a_scope_and_a_rate_limit_in_one_environment() {
    let prod = authorizer(POLICY, "prod");
    let access = read();
    let orders = resource(TEMPLATE, &access);
    match prod.authorize(&agent(None), &orders) {
        Err(Refusal::Forbidden(d)) => {
            assert_eq!(d.kind, Primitive::Resource);
            assert_eq!(d.required, ["orders:read", "orders:pii"]);
            assert_eq!(d.missing, ["orders:pii"]);
            assert_eq!(
                d.rule,
                format!("env.prod.resources.\"{TEMPLATE}\".require_scopes")
            );
        }
        other => panic!("expected a denial, got {other:?}"),
    }
    let cleared = token("cleared", &["orders:read", "orders:pii"], json!({}));
    assert!(prod.authorize(&cleared, &orders).is_ok());
    assert!(prod.authorize(&cleared, &orders).is_ok());
    match prod.authorize(&cleared, &orders) {
        Err(Refusal::RateLimited {
            kind,
            name,
            retry_after,
        }) => {
            assert_eq!((kind, name.as_str()), (Primitive::Resource, TEMPLATE));
            assert!(retry_after.as_secs() <= 30, "{retry_after:?}");
        }
        other => panic!("expected a rate limit, got {other:?}"),
    }
    // Each caller has its own budget; staging has neither the scope nor the limit.
    let other = token("other", &["orders:read", "orders:pii"], json!({}));
    assert!(prod.authorize(&other, &orders).is_ok());
    let staging = authorizer(POLICY, "staging");
    for _ in 0..3 {
        assert!(staging.authorize(&agent(None), &orders).is_ok());
    }
}

#[test]
fn listings_hide_what_is_disabled_or_refused() {
    let access = read();
    let prompts = [
        prompt("summarize_order", &access),
        prompt("draft_apology", &access),
    ];
    let prod = authorizer(POLICY, "prod");
    let (visible, scope) = prod.visible_among(&agent(Some("technova")), &prompts);
    assert_eq!(visible, [1], "summarize_order is disabled in prod");
    assert_eq!(scope.as_str(), "private");
    let (visible, _) = prod.visible_among(&agent(Some("other")), &prompts);
    assert!(visible.is_empty(), "draft_apology's claim fails");
    assert!(!prod.is_visible(&agent(None), &resource(TEMPLATE, &access)));

    let all = POLICY.replace("[env.staging]\n", "[env.staging]\nlist = \"all\"\n");
    let prod_all = authorizer(&all, "prod");
    let nobody = token("nobody", &[], json!({}));
    let (visible, scope) = prod_all.visible_among(&nobody, &prompts);
    assert_eq!(
        visible,
        [1],
        "`all` lists every enabled prompt, never a disabled one"
    );
    assert_eq!(scope.as_str(), "public");
    assert!(prod_all.is_visible(&nobody, &resource(TEMPLATE, &access)));
}

fn errors(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.diagnostics().iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn rules_for_prompts_and_resources_the_binary_lacks_are_refused_with_positions() {
    let broken = POLICY
        .replace("[prompts.draft_apology]", "[prompts.draft_apolgy]")
        .replace(
            "prompts.summarize_order.enabled",
            "prompts.summarise_order.enabled",
        )
        .replace(
            "resources.\"technova://orders/{id}\".rate_limit",
            "resources.\"technova://order/{id}\".rate_limit",
        );
    assert_eq!(
        errors(&broken),
        [
            "policy.toml:9:10: unknown prompt `draft_apolgy` in `prompts`: this binary has no such prompt; did you mean `draft_apology`?",
            "policy.toml:19:9: unknown prompt `summarise_order` in `env.prod.prompts`: this binary has no such prompt; did you mean `summarize_order`?",
            "policy.toml:21:11: unknown resource `technova://order/{id}` in `env.prod.resources`: this binary has no such resource or resource template; did you mean `technova://orders/{id}`?",
        ]
    );
    let scoped = POLICY.replace(
        "require_scopes = [\"orders:pii\"]",
        "require_scopes = [\"orders:pi\"]",
    );
    assert_eq!(
        errors(&scoped),
        [
            "policy.toml:20:54: unknown scope `orders:pi` in env.prod.resources.\"technova://orders/{id}\".require_scopes: no tool declares it and it is not in `scopes.extra` or `scopes.implies`; did you mean `orders:pii`?",
        ]
    );
    let misplaced = format!("{POLICY}\n[defaults.prompts.draft_apology]\nenabled = false\n");
    let errs = errors(&misplaced);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("prompt rules for every environment go in `[prompts.NAME]`"),
        "{errs:?}"
    );
    let typo = POLICY.replace(
        "prompts.summarize_order.enabled",
        "prompts.summarize_order.enable",
    );
    let errs = errors(&typo);
    assert_eq!(
        errs,
        [
            "policy.toml:19:25: unknown key `enable` in `env.prod.prompts.summarize_order`; expected one of: `enabled`, `require_scopes`, `require_claims`, `rate_limit`, `condition`, `mode`, `approval`; did you mean `enabled`?"
        ]
    );
}

#[test]
fn explain_decides_a_prompt_like_a_tool() {
    use clap::Parser;
    use mcp_runtime::cli::{Cli, execute};
    use mcp_runtime::registry::{Prompt, PromptMessage};
    use mcp_runtime::{CallToolResult, Content, Server, Tool};

    let build = |_| {
        Server::builder("technova-orders", "1.0.0")
            .tool(
                Tool::builder("get_order_status")
                    .description("d")
                    .scopes(["orders:read"])
                    .handler(|_, _| async { Ok(CallToolResult::default()) })
                    .build(),
            )
            .prompt(
                Prompt::builder("summarize_order")
                    .description("d")
                    .scopes(["orders:read"])
                    .handler(|_, _| async {
                        Ok(vec![PromptMessage::assistant(Content::text("s"))].into())
                    })
                    .build(),
            )
            .build()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.toml");
    let text = "[grants.role]\n\"support-agent\" = [\"orders:read\"]\n\
        [env.staging]\ntransport = \"http\"\nbind = \"127.0.0.1:8080\"\nresource = \"http://127.0.0.1:8080/mcp\"\n\
        [env.prod]\nextends = \"staging\"\nprompts.summarize_order.enabled = false\n";
    std::fs::write(&path, text).unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["technova", "explain", "--policy", path.to_str().unwrap()];
        all.extend_from_slice(args);
        let mut out = Vec::new();
        let code = execute(Cli::parse_from(all), build, &mut out);
        (code, String::from_utf8(out).unwrap())
    };
    let claims = r#"{"roles":["support-agent"]}"#;
    let (code, out) = run(&[
        "--env",
        "staging",
        "--prompt",
        "summarize_order",
        "--claims",
        claims,
    ]);
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{out}");
    assert!(out.contains("decision:         allow"), "{out}");
    assert!(out.contains("prompt:           summarize_order"), "{out}");
    assert!(
        out.contains("rule:             declared:prompt:summarize_order"),
        "{out}"
    );
    let (code, out) = run(&[
        "--env",
        "prod",
        "--prompt",
        "summarize_order",
        "--claims",
        claims,
    ]);
    assert_eq!(code, std::process::ExitCode::FAILURE, "{out}");
    assert!(
        out.contains("rule:             env.prod.prompts.summarize_order.enabled"),
        "{out}"
    );
    let (code, out) = run(&[
        "--env",
        "staging",
        "--tool",
        "get_order_status",
        "--scopes",
        "x",
    ]);
    assert_eq!(code, std::process::ExitCode::FAILURE, "{out}");
    assert!(out.contains("tool:             get_order_status"), "{out}");
    assert!(out.contains("missing scopes:   orders:read"), "{out}");
}
