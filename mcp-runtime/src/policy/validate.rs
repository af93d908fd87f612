//! Validating a parsed policy file: every name against what exists (the tools compiled into
//! the binary, the scopes they declare, the environments of the file) and every value
//! (rate limits, durations, algorithms, `${VAR}` syntax). Each mistake becomes a
//! [`Diagnostic`] with the closest valid name when there is one; a file without mistakes
//! becomes a [`ValidPolicy`] of typed values.

use super::DecisionLogTarget;
use super::compile::section;
use super::condition;
use super::diagnostic::{Diagnostic, Source, did_you_mean};
use super::model::{ClaimMatch, EnvSection, Mode, Name, PolicyFile, Rule as RuleSection};
use super::scopes::{MAX_SCOPES, ScopeId};
use super::valid::{
    Auth, Claim, ClaimPath, Layer, Principal, Rule, RuleKey, ValidEnv, ValidPolicy, ValidTarget,
};
use super::values::{ALGORITHMS, MAX_TOKEN_CACHE, Template, parse_duration, parse_rate_limit};
use crate::authz::{Catalog, Primitive};
use crate::registry::validate_scope;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

pub(super) struct Validator<'a> {
    source: &'a Source,
    file: &'a PolicyFile,
    catalog: &'a Catalog,
    app_scopes: BTreeSet<&'a str>,
    ids: BTreeMap<&'a str, ScopeId>,
    out: Vec<Diagnostic>,
}

impl<'a> Validator<'a> {
    pub(super) fn new(source: &'a Source, file: &'a PolicyFile, catalog: &'a Catalog) -> Self {
        let mut app_scopes: BTreeSet<&str> = catalog
            .of_kind(Primitive::Tool)
            .flat_map(|e| e.access.scopes().iter().map(String::as_str))
            .collect();
        app_scopes.extend(file.scopes.extra.iter().map(|s| s.get_ref().as_str()));
        app_scopes.extend(file.scopes.implies.keys().map(|s| s.get_ref().as_str()));
        let ids = app_scopes
            .iter()
            .enumerate()
            .filter_map(|(i, s)| ScopeId::new(i).map(|id| (*s, id)))
            .collect();
        Self {
            source,
            file,
            catalog,
            app_scopes,
            ids,
            out: Vec::new(),
        }
    }

    fn error(&mut self, name_span: Range<usize>, message: String, help: Option<String>) {
        let mut d = self.source.diag(name_span, message);
        d.help = help;
        self.out.push(d);
    }

    fn scope_syntax(&mut self, scope: &Name) -> bool {
        match validate_scope(scope.get_ref()) {
            Ok(()) => true,
            Err(why) => {
                self.error(scope.span(), why, None);
                false
            }
        }
    }

    /// The id of an application scope named in `context`.
    fn app_scope(&mut self, scope: &Name, context: &str) -> Option<ScopeId> {
        if !self.scope_syntax(scope) {
            return None;
        }
        let name = scope.get_ref().as_str();
        let id = self.ids.get(name).copied();
        if id.is_none() {
            let help = did_you_mean(name, self.app_scopes.iter().copied());
            self.error(
                scope.span(),
                format!("unknown scope `{name}` in {context}: no tool declares it and it is not in `scopes.extra` or `scopes.implies`"),
                help,
            );
        }
        id
    }

    fn app_scopes(&mut self, scopes: &[Name], context: &str) -> Vec<ScopeId> {
        scopes
            .iter()
            .filter_map(|s| self.app_scope(s, context))
            .collect()
    }

