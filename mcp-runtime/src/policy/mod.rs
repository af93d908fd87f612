//! `policy.toml`: per-environment authorization of tools, prompts, resources and resource
//! templates, enforced at JSON-RPC dispatch on every transport. The reference is
//! `docs/policy.md`.
//!
//! - [`Policy`]: a file parsed (syntax, types, unknown keys) and validated against a
//!   server's [`Catalog`](crate::authz::Catalog), with `file:line:column` [`Diagnostic`]s;
//!   [`Engine`]: one environment compiled into a pure decision engine; [`PolicyHandle`]: hot
//!   reload (SIGHUP and file changes) that keeps the last good policy; [`PolicyAuthorizer`]:
//!   the engine plugged into the dispatcher, auditing one event per decision.
//! - Inside: `diagnostic` (positions, errors, suggestions), `keys` (unknown keys, with the
//!   keys each table accepts read from the model by `schema`), `values` (rate limits,
//!   durations, URLs, `${VAR}`), `validate` (which yields the typed policy of `valid`),
//!   `compile`, `settings` (an environment's deployment settings), `scopes` (scope bit sets),
//!   `principal` (the stdio caller) and `authorizer`; `fixtures` runs the cases of
//!   `policy test` ([`Fixtures`]), `lint` the coverage lint of `check` ([`Coverage`]),
//!   `decision_log` the JSON-lines decision log ([`DecisionLog`]).
//! - [`PolicyAuthorizer`] plugs the engine into the dispatcher
//!   ([`crate::ServerBuilder::authorizer`]).
//!
//! ```
//! use mcp_runtime::policy::{Policy, PolicyHandle, PolicyAuthorizer, Source};
//! use mcp_runtime::authz::{Authorizer, Catalog, CatalogEntry, Primitive, Target};
//! use mcp_runtime::{Access, Caller, Tool, CallToolResult};
//! use std::sync::Arc;
//!
//! let catalog = Arc::new(Catalog {
//!     server_name: "demo".into(),
//!     entries: vec![CatalogEntry {
//!         kind: Primitive::Tool,
//!         name: "cancel_order".into(),
//!         access: Access::Scopes(vec!["orders:write".into()]),
//!     }],
//!     ..Default::default()
//! });
//! let text = r#"
//! [grants.role]
//! "support-lead" = ["orders:write"]
//!
//! [env.prod]
//! transport = "http"
//! bind = "127.0.0.1:8080"
//! resource = "http://127.0.0.1:8080/mcp"
//! "#;
//! let policy = Policy::parse(
//!     Source { name: "policy.toml".into(), text: text.into(), base_dir: ".".into() },
//!     catalog,
//! ).unwrap();
//! let engine = policy.compile("prod", &|_| None).unwrap();
//! let authorizer = PolicyAuthorizer::new(Arc::new(PolicyHandle::fixed(engine)));
//!
//! let tool = Tool::builder("cancel_order").description("Cancel.").scopes(["orders:write"])
//!     .handler(|_, _| async { Ok(CallToolResult::default()) }).build().unwrap();
//! let lead = Caller::from_token("ana", None, Vec::<String>::new(),
//!     serde_json::json!({"roles": ["support-lead"]}).as_object().unwrap().clone());
//! let agent = Caller::from_token("bo", None, ["orders:read"], Default::default());
//! assert!(authorizer.authorize(&lead, &Target::tool(&tool)).is_ok());
//! assert!(authorizer.authorize(&agent, &Target::tool(&tool)).is_err());
//! ```

mod approval;
pub(crate) mod audit;
mod authorizer;
mod call;
mod compile;
mod condition;
mod decision_log;
mod diagnostic;
mod engine;
mod fixtures;
mod keys;
mod lint;
mod load;
mod model;
mod principal;
mod reload;
mod schema;
mod scopes;
mod settings;
mod shared;
mod valid;
mod validate;
mod values;

pub(crate) use approval::{ApprovalOutcome, record as audit_approval};
pub use authorizer::{PolicyAuthorizer, denial, denial_of};
pub use decision_log::{
    DECISION_LOG_VERSION, DecisionLog, DecisionLogTarget, LoggedArguments, LoggedInput,
    LoggedPrincipal, Record,
};
pub use diagnostic::{Diagnostic, PolicyError, Source};
pub use engine::{CompiledRule, Decision, Engine, EnvSettings, Outcome, ScopeSet};
pub use fixtures::{Actual, Expected, Fixtures, Outcome as CaseOutcome};
pub use lint::Coverage;
pub use load::Policy;
pub use model::{ListMode, Mode, TransportKind};
pub use settings::MetricsSettings;
pub use values::RateLimit;

pub(crate) use diagnostic::closest;
pub(crate) use engine::process_env;
pub use principal::stdio_caller;
pub use reload::PolicyHandle;
pub(crate) use reload::spawn_watchers;
