//! [`PolicyAuthorizer`]: the [`Authorizer`] that enforces a (reloadable) policy at dispatch.
//! Tools, prompts, resources and resource templates take one path: the item's compiled rule
//! decides, the rate limit is counted, and one audit event records the decision.

use super::audit::{self, Verdict};
use super::decision_log::DecisionLog;
use super::engine::{CompiledRule, Decision, Engine, Outcome};
use super::model::ListMode;
use super::reload::PolicyHandle;
use crate::authz::{
    Authorizer, CacheScope, CallInput, Denial, PendingAuthorization, Primitive, Refusal, Target,
};
use crate::context::Caller;
use crate::store::SharedStore;
use std::sync::Arc;
use std::time::Instant;

/// The [`Authorizer`] backed by a (reloadable) policy. Each decision runs against one
/// snapshot of the policy, taken when the request is authorized.
#[derive(Clone, Debug)]
pub struct PolicyAuthorizer {
    handle: Arc<PolicyHandle>,
    decision_log: Option<Arc<DecisionLog>>,
    store: Option<Arc<SharedStore>>,
}

impl PolicyAuthorizer {
    /// Enforces the policy held by `handle`.
    pub fn new(handle: Arc<PolicyHandle>) -> Self {
        Self {
            handle,
            decision_log: None,
            store: None,
        }
    }

    /// Also writes every decision to `log` as one JSON line.
    #[must_use]
    pub fn with_decision_log(mut self, log: Arc<DecisionLog>) -> Self {
        self.decision_log = Some(log);
        self
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

    /// When this decision started, if a decision log will want its latency.
    pub(super) fn decision_log_started(&self) -> Option<Instant> {
        self.decision_log.as_ref().map(|_| Instant::now())
    }

    /// Records one decision: the audit event, and the decision line when a decision log is
    /// open (`started` is then `Some`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record(
        &self,
        engine: &Engine,
        decision: &Decision<'_>,
        what: (Primitive, &str),
        input: &CallInput<'_>,
        verdict: Verdict,
        rule: &str,
        reason: &str,
        started: Option<Instant>,
    ) {
        audit::decision(engine, decision, what, verdict, rule, reason);
        if let (Some(log), Some(started)) = (&self.decision_log, started) {
            log.decision(
                engine,
                decision,
                what,
                input.arguments,
                verdict.as_str(),
                rule,
                reason,
                started,
            );
        }
    }

    /// The decision on one call of `target` before its rate limit is counted, the same in
    /// memory and with a shared store: a refusal is audited and logged here, a shadow rule
    /// audits what it would deny, and an allowed call comes back with its rule to admit.
    pub(super) fn decide_before_limit<'e>(
        &self,
        engine: &'e Engine,
        item: Option<&'e CompiledRule>,
        caller: &'e Caller,
        target: &Target<'_>,
        input: &CallInput<'_>,
        started: Option<Instant>,
    ) -> Result<(Decision<'e>, &'e CompiledRule), Refusal> {
        let effective = engine.effective_scopes(caller);
        let (decision, why) = engine.decide_call(caller, effective, item, input);
        let what = (target.kind, target.name);
        if let Some(strict) = decision.item.and_then(CompiledRule::shadow)
            && decision.is_allowed()
        {
            let (would, why) = engine.decide_call(caller, effective, Some(strict), input);
            if !would.is_allowed() {
                let denial = denial_with(engine, &would, target, why);
                audit::would_deny(engine, &would, what, &denial);
            }
        }
        match (decision.outcome, decision.item) {
            (Outcome::Allow, Some(t)) => Ok((decision, t)),
            _ => {
                let denial = denial_with(engine, &decision, target, why);
                let (rule, reason) = (&denial.rule, &denial.reason);
                self.record(
                    engine,
                    &decision,
                    what,
                    input,
                    Verdict::Deny,
                    rule,
                    reason,
                    started,
                );
                Err(Refusal::Forbidden(Box::new(denial)))
            }
        }
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
        condition: engine.condition(decision).map(str::to_owned),
    }
}

/// [`denial_of`], with why a condition could not be evaluated.
fn denial_with(
    engine: &Engine,
    decision: &Decision<'_>,
    target: &Target<'_>,
    why: Option<String>,
) -> Denial {
    let mut denial = denial_of(engine, decision, target.kind, target.name);
    if let (Some(why), Some(condition)) = (why, &denial.condition) {
        denial.reason = format!("condition `{condition}` could not be evaluated ({why}); denied");
    }
    denial
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
        self.authorize_call(caller, target, &CallInput::NONE)
    }

    fn needs_resource(&self, caller: &Caller, target: &Target<'_>) -> bool {
        let engine = self.handle.current();
        let mut adhoc = None;
        let item = rule_of(&engine, target, &mut adhoc);
        engine.needs_resource(caller, engine.effective_scopes(caller), item)
    }

    fn authorize_call(
        &self,
        caller: &Caller,
        target: &Target<'_>,
        input: &CallInput<'_>,
    ) -> Result<(), Refusal> {
        let started = self.decision_log_started();
        let engine = self.handle.current();
        let mut adhoc = None;
        let item = rule_of(&engine, target, &mut adhoc);
        let (decision, t) =
            self.decide_before_limit(&engine, item, caller, target, input, started)?;
        let what = (target.kind, target.name);
        match engine.admit(caller, t) {
            Ok(()) => {
                let rule = engine.rule(&decision);
                self.record(
                    &engine,
                    &decision,
                    what,
                    input,
                    Verdict::Allow,
                    rule,
                    "allowed",
                    started,
                );
                Ok(())
            }
            Err((retry_after, rule)) => {
                let reason = "rate limit exceeded";
                self.record(
                    &engine,
                    &decision,
                    what,
                    input,
                    Verdict::RateLimited,
                    rule,
                    reason,
                    started,
                );
                Err(Refusal::RateLimited {
                    kind: target.kind,
                    name: target.name.to_owned(),
                    retry_after,
                })
            }
        }
    }

    fn authorize_shared<'a>(
        &'a self,
        caller: &'a Caller,
        target: Target<'a>,
        input: CallInput<'a>,
    ) -> Option<PendingAuthorization<'a>> {
        let store = self.store.as_deref()?;
        Some(Box::pin(self.authorize_in(store, caller, target, input)))
    }

    fn is_visible(&self, caller: &Caller, target: &Target<'_>) -> bool {
        let engine = self.handle.current();
        let mut adhoc = None;
        let item = rule_of(&engine, target, &mut adhoc);
        engine.is_visible_on(caller, engine.effective_scopes(caller), item)
    }

    fn approval(&self, _caller: &Caller, target: &Target<'_>) -> Option<String> {
        let engine = self.handle.current();
        let rule = engine.item(target.kind, target.name)?.approval()?;
        Some(rule.to_owned())
    }

    fn list_cache_scope(&self) -> CacheScope {
        match self.handle.current().settings().list {
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
