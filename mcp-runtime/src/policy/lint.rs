//! The coverage lint of `check`: what a valid policy still gets wrong about who can reach
//! what. Per environment, items (tools, prompts, resources, resource templates) that no
//! caller can reach; grants that open nothing; rules that can never apply. Each finding is a
//! warning at `file:line:column`; an item switched off with `enabled = false` is only noted.
//!
//! Who can be a caller of an environment:
//! - a stdio environment with a `principal` (and no `token_env`) has exactly one caller, the
//!   local principal: an item is reachable when the policy allows it that principal;
//! - otherwise callers hold tokens. When the policy has grants (`[grants.scope]`,
//!   `[grants.role]`), a scope is reachable when a grant yields it (hierarchy applied); a
//!   policy without grants expects tokens to carry application scopes themselves, and every
//!   application scope is reachable. Claims come from the identity provider, so a claim
//!   condition is not held against a token.
//!
//! `unreachable = ["NAME", …]` in an environment says which items are meant to be out of
//! reach there: they are not reported, and one that becomes reachable is.

use super::diagnostic::Diagnostic;
use super::engine::{Engine, Outcome};
use super::load::Policy;
use super::model::{EnvSection, Name, PolicyFile, Rule, TransportKind};
use super::scopes::ScopeSet;
use super::values::VarLookup;
use crate::authz::Primitive;
use crate::context::Caller;
use std::collections::BTreeMap;
use std::ops::Range;

/// What the coverage lint found.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// Findings that `check --deny-warnings` turns into errors, in file order.
    pub warnings: Vec<Diagnostic>,
    /// Items switched off on purpose (`enabled = false`), for information.
    pub notes: Vec<Diagnostic>,
}

/// Where a rule sits and which environments it applies to.
struct RuleSite<'f> {
    kind: Primitive,
    name: &'f str,
    path: String,
    span: Range<usize>,
    /// `None`: the top level (every environment); `Some(env)`: that environment and those
    /// extending it.
    env: Option<&'f str>,
    rule: &'f Rule,
}

type RuleTable = BTreeMap<Name, Rule>;

/// The three rule tables of a layer, with their kinds and names.
fn tables<'f>(
    tools: &'f RuleTable,
    prompts: &'f RuleTable,
    resources: &'f RuleTable,
) -> [(Primitive, &'static str, &'f RuleTable); 3] {
    [
        (Primitive::Tool, "tools", tools),
        (Primitive::Prompt, "prompts", prompts),
        (Primitive::Resource, "resources", resources),
    ]
}

fn rule_sites(file: &PolicyFile) -> Vec<RuleSite<'_>> {
    let mut out = Vec::new();
    let mut layers = vec![(None, tables(&file.tools, &file.prompts, &file.resources))];
    for (name, env) in &file.env {
        let env: &EnvSection = env;
        layers.push((
            Some(name.get_ref().as_str()),
            tables(&env.tools, &env.prompts, &env.resources),
        ));
    }
    for (env, layer) in layers {
        for (kind, table, rules) in layer {
            for (name, rule) in rules {
                let item = match kind {
                    Primitive::Resource => format!("\"{}\"", name.get_ref()),
                    _ => name.get_ref().clone(),
                };
                out.push(RuleSite {
                    kind,
                    name: name.get_ref(),
                    path: env.map_or_else(
                        || format!("{table}.{item}"),
                        |e| format!("env.{e}.{table}.{item}"),
                    ),
                    span: name.span(),
                    env,
                    rule,
                });
            }
        }
    }
    out
}

/// The caller of an environment that has only its local principal.
fn only_caller(engine: &Engine) -> Option<Caller> {
    let s = engine.settings();
    if s.transport != TransportKind::Stdio || s.token_env.is_some() {
        return None;
    }
    let sub = s.principal_sub.clone()?;
    Some(Caller::local(sub, s.principal_scopes.clone()).with_claims(s.principal_claims.clone()))
}

