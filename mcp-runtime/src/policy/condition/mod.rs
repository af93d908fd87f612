//! `condition = "…"`: CEL expressions on a tool's rules, compiled once when the policy is
//! loaded and evaluated on each `tools/call` of the tool.
//!
//! Parsing and evaluation are the `cel` crate's. That crate does not check types, so this
//! module does, over the parsed syntax tree, for the subset of CEL a condition may use: every
//! name a condition reads is known at load time (`claims`, `args`, `env`, `resource`), the
//! arguments are typed by the tool's input schema, and a condition that names an argument the
//! tool does not have, compares values of different types, or uses a function outside the
//! subset is refused with the position of the mistake. What cannot be checked is refused too.

mod check;

use super::diagnostic::{Diagnostic, Source};
use crate::authz::{CallInput, ToolInput};
use cel::{Context, Program};
use check::{Checker, Ty, mistake};
use serde_json::{Map, Value};
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

/// The variables a condition can read.
pub(crate) const VARIABLES: [&str; 4] = ["claims", "args", "env", "resource"];

/// One compiled condition.
pub(crate) struct CelCondition {
    /// The expression as written.
    pub(crate) source: String,
    program: Program,
    /// Whether it reads `resource` (the resolver must run before deciding).
    pub(crate) uses_resource: bool,
}

impl fmt::Debug for CelCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CelCondition")
            .field("source", &self.source)
            .field("uses_resource", &self.uses_resource)
            .finish_non_exhaustive()
    }
}

/// The environment a condition is evaluated in: `env.name` and `env.transport`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EnvFacts<'a> {
    pub(crate) name: &'a str,
    pub(crate) transport: &'a str,
}

fn stdlib() -> Arc<cel::Env> {
    static ENV: OnceLock<Arc<cel::Env>> = OnceLock::new();
    Arc::clone(ENV.get_or_init(|| Arc::new(cel::Env::stdlib())))
}

impl CelCondition {
    /// Whether the condition holds for this call. `Err` says why it could not be decided
    /// (a missing argument, an unresolved resource, a runtime type error): the caller denies.
    pub(crate) fn holds(
        &self,
        claims: &Map<String, Value>,
        input: &CallInput<'_>,
        env: EnvFacts<'_>,
    ) -> Result<bool, String> {
        let mut context = Context::with_env(stdlib());
        let to_cel = |v: &Value| cel::to_value(v).map_err(|e| e.to_string());
        context.add_variable_from_value("claims", to_cel(&Value::Object(claims.clone()))?);
        let args = match input.arguments {
            Value::Null => Value::Object(Map::new()),
            other => other.clone(),
        };
        context.add_variable_from_value("args", to_cel(&args)?);
        let facts = serde_json::json!({ "name": env.name, "transport": env.transport });
        context.add_variable_from_value("env", to_cel(&facts)?);
        if self.uses_resource {
            match input.resource {
                Some(Ok(resource)) => context
                    .add_variable_from_value("resource", to_cel(&Value::Object(resource.clone()))?),
                Some(Err(why)) => return Err(format!("the resource could not be resolved: {why}")),
                None => return Err("the resource was not resolved".to_owned()),
            }
        }
        match self.program.execute(&context) {
            Ok(cel::Value::Bool(b)) => Ok(b),
            Ok(other) => Err(format!("it evaluated to {other:?}, not a boolean")),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Where the text of the TOML string at `span` starts in the file, when the string is
/// written without escapes (so positions inside the expression map to the file).
fn text_start(source: &Source, span: &Range<usize>, value: &str) -> Option<usize> {
    let raw = source.text.get(span.clone())?;
    for quote in ["\"\"\"", "'''", "\"", "'"] {
        if let Some(rest) = raw.strip_prefix(quote) {
            let (skip, rest) = match rest.strip_prefix('\n') {
                Some(r) if quote.len() == 3 => (1, r),
                _ => (0, rest),
            };
            return rest
                .starts_with(value)
                .then_some(span.start + quote.len() + skip);
        }
    }
    None
}

/// Compiles and checks the condition `value` (written at `span`) of a rule on `tool`.
pub(crate) fn compile(
    source: &Source,
    span: Range<usize>,
    value: &str,
    tool: &str,
    input: Option<&ToolInput>,
) -> Result<Arc<CelCondition>, Diagnostic> {
    let start = text_start(source, &span, value);
    // The byte offset in the file of character `chars` of the expression.
    let at = |chars: usize| {
        let at = match start {
            Some(s) => {
                s + value
                    .char_indices()
                    .nth(chars)
                    .map_or(value.len(), |(b, _)| b)
            }
            None => span.start,
        };
        at..at
    };
    let program = match Program::compile(value) {
        Ok(p) => p,
        Err(errors) => {
            let first = errors.errors.first();
            let (line, col) = first.map_or((1, 1), |e| e.pos);
            // Positions count characters from 1; a condition spans one line in practice.
            let offset = value
                .split_inclusive('\n')
                .take(usize::try_from(line - 1).unwrap_or(0))
                .map(|l| l.chars().count())
                .sum::<usize>()
                + usize::try_from(col).unwrap_or(0);
            let msg = first.map_or_else(|| "syntax error".to_owned(), |e| e.msg.clone());
            return Err(source.diag(
                at(offset.min(value.chars().count())),
                format!("invalid condition `{value}`: {msg}"),
            ));
        }
    };
    let mut checker = Checker {
        tool,
        input,
        uses_resource: false,
    };
    let checked = checker.check(program.expression()).and_then(|t| match t {
        Ty::Bool | Ty::Dyn => Ok(()),
        other => Err(mistake(
            program.expression(),
            format!(
                "a condition must be true or false, but `{value}` is {}",
                other.name()
            ),
        )),
    });
    if let Err(m) = checked {
        let offset = program
            .source_info()
            .offset_for(m.at)
            .map_or(0, |(s, _)| s as usize + usize::from(m.field));
        let mut d = source.diag(
            at(offset.min(value.chars().count())),
            format!("in condition `{value}`: {}", m.message),
        );
        d.help = m.help;
        return Err(d);
    }
    Ok(Arc::new(CelCondition {
        source: value.to_owned(),
        program,
        uses_resource: checker.uses_resource,
    }))
}
