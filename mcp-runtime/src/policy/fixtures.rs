//! `policy test`: a fixtures file of cases (environment, principal, item, arguments → the
//! expected decision) run against a compiled [`Policy`] and the binary's tools. The format is
//! documented in `docs/policy.md` ("Testing a policy").
//!
//! ```toml
//! [principals.lead]
//! sub = "ana"
//! scopes = ["tools.read"]
//! claims = { roles = ["support-lead"], tenant = "technova" }
//!
//! [[case]]
//! name = "a support lead cancels an order"
//! env = ["staging", "prod"]
//! principal = "lead"
//! tool = "cancel_order"
//! arguments = { order_id = "TN-1001", reason = "customer request" }
//! expect = "allow"
//! ```

use super::diagnostic::{Diagnostic, PolicyError, Source, did_you_mean};
use super::engine::{CompiledRule, Engine};
use super::load::Policy;
use super::values::VarLookup;
use crate::authz::Primitive;
use crate::context::Caller;
use crate::registry::ToolRegistry;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use toml::Spanned;

/// What a case expects the policy to decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expected {
    /// The call is allowed and runs at once.
    Allow,
    /// The call is refused.
    Deny,
    /// The call is allowed once a person approves it.
    Approval,
}

impl Expected {
    /// `allow`, `deny` or `approval`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
            Self::Approval => "approval",
        }
    }
}

/// A fixtures file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    #[serde(default)]
    principals: BTreeMap<Spanned<String>, PrincipalSpec>,
    #[serde(default)]
    case: Vec<CaseSpec>,
}

/// A caller as written: `sub`, `client`, token `scopes` and `claims`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrincipalSpec {
    sub: Option<String>,
    client: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    claims: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSpec {
    name: Option<String>,
    env: Spanned<toml::Value>,
    principal: Spanned<toml::Value>,
    tool: Option<Spanned<String>>,
    prompt: Option<Spanned<String>>,
    resource: Option<Spanned<String>>,
    arguments: Option<Spanned<Map<String, Value>>>,
    expect: Spanned<Expected>,
    rule: Option<String>,
    reason: Option<String>,
}

/// Who a case calls as.
#[derive(Clone, Debug)]
enum Who {
    /// The environment's local stdio `principal`.
    Local,
    /// A token holder.
    Token(PrincipalSpec),
}

/// One case, checked against the catalog: run once per environment it names.
#[derive(Clone, Debug)]
struct Case {
    name: String,
    at: Diagnostic,
    envs: Vec<String>,
    who: Who,
    who_label: String,
    kind: Primitive,
    item: String,
    arguments: Map<String, Value>,
    expect: Expected,
    rule: Option<String>,
    reason: Option<String>,
}

/// A loaded fixtures file whose every case names a known environment, principal and item,
/// with arguments that fit the tool's input schema.
#[derive(Clone, Debug)]
pub struct Fixtures {
    name: String,
    cases: Vec<Case>,
}

/// What the policy decided for one case in one environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actual {
    /// The decision, in the terms of the fixtures file.
    pub decision: Expected,
    /// The rule that decided.
    pub rule: String,
    /// Why.
    pub reason: String,
}

/// One case in one environment, and how it went.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// `[env] case name`.
    pub label: String,
    /// Where the case is written.
    pub at: Diagnostic,
    /// What was called, by whom: ``tool `cancel_order` as `ana` (scopes: …)``.
    pub call: String,
    /// The expectation.
    pub expected: Expected,
    /// The expected rule, if the case names one.
    pub expected_rule: Option<String>,
    /// The expected reason (a part of it), if the case names one.
    pub expected_reason: Option<String>,
    /// What the policy decided.
    pub actual: Actual,
}

impl Outcome {
    /// Whether the policy decided as expected.
    pub fn passed(&self) -> bool {
        self.actual.decision == self.expected
            && self
                .expected_rule
                .as_ref()
                .is_none_or(|r| *r == self.actual.rule)
            && self
                .expected_reason
                .as_ref()
                .is_none_or(|r| self.actual.reason.contains(r.as_str()))
    }
}

impl fmt::Display for Outcome {
    /// `ok   [env] name`, or for a failure the case's position and a diff of expected against
    /// actual, with the rule and the reason.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.passed() {
            return write!(f, "ok    {}", self.label);
        }
        let a = &self.actual;
        writeln!(f, "FAIL  {}", self.label)?;
        writeln!(
            f,
            "      at {}:{}:{}",
            self.at.file, self.at.line, self.at.column
        )?;
        writeln!(f, "      {}", self.call)?;
        let line = |f: &mut fmt::Formatter<'_>, sign: char, key: &str, value: &str| {
            writeln!(f, "    {sign} {key:<9} {value}")
        };
        if a.decision == self.expected {
            line(f, ' ', "decision:", a.decision.as_str())?;
        } else {
            line(f, '-', "decision:", self.expected.as_str())?;
            line(f, '+', "decision:", a.decision.as_str())?;
        }
        match &self.expected_rule {
            Some(r) if *r != a.rule => {
                line(f, '-', "rule:", r)?;
                line(f, '+', "rule:", &a.rule)?;
            }
            _ => line(f, ' ', "rule:", &a.rule)?,
        }
        match &self.expected_reason {
            Some(r) if !a.reason.contains(r.as_str()) => {
                line(f, '-', "reason:", &format!("… {r} …"))?;
                line(f, '+', "reason:", &a.reason)?;
            }
            _ => line(f, ' ', "reason:", &a.reason)?,
        }
        if self.expected == Expected::Approval && a.decision == Expected::Allow {
            writeln!(
                f,
                "      (this policy asks for no approval before this call)"
            )?;
        }
        Ok(())
    }
}

