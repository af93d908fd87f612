//! Conditions in `policy.toml`: checked at load against each tool's input schema (unknown
//! arguments, mismatched types, unsupported functions and unresolvable `resource` are
//! diagnostics at `file:line:column`), then decided per call, with the rule and the
//! condition named in the denial; a shadow-mode rule only audits.

use mcp_runtime::authz::{CallInput, Catalog, CatalogEntry, Primitive, Refusal, Target, ToolInput};
use mcp_runtime::policy::{Policy, PolicyAuthorizer, PolicyHandle, Source};
use mcp_runtime::{Access, Authorizer, CallToolResult, Caller, Tool};
use serde_json::{Map, Value, json};
use std::sync::Arc;

fn catalog() -> Arc<Catalog> {
    let entry = |name: &str, scope: &str| CatalogEntry {
        kind: Primitive::Tool,
        name: name.into(),
        access: Access::Scopes(vec![scope.into()]),
    };
    let refund = json!({
        "type": "object",
        "properties": {
            "order_id": {"$ref": "#/$defs/OrderId"},
            "amount": {"type": "number"},
            "note": {"type": ["string", "null"]},
            "tags": {"type": "array", "items": {"type": "string"}}
        },
        "$defs": {"OrderId": {"type": "string", "pattern": "^TN-[0-9]+$"}}
    });
    let list = json!({"type": "object", "properties": {"customer": {"type": "string"}}});
    Arc::new(Catalog {
        server_name: "shop".into(),
        entries: vec![
            entry("refund_order", "orders:write"),
            entry("list_orders", "orders:read"),
        ],
        inputs: [
            (
                "refund_order".to_owned(),
                ToolInput {
                    schema: refund,
                    resource_argument: Some("order_id".into()),
                },
            ),
            (
                "list_orders".to_owned(),
                ToolInput {
                    schema: list,
                    resource_argument: None,
                },
            ),
        ]
        .into(),
    })
}

const HEAD: &str = "[env.prod]\ntransport = \"stdio\"\ntoken_env = \"SHOP_TOKEN\"\n";

fn parse(rules: &str) -> Result<Policy, Vec<String>> {
    let text = format!("{HEAD}{rules}");
    let source = Source {
        name: "policy.toml".into(),
        text,
        base_dir: ".".into(),
    };
    Policy::parse(source, catalog())
        .map_err(|e| e.diagnostics().iter().map(ToString::to_string).collect())
}

fn errors(rules: &str) -> Vec<String> {
    parse(rules).expect_err("the policy is refused")
}

#[test]
fn conditions_are_typed_against_the_input_schema_at_load() {
    // The condition is on line 5; its expression starts at column 14.
    assert_eq!(
        errors("[tools.refund_order]\ncondition = \"args.amout <= 100\"\n"),
        [
            "policy.toml:5:19: in condition `args.amout <= 100`: unknown argument `amout` of tool `refund_order`, which has: `amount`, `note`, `order_id`, `tags`; did you mean `amount`?"
        ]
    );
    assert_eq!(
        errors("[tools.refund_order]\ncondition = \"args.amount <= '100'\"\n"),
        [
            "policy.toml:5:26: in condition `args.amount <= '100'`: `args.amount` is a number and cannot be ordered against the literal, which is a string"
        ]
    );
    assert_eq!(
        errors("[tools.refund_order]\ncondition = \"args.order_id == 7\"\n"),
        [
            "policy.toml:5:28: in condition `args.order_id == 7`: `args.order_id` is a string and cannot be compared with the literal, which is a number"
        ]
    );
    assert_eq!(
        errors("[tools.refund_order]\ncondition = \"7 in args.tags\"\n"),
        [
            "policy.toml:5:16: in condition `7 in args.tags`: `in` needs a list of the same type or a map on the right: the literal is a number, `args.tags` is a list"
        ]
    );
    assert_eq!(
        errors("[tools.list_orders]\ncondition = \"resource.tenant == claims.tenant\"\n"),
        [
            "policy.toml:5:14: in condition `resource.tenant == claims.tenant`: tool `list_orders` names no resource, so a condition on it cannot read `resource` (the server declares one with `ServerBuilder::resource_argument`)"
        ]
    );
    assert_eq!(
        errors("[tools.list_orders]\ncondition = \"clams.tenant == 'a'\"\n"),
        [
            "policy.toml:5:14: in condition `clams.tenant == 'a'`: unknown variable `clams`: a condition reads `claims`, `args`, `env`, `resource`; did you mean `claims`?"
        ]
    );
    assert_eq!(
        errors("[tools.list_orders]\ncondition = \"args.customer.matches('a')\"\n"),
        [
            "policy.toml:5:35: in condition `args.customer.matches('a')`: `matches` is not supported in policy conditions (supported: comparisons, `&&`, `||`, `!`, `?:`, arithmetic, `in`, indexing, `has`, `size`, `startsWith`, `endsWith`, `contains`, `string`, `int`, `uint`, `double`)"
        ]
    );
    let syntax = errors("[tools.list_orders]\ncondition = \"args.customer ==\"\n");
    assert!(
        syntax[0].starts_with("policy.toml:5:")
            && syntax[0].contains("invalid condition `args.customer ==`"),
        "{syntax:?}"
    );
    let per_env = errors("[env.prod.tools.list_orders]\ncondition = \"size(args.customer)\"\n");
    assert_eq!(
        per_env,
        [
            "policy.toml:5:18: in condition `size(args.customer)`: a condition must be true or false, but `size(args.customer)` is a number"
        ]
    );
    // Well-typed conditions load.
    for ok in [
        "args.amount <= 100 && args.note != null",
        "'vip' in args.tags || claims.tier == 'gold'",
        "resource.tenant == claims.tenant && env.name == 'prod'",
        "has(args.note) ? size(args.note) < 200 : true",
        "args.order_id.startsWith('TN-') && string(args.amount) != ''",
    ] {
        let rules = format!("[tools.refund_order]\ncondition = \"{ok}\"\n");
        assert!(parse(&rules).is_ok(), "{ok}: {:?}", parse(&rules).err());
    }
}