    /// Every problem of the file, or the validated policy.
    pub(super) fn run(mut self) -> Result<ValidPolicy, Vec<Diagnostic>> {
        let file = self.file;
        if let Some(name) = &file.server.name
            && name.get_ref() != &self.catalog.server_name
        {
            let msg = format!(
                "this policy is for server `{}`, but this binary is `{}`",
                name.get_ref(),
                self.catalog.server_name
            );
            self.error(name.span(), msg, None);
        }
        if self.app_scopes.len() > MAX_SCOPES {
            self.error(
                0..0,
                format!("more than {MAX_SCOPES} distinct scopes"),
                None,
            );
        }
        for scope in &file.scopes.extra {
            self.scope_syntax(scope);
        }
        let mut implies = Vec::new();
        for (broad, narrower) in &file.scopes.implies {
            self.scope_syntax(broad);
            let context = format!("scopes.implies.\"{}\"", broad.get_ref());
            let narrower = self.app_scopes(narrower, &context);
            if let Some(&id) = self.ids.get(broad.get_ref().as_str()) {
                implies.push((id, narrower));
            }
        }
        let mut grants_scope = Vec::new();
        for (idp_scope, granted) in &file.grants.scope {
            self.scope_syntax(idp_scope);
            let context = format!("grants.scope.\"{}\"", idp_scope.get_ref());
            grants_scope.push((
                idp_scope.get_ref().clone(),
                self.app_scopes(granted, &context),
            ));
        }
        let mut grants_role = Vec::new();
        for (role, granted) in &file.grants.role {
            if role.get_ref().is_empty() {
                self.error(
                    role.span(),
                    "a role name must not be empty".to_owned(),
                    None,
                );
            }
            let context = format!("grants.role.\"{}\"", role.get_ref());
            grants_role.push((role.get_ref().clone(), self.app_scopes(granted, &context)));
        }
        let roles_claim = match &file.grants.roles_claim {
            Some(path) => self.claim_path(path),
            None => vec!["roles".into()],
        };
        let rules = self.all_rules(&file.tools, &file.prompts, &file.resources, None);
        if let Some(extends) = &file.defaults.extends {
            self.error(
                extends.span(),
                "`extends` belongs in an `[env.NAME]` table, not in `[defaults]`".to_owned(),
                None,
            );
        }
        let defaults = &file.defaults;
        for (kind, rules) in [
            ("tool", &defaults.tools),
            ("prompt", &defaults.prompts),
            ("resource", &defaults.resources),
        ] {
            if let Some((first, _)) = rules.iter().next() {
                let table = if kind == "resource" {
                    "resources.\"URI\"".to_owned()
                } else {
                    format!("{kind}s.NAME")
                };
                self.error(
                    first.span(),
                    format!("{kind} rules for every environment go in `[{table}]`, not `[defaults.{kind}s]`"),
                    None,
                );
            }
        }
        let defaults = self.layer(&file.defaults, Vec::new());
        let env_names: Vec<&str> = file.env.keys().map(|k| k.get_ref().as_str()).collect();
        let mut envs = Vec::new();
        for (name, env) in &file.env {
            let mut ancestors = Vec::new();
            if let Some(parent) = &env.extends {
                if !env_names.contains(&parent.get_ref().as_str()) {
                    let help = did_you_mean(parent.get_ref(), env_names.iter().copied());
                    self.error(
                        parent.span(),
                        format!("unknown environment `{}` in `extends`", parent.get_ref()),
                        help,
                    );
                } else {
                    match self.ancestors(name.get_ref(), &env_names) {
                        Some(chain) => ancestors = chain,
                        None => self.error(
                            parent.span(),
                            format!(
                                "`extends` of environment `{}` forms a cycle",
                                name.get_ref()
                            ),
                            None,
                        ),
                    }
                }
            }
            let rules = self.all_rules(
                &env.tools,
                &env.prompts,
                &env.resources,
                Some(name.get_ref()),
            );
            envs.push(ValidEnv {
                name: name.get_ref().clone(),
                span: name.span(),
                ancestors,
                layer: self.layer(env, rules),
            });
        }
        if !self.out.is_empty() {
            return Err(self.out);
        }
        Ok(ValidPolicy {
            scope_names: self.ids.keys().map(|s| (*s).to_owned()).collect(),
            implies,
            grants_scope,
            grants_role,
            roles_claim,
            targets: ValidTarget::of_catalog(self.catalog, |s| self.ids.get(s).copied()),
            rules,
            defaults,
            envs,
        })
    }

    /// The positions (in `env_names`) of the environments `start` extends, most general first;
    /// `None` when the chain does not end.
    fn ancestors(&self, start: &str, env_names: &[&str]) -> Option<Vec<usize>> {
        let mut chain = Vec::new();
        let mut current = start;
        for _ in 0..=self.file.env.len() {
            let (_, env) = self.file.env.iter().find(|(k, _)| k.get_ref() == current)?;
            let Some(parent) = &env.extends else {
                chain.reverse();
                return Some(chain);
            };
            if parent.get_ref() == start {
                return None;
            }
            // An unknown parent is reported where it is named; the chain ends there.
            let Some(i) = env_names.iter().position(|n| n == parent.get_ref()) else {
                chain.reverse();
                return Some(chain);
            };
            chain.push(i);
            current = parent.get_ref();
        }
        None
    }

    fn claim_path(&mut self, path: &Name) -> ClaimPath {
        if path.get_ref().split('.').any(str::is_empty) {
            self.error(
                path.span(),
                format!(
                    "invalid claim path `{}`: write names separated by `.`",
                    path.get_ref()
                ),
                None,
            );
        }
        path.get_ref().split('.').map(Into::into).collect()
    }

    /// The rules of one table (the top level, or `[env.NAME]`) for every kind of item.
    fn all_rules(
        &mut self,
        tools: &BTreeMap<Name, RuleSection>,
        prompts: &BTreeMap<Name, RuleSection>,
        resources: &BTreeMap<Name, RuleSection>,
        env: Option<&str>,
    ) -> Vec<(RuleKey, Rule)> {
        let mut out = Vec::new();
        for (kind, rules) in [
            (Primitive::Tool, tools),
            (Primitive::Prompt, prompts),
            (Primitive::Resource, resources),
        ] {
            let context = match env {
                Some(env) => format!("env.{env}.{}", section(kind)),
                None => section(kind).to_owned(),
            };
            out.extend(self.rules(kind, rules, &context));
        }
        out
    }

