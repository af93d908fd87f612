//! Compiling one environment of a validated [`Policy`] into an [`Engine`]: grants and the
//! hierarchy closed into one scope set per token scope and role, and each item's rules merged
//! from its layers. Everything here was validated already, so compiling cannot fail on the
//! file, only on the deployment's settings ([`super::settings`]).

use super::diagnostic::{PolicyError, did_you_mean};
use super::engine::{CompiledRule, Condition, Engine, Limiter, Principal, kind_slot};
use super::load::Policy;
use super::model::Mode;
use super::scopes::ScopeId;
use super::scopes::ScopeSet;
use super::settings;
use super::valid::{Layer, Rule, RuleKey, ValidTarget};
use super::values::{RateLimit, VarLookup};
use crate::authz::{Primitive, Target};
use foldhash::HashMap;
use governor::DefaultKeyedRateLimiter;
use std::hash::RandomState;
use std::sync::atomic::{AtomicU64, Ordering};

/// The table that holds rules for `kind`: `tools`, `prompts` or `resources`.
pub(super) fn section(kind: Primitive) -> &'static str {
    match kind {
        Primitive::Tool => "tools",
        Primitive::Prompt => "prompts",
        _ => "resources",
    }
}

/// The path of the rule for `key` in table `layer` (`None` for the top level), e.g.
/// `env.prod.tools.cancel_order` or `resources."technova://orders/{id}"`.
fn rule_path(layer: Option<&str>, (kind, name): &RuleKey) -> String {
    let item = match kind {
        Primitive::Resource => format!("\"{name}\""),
        _ => name.clone(),
    };
    match layer {
        Some(layer) => format!("{layer}.{}.{item}", section(*kind)),
        None => format!("{}.{item}", section(*kind)),
    }
}

/// The rule that stands for the code's own declaration of `key`.
fn declared_rule((kind, name): &RuleKey) -> String {
    match kind {
        Primitive::Tool => format!("declared:{name}"),
        _ => format!("declared:{}:{name}", kind.as_str()),
    }
}

