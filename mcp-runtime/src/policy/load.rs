//! Reading and validating `policy.toml`: syntax and types first (serde + `toml`, with spans),
//! then every name against what exists (the tools compiled into the binary, the scopes they
//! declare, the environments of the file). Each mistake becomes a [`Diagnostic`] at
//! `file:line:column`, with the closest valid name when there is one.

use super::model::{ClaimMatch, EnvSection, Name, PolicyFile, ToolRule};
use crate::authz::{Catalog, Primitive};
use crate::registry::{Access, validate_scope};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::num::NonZeroU32;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The most distinct application scopes one policy may use (they are interned as bits).
pub const MAX_SCOPES: usize = 256;

/// One problem in a policy file, at a position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// A suggestion such as "did you mean `cancel_order`?".
    pub help: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if let Some(help) = &self.help {
            write!(f, "; {help}")?;
        }
        Ok(())
    }
}

/// Why a policy could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file could not be read.
    #[error("cannot read policy `{path}`: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file has one or more mistakes.
    #[error("{}", render(.0))]
    Invalid(Vec<Diagnostic>),
    /// The requested environment is not defined.
    #[error("{file}: no environment `{name}`{}; defined: {}", help_suffix(.help), .defined.join(", "))]
    UnknownEnvironment {
        /// The file.
        file: String,
        /// The environment asked for.
        name: String,
        /// The closest defined name.
        help: Option<String>,
        /// Every defined environment.
        defined: Vec<String>,
    },
    /// A setting needs a capability this build does not have yet.
    #[error("{0}")]
    Unsupported(String),
}

impl PolicyError {
    /// The diagnostics, if the file was invalid.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Self::Invalid(d) => d,
            _ => &[],
        }
    }
}

