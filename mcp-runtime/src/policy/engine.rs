//! The decision engine: one environment of a [`Policy`] compiled into bit sets.
//!
//! Everything that does not depend on the caller is computed at load: scopes are interned as
//! bits, grants and the scope hierarchy are closed into one set per token scope or role, and
//! each tool's required scopes, conditions and rate limit are merged from every layer. A
//! decision is then a hash lookup for the tool and a few bit operations, with no allocation
//! and no cost that grows with the number of tools.

use super::load::{
    Diagnostic, InterpolationError, Policy, PolicyError, RateLimit, interpolate, parse_duration,
    parse_rate_limit,
};
use super::model::{EnvSection, ListMode, Name, TransportKind};
use crate::auth::TokenValidation;
use crate::context::{Caller, CallerOrigin};
use crate::registry::Access;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::net::SocketAddr;
use std::time::Duration;

/// A set of application scopes, as bits (at most [`super::load::MAX_SCOPES`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet([u64; 4]);

impl ScopeSet {
    /// The empty set.
    pub const EMPTY: Self = Self([0; 4]);

    /// Adds scope number `i`.
    pub fn insert(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    /// Whether scope number `i` is in the set.
    pub fn contains(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    /// The union.
    #[must_use]
    pub fn union(self, other: Self) -> Self {
        let mut out = self;
        for (a, b) in out.0.iter_mut().zip(other.0) {
            *a |= b;
        }
        out
    }

    /// The scopes of `self` not in `other`.
    #[must_use]
    pub fn minus(self, other: Self) -> Self {
        let mut out = self;
        for (a, b) in out.0.iter_mut().zip(other.0) {
            *a &= !b;
        }
        out
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// Whether every scope of `other` is in `self`.
    pub fn covers(&self, other: Self) -> bool {
        other.minus(*self).is_empty()
    }

    /// The scope numbers, ascending.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..256).filter(move |&i| self.contains(i))
    }
}

/// The deployment settings of one environment, after `${VAR}` interpolation.
#[derive(Clone, Debug)]
pub struct EnvSettings {
    /// The environment's name.
    pub env: String,
    /// Which transport it serves on.
    pub transport: TransportKind,
    /// HTTP listen address.
    pub bind: Option<SocketAddr>,
    /// This server's canonical resource URI.
    pub resource: Option<String>,
    /// Token validation (HTTP, and stdio with `token_env`).
    pub auth: Option<TokenValidation>,
    /// What `tools/list` shows.
    pub list: ListMode,
    /// The local stdio user's subject.
    pub principal_sub: Option<String>,
    /// The local stdio user's scopes, as written.
    pub principal_scopes: Vec<String>,
    /// The local stdio user's claims.
    pub principal_claims: Map<String, Value>,
    /// The variable holding a stdio token.
    pub token_env: Option<String>,
    /// Variables that are referenced without a default but not set. `serve` refuses to start
    /// with any; `check` reports them as warnings.
    pub unresolved: Vec<Diagnostic>,
}

/// A claim condition of one tool.
#[derive(Clone, Debug)]
struct Condition {
    path: Vec<Box<str>>,
    any_of: Vec<String>,
    rule: String,
}

struct Limiter {
    limiter: DefaultKeyedRateLimiter<u64>,
    limit: RateLimit,
    rule: String,
}

impl fmt::Debug for Limiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limiter")
            .field("limit", &self.limit)
            .field("rule", &self.rule)
            .finish_non_exhaustive()
    }
}

/// One tool, compiled for one environment.
#[derive(Debug)]
pub struct CompiledTool {
    name: String,
    declared: ScopeSet,
    required: ScopeSet,
    required_names: Vec<String>,
    scope_rule: Vec<(usize, String)>,
    enabled: bool,
    enabled_rule: Option<String>,
    conditions: Vec<Condition>,
    limiter: Option<Limiter>,
    allow_rule: String,
}