impl Policy {
    /// Compiles environment `env` into a decision engine.
    ///
    /// Variables without a default that are not set are collected in
    /// [`EnvSettings::unresolved`](super::EnvSettings::unresolved); the caller decides
    /// whether that is fatal.
    ///
    /// # Errors
    /// [`PolicyError::UnknownEnvironment`], or [`PolicyError::Invalid`] for settings that are
    /// wrong once interpolated (an unparsable `bind`, a missing `transport`, …).
    pub fn compile(&self, env: &str, vars: VarLookup<'_>) -> Result<Engine, PolicyError> {
        let valid = &self.valid;
        let Some(environment) = valid.env(env) else {
            let defined: Vec<String> = self.environments().into_iter().map(str::to_owned).collect();
            return Err(PolicyError::UnknownEnvironment {
                file: self.source.name.clone(),
                name: env.to_owned(),
                help: did_you_mean(env, defined.iter().map(String::as_str)),
                defined,
            });
        };
        let layers = valid.layers(environment);
        let settings = settings::resolve(&self.source, environment, &layers, vars)?;
        let count = valid.scope_names.len();

        // Close the hierarchy: implied[i] = everything scope i implies, itself included.
        let mut implied: Vec<ScopeSet> = (0..count)
            .map(|i| {
                let mut s = ScopeSet::EMPTY;
                s.insert(i);
                s
            })
            .collect();
        for (broad, narrower) in &valid.implies {
            if let Some(set) = implied.get_mut(broad.index()) {
                *set = set.union(ScopeSet::of(narrower.iter().copied()));
            }
        }
        loop {
            let mut changed = false;
            for i in 0..count {
                let closed = implied[i]
                    .iter()
                    .fold(implied[i], |acc, j| acc.union(implied[j]));
                if closed != implied[i] {
                    implied[i] = closed;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let close = |s: ScopeSet| s.iter().fold(s, |acc, i| acc.union(implied[i]));

        let mut token_scopes: HashMap<Box<str>, ScopeSet> = valid
            .scope_names
            .iter()
            .zip(&implied)
            .map(|(n, set)| (n.as_str().into(), *set))
            .collect();
        for (idp, granted) in &valid.grants_scope {
            let entry = token_scopes.entry(idp.as_str().into()).or_default();
            *entry = entry.union(close(ScopeSet::of(granted.iter().copied())));
        }
        let roles: HashMap<Box<str>, ScopeSet> = valid
            .grants_role
            .iter()
            .map(|(r, granted)| {
                (
                    r.as_str().into(),
                    close(ScopeSet::of(granted.iter().copied())),
                )
            })
            .collect();

        let mut items = Vec::with_capacity(valid.targets.len());
        let mut index: [HashMap<Box<str>, usize>; 3] = Default::default();
        for target in &valid.targets {
            let (kind, name) = &target.key;
            index[kind_slot(*kind)].insert(name.as_str().into(), items.len());
            items.push(compile_target(target, &valid.rules, &layers));
        }

        let principal = layers
            .iter()
            .rev()
            .find_map(|(_, s)| s.principal.as_ref())
            .map(|p| Principal {
                scopes: p
                    .scopes
                    .iter()
                    .filter_map(|s| token_scopes.get(s.as_str()))
                    .fold(ScopeSet::EMPTY, |acc, s| acc.union(*s)),
                claims: p.claims.clone(),
            });

        Ok(Engine {
            settings,
            id: next_engine_id(),
            revision: 0,
            scope_names: valid.scope_names.clone(),
            token_scopes,
            roles,
            roles_claim: valid.roles_claim.clone(),
            index,
            items,
            principal,
            hasher: RandomState::new(),
        })
    }
}

/// One item's declaration and every rule about it, merged (most general first). Rules in
/// shadow mode (or every rule, in an environment in shadow mode) are left out of the
/// enforced rule and kept in its [`CompiledRule::shadow`], which has them all.
fn compile_target(
    target: &ValidTarget,
    top: &[(RuleKey, Rule)],
    layers: &[(String, &Layer)],
) -> CompiledRule {
    let key = &target.key;
    let mut rule_layers: Vec<(String, &Rule)> = Vec::new();
    if let Some((_, r)) = top.iter().find(|(k, _)| k == key) {
        rule_layers.push((rule_path(None, key), r));
    }
    for (layer_name, layer) in layers {
        if let Some((_, r)) = layer.rules.iter().find(|(k, _)| k == key) {
            rule_layers.push((rule_path(Some(layer_name), key), r));
        }
    }
    let env_shadow = layers.iter().rev().find_map(|(_, l)| l.mode) == Some(Mode::Shadow);
    if !rule_layers.iter().any(|(_, r)| env_shadow || r.shadow) {
        return merge(target, &rule_layers);
    }
    let strict = merge(target, &rule_layers);
    rule_layers.retain(|(_, r)| !(env_shadow || r.shadow));
    let mut enforced = merge(target, &rule_layers);
    enforced.shadow = Some(Box::new(strict));
    enforced
}

/// An item's declaration merged with `rule_layers`.
fn merge(target: &ValidTarget, rule_layers: &[(String, &Rule)]) -> CompiledRule {
    let key = &target.key;
    let declared_rule = declared_rule(key);
    let declared = ScopeSet::of(target.declared.iter().map(|(id, _)| *id));
    let mut required = declared;
    let mut required_names: Vec<String> = Vec::new();
    let mut scope_rule = Vec::new();
    for (id, name) in &target.declared {
        required_names.push(name.clone());
        scope_rule.push((id.index(), declared_rule.clone()));
    }
    required_names.extend(target.foreign.iter().cloned());
    let mut enabled = true;
    let mut enabled_rule = None;
    let mut conditions = Vec::new();
    let mut checks = Vec::new();
    let mut limit: Option<(RateLimit, String)> = None;
    let mut approval = None;
    for (path, rule) in rule_layers {
        if let Some(e) = rule.enabled {
            enabled = e;
            enabled_rule = Some(format!("{path}.enabled"));
        }
        for (id, name) in &rule.require_scopes {
            if !required.contains(id.index()) {
                required = required.with(*id);
                required_names.push(name.clone());
                scope_rule.push((id.index(), format!("{path}.require_scopes")));
            }
        }
        for claim in &rule.require_claims {
            conditions.push(Condition {
                path: claim.path.clone(),
                any_of: claim.any_of.clone(),
                rule: format!("{path}.require_claims.{}", claim.name),
            });
        }
        if let Some(c) = &rule.condition {
            checks.push((std::sync::Arc::clone(c), format!("{path}.condition")));
        }
        if let Some(l) = rule.rate_limit {
            limit = l.map(|l| (l, format!("{path}.rate_limit")));
        }
        if rule.approval && approval.is_none() {
            approval = Some(format!("{path}.approval"));
        }
    }
    let allow_rule = rule_layers
        .iter()
        .fold(declared_rule.clone(), |acc, (p, _)| format!("{acc} + {p}"));
    let limiter = limit.map(|(limit, rule)| Limiter {
        limiter: DefaultKeyedRateLimiter::dashmap(limit.quota()),
        limit,
        rule,
    });
    CompiledRule {
        kind: key.0,
        name: key.1.clone(),
        declared,
        required,
        required_names,
        scope_rule,
        enabled,
        enabled_rule,
        conditions,
        limiter,
        allow_rule,
        declared_rule,
        foreign: target.foreign.clone(),
        checks,
        shadow: None,
        approval,
    }
}

impl Engine {
    /// The rule of an item the policy was not compiled with (a prompt or resource that is
    /// not in the catalog): its declaration alone, with no rule of the file. Allocates; it
    /// is never needed for the items of the catalog.
    pub fn declared_only(&self, target: &Target<'_>) -> CompiledRule {
        let resolve = |s: &str| {
            self.scope_names
                .binary_search_by(|n| n.as_str().cmp(s))
                .ok()
                .and_then(ScopeId::new)
        };
        let key = (target.kind, target.name.to_owned());
        compile_target(
            &ValidTarget::new(key, target.access.scopes(), resolve),
            &[],
            &[],
        )
    }
}

/// A number no engine compiled before by this process has.
fn next_engine_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
