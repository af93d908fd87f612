//! Reading a `policy.toml`: syntax and types first (serde + `toml`, with spans), then every
//! name and value is validated (in `validate`). The result is a [`Policy`] whose every
//! environment is known to be well-formed.

use super::keys::unknown_keys;
use super::model::PolicyFile;
use super::valid::ValidPolicy;
use super::validate::Validator;
use crate::authz::Catalog;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::diagnostic::did_you_mean;
use super::diagnostic::{Diagnostic, PolicyError, Source};

/// A parsed and validated policy file: every environment is known to be well-formed.
/// Compile one environment with [`Policy::compile`](crate::policy::Policy::compile).
#[derive(Clone, Debug)]
pub struct Policy {
    pub(crate) source: Arc<Source>,
    pub(crate) valid: ValidPolicy,
    pub(crate) catalog: Arc<Catalog>,
}

impl Policy {
    /// Reads and validates `path` against `catalog` (what the binary can authorize:
    /// [`Server::catalog`](crate::Server::catalog)).
    ///
    /// # Errors
    /// [`PolicyError::Io`], or [`PolicyError::Invalid`] with every problem found.
    pub fn load(path: &Path, catalog: Arc<Catalog>) -> Result<Self, PolicyError> {
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
    pub fn parse(source: Source, catalog: Arc<Catalog>) -> Result<Self, PolicyError> {
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
        let valid = match Validator::new(&source, &file, &catalog).run() {
            Ok(valid) => valid,
            Err(mut diagnostics) => {
                diagnostics.sort_by_key(|d| (d.line, d.column));
                return Err(PolicyError::Invalid(diagnostics));
            }
        };
        Ok(Self {
            source: Arc::new(source),
            valid,
            catalog,
        })
    }

    /// The environments the file defines, sorted.
    pub fn environments(&self) -> Vec<&str> {
        self.valid.envs.iter().map(|e| e.name.as_str()).collect()
    }

    /// The file's name.
    pub fn file_name(&self) -> &str {
        &self.source.name
    }

    /// The catalog the policy was validated against.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
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