impl CompiledTool {
    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The scopes the code declares.
    pub fn declared(&self) -> ScopeSet {
        self.declared
    }

    /// Every scope a call requires (declared plus what the environment adds).
    pub fn required(&self) -> ScopeSet {
        self.required
    }

    /// [`CompiledTool::required`] by name, declared scopes first.
    pub fn required_names(&self) -> &[String] {
        &self.required_names
    }

    /// Whether the environment lets anyone call it.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The rate limit and the rule that set it.
    pub fn rate_limit(&self) -> Option<(RateLimit, &str)> {
        self.limiter.as_ref().map(|l| (l.limit, l.rule.as_str()))
    }
}

/// What the policy says about one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Allowed.
    Allow,
    /// The tool is not known to the policy (deny by default).
    UnknownTool,
    /// The environment disabled the tool.
    Disabled,
    /// The caller lacks these required scopes.
    MissingScopes(ScopeSet),
    /// Claim condition number `n` does not hold.
    ClaimFailed(usize),
}

/// A decision with the tool it is about; borrowed from the [`Engine`], so making one
/// allocates nothing.
#[derive(Clone, Copy, Debug)]
pub struct Decision<'e> {
    /// The compiled tool (`None` for an unknown tool).
    pub tool: Option<&'e CompiledTool>,
    /// The outcome.
    pub outcome: Outcome,
}

impl Decision<'_> {
    /// Whether the call is allowed.
    pub fn is_allowed(&self) -> bool {
        self.outcome == Outcome::Allow
    }
}

/// The local stdio user, precompiled.
#[derive(Debug)]
struct Principal {
    scopes: ScopeSet,
    claims: Map<String, Value>,
}

/// One environment of a policy, compiled. Immutable except for rate-limit counters.
#[derive(Debug)]
pub struct Engine {
    settings: EnvSettings,
    revision: u64,
    scope_names: Vec<String>,
    token_scopes: HashMap<Box<str>, ScopeSet>,
    roles: HashMap<Box<str>, ScopeSet>,
    roles_claim: Vec<Box<str>>,
    tool_index: HashMap<Box<str>, usize>,
    tools: Vec<CompiledTool>,
    principal: Option<Principal>,
    hasher: RandomState,
}

