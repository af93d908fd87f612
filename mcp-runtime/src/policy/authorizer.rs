//! [`PolicyAuthorizer`]: the [`Authorizer`] that enforces a (reloadable) policy at dispatch.
//! Tools, prompts, resources and resource templates take one path: the item's compiled rule
//! decides, the rate limit is counted, and one audit event records the decision.

use super::audit::{self, Verdict};
use super::engine::{CompiledRule, Decision, Engine, Outcome};
use super::model::ListMode;
use super::reload::PolicyHandle;
use crate::authz::{
    Authorizer, CacheScope, Denial, PendingAuthorization, Primitive, Refusal, Target,
};
use crate::context::Caller;
use crate::store::SharedStore;
use std::sync::Arc;

/// The [`Authorizer`] backed by a (reloadable) policy. Each decision runs against one
/// snapshot of the policy, taken when the request is authorized.
#[derive(Clone, Debug)]
pub struct PolicyAuthorizer {
    handle: Arc<PolicyHandle>,
    store: Option<Arc<SharedStore>>,
}

impl PolicyAuthorizer {
    /// Enforces the policy held by `handle`.
    pub fn new(handle: Arc<PolicyHandle>) -> Self {
        Self {
            handle,
            store: None,
        }
    }

    /// Counts rate limits in the shared `store` (for every replica) instead of in memory.
    #[must_use]
    pub fn with_store(mut self, store: Arc<SharedStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The handle (for reloads).
    pub fn handle(&self) -> &Arc<PolicyHandle> {
        &self.handle
    }
}

/// Builds the typed refusal of a denied decision on the tool `tool`.
pub fn denial(engine: &Engine, decision: &Decision<'_>, tool: &str) -> Denial {
    denial_of(engine, decision, Primitive::Tool, tool)
}

/// Builds the typed refusal of a denied decision on the item `kind`/`name`.
pub fn denial_of(engine: &Engine, decision: &Decision<'_>, kind: Primitive, name: &str) -> Denial {
    Denial {
        kind,
        name: name.to_owned(),
        required: decision
            .item
            .map(|t| t.required_names().to_vec())
            .unwrap_or_default(),
        missing: engine.missing_names(decision).map(str::to_owned).collect(),
        rule: engine.rule(decision).to_owned(),
        reason: engine.reason(decision),
    }
}

/// The compiled rule of `target`. An item the policy was compiled without (a prompt or
/// resource outside the catalog) is decided by its declaration alone, held in `adhoc`; an
/// unknown tool has no rule (deny by default).
pub(super) fn rule_of<'e>(
    engine: &'e Engine,
    target: &Target<'_>,
    adhoc: &'e mut Option<CompiledRule>,
) -> Option<&'e CompiledRule> {
    match engine.item(target.kind, target.name) {
        Some(rule) => Some(rule),
        None if target.kind == Primitive::Tool => None,
        None => Some(adhoc.insert(engine.declared_only(target))),
    }
}

impl Authorizer for PolicyAuthorizer {
    fn authorize(&self, caller: &Caller, target: &Target<'_>) -> Result<(), Refusal> {
        let engine = self.handle.snapshot();
        let mut adhoc = None;
        let item = rule_of(&engine, target, &mut adhoc);
        let effective = engine.effective_scopes(caller);
        let decision = engine.decide_on(caller, effective, item);
        let what = (target.kind, target.name);
        match (decision.outcome, decision.item) {
            (Outcome::Allow, Some(t)) => match engine.admit(caller, t) {
                Ok(()) => {
                    let rule = engine.rule(&decision);
                    audit::decision(&engine, &decision, what, Verdict::Allow, rule, "allowed");
                    Ok(())
                }
                Err((retry_after, rule)) => {
                    let reason = "rate limit exceeded";
                    audit::decision(&engine, &decision, what, Verdict::RateLimited, rule, reason);
                    Err(Refusal::RateLimited {
                        kind: target.kind,
                        name: target.name.to_owned(),
                        retry_after,
                    })
                }
            },
            _ => {
                let denial = denial_of(&engine, &decision, target.kind, target.name);
                let (rule, reason) = (&denial.rule, &denial.reason);
                audit::decision(&engine, &decision, what, Verdict::Deny, rule, reason);
                Err(Refusal::Forbidden(Box::new(denial)))
            }
        }
    }

    fn authorize_shared<'a>(
        &'a self,
        caller: &'a Caller,
        target: Target<'a>,
    ) -> Option<PendingAuthorization<'a>> {
        let store = self.store.as_deref()?;
        Some(Box::pin(self.authorize_in(store, caller, target)))
    }

    fn is_visible(&self, caller: &Caller, target: &Target<'_>) -> bool {
        let engine = self.handle.snapshot();
        let mut adhoc = None;
        let item = rule_of(&engine, target, &mut adhoc);
        engine.is_visible_on(caller, engine.effective_scopes(caller), item)
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
        let visible: Vec<usize> = targets
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                let mut adhoc = None;
                let item = rule_of(&engine, t, &mut adhoc);
                engine.is_visible_on(caller, effective, item)
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
        let scope = match engine.settings().list {
            ListMode::All => CacheScope::Public,
            ListMode::Permitted => CacheScope::Private,
        };
        (visible, scope)
    }
}