fn help_suffix(help: &Option<String>) -> String {
    help.as_ref().map(|h| format!(" ({h})")).unwrap_or_default()
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The tools compiled into a binary, as the policy sees them: names and declared access.
#[derive(Clone, Debug, Default)]
pub struct ToolCatalog {
    /// The server's name (`serverInfo.name`).
    pub server_name: String,
    /// Each tool and its declared access, in registration order.
    pub tools: Vec<(String, Access)>,
}

impl From<&Catalog> for ToolCatalog {
    /// The tools of a server's catalog ([`Server::catalog`](crate::Server::catalog)).
    fn from(catalog: &Catalog) -> Self {
        Self {
            server_name: catalog.server_name.clone(),
            tools: catalog
                .of_kind(Primitive::Tool)
                .map(|e| (e.name.clone(), e.access.clone()))
                .collect(),
        }
    }
}

impl ToolCatalog {
    /// The declared access of `name`.
    pub fn access(&self, name: &str) -> Option<&Access> {
        self.tools.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }
}

/// The text of a policy file and its name, for positions.
#[derive(Clone, Debug)]
pub struct Source {
    /// The name shown in diagnostics (the path as given).
    pub name: String,
    /// The contents.
    pub text: String,
    /// Where relative `file://` paths are resolved from.
    pub base_dir: PathBuf,
}

impl Source {
    /// A diagnostic at byte range `span`.
    pub fn diag(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        let (line, column) = line_col(&self.text, span.start);
        Diagnostic {
            file: self.name.clone(),
            line,
            column,
            message: message.into(),
            help: None,
        }
    }
}

/// The 1-based line and column of byte offset `at` in `text`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// The closest of `candidates` to `name`, if any is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// A parsed and validated policy file: every environment is known to be well-formed.
/// Compile one environment with [`Policy::compile`](crate::policy::Policy::compile).
#[derive(Clone, Debug)]
pub struct Policy {
    pub(crate) source: Arc<Source>,
    pub(crate) file: PolicyFile,
    pub(crate) catalog: Arc<ToolCatalog>,
}

impl Policy {
    /// Reads and validates `path` against `catalog`.
    ///
    /// # Errors
    /// [`PolicyError::Io`], or [`PolicyError::Invalid`] with every problem found.
    pub fn load(path: &Path, catalog: Arc<ToolCatalog>) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let base_dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Self::parse(
            Source {
                name: path.display().to_string(),
                text,
                base_dir,
            },
            catalog,
        )
    }

    /// Parses and validates a policy held in memory.
    ///
    /// # Errors
    /// [`PolicyError::Invalid`] with every problem found.
    pub fn parse(source: Source, catalog: Arc<ToolCatalog>) -> Result<Self, PolicyError> {
        let file: PolicyFile = match toml::from_str(&source.text) {
            Ok(f) => f,
            Err(e) => {
                // serde stops at the first problem; list every unknown key of the file too.
                let mut all = unknown_keys(&source);
                let first = toml_diagnostic(&source, &e);
                if !all
                    .iter()
                    .any(|d| (d.line, d.column) == (first.line, first.column))
                {
                    all.push(first);
                }
                all.sort_by_key(|d| (d.line, d.column));
                return Err(PolicyError::Invalid(all));
            }
        };
        let mut diagnostics = Validator::new(&source, &file, &catalog).run();
        diagnostics.sort_by_key(|d| (d.line, d.column));
        if !diagnostics.is_empty() {
            return Err(PolicyError::Invalid(diagnostics));
        }
        Ok(Self {
            source: Arc::new(source),
            file,
            catalog,
        })
    }

    /// The environments the file defines, sorted.
    pub fn environments(&self) -> Vec<&str> {
        self.file.env.keys().map(|k| k.get_ref().as_str()).collect()
    }

    /// The file's name.
    pub fn file_name(&self) -> &str {
        &self.source.name
    }

    /// The catalog the policy was validated against.
    pub fn catalog(&self) -> &Arc<ToolCatalog> {
        &self.catalog
    }

    /// `env`'s layers from the most general to the most specific: `[defaults]`, then each
    /// `extends` ancestor, then `env` itself (with names for rule paths).
    ///
    /// # Errors
    /// [`PolicyError::UnknownEnvironment`].
    pub(crate) fn layers(&self, env: &str) -> Result<Vec<(String, &EnvSection)>, PolicyError> {
        let Some((_, mut section)) = self.file.env.iter().find(|(k, _)| k.get_ref() == env) else {
            let defined: Vec<String> = self.environments().into_iter().map(str::to_owned).collect();
            return Err(PolicyError::UnknownEnvironment {
                file: self.source.name.clone(),
                name: env.to_owned(),
                help: did_you_mean(env, defined.iter().map(String::as_str)),
                defined,
            });
        };
        let mut chain = vec![(format!("env.{env}"), section)];
        while let Some(parent) = &section.extends {
            let (name, next) = self
                .file
                .env
                .iter()
                .find(|(k, _)| k.get_ref() == parent.get_ref())
                .expect("validated");
            if chain.len() > self.file.env.len() {
                break;
            }
            chain.push((format!("env.{}", name.get_ref()), next));
            section = next;
        }
        chain.push(("defaults".to_owned(), &self.file.defaults));
        chain.reverse();
        Ok(chain)
    }
}

/// Turns a `toml`/serde error into a diagnostic, adding "did you mean" for unknown names.
fn toml_diagnostic(source: &Source, error: &toml::de::Error) -> Diagnostic {
    let span = error.span().unwrap_or(0..0);
    let message = error.message().trim().to_owned();
    let mut diagnostic = source.diag(span, message.clone());
    // serde: "unknown field `x`, expected one of `a`, `b`" / "unknown variant `x`, expected `a` or `b`"
    if message.starts_with("unknown field") || message.starts_with("unknown variant") {
        let names: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
        if let Some((unknown, expected)) = names.split_first() {
            diagnostic.help = did_you_mean(unknown, expected.iter().copied());
        }
    }
    diagnostic
}

/// The keys each table of the file accepts.
#[derive(Clone, Copy)]
enum Shape {
    /// A table with these keys.
    Table(&'static [(&'static str, Shape)]),
    /// A table whose keys are names (tools, environments) and whose values have this shape.
    Named(&'static Shape),
    /// Anything (checked by serde).
    Any,
}