impl Policy {
    /// Runs the coverage lint over every environment that compiles with `vars`; `only`
    /// limits the per-environment findings to one environment.
    ///
    /// # Errors
    /// The file can no longer be read as a policy (it was validated when loaded).
    pub fn coverage(
        &self,
        vars: VarLookup<'_>,
        only: Option<&str>,
    ) -> Result<Coverage, super::PolicyError> {
        let source = &*self.source;
        let file: PolicyFile = toml::from_str(&source.text)
            .map_err(|e| super::PolicyError::Unsupported(e.to_string()))?;
        // An environment whose settings do not compile is reported by `check` itself (when
        // it is checked); the lint judges the others.
        let engines: Vec<Engine> = self
            .environments()
            .into_iter()
            .filter_map(|env| self.compile(env, vars).ok())
            .collect();
        let mut out = Coverage::default();
        let warn = |out: &mut Coverage, span: Range<usize>, msg: String| {
            out.warnings.push(source.diag(span, msg));
        };
        let has_grants = !self.valid.grants_scope.is_empty() || !self.valid.grants_role.is_empty();

        // Items out of reach, per environment.
        for engine in &engines {
            let env = engine.env();
            if only.is_some_and(|o| o != env) {
                continue;
            }
            let Some((env_name, section)) = file.env.iter().find(|(n, _)| n.get_ref() == env)
            else {
                continue;
            };
            // The most specific `unreachable` list of the environment's layers.
            let valid_env = self.valid.env(env);
            let mut chain: Vec<&EnvSection> = vec![section];
            if let Some(v) = valid_env {
                for &i in v.ancestors.iter().rev() {
                    if let Some((_, s)) = file.env.iter().nth(i) {
                        chain.push(s);
                    }
                }
            }
            chain.push(&file.defaults);
            let expected: &[Name] = chain
                .iter()
                .find(|s| !s.unreachable.is_empty())
                .map_or(&[], |s| s.unreachable.as_slice());
            let caller = only_caller(engine);
            let grants: ScopeSet = if has_grants {
                let scopes = self.valid.grants_scope.iter().map(|(k, _)| k.as_str());
                scopes
                    .filter_map(|k| engine.token_scopes.get(k))
                    .chain(engine.roles.values())
                    .fold(ScopeSet::EMPTY, |a, s| a.union(*s))
            } else {
                engine
                    .token_scopes
                    .values()
                    .fold(ScopeSet::EMPTY, |a, s| a.union(*s))
            };
            for item in &engine.items {
                let what = format!("{} `{}`", item.kind.as_str(), item.name);
                let out_of_reach = if !item.enabled {
                    let rule = item.enabled_rule.as_deref().unwrap_or("?");
                    let at = rule_sites(&file)
                        .into_iter()
                        .find(|r| rule == format!("{}.enabled", r.path))
                        .and_then(|r| r.rule.enabled.as_ref().map(toml::Spanned::span))
                        .unwrap_or_else(|| env_name.span());
                    out.notes.push(source.diag(
                        at,
                        format!("{what} is switched off in environment `{env}` ({rule})"),
                    ));
                    continue;
                } else if let Some(caller) = &caller {
                    let effective = engine.effective_scopes(caller);
                    let decision = engine.decide_on(caller, effective, Some(item));
                    match decision.outcome {
                        Outcome::Allow => None,
                        Outcome::ClaimFailed(i) => Some(format!(
                            "the condition {} never holds for its only caller, the local principal `{}`",
                            item.conditions[i].rule,
                            caller.subject()
                        )),
                        _ => Some(format!(
                            "its only caller, the local principal `{}`, lacks {}",
                            caller.subject(),
                            engine
                                .missing_names(&decision)
                                .collect::<Vec<_>>()
                                .join(" ")
                        )),
                    }
                } else if grants.covers(item.required) {
                    None
                } else {
                    let missing = engine.scope_names(item.required.minus(grants)).join(" ");
                    Some(format!("no grant yields {missing}"))
                };
                let acknowledged = expected.iter().find(|n| *n.get_ref() == item.name);
                match (out_of_reach, acknowledged) {
                    (Some(why), None) => warn(
                        &mut out,
                        env_name.span(),
                        format!(
                            "{what} cannot be reached in environment `{env}`: {why} (list it in `unreachable` if that is meant)"
                        ),
                    ),
                    (None, Some(name)) => warn(
                        &mut out,
                        name.span(),
                        format!(
                            "{what} is listed in `unreachable` of environment `{env}`, but a caller can reach it"
                        ),
                    ),
                    _ => {}
                }
            }
        }

        // Grants that open nothing: they yield no scope any enabled item requires.
        let needed = engines
            .iter()
            .flat_map(|e| e.items.iter().filter(|i| i.enabled))
            .fold(ScopeSet::EMPTY, |a, i| a.union(i.required));
        if let Some(engine) = engines.first() {
            let grant_sets = file
                .grants
                .scope
                .keys()
                .map(|k| {
                    (
                        k,
                        "grants.scope",
                        engine.token_scopes.get(k.get_ref().as_str()),
                    )
                })
                .chain(
                    file.grants
                        .role
                        .keys()
                        .map(|k| (k, "grants.role", engine.roles.get(k.get_ref().as_str()))),
                );
            for (key, table, set) in grant_sets {
                let set = set.copied().unwrap_or(ScopeSet::EMPTY);
                if set.minus(needed) == set {
                    let yields = engine.scope_names(set).join(" ");
                    warn(
                        &mut out,
                        key.span(),
                        format!(
                            "{table}.\"{}\" opens nothing: it yields {}, which no enabled tool, prompt or resource requires in any environment",
                            key.get_ref(),
                            if yields.is_empty() {
                                "no scope"
                            } else {
                                &yields
                            }
                        ),
                    );
                }
            }
        }

        // Rules that never apply: every environment they reach has the item switched off.
        for site in rule_sites(&file) {
            let r = site.rule;
            if r.require_scopes.is_empty() && r.require_claims.is_empty() && r.rate_limit.is_none()
            {
                continue;
            }
            let applies: Vec<&Engine> = engines
                .iter()
                .filter(|e| match site.env {
                    None => true,
                    Some(at) => {
                        e.env() == at
                            || self.valid.env(e.env()).is_some_and(|v| {
                                v.ancestors.iter().any(|&i| self.valid.envs[i].name == at)
                            })
                    }
                })
                .collect();
            let off = |e: &&Engine| e.item(site.kind, site.name).is_none_or(|i| !i.enabled);
            if !applies.is_empty() && applies.iter().all(off) {
                let envs: Vec<&str> = applies.iter().map(|e| e.env()).collect();
                warn(
                    &mut out,
                    site.span,
                    format!(
                        "rule `{}` never applies: {} `{}` is switched off wherever it applies ({})",
                        site.path,
                        site.kind.as_str(),
                        site.name,
                        envs.join(", ")
                    ),
                );
            }
        }
        out.warnings.sort_by_key(|d| (d.line, d.column));
        out.notes.sort_by_key(|d| (d.line, d.column));
        Ok(out)
    }
}