/// Whether a call the policy allows must first be approved by a person. This is the one
/// place where the engine's approval requirement enters `policy test`; until the policy can
/// require approval, it requires none.
fn approval_required(_engine: &Engine, _item: &CompiledRule, _caller: &Caller) -> bool {
    false
}

/// Decides one call as the dispatcher would (rate limits aside: a fixture is one call).
/// `_arguments` are the call's arguments, for policies that decide on them.
fn decide(
    engine: &Engine,
    caller: &Caller,
    kind: Primitive,
    name: &str,
    _arguments: &Map<String, Value>,
) -> Actual {
    let item = engine.item(kind, name);
    let effective = engine.effective_scopes(caller);
    let decision = engine.decide_on(caller, effective, item);
    let verdict = match decision.item {
        Some(t) if decision.is_allowed() && approval_required(engine, t, caller) => {
            Expected::Approval
        }
        _ if decision.is_allowed() => Expected::Allow,
        _ => Expected::Deny,
    };
    Actual {
        decision: verdict,
        rule: engine.rule(&decision).to_owned(),
        reason: engine.reason(&decision),
    }
}

impl Fixtures {
    /// Reads `path` and checks every case against `policy` (its environments and catalog)
    /// and `tools` (their input schemas).
    ///
    /// # Errors
    /// [`PolicyError::Io`], or [`PolicyError::Invalid`] with every problem at
    /// `file:line:column`.
    pub fn load(path: &Path, policy: &Policy, tools: &ToolRegistry) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let source = Source {
            name: path.display().to_string(),
            text,
            base_dir: ".".into(),
        };
        Self::parse(&source, policy, tools)
    }

    /// [`Fixtures::load`] for a file held in memory.
    ///
    /// # Errors
    /// [`PolicyError::Invalid`] with every problem at `file:line:column`.
    pub fn parse(
        source: &Source,
        policy: &Policy,
        tools: &ToolRegistry,
    ) -> Result<Self, PolicyError> {
        let file: FixtureFile = toml::from_str(&source.text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            PolicyError::Invalid(vec![source.diag(span, e.message().trim().to_owned())])
        })?;
        let mut errors = Vec::new();
        let mut err = |span: std::ops::Range<usize>, msg: String, help: Option<String>| {
            let mut d = source.diag(span, msg);
            d.help = help;
            errors.push(d);
        };
        let envs = policy.environments();
        let principals: BTreeMap<&str, &PrincipalSpec> = file
            .principals
            .iter()
            .map(|(k, v)| (k.get_ref().as_str(), v))
            .collect();
        if let Some((k, _)) = file.principals.iter().find(|(k, _)| k.get_ref() == "local") {
            err(
                k.span(),
                "`local` names the environment's stdio principal; choose another name".into(),
                None,
            );
        }
        let mut cases = Vec::new();
        for (n, spec) in file.case.iter().enumerate() {
            let at = source.diag(spec.expect.span(), "");
            // Environments.
            let names: Vec<String> = match spec.env.get_ref() {
                toml::Value::String(s) => vec![s.clone()],
                toml::Value::Array(a) if !a.is_empty() && a.iter().all(|v| v.is_str()) => a
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                _ => {
                    err(
                        spec.env.span(),
                        "`env` must be an environment name or a non-empty array of them".into(),
                        None,
                    );
                    continue;
                }
            };
            for e in &names {
                if !envs.contains(&e.as_str()) {
                    err(
                        spec.env.span(),
                        format!("unknown environment `{e}`: the policy does not define it"),
                        did_you_mean(e, envs.iter().copied()),
                    );
                }
            }
            // Principal.
            let (who, who_label) = match spec.principal.get_ref() {
                toml::Value::String(s) if s == "local" => (Who::Local, "the local user".into()),
                toml::Value::String(s) => match principals.get(s.as_str()) {
                    Some(p) => (Who::Token((*p).clone()), format!("`{s}`")),
                    None => {
                        err(
                            spec.principal.span(),
                            format!(
                                "unknown principal `{s}`: define it under `[principals.{s}]` (or use `local`)"
                            ),
                            did_you_mean(s, principals.keys().copied()),
                        );
                        continue;
                    }
                },
                toml::Value::Table(t) => match toml::Value::Table(t.clone()).try_into() {
                    Ok(p @ PrincipalSpec { .. }) => {
                        let label = format!("`{}`", p.sub.as_deref().unwrap_or("fixture"));
                        (Who::Token(p), label)
                    }
                    Err(e) => {
                        err(
                            spec.principal.span(),
                            format!("invalid principal: {}", e.message().trim()),
                            None,
                        );
                        continue;
                    }
                },
                _ => {
                    err(
                        spec.principal.span(),
                        "`principal` must be `local`, the name of a `[principals.NAME]`, or a table".into(),
                        None,
                    );
                    continue;
                }
            };
            // Item.
            let items = [
                (Primitive::Tool, &spec.tool),
                (Primitive::Prompt, &spec.prompt),
                (Primitive::Resource, &spec.resource),
            ];
            let given: Vec<_> = items
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| (*k, v)))
                .collect();
            let [(kind, item)] = given[..] else {
                err(
                    spec.expect.span(),
                    format!(
                        "case {} must name exactly one of `tool`, `prompt` and `resource`",
                        n + 1
                    ),
                    None,
                );
                continue;
            };
            let known = policy.catalog().of_kind(kind).map(|e| e.name.as_str());
            if !policy
                .catalog()
                .of_kind(kind)
                .any(|e| e.name == *item.get_ref())
            {
                err(
                    item.span(),
                    format!(
                        "unknown {} `{}`: this binary has no such {0}",
                        kind.as_str(),
                        item.get_ref()
                    ),
                    did_you_mean(item.get_ref(), known),
                );
                continue;
            }
            // Arguments.
            let arguments = spec
                .arguments
                .as_ref()
                .map(|a| a.get_ref().clone())
                .unwrap_or_default();
            if kind == Primitive::Tool
                && let Some(tool) = tools.get(item.get_ref())
                && let Err(why) = tool.validate_arguments(&Value::Object(arguments.clone()))
            {
                let span = spec.arguments.as_ref().map_or(item.span(), Spanned::span);
                err(
                    span,
                    format!("arguments do not fit tool `{}`: {why}", item.get_ref()),
                    None,
                );
            }
            cases.push(Case {
                name: spec
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("case {}", n + 1)),
                at,
                envs: names,
                who,
                who_label,
                kind,
                item: item.get_ref().clone(),
                arguments,
                expect: *spec.expect.get_ref(),
                rule: spec.rule.clone(),
                reason: spec.reason.clone(),
            });
        }
        if file.case.is_empty() {
            err(0..0, "no `[[case]]` in the fixtures file".into(), None);
        }
        if !errors.is_empty() {
            errors.sort_by_key(|d| (d.line, d.column));
            return Err(PolicyError::Invalid(errors));
        }
        Ok(Self {
            name: source.name.clone(),
            cases,
        })
    }

    /// The file's name.
    pub fn file_name(&self) -> &str {
        &self.name
    }

    /// Runs every case in each of its environments (only `only_env`, if given), in file
    /// order, each against `policy` compiled for that environment with `vars`.
    ///
    /// # Errors
    /// An environment that does not compile, or a `local` case in an environment without a
    /// local principal.
    pub fn run(
        &self,
        policy: &Policy,
        vars: VarLookup<'_>,
        only_env: Option<&str>,
    ) -> Result<Vec<Outcome>, PolicyError> {
        let mut engines: BTreeMap<&str, Engine> = BTreeMap::new();
        let mut out = Vec::new();
        for case in &self.cases {
            for env in case
                .envs
                .iter()
                .filter(|e| only_env.is_none_or(|o| o == e.as_str()))
            {
                if !engines.contains_key(env.as_str()) {
                    engines.insert(env, policy.compile(env, vars)?);
                }
                let engine = &engines[env.as_str()];
                let caller = match &case.who {
                    Who::Local => {
                        let s = engine.settings();
                        let Some(sub) = &s.principal_sub else {
                            return Err(PolicyError::Unsupported(format!(
                                "{}:{}:{}: case `{}` calls as the local user, but environment `{env}` defines no `principal`",
                                case.at.file, case.at.line, case.at.column, case.name
                            )));
                        };
                        Caller::local(sub.clone(), s.principal_scopes.clone())
                            .with_claims(s.principal_claims.clone())
                    }
                    Who::Token(p) => Caller::from_token(
                        p.sub.clone().unwrap_or_else(|| "fixture".to_owned()),
                        p.client.clone(),
                        p.scopes.clone(),
                        p.claims.clone(),
                    ),
                };
                let actual = decide(engine, &caller, case.kind, &case.item, &case.arguments);
                let held = match &case.who {
                    Who::Local => engine.settings().principal_scopes.join(" "),
                    Who::Token(p) => p.scopes.join(" "),
                };
                out.push(Outcome {
                    label: format!("[{env}] {}", case.name),
                    at: case.at.clone(),
                    call: format!(
                        "{} `{}` as {} (scopes: {}; claims: {})",
                        case.kind.as_str(),
                        case.item,
                        case.who_label,
                        if held.is_empty() { "none" } else { &held },
                        Value::Object(caller.claims().clone()),
                    ),
                    expected: case.expect,
                    expected_rule: case.rule.clone(),
                    expected_reason: case.reason.clone(),
                    actual,
                });
            }
        }
        Ok(out)
    }
}