const TOOL_RULE: Shape = Shape::Table(&[
    ("enabled", Shape::Any),
    ("require_scopes", Shape::Any),
    ("require_claims", Shape::Any),
    ("rate_limit", Shape::Any),
]);
const ENV: Shape = Shape::Table(&[
    ("extends", Shape::Any),
    ("transport", Shape::Any),
    ("bind", Shape::Any),
    ("resource", Shape::Any),
    ("list", Shape::Any),
    (
        "auth",
        Shape::Table(&[
            ("issuer", Shape::Any),
            ("audience", Shape::Any),
            ("jwks", Shape::Any),
            ("algorithms", Shape::Any),
            ("leeway", Shape::Any),
            ("authorization_servers", Shape::Any),
        ]),
    ),
    (
        "principal",
        Shape::Table(&[
            ("sub", Shape::Any),
            ("scopes", Shape::Any),
            ("claims", Shape::Any),
        ]),
    ),
    ("token_env", Shape::Any),
    ("tools", Shape::Named(&TOOL_RULE)),
]);
const ROOT: Shape = Shape::Table(&[
    ("server", Shape::Table(&[("name", Shape::Any)])),
    (
        "scopes",
        Shape::Table(&[("implies", Shape::Any), ("extra", Shape::Any)]),
    ),
    (
        "grants",
        Shape::Table(&[
            ("scope", Shape::Any),
            ("role", Shape::Any),
            ("roles_claim", Shape::Any),
        ]),
    ),
    ("tools", Shape::Named(&TOOL_RULE)),
    ("defaults", ENV),
    ("env", Shape::Named(&ENV)),
]);

/// Every key of the file that no table accepts, with the closest accepted key.
fn unknown_keys(source: &Source) -> Vec<Diagnostic> {
    fn walk(
        source: &Source,
        table: &toml::de::DeTable<'_>,
        shape: Shape,
        path: &str,
        out: &mut Vec<Diagnostic>,
    ) {
        for (key, value) in table {
            let name: &str = key.get_ref();
            let inner = match shape {
                Shape::Any => return,
                Shape::Named(inner) => Some(*inner),
                Shape::Table(keys) => match keys.iter().find(|(k, _)| *k == name) {
                    Some((_, s)) => Some(*s),
                    None => {
                        let mut d = source.diag(
                            key.span(),
                            format!(
                                "unknown key `{name}` in `{}`; expected one of: {}",
                                if path.is_empty() {
                                    "the top level"
                                } else {
                                    path
                                },
                                keys.iter()
                                    .map(|(k, _)| format!("`{k}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        );
                        d.help = did_you_mean(name, keys.iter().map(|(k, _)| *k));
                        out.push(d);
                        None
                    }
                },
            };
            if let (Some(inner), Some(sub)) = (inner, value.get_ref().as_table()) {
                let sub_path = if path.is_empty() {
                    name.to_owned()
                } else {
                    format!("{path}.{name}")
                };
                walk(source, sub, inner, &sub_path, out);
            }
        }
    }
    let mut out = Vec::new();
    if let Ok(root) = toml::de::DeTable::parse(&source.text) {
        walk(source, root.get_ref(), ROOT, "", &mut out);
    }
    out
}

/// A rate limit as written: `N/second`, `N/minute` or `N/hour`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls allowed per period (also the burst).
    pub calls: NonZeroU32,
    /// The period.
    pub per: Duration,
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "second",
            60 => "minute",
            _ => "hour",
        };
        write!(f, "{}/{unit}", self.calls)
    }
}

/// Parses `"5/minute"`; `Ok(None)` for `"none"`.
///
/// # Errors
/// What is wrong, for people.
pub fn parse_rate_limit(text: &str) -> Result<Option<RateLimit>, String> {
    if text == "none" {
        return Ok(None);
    }
    let bad =
        || format!("invalid rate limit `{text}`; write `N/second`, `N/minute`, `N/hour` or `none`");
    let (n, unit) = text.split_once('/').ok_or_else(bad)?;
    let calls: u32 = n.trim().parse().map_err(|_| bad())?;
    let calls = NonZeroU32::new(calls).ok_or_else(|| {
        format!("invalid rate limit `{text}`: the number of calls must be at least 1")
    })?;
    let per = match unit.trim() {
        "s" | "sec" | "second" => Duration::from_secs(1),
        "m" | "min" | "minute" => Duration::from_secs(60),
        "h" | "hour" => Duration::from_secs(3600),
        _ => return Err(bad()),
    };
    Ok(Some(RateLimit { calls, per }))
}

/// Parses a leeway such as `"30s"`, `"2m"` or `"500ms"`.
///
/// # Errors
/// What is wrong, for people.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration `{text}`; write e.g. `30s`, `2m` or `500ms`");
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let n: u64 = text[..digits_end].parse().map_err(|_| bad())?;
    match &text[digits_end..] {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(bad()),
    }
}