    fn rules(
        &mut self,
        kind: Primitive,
        rules: &BTreeMap<Name, RuleSection>,
        context: &str,
    ) -> Vec<(RuleKey, Rule)> {
        let mut out = Vec::new();
        for (item, rule) in rules {
            let name = item.get_ref().as_str();
            if !self.catalog.of_kind(kind).any(|e| e.name == name) {
                let help = did_you_mean(name, self.catalog.of_kind(kind).map(|e| e.name.as_str()));
                let what = match kind {
                    Primitive::Tool => "tool",
                    Primitive::Prompt => "prompt",
                    _ => "resource or resource template",
                };
                self.error(
                    item.span(),
                    format!(
                        "unknown {} `{name}` in `{context}`: this binary has no such {what}",
                        kind.as_str()
                    ),
                    help,
                );
            }
            let scope_context = match kind {
                Primitive::Resource => format!("{context}.\"{name}\".require_scopes"),
                _ => format!("{context}.{name}.require_scopes"),
            };
            let require_scopes = rule
                .require_scopes
                .iter()
                .filter_map(|s| {
                    self.app_scope(s, &scope_context)
                        .map(|id| (id, s.get_ref().clone()))
                })
                .collect();
            let mut require_claims = Vec::new();
            for (claim, values) in &rule.require_claims {
                let path = self.claim_path(claim);
                let any_of = match values.get_ref() {
                    ClaimMatch::One(v) => vec![v.clone()],
                    ClaimMatch::AnyOf(v) => v.clone(),
                };
                if any_of.is_empty() || any_of.iter().any(String::is_empty) {
                    self.error(
                        values.span(),
                        format!(
                            "claim condition `{}` needs at least one non-empty value",
                            claim.get_ref()
                        ),
                        None,
                    );
                }
                require_claims.push(Claim {
                    name: claim.get_ref().clone(),
                    path,
                    any_of,
                });
            }
            let rate_limit = match &rule.rate_limit {
                None => None,
                Some(limit) => match parse_rate_limit(limit.get_ref()) {
                    Ok(l) => Some(l),
                    Err(why) => {
                        self.error(limit.span(), why, None);
                        None
                    }
                },
            };
            let condition = rule
                .condition
                .as_ref()
                .and_then(|c| self.condition(kind, name, c));
            let approval = super::approval::validate(kind, rule.approval.as_ref()).unwrap_or_else(
                |(span, why, help)| {
                    self.error(span, why, help);
                    false
                },
            );
            out.push((
                (kind, name.to_owned()),
                Rule {
                    enabled: rule.enabled.as_ref().map(|e| *e.get_ref()),
                    require_scopes,
                    require_claims,
                    rate_limit,
                    condition,
                    shadow: rule.mode.as_ref().map(|m| *m.get_ref()) == Some(Mode::Shadow),
                    approval,
                },
            ));
        }
        out
    }

    /// A rule's `condition`, compiled and checked against the tool's input schema.
    fn condition(
        &mut self,
        kind: Primitive,
        name: &str,
        c: &Name,
    ) -> Option<std::sync::Arc<condition::CelCondition>> {
        if kind != Primitive::Tool {
            let msg = "`condition` applies to tools only".to_owned();
            self.error(c.span(), msg, None);
            return None;
        }
        let input = self.catalog.inputs.get(name);
        condition::compile(self.source, c.span(), c.get_ref(), name, input)
            .map_err(|d| self.out.push(d))
            .ok()
    }

    fn template(&mut self, value: &Name) -> Option<Template> {
        match Template::parse(value.get_ref(), value.span()) {
            Ok(t) => Some(t),
            Err(why) => {
                self.error(value.span(), why, None);
                None
            }
        }
    }

