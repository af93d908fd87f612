//! Deciding one call with what it carries: the item's compiled rule first (scopes, claims),
//! then its CEL conditions over the call's arguments and resource. An item with rules in
//! shadow mode is decided twice: by the enforced rule, which decides, and by the rule with
//! its shadow-mode parts, whose denials are only audited (would-deny).

use super::condition::EnvFacts;
use super::engine::{CompiledRule, Decision, Engine, Outcome, ScopeSet};
use crate::authz::CallInput;
use crate::context::Caller;

impl Engine {
    /// Decides a call of `item` with its `input`: [`Engine::decide_on`], then, if that
    /// allows, each of the item's conditions in rule order. The second value says why a
    /// condition could not be evaluated (a missing argument, an unresolved resource); such a
    /// condition denies.
    ///
    /// An item without conditions is decided exactly as by [`Engine::decide_on`], without
    /// allocating.
    pub fn decide_call<'e>(
        &'e self,
        caller: &'e Caller,
        effective: ScopeSet,
        item: Option<&'e CompiledRule>,
        input: &CallInput<'_>,
    ) -> (Decision<'e>, Option<String>) {
        let decision = self.decide_on(caller, effective, item);
        let Some(t) = decision.item else {
            return (decision, None);
        };
        if !decision.is_allowed() || t.checks.is_empty() {
            return (decision, None);
        }
        let claims = self.claims_of(caller);
        let facts = EnvFacts {
            name: self.env(),
            transport: self.settings.transport.as_str(),
        };
        for (i, (condition, _)) in t.checks.iter().enumerate() {
            let failed = Decision {
                outcome: Outcome::ConditionFailed(i),
                ..decision
            };
            match condition.holds(claims, input, facts) {
                Ok(true) => {}
                Ok(false) => return (failed, None),
                Err(why) => return (failed, Some(why)),
            }
        }
        (decision, None)
    }

    /// Whether deciding a call of `item` needs the resource its arguments name: the caller
    /// passes the enforced rule's scope and claim checks, and a condition of the item (or of
    /// its shadow rule) reads `resource`.
    pub fn needs_resource(
        &self,
        caller: &Caller,
        effective: ScopeSet,
        item: Option<&CompiledRule>,
    ) -> bool {
        let reads = |t: &CompiledRule| t.checks.iter().any(|(c, _)| c.uses_resource);
        item.is_some_and(|t| {
            (reads(t) || t.shadow.as_deref().is_some_and(reads))
                && self.decide_on(caller, effective, item).is_allowed()
        })
    }

    /// The condition (as written) that made `decision`, if a condition did.
    pub fn condition<'e>(&'e self, decision: &Decision<'e>) -> Option<&'e str> {
        match (decision.outcome, decision.item) {
            (Outcome::ConditionFailed(i), Some(t)) => Some(t.checks[i].0.source.as_str()),
            _ => None,
        }
    }
}

impl CompiledRule {
    /// The rule with its shadow-mode parts too (`mode = "shadow"`), if it has any: its
    /// denials are audited as would-deny while this rule decides.
    pub fn shadow(&self) -> Option<&CompiledRule> {
        self.shadow.as_deref()
    }

    /// The conditions of the rule, as written, with the rule that set each.
    pub fn conditions(&self) -> impl Iterator<Item = (&str, &str)> {
        self.checks
            .iter()
            .map(|(c, rule)| (c.source.as_str(), rule.as_str()))
    }
}