/// JWS algorithms a policy may accept: asymmetric only (never `none`, never an HMAC secret).
pub const ALGORITHMS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

/// Why `${…}` interpolation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InterpolationError {
    /// A malformed `${…}`.
    Syntax(String),
    /// A variable without a default is not set.
    Unset(String),
}

/// Expands `${VAR}` and `${VAR:-default}` with `lookup`; `$$` is a literal `$`.
///
/// # Errors
/// [`InterpolationError`].
pub fn interpolate(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, InterpolationError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
            continue;
        }
        let Some(body_and_tail) = after.strip_prefix('{') else {
            return Err(InterpolationError::Syntax(
                "a `$` must start `${VAR}` (write `$$` for a literal `$`)".to_owned(),
            ));
        };
        let end = body_and_tail
            .find('}')
            .ok_or_else(|| InterpolationError::Syntax("`${` is not closed by `}`".to_owned()))?;
        let body = &body_and_tail[..end];
        let (var, default) = match body.split_once(":-") {
            Some((v, d)) => (v, Some(d)),
            None => (body, None),
        };
        if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(InterpolationError::Syntax(format!(
                "`${{{body}}}`: a variable name is letters, digits and `_`"
            )));
        }
        match (lookup(var).filter(|v| !v.is_empty()), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => return Err(InterpolationError::Unset(var.to_owned())),
        }
        rest = &body_and_tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

struct Validator<'a> {
    source: &'a Source,
    file: &'a PolicyFile,
    catalog: &'a ToolCatalog,
    app_scopes: BTreeSet<&'a str>,
    out: Vec<Diagnostic>,
}

impl<'a> Validator<'a> {
    fn new(source: &'a Source, file: &'a PolicyFile, catalog: &'a ToolCatalog) -> Self {
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

    fn run(mut self) -> Vec<Diagnostic> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_character_columns() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, text.find('=').unwrap()), (1, 3));
        assert_eq!(line_col(text, text.rfind('"').unwrap()), (2, 8));
    }

    #[test]
    fn suggestions_pick_close_names_only() {
        let names = ["cancel_order", "list_orders", "get_order_status"];
        assert_eq!(closest("cancel_ordr", names), Some("cancel_order"));
        assert_eq!(closest("list_order", names), Some("list_orders"));
        assert_eq!(closest("refund", names), None);
    }

    #[test]
    fn rate_limits_and_durations_parse() {
        let five = parse_rate_limit("5/minute").unwrap().unwrap();
        assert_eq!((five.calls.get(), five.per), (5, Duration::from_secs(60)));
        assert_eq!(five.to_string(), "5/minute");
        assert_eq!(parse_rate_limit("none"), Ok(None));
        for bad in ["0/minute", "5", "5/day", "x/second", "5 per minute"] {
            assert!(parse_rate_limit(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn interpolation_expands_defaults_and_refuses_the_unset() {
        let vars = |v: &str| (v == "SET").then(|| "value".to_owned());
        assert_eq!(interpolate("a${SET}b", &vars).unwrap(), "avalueb");
        assert_eq!(
            interpolate("${UNSET:-http://x:1/y}", &vars).unwrap(),
            "http://x:1/y"
        );
        assert_eq!(interpolate("$${SET}", &vars).unwrap(), "${SET}");
        assert_eq!(
            interpolate("${UNSET}", &vars),
            Err(InterpolationError::Unset("UNSET".into()))
        );
        assert!(matches!(
            interpolate("${SET", &vars),
            Err(InterpolationError::Syntax(_))
        ));
        assert!(matches!(
            interpolate("$SET", &vars),
            Err(InterpolationError::Syntax(_))
        ));
        assert!(matches!(
            interpolate("${A B}", &vars),
            Err(InterpolationError::Syntax(_))
        ));
    }
}
