//! What is wrong with a policy, and where: [`Diagnostic`] at `file:line:column`,
//! [`PolicyError`], and the helpers that position a message ([`line_col`]) and suggest the
//! closest valid name ([`closest`]).

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

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
pub(crate) fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// The closest of `candidates` to `name`, if any is close enough to be a likely typo.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
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
}