fn authorizer(rules: &str) -> PolicyAuthorizer {
    let policy = parse(rules).expect("valid");
    let engine = policy.compile("prod", &|_| None).expect("compiles");
    PolicyAuthorizer::new(Arc::new(PolicyHandle::fixed(engine)))
}

fn refund_tool() -> Tool {
    Tool::builder("refund_order")
        .description("Refund.")
        .scopes(["orders:write"])
        .handler(|_, _| async { Ok(CallToolResult::default()) })
        .build()
        .unwrap()
}

fn caller(tenant: &str) -> Caller {
    let claims = json!({"tenant": tenant}).as_object().unwrap().clone();
    Caller::from_token("ana", None, ["orders:write"], claims)
}

#[test]
fn conditions_decide_each_call_and_denials_name_rule_and_condition() {
    let authz = authorizer(
        "[tools.refund_order]\ncondition = \"args.amount <= 100\"\n[env.prod.tools.refund_order]\ncondition = \"resource.tenant == claims.tenant\"\n",
    );
    let tool = refund_tool();
    let target = Target::tool(&tool);
    let acme: Map<String, Value> = json!({"tenant": "acme"}).as_object().unwrap().clone();
    let call = |amount: f64, resource: Option<Result<&Map<String, Value>, &str>>| {
        let arguments = json!({"order_id": "TN-1", "amount": amount});
        authz.authorize_call(
            &caller("acme"),
            &target,
            &CallInput {
                arguments: &arguments,
                resource,
            },
        )
    };
    assert!(authz.needs_resource(&caller("acme"), &target));
    assert_eq!(call(40.0, Some(Ok(&acme))), Ok(()));

    let Err(Refusal::Forbidden(over)) = call(140.0, Some(Ok(&acme))) else {
        panic!("an amount over 100 is refused");
    };
    assert_eq!(over.rule, "tools.refund_order.condition");
    assert_eq!(over.condition.as_deref(), Some("args.amount <= 100"));
    assert_eq!(over.to_data()["condition"], "args.amount <= 100");
    assert_eq!(over.reason, "condition `args.amount <= 100` does not hold");

    let globex = json!({"tenant": "globex"}).as_object().unwrap().clone();
    let Err(Refusal::Forbidden(other)) = call(40.0, Some(Ok(&globex))) else {
        panic!("another tenant's order is refused");
    };
    assert_eq!(other.rule, "env.prod.tools.refund_order.condition");

    let Err(Refusal::Forbidden(failed)) = call(40.0, Some(Err("order book offline"))) else {
        panic!("a resolver failure denies");
    };
    assert!(
        failed.reason.contains("order book offline")
            && failed.reason.contains("could not be evaluated"),
        "{}",
        failed.reason
    );

    // Without arguments (a bare `authorize`), the argument condition cannot hold: denied.
    assert!(authz.authorize(&caller("acme"), &target).is_err());
    // A caller without the scope never gets as far as the resource.
    let reader = Caller::from_token("bo", None, ["orders:read"], Map::new());
    assert!(!authz.needs_resource(&reader, &target));
}

#[test]
fn a_shadow_rule_allows_what_it_would_deny() {
    let rules = "[tools.refund_order]\ncondition = \"args.amount <= 100\"\nmode = \"shadow\"\n";
    let authz = authorizer(rules);
    let tool = refund_tool();
    let arguments = json!({"order_id": "TN-1", "amount": 500});
    let input = CallInput {
        arguments: &arguments,
        resource: None,
    };
    assert_eq!(
        authz.authorize_call(&caller("acme"), &Target::tool(&tool), &input),
        Ok(())
    );
    let engine = authz.handle().snapshot();
    let rule = engine.tool("refund_order").unwrap();
    assert_eq!(rule.conditions().count(), 0, "nothing is enforced");
    let strict = rule.shadow().expect("the shadow rule");
    assert_eq!(
        strict.conditions().collect::<Vec<_>>(),
        [("args.amount <= 100", "tools.refund_order.condition")]
    );

    // The same rule in an environment in shadow mode.
    let env_shadow =
        authorizer("mode = \"shadow\"\n[tools.refund_order]\ncondition = \"args.amount <= 100\"\n");
    assert_eq!(
        env_shadow.authorize_call(&caller("acme"), &Target::tool(&tool), &input),
        Ok(())
    );
    // Enforced, it refuses.
    let enforced = authorizer("[tools.refund_order]\ncondition = \"args.amount <= 100\"\n");
    assert!(
        enforced
            .authorize_call(&caller("acme"), &Target::tool(&tool), &input)
            .is_err()
    );
}
