//! The decision engine: one environment of a policy, compiled into bit sets.
//!
//! Everything that does not depend on the caller is computed at load: scopes are interned as
//! bits, grants and the scope hierarchy are closed into one set per token scope or role, and
//! each item's (tool, prompt, resource or resource template) required scopes, conditions and
//! rate limit are merged from every layer into one [`CompiledRule`]. A decision is then a hash
//! lookup for the item and a few bit operations, with no allocation and no cost that grows
//! with the number of items; every kind of item takes the same path.

use super::model::ListMode;
use super::values::RateLimit;
use crate::authz::Primitive;
use crate::context::{Caller, CallerOrigin};
use foldhash::HashMap;
use governor::DefaultKeyedRateLimiter;
use governor::clock::{Clock, DefaultClock};
use serde_json::{Map, Value};
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

pub use super::scopes::ScopeSet;
pub use super::settings::EnvSettings;
pub(crate) use super::values::{VarLookup, process_env};

/// A claim condition of one item.
#[derive(Clone, Debug)]
pub(super) struct Condition {
    pub(super) path: Vec<Box<str>>,
    pub(super) any_of: Vec<String>,
    pub(super) rule: String,
}

pub(super) struct Limiter {
    pub(super) limiter: DefaultKeyedRateLimiter<u64>,
    pub(super) limit: RateLimit,
    pub(super) rule: String,
}

impl fmt::Debug for Limiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limiter")
            .field("limit", &self.limit)
            .field("rule", &self.rule)
            .finish_non_exhaustive()
    }
}

/// One item (a tool, prompt, resource or resource template), compiled for one environment.
#[derive(Debug)]
pub struct CompiledRule {
    pub(super) kind: Primitive,
    pub(super) name: String,
    pub(super) declared: ScopeSet,
    pub(super) required: ScopeSet,
    pub(super) required_names: Vec<String>,
    pub(super) scope_rule: Vec<(usize, String)>,
    pub(super) enabled: bool,
    pub(super) enabled_rule: Option<String>,
    pub(super) conditions: Vec<Condition>,
    pub(super) limiter: Option<Limiter>,
    pub(super) allow_rule: String,
    pub(super) declared_rule: String,
    pub(super) foreign: Vec<String>,
    /// CEL conditions and their rules (see `condition`).
    pub(super) checks: Vec<(std::sync::Arc<super::condition::CelCondition>, String)>,
    /// The rule with its shadow-mode rules too: what is audited as would-deny.
    pub(super) shadow: Option<Box<CompiledRule>>,
    /// The rule requiring the user's approval (`…approval = "required"`), if any.
    pub(super) approval: Option<String>,
}

impl CompiledRule {
    /// The kind of item.
    pub fn kind(&self) -> Primitive {
        self.kind
    }

    /// The item's name (a resource template's URI template).
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

    /// [`CompiledRule::required`] by name, declared scopes first (with any declared scope
    /// the policy does not know).
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
    /// The environment disabled the item.
    Disabled,
    /// The caller lacks these required scopes (the set is empty when only declared scopes
    /// the policy does not know are missing; see [`Engine::missing_names`]).
    MissingScopes(ScopeSet),
    /// Claim condition number `n` does not hold.
    ClaimFailed(usize),
    /// CEL condition number `n` is false, or could not be evaluated (fail closed).
    ConditionFailed(usize),
}

/// A decision with the item and the caller it is about; borrowed from the [`Engine`], so
/// making one allocates nothing.
#[derive(Clone, Copy, Debug)]
pub struct Decision<'e> {
    /// The compiled item (`None` for an unknown tool).
    pub item: Option<&'e CompiledRule>,
    /// The outcome.
    pub outcome: Outcome,
    /// Who asked.
    pub caller: &'e Caller,
}

impl Decision<'_> {
    /// Whether the call is allowed.
    pub fn is_allowed(&self) -> bool {
        self.outcome == Outcome::Allow
    }
}

/// The local stdio user, precompiled.
#[derive(Debug)]
pub(super) struct Principal {
    pub(super) scopes: ScopeSet,
    pub(super) claims: Map<String, Value>,
}

/// One environment of a policy, compiled. Immutable except for rate-limit counters.
#[derive(Debug)]
pub struct Engine {
    pub(super) settings: EnvSettings,
    /// Unique among the engines this process compiled (see [`Engine::id`]).
    pub(super) id: u64,
    pub(super) revision: u64,
    pub(super) scope_names: Vec<String>,
    pub(super) token_scopes: HashMap<Box<str>, ScopeSet>,
    pub(super) roles: HashMap<Box<str>, ScopeSet>,
    pub(super) roles_claim: Vec<Box<str>>,
    /// Per kind (see [`kind_slot`]), each item's position in `items`.
    pub(super) index: [HashMap<Box<str>, usize>; 3],
    pub(super) items: Vec<CompiledRule>,
    pub(super) principal: Option<Principal>,
    pub(super) hasher: RandomState,
}

