//! [`PolicyAuthorizer`]: the [`Authorizer`] that enforces a (reloadable) policy at dispatch,
//! with one audit event per decision.

use super::engine::{Decision, Engine, Outcome, ScopeSet};
use super::model::ListMode;
use super::reload::PolicyHandle;
use crate::audit::{self, Verdict};
use crate::authz::{Authorizer, CacheScope, Denial, Primitive, Refusal, Target};
use crate::context::Caller;
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
fn missing_for(engine: &Engine, caller: &Caller, target: &Target<'_>) -> Vec<String> {
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
