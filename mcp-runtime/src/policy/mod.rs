//! `policy.toml`: per-environment, scope-to-tool authorization, enforced at JSON-RPC dispatch
//! on every transport. The reference is `docs/policy.md`.
//!
//! - [`model`]: the file's shape; [`load`]: parsing and validation with `file:line:column`
//!   diagnostics; [`engine`]: one environment compiled into a pure decision engine;
//!   [`reload`]: hot reload (SIGHUP and file changes) that keeps the last good policy.
//! - [`PolicyAuthorizer`] plugs the engine into the dispatcher
//!   ([`crate::ServerBuilder::authorizer`]).
//!
//! ```
//! use mcp_runtime::policy::{Policy, PolicyHandle, PolicyAuthorizer, ToolCatalog, Source};
//! use mcp_runtime::authz::{Authorizer, Target};
//! use mcp_runtime::{Access, Caller, Tool, CallToolResult};
//! use std::sync::Arc;
//!
//! let catalog = Arc::new(ToolCatalog {
//!     server_name: "demo".into(),
//!     tools: vec![("cancel_order".into(), Access::Scopes(vec!["orders:write".into()]))],
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

pub mod engine;
pub mod load;
pub mod model;
pub mod reload;

pub use engine::{Decision, Engine, EnvSettings, Outcome, ScopeSet};
pub use load::{Diagnostic, Policy, PolicyError, Source, ToolCatalog};
pub use reload::PolicyHandle;

use crate::audit::{self, Verdict};
use crate::authz::{Authorizer, CacheScope, Denial, Primitive, Refusal, Target};
use crate::context::Caller;
use model::ListMode;
use std::sync::Arc;

/// The [`Authorizer`] backed by a (reloadable) policy. Each decision runs against one
/// snapshot of the policy, taken when the request is authorized.
#[derive(Clone, Debug)]
pub struct PolicyAuthorizer {
    handle: Arc<PolicyHandle>,
}

impl PolicyAuthorizer {
    /// Enforces the policy held by `handle`.
    pub fn new(handle: Arc<PolicyHandle>) -> Self {
        Self { handle }
    }

    /// The handle (for reloads).
    pub fn handle(&self) -> &Arc<PolicyHandle> {
        &self.handle
    }
}

