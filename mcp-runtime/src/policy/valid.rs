//! A policy after validation: every value parsed (rate limits, durations, transports, list
//! modes, `${VAR}` templates, claim paths) and every application scope resolved to its bit.
//! Compiling an environment consumes these types, so it has nothing left to re-check: only
//! the deployment's variables, and the values they produce, can still be wrong.

use super::condition::CelCondition;
use super::model::{ListMode, Mode, TransportKind};
use super::scopes::ScopeId;
use super::values::{RateLimit, Template};
use crate::authz::{Catalog, Primitive};
use serde_json::{Map, Value};
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

/// A dotted claim path, split (`realm_access.roles` → `["realm_access", "roles"]`).
pub(crate) type ClaimPath = Vec<Box<str>>;

/// What a rule is about: a kind of item and its name (a resource template by its template).
pub(crate) type RuleKey = (Primitive, String);

/// A validated policy file.
#[derive(Clone, Debug)]
pub(crate) struct ValidPolicy {
    /// Every application scope, sorted; a [`ScopeId`] is a position in this list.
    pub(crate) scope_names: Vec<String>,
    /// `scopes.implies`: a broader scope and the narrower ones it implies.
    pub(crate) implies: Vec<(ScopeId, Vec<ScopeId>)>,
    /// `grants.scope`: a token scope and the application scopes it grants.
    pub(crate) grants_scope: Vec<(String, Vec<ScopeId>)>,
    /// `grants.role`: a role and the application scopes it grants.
    pub(crate) grants_role: Vec<(String, Vec<ScopeId>)>,
    /// `grants.roles_claim`.
    pub(crate) roles_claim: ClaimPath,
    /// Everything the binary can authorize, with its declared scopes resolved.
    pub(crate) targets: Vec<ValidTarget>,
    /// Rules for every environment (`[tools.NAME]`, …).
    pub(crate) rules: Vec<(RuleKey, Rule)>,
    /// `[defaults]`.
    pub(crate) defaults: Layer,
    /// `[env.NAME]`, sorted by name.
    pub(crate) envs: Vec<ValidEnv>,
}

/// One item of the catalog, as the policy sees it.
#[derive(Clone, Debug)]
pub(crate) struct ValidTarget {
    /// Its kind and name.
    pub(crate) key: RuleKey,
    /// Its declared scopes that are application scopes, each once, in declared order.
    pub(crate) declared: Vec<(ScopeId, String)>,
    /// Its declared scopes that the policy does not know, each once, in declared order
    /// (checked against the caller's own token scopes).
    pub(crate) foreign: Vec<String>,
}

/// One environment.
#[derive(Clone, Debug)]
pub(crate) struct ValidEnv {
    /// Its name.
    pub(crate) name: String,
    /// Where its name is written.
    pub(crate) span: Range<usize>,
    /// The environments it `extends`, most general first (positions in
    /// [`ValidPolicy::envs`]); the chain has no cycle.
    pub(crate) ancestors: Vec<usize>,
    /// Its own settings and rules.
    pub(crate) layer: Layer,
}

/// The settings and rules of `[defaults]` or of one `[env.NAME]`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Layer {
    /// `transport`.
    pub(crate) transport: Option<TransportKind>,
    /// `bind`.
    pub(crate) bind: Option<Template>,
    /// `resource`.
    pub(crate) resource: Option<Template>,
    /// `list`.
    pub(crate) list: Option<ListMode>,
    /// `mode`.
    pub(crate) mode: Option<Mode>,
    /// `auth`.
    pub(crate) auth: Option<Auth>,
    /// `principal`.
    pub(crate) principal: Option<Principal>,
    /// `token_env`.
    pub(crate) token_env: Option<String>,
    /// `metrics`.
    pub(crate) metrics: Option<Metrics>,
    /// `decision_log`.
    pub(crate) decision_log: Option<super::DecisionLogTarget>,
    /// `store`.
    pub(crate) store: Option<Template>,
    /// Per-environment rules.
    pub(crate) rules: Vec<(RuleKey, Rule)>,
}