/// Which names `${VAR}` looks up (the process environment in production).
pub type VarLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

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

    fn settings(
        &self,
        env: &str,
        layers: &[(String, &EnvSection)],
        vars: VarLookup<'_>,
    ) -> Result<EnvSettings, PolicyError> {
        let source = &self.source;
        let mut errors = Vec::new();
        let mut unresolved = Vec::new();
        let mut syntax_errors = Vec::new();
        let last = |f: &dyn Fn(&EnvSection) -> Option<&Name>| -> Option<Name> {
            layers.iter().rev().find_map(|(_, s)| f(s)).cloned()
        };
        let mut resolve = |value: Option<Name>| -> Option<String> {
            let value = value?;
            match interpolate(value.get_ref(), vars) {
                Ok(v) => Some(v),
                Err(InterpolationError::Unset(var)) => {
                    unresolved.push(source.diag(
                        value.span(),
                        format!("environment variable `{var}` is not set and has no default (`${{{var}:-default}}`)"),
                    ));
                    None
                }
                Err(InterpolationError::Syntax(why)) => {
                    syntax_errors.push(source.diag(value.span(), why));
                    None
                }
            }
        };
        let transport = layers
            .iter()
            .rev()
            .find_map(|(_, s)| s.transport.as_ref())
            .map(|t| *t.get_ref());
        let list = layers
            .iter()
            .rev()
            .find_map(|(_, s)| s.list.as_ref())
            .map_or(ListMode::Permitted, |l| *l.get_ref());
        let bind_name = last(&|s| s.bind.as_ref());
        let bind_text = resolve(bind_name.clone());
        let bind = match (bind_text, &bind_name) {
            (Some(text), Some(name)) => match text.parse::<SocketAddr>() {
                Ok(a) => Some(a),
                Err(_) => {
                    errors.push(source.diag(
                        name.span(),
                        format!("`bind` must be an address and port such as `127.0.0.1:8080`, not `{text}`"),
                    ));
                    None
                }
            },
            _ => None,
        };
        let resource_name = last(&|s| s.resource.as_ref());
        let resource = resolve(resource_name.clone());
        if let (Some(r), Some(name)) = (&resource, &resource_name)
            && let Err(why) = check_url(r, false)
        {
            errors.push(source.diag(name.span(), format!("`resource` {why}")));
        }
        let auth_field = |f: &dyn Fn(&super::model::AuthSection) -> Option<&Name>| {
            layers
                .iter()
                .rev()
                .find_map(|(_, s)| s.auth.as_ref().and_then(f))
                .cloned()
        };
        let has_auth = layers.iter().any(|(_, s)| s.auth.is_some());
        let issuer_name = auth_field(&|a| a.issuer.as_ref());
        let issuer = resolve(issuer_name.clone());
        let audience = resolve(auth_field(&|a| a.audience.as_ref()));
        let jwks_name = auth_field(&|a| a.jwks.as_ref());
        let jwks = resolve(jwks_name.clone());
        let leeway = auth_field(&|a| a.leeway.as_ref()).map_or(Duration::from_secs(30), |l| {
            parse_duration(l.get_ref()).expect("validated")
        });
        let algorithms = layers
            .iter()
            .rev()
            .find_map(|(_, s)| s.auth.as_ref().and_then(|a| a.algorithms.as_ref()))
            .map_or_else(
                || vec!["RS256".to_owned(), "ES256".to_owned()],
                |a| a.get_ref().iter().map(|n| n.get_ref().clone()).collect(),
            );
        let servers: Vec<Name> = layers
            .iter()
            .rev()
            .find_map(|(_, s)| {
                s.auth
                    .as_ref()
                    .and_then(|a| a.authorization_servers.clone())
            })
            .unwrap_or_default();
        let authorization_servers: Vec<String> = servers
            .into_iter()
            .filter_map(|s| resolve(Some(s)))
            .collect();
        if let (Some(i), Some(name)) = (&issuer, &issuer_name)
            && let Err(why) = check_url(i, false).and_then(|()| check_transport_security(i))
        {
            errors.push(source.diag(name.span(), format!("`auth.issuer` {why}")));
        }
        let jwks_uri = match (jwks, &jwks_name) {
            (Some(j), Some(name)) => match resolve_jwks(&j, &source.base_dir) {
                Ok(u) => Some(u),
                Err(why) => {
                    errors.push(source.diag(name.span(), format!("`auth.jwks` {why}")));
                    None
                }
            },
            _ => None,
        };
        let auth = match (has_auth, issuer, issuer_name.is_some()) {
            (true, Some(issuer), _) => Some(TokenValidation {
                audience: audience.or_else(|| resource.clone()).unwrap_or_default(),
                issuer,
                jwks_uri,
                algorithms,
                leeway,
                authorization_servers,
            }),
            (true, None, false)
                if transport == Some(TransportKind::Http)
                    || layers.iter().any(|(_, s)| s.token_env.is_some()) =>
            {
                let span = self
                    .file
                    .env
                    .keys()
                    .find(|k| k.get_ref() == env)
                    .map_or(0..0, toml::Spanned::span);
                errors.push(source.diag(
                    span,
                    format!("environment `{env}`: `auth` needs an `issuer`"),
                ));
                None
            }
            _ => None,
        };
        let principal = layers.iter().rev().find_map(|(_, s)| s.principal.as_ref());
        let token_env = last(&|s| s.token_env.as_ref());
        let env_span = self
            .file
            .env
            .keys()
            .find(|k| k.get_ref() == env)
            .map_or(0..0, toml::Spanned::span);
        match transport {
            None => errors.push(source.diag(
                env_span.clone(),
                format!(
                    "environment `{env}` does not say which `transport` it uses (`stdio` or `http`)"
                ),
            )),
            Some(TransportKind::Stdio) => {
                if principal.is_none() && token_env.is_none() {
                    errors.push(source.diag(
                        env_span.clone(),
                        format!("environment `{env}` serves stdio but names neither a `principal` nor a `token_env` for the local user"),
                    ));
                }
                if principal.is_some() && token_env.is_some() {
                    errors.push(source.diag(
                        env_span.clone(),
                        format!("environment `{env}` names both a `principal` and a `token_env`; choose one"),
                    ));
                }
            }
            Some(TransportKind::Http) => {
                let names_bind = bind_name.is_some();
                if !names_bind {
                    errors.push(source.diag(
                        env_span.clone(),
                        format!("environment `{env}` serves HTTP but has no `bind` address"),
                    ));
                }
                if resource_name.is_none() {
                    errors.push(source.diag(
                        env_span.clone(),
                        format!("environment `{env}` serves HTTP but has no `resource` (its canonical URI, the token audience)"),
                    ));
                }
                if !has_auth && bind.is_some_and(|b| !b.ip().is_loopback()) {
                    errors.push(source.diag(
                        env_span.clone(),
                        format!("environment `{env}` serves HTTP off loopback without `auth`; token validation is required there"),
                    ));
                }
            }
        }
        errors.append(&mut syntax_errors);
        if !errors.is_empty() {
            return Err(PolicyError::Invalid(errors));
        }
        Ok(EnvSettings {
            env: env.to_owned(),
            transport: transport.expect("checked above"),
            bind,
            resource,
            auth,
            list,
            principal_sub: principal.map(|p| {
                p.sub
                    .as_ref()
                    .map_or_else(|| "local-user".to_owned(), |s| s.get_ref().clone())
            }),
            principal_scopes: principal
                .map(|p| p.scopes.iter().map(|s| s.get_ref().clone()).collect())
                .unwrap_or_default(),
            principal_claims: principal.map(|p| p.claims.clone()).unwrap_or_default(),
            token_env: token_env.map(|t| t.get_ref().clone()),
            unresolved,
        })
    }
}