/// Builds the typed refusal of a denied decision.
pub fn denial(engine: &Engine, decision: &Decision<'_>, tool: &str) -> Denial {
    let missing = match decision.outcome {
        Outcome::MissingScopes(m) => engine
            .scope_names(m)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    Denial {
        kind: Primitive::Tool,
        name: tool.to_owned(),
        required: decision
            .tool
            .map(|t| t.required_names().to_vec())
            .unwrap_or_default(),
        missing,
        rule: engine.rule(decision).to_owned(),
        reason: engine.reason(decision),
    }
}

impl PolicyAuthorizer {
    fn authorize_tool(&self, caller: &Caller, name: &str) -> Result<(), Refusal> {
        let engine = self.handle.snapshot();
        let effective = engine.effective_scopes(caller);
        let decision = engine.decide(caller, effective, name);
        match (decision.outcome, decision.tool) {
            (Outcome::Allow, Some(t)) => match engine.admit(caller, t) {
                Ok(()) => {
                    audit::call(
                        &engine,
                        caller,
                        name,
                        Verdict::Allow,
                        engine.rule(&decision),
                        ScopeSet::EMPTY,
                        "allowed",
                    );
                    Ok(())
                }
                Err((retry_after, rule)) => {
                    audit::call(
                        &engine,
                        caller,
                        name,
                        Verdict::RateLimited,
                        rule,
                        ScopeSet::EMPTY,
                        "rate limit exceeded",
                    );
                    Err(Refusal::RateLimited {
                        kind: Primitive::Tool,
                        name: name.to_owned(),
                        retry_after,
                    })
                }
            },
            _ => {
                let denial = denial(&engine, &decision, name);
                let missing = match decision.outcome {
                    Outcome::MissingScopes(m) => m,
                    _ => ScopeSet::EMPTY,
                };
                audit::call(
                    &engine,
                    caller,
                    name,
                    Verdict::Deny,
                    &denial.rule,
                    missing,
                    &denial.reason,
                );
                Err(Refusal::Forbidden(Box::new(denial)))
            }
        }
    }

    /// Prompts and resources: the caller's effective scopes (grants and hierarchy applied)
    /// must cover every scope the code declares; a scope the policy does not know is checked
    /// against the caller's own scopes. Each decision is audited.
    fn authorize_primitive(&self, caller: &Caller, target: &Target<'_>) -> Result<(), Refusal> {
        let engine = self.handle.snapshot();
        let missing = missing_for(&engine, caller, target);
        let rule = format!("declared:{}:{}", target.kind.as_str(), target.name);
        if missing.is_empty() {
            audit::primitive(
                &engine,
                caller,
                target.kind.as_str(),
                target.name,
                Verdict::Allow,
                &rule,
                "",
                "allowed",
            );
            return Ok(());
        }
        let reason = format!("missing scope(s) {}", missing.join(", "));
        audit::primitive(
            &engine,
            caller,
            target.kind.as_str(),
            target.name,
            Verdict::Deny,
            &rule,
            &missing.join(" "),
            &reason,
        );
        Err(Refusal::Forbidden(Box::new(Denial {
            kind: target.kind,
            name: target.name.to_owned(),
            required: target.access.scopes().to_vec(),
            missing,
            rule,
            reason,
        })))
    }
}

impl Authorizer for PolicyAuthorizer {
    fn authorize(&self, caller: &Caller, target: &Target<'_>) -> Result<(), Refusal> {
        match target.kind {
            Primitive::Tool => self.authorize_tool(caller, target.name),
            _ => self.authorize_primitive(caller, target),
        }
    }

    fn is_visible(&self, caller: &Caller, target: &Target<'_>) -> bool {
        let engine = self.handle.snapshot();
        match target.kind {
            Primitive::Tool => {
                engine.is_visible(caller, engine.effective_scopes(caller), target.name)
            }
            _ => {
                engine.settings().list == ListMode::All
                    || missing_for(&engine, caller, target).is_empty()
            }
        }
    }

    fn list_cache_scope(&self) -> CacheScope {
        match self.handle.snapshot().settings().list {
            ListMode::All => CacheScope::Public,
            ListMode::Permitted => CacheScope::Private,
        }
    }

    fn visible_among(&self, caller: &Caller, targets: &[Target<'_>]) -> (Vec<usize>, CacheScope) {
        let engine = self.handle.snapshot();
        let effective = engine.effective_scopes(caller);
        let all = engine.settings().list == ListMode::All;
        let visible: Vec<usize> = targets
            .iter()
            .enumerate()
            .filter(|(_, t)| match t.kind {
                Primitive::Tool => engine.is_visible(caller, effective, t.name),
                _ => all || missing_for(&engine, caller, t).is_empty(),
            })
            .map(|(i, _)| i)
            .collect();
        if targets.first().is_some_and(|t| t.kind == Primitive::Tool) {
            audit::list(
                &engine,
                caller,
                visible.len(),
                targets.len() - visible.len(),
            );
        }
        let scope = if all {
            CacheScope::Public
        } else {
            CacheScope::Private
        };
        (visible, scope)
    }
}

/// The declared scopes of a prompt or resource that `caller` lacks under `engine`.
fn missing_for(engine: &engine::Engine, caller: &Caller, target: &Target<'_>) -> Vec<String> {
    let effective = engine.effective_scopes(caller);
    target
        .access
        .scopes()
        .iter()
        .filter(|s| {
            !engine
                .holds(effective, s)
                .unwrap_or_else(|| caller.scopes().contains(s.as_str()))
        })
        .cloned()
        .collect()
}

/// The caller of a stdio process in environment `settings`: the policy's local `principal`,
/// or (with `token_env`) the identity in a bearer token held by that variable, validated
/// exactly like an HTTP bearer token (issuer, audience, signature, expiry, algorithms) with the
/// environment's `auth` settings. The token itself is dropped after validation.
///
/// # Errors
/// [`PolicyError::Unsupported`] when the variable is unset, the environment has no `auth`,
/// the token is invalid, or the environment defines no local principal.
pub async fn stdio_caller(settings: &EnvSettings) -> Result<Caller, PolicyError> {
    if let Some(var) = &settings.token_env {
        let env = &settings.env;
        let token = std::env::var(var).map_err(|_| {
            PolicyError::Unsupported(format!(
                "environment `{env}` takes the stdio user's identity from a token in `{var}`, but `{var}` is not set"
            ))
        })?;
        let auth = settings.auth.clone().ok_or_else(|| {
            PolicyError::Unsupported(format!(
                "environment `{env}` sets `token_env` but no `auth` to validate the token with"
            ))
        })?;
        let validator = crate::auth::TokenValidator::new(auth)
            .map_err(|e| PolicyError::Unsupported(format!("environment `{env}`: {e}")))?;
        return validator.validate(token.trim()).await.map_err(|e| {
            PolicyError::Unsupported(format!("the token in `{var}` was refused: {e}"))
        });
    }
    let Some(sub) = &settings.principal_sub else {
        return Err(PolicyError::Unsupported(format!(
            "environment `{}` defines no `principal` for a local stdio user",
            settings.env
        )));
    };
    Ok(
        Caller::local(sub.clone(), settings.principal_scopes.clone())
            .with_claims(settings.principal_claims.clone()),
    )
}
