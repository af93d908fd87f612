//! Validating a parsed policy file: every name against what exists (the tools compiled into
//! the binary, the scopes they declare, the environments of the file) and every value
//! (rate limits, durations, algorithms, `${VAR}` syntax). Each mistake becomes a
//! [`Diagnostic`] with the closest valid name when there is one.

use super::diagnostic::{Diagnostic, Source, did_you_mean};
use super::load::ToolCatalog;
use super::model::{ClaimMatch, EnvSection, Name, PolicyFile, ToolRule};
use super::scopes::MAX_SCOPES;
use super::values::{
    ALGORITHMS, InterpolationError, interpolate, parse_duration, parse_rate_limit,
};
use crate::registry::validate_scope;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

pub(super) struct Validator<'a> {
    source: &'a Source,
    file: &'a PolicyFile,
    catalog: &'a ToolCatalog,
    app_scopes: BTreeSet<&'a str>,
    out: Vec<Diagnostic>,
}

impl<'a> Validator<'a> {
    pub(super) fn new(source: &'a Source, file: &'a PolicyFile, catalog: &'a ToolCatalog) -> Self {
        let mut app_scopes: BTreeSet<&str> = catalog
            .tools
            .iter()
            .flat_map(|(_, a)| a.scopes().iter().map(String::as_str))
            .collect();
        app_scopes.extend(file.scopes.extra.iter().map(|s| s.get_ref().as_str()));
        app_scopes.extend(file.scopes.implies.keys().map(|s| s.get_ref().as_str()));
        Self {
            source,
            file,
            catalog,
            app_scopes,
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

    fn app_scope(&mut self, scope: &Name, context: &str) {
        if !self.scope_syntax(scope) {
            return;
        }
        let name = scope.get_ref().as_str();
        if !self.app_scopes.contains(name) {
            let help = did_you_mean(name, self.app_scopes.iter().copied());
            self.error(
                scope.span(),
                format!("unknown scope `{name}` in {context}: no tool declares it and it is not in `scopes.extra` or `scopes.implies`"),
                help,
            );
        }
    }

    pub(super) fn run(mut self) -> Vec<Diagnostic> {
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
        for (broad, narrower) in &file.scopes.implies {
            self.scope_syntax(broad);
            for s in narrower {
                self.app_scope(s, &format!("scopes.implies.\"{}\"", broad.get_ref()));
            }
        }
        for (idp_scope, granted) in &file.grants.scope {
            self.scope_syntax(idp_scope);
            for s in granted {
                self.app_scope(s, &format!("grants.scope.\"{}\"", idp_scope.get_ref()));
            }
        }
        for (role, granted) in &file.grants.role {
            if role.get_ref().is_empty() {
                self.error(
                    role.span(),
                    "a role name must not be empty".to_owned(),
                    None,
                );
            }
            for s in granted {
                self.app_scope(s, &format!("grants.role.\"{}\"", role.get_ref()));
            }
        }
        if let Some(path) = &file.grants.roles_claim {
            self.claim_path(path);
        }
        self.tool_rules(&file.tools, "tools");
        if let Some(extends) = &file.defaults.extends {
            self.error(
                extends.span(),
                "`extends` belongs in an `[env.NAME]` table, not in `[defaults]`".to_owned(),
                None,
            );
        }
        if let Some((first, _)) = file.defaults.tools.iter().next() {
            self.error(
                first.span(),
                "tool rules for every environment go in `[tools.NAME]`, not `[defaults.tools]`"
                    .to_owned(),
                None,
            );
        }
        self.env_settings(&file.defaults);
        let env_names: Vec<&str> = file.env.keys().map(|k| k.get_ref().as_str()).collect();
        for (name, env) in &file.env {
            if let Some(parent) = &env.extends {
                if !env_names.contains(&parent.get_ref().as_str()) {
                    let help = did_you_mean(parent.get_ref(), env_names.iter().copied());
                    self.error(
                        parent.span(),
                        format!("unknown environment `{}` in `extends`", parent.get_ref()),
                        help,
                    );
                } else if self.extends_cycle(name.get_ref()) {
                    self.error(
                        parent.span(),
                        format!(
                            "`extends` of environment `{}` forms a cycle",
                            name.get_ref()
                        ),
                        None,
                    );
                }
            }
            self.tool_rules(&env.tools, &format!("env.{}.tools", name.get_ref()));
            self.env_settings(env);
        }
        self.out
    }

    fn extends_cycle(&self, start: &str) -> bool {
        let mut current = start;
        for _ in 0..=self.file.env.len() {
            let Some((_, env)) = self.file.env.iter().find(|(k, _)| k.get_ref() == current) else {
                return false;
            };
            match &env.extends {
                Some(p) if p.get_ref() == start => return true,
                Some(p) => current = p.get_ref(),
                None => return false,
            }
        }
        true
    }

    fn claim_path(&mut self, path: &Name) {
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
    }

    fn tool_rules(&mut self, rules: &BTreeMap<Name, ToolRule>, context: &str) {
        for (tool, rule) in rules {
            let name = tool.get_ref().as_str();
            if self.catalog.access(name).is_none() {
                let help = did_you_mean(name, self.catalog.tools.iter().map(|(n, _)| n.as_str()));
                self.error(
                    tool.span(),
                    format!("unknown tool `{name}` in `{context}`: this binary has no such tool"),
                    help,
                );
            }
            for s in &rule.require_scopes {
                self.app_scope(s, &format!("{context}.{name}.require_scopes"));
            }
            for (claim, values) in &rule.require_claims {
                self.claim_path(claim);
                let empty = match values.get_ref() {
                    ClaimMatch::One(v) => v.is_empty(),
                    ClaimMatch::AnyOf(v) => v.is_empty() || v.iter().any(String::is_empty),
                };
                if empty {
                    self.error(
                        values.span(),
                        format!(
                            "claim condition `{}` needs at least one non-empty value",
                            claim.get_ref()
                        ),
                        None,
                    );
                }
            }
            if let Some(limit) = &rule.rate_limit
                && let Err(why) = parse_rate_limit(limit.get_ref())
            {
                self.error(limit.span(), why, None);
            }
        }
    }

    fn interpolation_syntax(&mut self, value: &Name) {
        if let Err(InterpolationError::Syntax(why)) =
            interpolate(value.get_ref(), &|_| Some(String::new()))
        {
            self.error(value.span(), why, None);
        }
    }

    fn env_settings(&mut self, env: &EnvSection) {
        for v in [&env.bind, &env.resource].into_iter().flatten() {
            self.interpolation_syntax(v);
        }
        if let Some(auth) = &env.auth {
            for v in [&auth.issuer, &auth.audience, &auth.jwks]
                .into_iter()
                .flatten()
            {
                self.interpolation_syntax(v);
            }
            for v in auth.authorization_servers.iter().flatten() {
                self.interpolation_syntax(v);
            }
            for alg in auth.algorithms.iter().flat_map(|a| a.get_ref()) {
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
            if let Some(algs) = &auth.algorithms
                && algs.get_ref().is_empty()
            {
                self.error(
                    algs.span(),
                    "`auth.algorithms` must not be empty".to_owned(),
                    None,
                );
            }
            if let Some(leeway) = &auth.leeway
                && let Err(why) = parse_duration(leeway.get_ref())
            {
                self.error(leeway.span(), why, None);
            }
        }
        if let Some(principal) = &env.principal {
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
        }
        if let Some(var) = &env.token_env
            && (var.get_ref().is_empty()
                || !var
                    .get_ref()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            self.error(
                var.span(),
                format!(
                    "`token_env` must name an environment variable, not `{}`",
                    var.get_ref()
                ),
                None,
            );
        }
    }
}