    fn layer(&mut self, env: &EnvSection, rules: Vec<(RuleKey, Rule)>) -> Layer {
        let catalog = self.catalog;
        for name in &env.unreachable {
            if !catalog.entries.iter().any(|e| e.name == *name.get_ref()) {
                let names = catalog.entries.iter().map(|e| e.name.as_str());
                let help = did_you_mean(name.get_ref(), names);
                let msg = format!(
                    "unknown item `{}` in `unreachable`: this binary has no such tool, prompt or resource",
                    name.get_ref()
                );
                self.error(name.span(), msg, help);
            }
        }
        Layer {
            transport: env.transport.as_ref().map(|t| *t.get_ref()),
            bind: env.bind.as_ref().and_then(|v| self.template(v)),
            resource: env.resource.as_ref().and_then(|v| self.template(v)),
            list: env.list.as_ref().map(|l| *l.get_ref()),
            mode: env.mode.as_ref().map(|m| *m.get_ref()),
            auth: env.auth.as_ref().map(|auth| self.auth(auth)),
            principal: env.principal.as_ref().map(|p| self.principal(p)),
            token_env: env.token_env.as_ref().map(|var| {
                let v = var.get_ref();
                if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    self.error(
                        var.span(),
                        format!("`token_env` must name an environment variable, not `{v}`"),
                        None,
                    );
                }
                v.clone()
            }),
            metrics: env.metrics.as_ref().map(|m| self.metrics(m)),
            decision_log: env.decision_log.as_ref().and_then(|v| {
                DecisionLogTarget::parse(v.get_ref(), &self.source.base_dir)
                    .map_err(|why| self.error(v.span(), why, None))
                    .ok()
            }),
            store: env.store.as_ref().and_then(|v| self.template(v)),
            rules,
        }
    }

    fn metrics(&mut self, metrics: &super::model::MetricsSection) -> super::valid::Metrics {
        let path = metrics.path.as_ref().map(|p| {
            if !p.get_ref().starts_with('/') {
                self.error(
                    p.span(),
                    format!("`metrics.path` must start with `/`, not `{}`", p.get_ref()),
                    None,
                );
            }
            p.get_ref().clone()
        });
        super::valid::Metrics {
            bind: metrics.bind.as_ref().and_then(|v| self.template(v)),
            path,
        }
    }

    fn auth(&mut self, auth: &super::model::AuthSection) -> Auth {
        let mut out = Auth {
            issuer: auth.issuer.as_ref().and_then(|v| self.template(v)),
            audience: auth.audience.as_ref().and_then(|v| self.template(v)),
            jwks: auth.jwks.as_ref().and_then(|v| self.template(v)),
            authorization_servers: auth
                .authorization_servers
                .as_ref()
                .map(|servers| servers.iter().filter_map(|v| self.template(v)).collect()),
            ..Auth::default()
        };
        if let Some(algs) = &auth.algorithms {
            for alg in algs.get_ref() {
                if !ALGORITHMS.contains(&alg.get_ref().as_str()) {
                    let help = did_you_mean(alg.get_ref(), ALGORITHMS.iter().copied());
                    self.error(
                        alg.span(),
                        format!(
                            "algorithm `{}` is not accepted; use asymmetric algorithms only ({})",
                            alg.get_ref(),
                            ALGORITHMS.join(", ")
                        ),
                        help,
                    );
                }
            }
            if algs.get_ref().is_empty() {
                self.error(
                    algs.span(),
                    "`auth.algorithms` must not be empty".to_owned(),
                    None,
                );
            }
            out.algorithms = Some(algs.get_ref().iter().map(|a| a.get_ref().clone()).collect());
        }
        if let Some(leeway) = &auth.leeway {
            match parse_duration(leeway.get_ref()) {
                Ok(d) => out.leeway = Some(d),
                Err(why) => self.error(leeway.span(), why, None),
            }
        }
        if let Some(size) = &auth.token_cache {
            match usize::try_from(*size.get_ref()) {
                Ok(n) if n <= MAX_TOKEN_CACHE => out.token_cache = Some(n),
                _ => self.error(
                    size.span(),
                    format!(
                        "`auth.token_cache` must be between 0 (no cache) and {MAX_TOKEN_CACHE} tokens, not {}",
                        size.get_ref()
                    ),
                    None,
                ),
            }
        }
        out
    }

    fn principal(&mut self, principal: &super::model::PrincipalSection) -> Principal {
        let mut known: BTreeSet<&str> = self.app_scopes.clone();
        known.extend(self.file.grants.scope.keys().map(|k| k.get_ref().as_str()));
        for s in &principal.scopes {
            if !self.scope_syntax(s) {
                continue;
            }
            if !known.contains(s.get_ref().as_str()) {
                let help = did_you_mean(s.get_ref(), known.iter().copied());
                self.error(
                    s.span(),
                    format!("unknown scope `{}` in `principal.scopes`: it is neither an application scope nor granted in `[grants.scope]`", s.get_ref()),
                    help,
                );
            }
        }
        if let Some(sub) = &principal.sub
            && sub.get_ref().is_empty()
        {
            self.error(
                sub.span(),
                "`principal.sub` must not be empty".to_owned(),
                None,
            );
        }
        Principal {
            sub: principal
                .sub
                .as_ref()
                .map_or_else(|| "local-user".to_owned(), |s| s.get_ref().clone()),
            scopes: principal
                .scopes
                .iter()
                .map(|s| s.get_ref().clone())
                .collect(),
            claims: principal.claims.clone(),
        }
    }
}