fn check_url(url: &str, allow_file: bool) -> Result<(), String> {
    let ok_scheme = url.starts_with("https://")
        || url.starts_with("http://")
        || (allow_file && url.starts_with("file://"));
    if !ok_scheme {
        return Err(format!("must be an absolute http(s) URL, not `{url}`"));
    }
    if url.contains('#') {
        return Err(format!("must not have a fragment: `{url}`"));
    }
    Ok(())
}

/// Keys and discovery documents decide which tokens are trusted, so they are fetched over
/// TLS; plain `http://` is accepted only for a loopback host (local development and tests).
fn check_transport_security(url: &str) -> Result<(), String> {
    let Some(rest) = url.strip_prefix("http://") else {
        return Ok(());
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(format!(
            "must use https (`{url}` would fetch signing keys in clear text; plain http is only accepted for a loopback host)"
        ))
    }
}

/// `file://` paths are resolved against the policy file's directory.
fn resolve_jwks(jwks: &str, base_dir: &std::path::Path) -> Result<String, String> {
    check_url(jwks, true)
        .map_err(|_| format!("must be an http(s) URL or a `file://` path, not `{jwks}`"))?;
    check_transport_security(jwks)?;
    match jwks.strip_prefix("file://") {
        Some("") => Err("`file://` needs a path".to_owned()),
        Some(path) => {
            let p = std::path::Path::new(path);
            let full = if p.is_absolute() {
                p.to_path_buf()
            } else {
                base_dir.join(p)
            };
            Ok(format!("file://{}", full.display()))
        }
        None => Ok(jwks.to_owned()),
    }
}