/// `auth`, validated.
#[derive(Clone, Debug, Default)]
pub(crate) struct Auth {
    /// `issuer`.
    pub(crate) issuer: Option<Template>,
    /// `audience`.
    pub(crate) audience: Option<Template>,
    /// `jwks`.
    pub(crate) jwks: Option<Template>,
    /// `algorithms` (each accepted).
    pub(crate) algorithms: Option<Vec<String>>,
    /// `leeway`.
    pub(crate) leeway: Option<Duration>,
    /// `authorization_servers`.
    pub(crate) authorization_servers: Option<Vec<Template>>,
    /// `token_cache` (at most [`MAX_TOKEN_CACHE`](super::values::MAX_TOKEN_CACHE)).
    pub(crate) token_cache: Option<usize>,
}

/// `metrics`, validated.
#[derive(Clone, Debug, Default)]
pub(crate) struct Metrics {
    /// `bind`.
    pub(crate) bind: Option<Template>,
    /// `path` (starts with `/`).
    pub(crate) path: Option<String>,
}

/// `principal`, validated.
#[derive(Clone, Debug)]
pub(crate) struct Principal {
    /// The subject (default `local-user`).
    pub(crate) sub: String,
    /// The scopes as written (application scopes or granted token scopes).
    pub(crate) scopes: Vec<String>,
    /// Its claims.
    pub(crate) claims: Map<String, Value>,
}

/// One layer's rule for one item.
#[derive(Clone, Debug, Default)]
pub(crate) struct Rule {
    /// `enabled`.
    pub(crate) enabled: Option<bool>,
    /// `require_scopes`, with their names.
    pub(crate) require_scopes: Vec<(ScopeId, String)>,
    /// `require_claims`.
    pub(crate) require_claims: Vec<Claim>,
    /// `rate_limit`: `Some(None)` lifts an inherited limit.
    pub(crate) rate_limit: Option<Option<RateLimit>>,
    /// `condition`, compiled and checked.
    pub(crate) condition: Option<Arc<CelCondition>>,
    /// `mode = "shadow"`.
    pub(crate) shadow: bool,
    /// `approval = "required"`.
    pub(crate) approval: bool,
}

/// One claim condition.
#[derive(Clone, Debug)]
pub(crate) struct Claim {
    /// The claim as written.
    pub(crate) name: String,
    /// The claim's path.
    pub(crate) path: ClaimPath,
    /// The accepted values.
    pub(crate) any_of: Vec<String>,
}

impl ValidTarget {
    /// Every item of `catalog`, its declared scopes resolved with `resolve`.
    pub(crate) fn of_catalog(
        catalog: &Catalog,
        resolve: impl Fn(&str) -> Option<ScopeId>,
    ) -> Vec<Self> {
        catalog
            .entries
            .iter()
            .map(|e| Self::new((e.kind, e.name.clone()), e.access.scopes(), &resolve))
            .collect()
    }

    /// The item `key` declaring `scopes`, each resolved with `resolve` (`None`: a scope the
    /// policy does not know).
    pub(crate) fn new(
        key: RuleKey,
        scopes: &[String],
        resolve: impl Fn(&str) -> Option<ScopeId>,
    ) -> Self {
        let mut declared: Vec<(ScopeId, String)> = Vec::new();
        let mut foreign: Vec<String> = Vec::new();
        for s in scopes {
            match resolve(s) {
                Some(id) if !declared.iter().any(|(d, _)| *d == id) => {
                    declared.push((id, s.clone()));
                }
                None if !foreign.contains(s) => foreign.push(s.clone()),
                _ => {}
            }
        }
        Self {
            key,
            declared,
            foreign,
        }
    }
}

impl ValidPolicy {
    /// `env`'s layers from the most general to the most specific, with their names for rule
    /// paths: `[defaults]`, each `extends` ancestor, then `env` itself.
    pub(crate) fn layers<'p>(&'p self, env: &'p ValidEnv) -> Vec<(String, &'p Layer)> {
        let mut out = vec![("defaults".to_owned(), &self.defaults)];
        for e in env.ancestors.iter().filter_map(|&i| self.envs.get(i)) {
            out.push((format!("env.{}", e.name), &e.layer));
        }
        out.push((format!("env.{}", env.name), &env.layer));
        out
    }

    /// The environment named `name`.
    pub(crate) fn env(&self, name: &str) -> Option<&ValidEnv> {
        self.envs.iter().find(|e| e.name == name)
    }
}
