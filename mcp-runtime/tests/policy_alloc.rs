//! The decision hot path allocates nothing: effective scopes, the decision, the listing
//! filter and an allowed `authorize` (with its audit event), and an allowed `authorize_call`
//! with the call's arguments of a tool without conditions, run without a heap allocation
//! once the policy is loaded.

use mcp_runtime::authz::{CallInput, Catalog, CatalogEntry, Primitive, Target};
use mcp_runtime::policy::{Policy, PolicyAuthorizer, PolicyHandle, Source};
use mcp_runtime::{Access, Authorizer, CallToolResult, Caller, Tool};
use serde_json::json;
use std::sync::Arc;

const POLICY: &str = r#"
[scopes]
implies = { "orders:admin" = ["orders:write"], "orders:write" = ["orders:read"] }
[grants.scope]
"tools.read" = ["orders:read"]
[grants.role]
"support-lead" = ["orders:write"]
[tools.cancel_order]
require_claims = { tenant = "technova" }
[env.prod]
transport = "http"
bind = "127.0.0.1:8080"
resource = "http://127.0.0.1:8080/mcp"
"#;

#[test]
fn deciding_does_not_allocate() {
    let s = |v: &str| Access::Scopes(vec![v.to_owned()]);
    let tool = |name: &str, access| CatalogEntry {
        kind: Primitive::Tool,
        name: name.into(),
        access,
    };
    let catalog = Arc::new(Catalog {
        server_name: "t".into(),
        entries: vec![
            tool("get_order_status", s("orders:read")),
            tool("cancel_order", s("orders:write")),
        ],
        ..Default::default()
    });
    let policy = Policy::parse(
        Source {
            name: "p.toml".into(),
            text: POLICY.into(),
            base_dir: ".".into(),
        },
        catalog,
    )
    .unwrap();
    let engine = policy.compile("prod", &|_| None).unwrap();
    let authz = PolicyAuthorizer::new(Arc::new(PolicyHandle::fixed(
        policy.compile("prod", &|_| None).unwrap(),
    )));
    let lead = Caller::from_token(
        "ana",
        Some("client".into()),
        ["openid"],
        json!({"roles": ["support-lead"], "tenant": "technova", "scope": "tools.read profile", "scp": ["x"]})
            .as_object()
            .unwrap()
            .clone(),
    );
    let reader = Caller::from_token("bo", None, ["tools.read"], Default::default());
    let cancel = Tool::builder("cancel_order")
        .description("d")
        .scopes(["orders:write"])
        .handler(|_, _| async { Ok(CallToolResult::default()) })
        .build()
        .unwrap();

    // One-time, per-thread and per-call-site set-up (the snapshot slot of this thread, the
    // audit event's call-site registration) happens on the first call.
    assert!(authz.authorize(&lead, &Target::tool(&cancel)).is_ok());
    let arguments = json!({"order_id": "TN-1002", "reason": "changed mind"});
    let input = CallInput {
        arguments: &arguments,
        resource: None,
    };

    let mut allowed = 0;
    let info = allocation_counter::measure(|| {
        for caller in [&lead, &reader] {
            let effective = engine.effective_scopes(caller);
            for tool in ["get_order_status", "cancel_order", "no_such_tool"] {
                allowed += usize::from(engine.decide(caller, effective, tool).is_allowed());
                allowed += usize::from(engine.is_visible(caller, effective, tool));
            }
        }
        assert!(authz.authorize(&lead, &Target::tool(&cancel)).is_ok());
        assert!(
            authz
                .authorize_call(&lead, &Target::tool(&cancel), &input)
                .is_ok()
        );
    });
    assert_eq!(allowed, 6, "lead: 2 tools x (call, visible); reader: 1 x 2");
    assert_eq!(info.count_total, 0, "{info:?}");
}