/// Which of [`Engine::index`]'s maps holds items of `kind`.
pub(super) fn kind_slot(kind: Primitive) -> usize {
    match kind {
        Primitive::Tool => 0,
        Primitive::Prompt => 1,
        _ => 2,
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

    /// A number no other engine compiled by this process has: what a caller's remembered
    /// effective scopes are keyed by.
    pub fn id(&self) -> u64 {
        self.id
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
    pub fn tool(&self, name: &str) -> Option<&CompiledRule> {
        self.item(Primitive::Tool, name)
    }

    /// A compiled item by kind and name (a resource template by its URI template).
    pub fn item(&self, kind: Primitive, name: &str) -> Option<&CompiledRule> {
        self.index[kind_slot(kind)]
            .get(name)
            .and_then(|&i| self.items.get(i))
    }

    /// The application scopes `caller` holds: its token scopes (the validated `scopes`, and the
    /// `scope` string and `scp` array claims) and roles, mapped through the grants and closed
    /// under the hierarchy. A local caller holds what the environment's `principal` holds.
    ///
    /// A token caller's scopes are mapped once per engine and remembered on the caller, which
    /// the token cache serves again on the token's next request.
    pub fn effective_scopes(&self, caller: &Caller) -> ScopeSet {
        if caller.origin() == CallerOrigin::Local
            && let Some(p) = &self.principal
        {
            return p.scopes;
        }
        if let Some(bits) = caller.scope_memo().get(self.id) {
            return ScopeSet::from_bits(bits);
        }
        let set = self.map_scopes(caller);
        caller.scope_memo().remember(self.id, set.bits());
        set
    }

    /// [`Engine::effective_scopes`] of a token caller, computed.
    fn map_scopes(&self, caller: &Caller) -> ScopeSet {
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

    pub(super) fn claims_of<'c>(&'c self, caller: &'c Caller) -> &'c Map<String, Value> {
        match (&self.principal, caller.origin()) {
            (Some(p), CallerOrigin::Local) => &p.claims,
            _ => caller.claims(),
        }
    }

    /// Decides whether `caller`, holding `effective` scopes, may call `tool` (rate limits
    /// aside). Pure: no allocation, no state.
    pub fn decide<'e>(
        &'e self,
        caller: &'e Caller,
        effective: ScopeSet,
        tool: &str,
    ) -> Decision<'e> {
        self.decide_on(caller, effective, self.tool(tool))
    }

    /// Decides whether `caller`, holding `effective` scopes, may use `item` (`None`: a tool
    /// the policy does not know). Every kind of item takes this path.
    pub fn decide_on<'e>(
        &'e self,
        caller: &'e Caller,
        effective: ScopeSet,
        item: Option<&'e CompiledRule>,
    ) -> Decision<'e> {
        let Some(t) = item else {
            return Decision {
                item: None,
                outcome: Outcome::UnknownTool,
                caller,
            };
        };
        let foreign_missing = || {
            t.foreign
                .iter()
                .any(|s| !caller.scopes().contains(s.as_str()))
        };
        let outcome = if !t.enabled {
            Outcome::Disabled
        } else if !effective.covers(t.required) || foreign_missing() {
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
            item: Some(t),
            outcome,
            caller,
        }
    }

    /// Whether `tools/list` shows `tool` to a caller holding `effective` scopes.
    pub fn is_visible(&self, caller: &Caller, effective: ScopeSet, tool: &str) -> bool {
        self.is_visible_on(caller, effective, self.tool(tool))
    }

    /// Whether a list shows `item` to a caller holding `effective` scopes: with
    /// `list = "all"` every enabled item, otherwise what the caller may use.
    pub fn is_visible_on(
        &self,
        caller: &Caller,
        effective: ScopeSet,
        item: Option<&CompiledRule>,
    ) -> bool {
        match self.settings.list {
            ListMode::All => item.is_some_and(|t| t.enabled),
            ListMode::Permitted => self.decide_on(caller, effective, item).is_allowed(),
        }
    }

    /// The missing scopes of a [`Outcome::MissingScopes`] decision, by name: the
    /// application scopes (in the policy's order), then the declared scopes the policy does
    /// not know that the caller's own token lacks.
    pub fn missing_names<'a>(
        &'a self,
        decision: &'a Decision<'_>,
    ) -> impl Iterator<Item = &'a str> + 'a {
        let (interned, foreign) = match (decision.outcome, decision.item) {
            (Outcome::MissingScopes(m), Some(t)) => (m, t.foreign.as_slice()),
            (Outcome::MissingScopes(m), None) => (m, &[][..]),
            _ => (ScopeSet::EMPTY, &[][..]),
        };
        let caller = decision.caller;
        interned.iter().map(|i| self.scope_name(i)).chain(
            foreign
                .iter()
                .filter(move |s| !caller.scopes().contains(s.as_str()))
                .map(String::as_str),
        )
    }

    /// Counts a call against the item's per-caller rate limit. `Err` carries how long to wait
    /// and the rule that set the limit.
    pub fn admit<'e>(
        &'e self,
        caller: &Caller,
        tool: &'e CompiledRule,
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
        let Some(t) = decision.item else {
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
                .map_or(t.declared_rule.as_str(), |(_, r)| r.as_str()),
            Outcome::ClaimFailed(i) => &t.conditions[i].rule,
            Outcome::ConditionFailed(i) => &t.checks[i].1,
        }
    }

    /// Why, for people.
    pub fn reason(&self, decision: &Decision<'_>) -> String {
        match (decision.outcome, decision.item) {
            (Outcome::Allow, _) => {
                "every required scope is held and every condition holds".to_owned()
            }
            (Outcome::UnknownTool, _) | (_, None) => {
                "the policy does not know this tool (deny by default)".to_owned()
            }
            (Outcome::Disabled, Some(t)) => format!(
                "{} `{}` is disabled in environment `{}`",
                t.kind.as_str(),
                t.name,
                self.settings.env
            ),
            (Outcome::MissingScopes(_), _) => format!(
                "missing scope(s) {}",
                self.missing_names(decision).collect::<Vec<_>>().join(" ")
            ),
            (Outcome::ClaimFailed(i), Some(t)) => {
                let c = &t.conditions[i];
                format!(
                    "claim `{}` must be one of: {}",
                    c.path.join("."),
                    c.any_of.join(", ")
                )
            }
            (Outcome::ConditionFailed(i), Some(t)) => {
                format!("condition `{}` does not hold", t.checks[i].0.source)
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