/// Looks up a dotted claim path.
fn claim<'c>(claims: &'c Map<String, Value>, path: &[Box<str>]) -> Option<&'c Value> {
    let (first, rest) = path.split_first()?;
    let mut value = claims.get(&**first)?;
    for segment in rest {
        value = value.as_object()?.get(&**segment)?;
    }
    Some(value)
}

impl Engine {
    /// The environment's deployment settings.
    pub fn settings(&self) -> &EnvSettings {
        &self.settings
    }

    /// The environment's name.
    pub fn env(&self) -> &str {
        &self.settings.env
    }

    /// How many successful reloads preceded this engine.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub(crate) fn set_revision(&mut self, revision: u64) {
        self.revision = revision;
    }

    /// The name of scope number `i`.
    pub fn scope_name(&self, i: usize) -> &str {
        &self.scope_names[i]
    }

    /// Whether `effective` holds the application scope `name`; `None` when the policy does
    /// not know the scope (only tools' declared scopes, `scopes.extra` and the hierarchy are
    /// interned).
    pub fn holds(&self, effective: ScopeSet, name: &str) -> Option<bool> {
        self.scope_names
            .iter()
            .position(|n| n == name)
            .map(|i| effective.contains(i))
    }

    /// The names of the scopes in `set`.
    pub fn scope_names(&self, set: ScopeSet) -> Vec<&str> {
        set.iter().map(|i| self.scope_name(i)).collect()
    }

    /// A compiled tool by name.
    pub fn tool(&self, name: &str) -> Option<&CompiledTool> {
        self.tool_index.get(name).map(|&i| &self.tools[i])
    }

    /// The application scopes `caller` holds: its token scopes (the validated `scopes`, and the
    /// `scope` string and `scp` array claims) and roles, mapped through the grants and closed
    /// under the hierarchy. A local caller holds what the environment's `principal` holds.
    pub fn effective_scopes(&self, caller: &Caller) -> ScopeSet {
        if caller.origin() == CallerOrigin::Local
            && let Some(p) = &self.principal
        {
            return p.scopes;
        }
        let mut set = ScopeSet::EMPTY;
        let mut add = |scope: &str| {
            if let Some(s) = self.token_scopes.get(scope) {
                set = set.union(*s);
            }
        };
        for s in caller.scopes() {
            add(s);
        }
        let claims = caller.claims();
        if let Some(Value::String(s)) = claims.get("scope") {
            s.split_ascii_whitespace().for_each(&mut add);
        }
        match claims.get("scp") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).for_each(&mut add),
            Some(Value::String(s)) => s.split_ascii_whitespace().for_each(&mut add),
            _ => {}
        }
        let mut add_role = |role: &str| {
            if let Some(s) = self.roles.get(role) {
                set = set.union(*s);
            }
        };
        match claim(claims, &self.roles_claim) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .for_each(&mut add_role),
            Some(Value::String(s)) => s.split_ascii_whitespace().for_each(&mut add_role),
            _ => {}
        }
        set
    }

    fn claims_of<'c>(&'c self, caller: &'c Caller) -> &'c Map<String, Value> {
        match (&self.principal, caller.origin()) {
            (Some(p), CallerOrigin::Local) => &p.claims,
            _ => caller.claims(),
        }
    }

    /// Decides whether `caller`, holding `effective` scopes, may call `tool` (rate limits
    /// aside). Pure: no allocation, no state.
    pub fn decide<'e>(&'e self, caller: &Caller, effective: ScopeSet, tool: &str) -> Decision<'e> {
        let Some(t) = self.tool(tool) else {
            return Decision {
                tool: None,
                outcome: Outcome::UnknownTool,
            };
        };
        let outcome = if !t.enabled {
            Outcome::Disabled
        } else if !effective.covers(t.required) {
            Outcome::MissingScopes(t.required.minus(effective))
        } else {
            let claims = self.claims_of(caller);
            match t
                .conditions
                .iter()
                .position(|c| !condition_holds(c, claims))
            {
                Some(i) => Outcome::ClaimFailed(i),
                None => Outcome::Allow,
            }
        };
        Decision {
            tool: Some(t),
            outcome,
        }
    }

    /// Whether `tools/list` shows `tool` to a caller holding `effective` scopes.
    pub fn is_visible(&self, caller: &Caller, effective: ScopeSet, tool: &str) -> bool {
        match self.settings.list {
            ListMode::All => self.tool(tool).is_some_and(|t| t.enabled),
            ListMode::Permitted => self.decide(caller, effective, tool).is_allowed(),
        }
    }

    /// Counts a call against the tool's per-caller rate limit. `Err` carries how long to wait
    /// and the rule that set the limit.
    pub fn admit<'e>(
        &'e self,
        caller: &Caller,
        tool: &'e CompiledTool,
    ) -> Result<(), (Duration, &'e str)> {
        let Some(l) = &tool.limiter else {
            return Ok(());
        };
        let key = self.hasher.hash_one((caller.subject(), caller.client_id()));
        match l.limiter.check_key(&key) {
            Ok(()) => {
                if l.limiter.len() > 10_000 {
                    l.limiter.retain_recent();
                }
                Ok(())
            }
            Err(not_until) => Err((
                not_until.wait_time_from(DefaultClock::default().now()),
                l.rule.as_str(),
            )),
        }
    }

    /// The rule that made `decision`.
    pub fn rule<'e>(&'e self, decision: &Decision<'e>) -> &'e str {
        let Some(t) = decision.tool else {
            return "default:deny";
        };
        match decision.outcome {
            Outcome::Allow => &t.allow_rule,
            Outcome::UnknownTool => "default:deny",
            Outcome::Disabled => t.enabled_rule.as_deref().unwrap_or("default:deny"),
            Outcome::MissingScopes(missing) => t
                .scope_rule
                .iter()
                .find(|(i, _)| missing.contains(*i))
                .map_or("default:deny", |(_, r)| r.as_str()),
            Outcome::ClaimFailed(i) => &t.conditions[i].rule,
        }
    }

    /// Why, for people.
    pub fn reason(&self, decision: &Decision<'_>) -> String {
        match (decision.outcome, decision.tool) {
            (Outcome::Allow, _) => {
                "every required scope is held and every condition holds".to_owned()
            }
            (Outcome::UnknownTool, _) | (_, None) => {
                "the policy does not know this tool (deny by default)".to_owned()
            }
            (Outcome::Disabled, Some(t)) => format!(
                "tool `{}` is disabled in environment `{}`",
                t.name, self.settings.env
            ),
            (Outcome::MissingScopes(m), _) => {
                format!("missing scope(s) {}", self.scope_names(m).join(" "))
            }
            (Outcome::ClaimFailed(i), Some(t)) => {
                let c = &t.conditions[i];
                format!(
                    "claim `{}` must be one of: {}",
                    c.path.join("."),
                    c.any_of.join(", ")
                )
            }
        }
    }
}

fn condition_holds(c: &Condition, claims: &Map<String, Value>) -> bool {
    let matches = |v: &str| c.any_of.iter().any(|a| a == v);
    match claim(claims, &c.path) {
        Some(Value::String(s)) => matches(s),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).any(matches),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::ScopeSet;

    #[test]
    fn scope_sets_cover_union_and_difference() {
        let mut a = ScopeSet::EMPTY;
        a.insert(0);
        a.insert(63);
        a.insert(64);
        a.insert(255);
        let mut b = ScopeSet::EMPTY;
        b.insert(64);
        assert!(a.covers(b));
        assert!(!b.covers(a));
        assert_eq!(a.minus(b).iter().collect::<Vec<_>>(), [0, 63, 255]);
        assert_eq!(b.union(a), a);
        assert!(ScopeSet::EMPTY.is_empty() && a.covers(ScopeSet::EMPTY));
    }
}
