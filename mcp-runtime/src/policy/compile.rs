//! Compiling one environment of a validated [`Policy`] into an [`Engine`]: scopes interned as
//! bits, grants and the hierarchy closed, each tool's rules merged from its layers.

use super::diagnostic::PolicyError;
use super::engine::{CompiledTool, Condition, Engine, Limiter, Principal};
use super::load::Policy;
use super::model::Name;
use super::scopes::ScopeSet;
use super::values::{RateLimit, VarLookup, parse_rate_limit};
use crate::registry::Access;
use governor::{DefaultKeyedRateLimiter, Quota};
use std::collections::HashMap;
use std::hash::RandomState;

impl Policy {
    /// Compiles environment `env` into a decision engine.
    ///
    /// Variables without a default that are not set are collected in
    /// [`EnvSettings::unresolved`]; the caller decides whether that is fatal.
    ///
    /// # Errors
    /// [`PolicyError::UnknownEnvironment`], or [`PolicyError::Invalid`] for settings that are
    /// wrong once interpolated (an unparsable `bind`, a missing `transport`, …).
    pub fn compile(&self, env: &str, vars: VarLookup<'_>) -> Result<Engine, PolicyError> {
        let layers = self.layers(env)?;
        let settings = self.settings(env, &layers, vars)?;
        let file = &self.file;

        // Intern every application scope.
        let mut names: Vec<String> = self
            .catalog
            .tools
            .iter()
            .flat_map(|(_, a)| a.scopes().iter().cloned())
            .chain(file.scopes.extra.iter().map(|s| s.get_ref().clone()))
            .chain(file.scopes.implies.keys().map(|s| s.get_ref().clone()))
            .collect();
        names.sort();
        names.dedup();
        let index: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let set_of = |list: &[Name]| {
            let mut s = ScopeSet::EMPTY;
            for n in list {
                if let Some(&i) = index.get(n.get_ref().as_str()) {
                    s.insert(i);
                }
            }
            s
        };

        // Close the hierarchy: implied[i] = everything scope i implies, itself included.
        let mut implied: Vec<ScopeSet> = (0..names.len())
            .map(|i| {
                let mut s = ScopeSet::EMPTY;
                s.insert(i);
                s
            })
            .collect();
        for (broad, narrower) in &file.scopes.implies {
            let i = index[broad.get_ref().as_str()];
            implied[i] = implied[i].union(set_of(narrower));
        }
        loop {
            let mut changed = false;
            for i in 0..names.len() {
                let mut closed = implied[i];
                for j in implied[i].iter() {
                    closed = closed.union(implied[j]);
                }
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

        let mut token_scopes: HashMap<Box<str>, ScopeSet> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str().into(), implied[i]))
            .collect();
        for (idp, granted) in &file.grants.scope {
            let entry = token_scopes
                .entry(idp.get_ref().as_str().into())
                .or_default();
            *entry = entry.union(close(set_of(granted)));
        }
        let roles: HashMap<Box<str>, ScopeSet> = file
            .grants
            .role
            .iter()
            .map(|(r, granted)| (r.get_ref().as_str().into(), close(set_of(granted))))
            .collect();
        let roles_claim = file
            .grants
            .roles_claim
            .as_ref()
            .map_or("roles", |r| r.get_ref().as_str())
            .split('.')
            .map(Into::into)
            .collect();

        let mut tools = Vec::with_capacity(self.catalog.tools.len());
        let mut tool_index = HashMap::new();
        for (name, access) in &self.catalog.tools {
            let mut rule_layers = Vec::new();
            if let Some((_, r)) = file.tools.iter().find(|(k, _)| k.get_ref() == name) {
                rule_layers.push((format!("tools.{name}"), r));
            }
            for (layer_name, section) in &layers {
                if let Some((_, r)) = section.tools.iter().find(|(k, _)| k.get_ref() == name) {
                    rule_layers.push((format!("{layer_name}.tools.{name}"), r));
                }
            }
            let declared_rule = format!("declared:{name}");
            let mut declared = ScopeSet::EMPTY;
            let mut required_names: Vec<String> = Vec::new();
            let mut scope_rule = Vec::new();
            if let Access::Scopes(scopes) = access {
                for s in scopes {
                    let i = index[s.as_str()];
                    declared.insert(i);
                    if !required_names.contains(s) {
                        required_names.push(s.clone());
                        scope_rule.push((i, declared_rule.clone()));
                    }
                }
            }
            let mut required = declared;
            let mut enabled = true;
            let mut enabled_rule = None;
            let mut conditions = Vec::new();
            let mut limit: Option<(RateLimit, String)> = None;
            for (path, rule) in &rule_layers {
                if let Some(e) = &rule.enabled {
                    enabled = *e.get_ref();
                    enabled_rule = Some(format!("{path}.enabled"));
                }
                for s in &rule.require_scopes {
                    let i = index[s.get_ref().as_str()];
                    if !required.contains(i) {
                        required.insert(i);
                        required_names.push(s.get_ref().clone());
                        scope_rule.push((i, format!("{path}.require_scopes")));
                    }
                }
                for (claim, values) in &rule.require_claims {
                    conditions.push(Condition {
                        path: claim.get_ref().split('.').map(Into::into).collect(),
                        any_of: values.get_ref().values(),
                        rule: format!("{path}.require_claims.{}", claim.get_ref()),
                    });
                }
                if let Some(l) = &rule.rate_limit {
                    limit = parse_rate_limit(l.get_ref())
                        .expect("validated")
                        .map(|l| (l, format!("{path}.rate_limit")));
                }
            }
            let allow_rule = rule_layers
                .iter()
                .fold(declared_rule.clone(), |acc, (p, _)| format!("{acc} + {p}"));
            let limiter = limit.map(|(limit, rule)| {
                let quota = Quota::with_period(limit.per / limit.calls.get())
                    .expect("a positive period")
                    .allow_burst(limit.calls);
                Limiter {
                    limiter: DefaultKeyedRateLimiter::dashmap(quota),
                    limit,
                    rule,
                }
            });
            tool_index.insert(name.as_str().into(), tools.len());
            tools.push(CompiledTool {
                name: name.clone(),
                declared,
                required,
                required_names,
                scope_rule,
                enabled,
                enabled_rule,
                conditions,
                limiter,
                allow_rule,
            });
        }

        let principal = layers
            .iter()
            .rev()
            .find_map(|(_, s)| s.principal.as_ref())
            .map(|p| {
                let mut scopes = ScopeSet::EMPTY;
                for s in &p.scopes {
                    if let Some(set) = token_scopes.get(s.get_ref().as_str()) {
                        scopes = scopes.union(*set);
                    }
                }
                Principal {
                    scopes,
                    claims: p.claims.clone(),
                }
            });

        Ok(Engine {
            settings,
            revision: 0,
            scope_names: names,
            token_scopes,
            roles,
            roles_claim,
            tool_index,
            tools,
            principal,
            hasher: RandomState::new(),
        })
    }
}
