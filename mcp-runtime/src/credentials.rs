//! The server's own credentials for downstream systems (databases, internal APIs).
//!
//! They come from the server's configuration (environment variables or a secret file), never
//! from the caller: a caller's bearer token is validated and then dropped by the transport, and
//! handlers only ever see the validated [`Caller`](crate::Caller). Register
//! [`BackendCredentials`] as server state and read it in a handler:
//!
//! ```
//! use mcp_runtime::credentials::BackendCredentials;
//!
//! let creds = BackendCredentials::new().with("orders-api", "s3cret");
//! let server = mcp_runtime::Server::builder("demo", "0.1.0").state(creds).build().unwrap();
//! # let _ = server;
//! // in a handler: ctx.state::<BackendCredentials>().and_then(|c| c.get("orders-api"))
//! let shown = format!("{:?}", BackendCredentials::new().with("orders-api", "s3cret"));
//! assert!(!shown.contains("s3cret"));
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A secret value whose `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must send it downstream.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why backend credentials could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The secret file could not be read.
    #[error("cannot read the credentials file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line of the secret file is not `name = value`.
    #[error("{path}:{line}: expected `name = value`")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
    },
}

/// Named credentials the server uses to reach downstream systems. Redacted in `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct BackendCredentials {
    entries: BTreeMap<String, Secret>,
}

impl fmt::Debug for BackendCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.keys().map(|k| (k, "<redacted>")))
            .finish()
    }
}

impl BackendCredentials {
    /// No credentials.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the credential `name`.
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, secret: impl Into<String>) -> Self {
        self.insert(name, secret);
        self
    }

    /// Adds (or replaces) the credential `name`.
    pub fn insert(&mut self, name: impl Into<String>, secret: impl Into<String>) {
        self.entries.insert(name.into(), Secret::new(secret));
    }

    /// Every environment variable starting with `prefix`, named by the rest of the variable
    /// name in lower case with `_` turned into `-` (`TECHNOVA_BACKEND_ORDERS_API` with prefix
    /// `TECHNOVA_BACKEND_` becomes `orders-api`).
    pub fn from_env(prefix: &str) -> Self {
        Self::from_vars(prefix, std::env::vars())
    }

    fn from_vars(prefix: &str, vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut creds = Self::new();
        for (key, value) in vars {
            if let Some(rest) = key.strip_prefix(prefix).filter(|r| !r.is_empty()) {
                creds.insert(rest.to_ascii_lowercase().replace('_', "-"), value);
            }
        }
        creds
    }

    /// Reads a secret file of `name = value` lines (`#` starts a comment line).
    ///
    /// # Errors
    /// The file cannot be read, or a line is not `name = value`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, CredentialsError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| CredentialsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut creds = Self::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                return Err(CredentialsError::Syntax {
                    path: path.to_path_buf(),
                    line: i + 1,
                });
            };
            let (name, value) = (name.trim(), value.trim());
            if name.is_empty() {
                return Err(CredentialsError::Syntax {
                    path: path.to_path_buf(),
                    line: i + 1,
                });
            }
            creds.insert(name, value);
        }
        Ok(creds)
    }

    /// The credential `name`.
    pub fn get(&self, name: &str) -> Option<&Secret> {
        self.entries.get(name)
    }

    /// The names of the credentials held (never their values).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_secret() {
        let creds = BackendCredentials::new().with("db", "hunter2");
        let shown = format!(
            "{creds:?} {:?} {}",
            creds.get("db").unwrap(),
            creds.get("db").unwrap()
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("db"), "{shown}");
        assert_eq!(creds.get("db").unwrap().expose(), "hunter2");
    }

    #[test]
    fn environment_names_are_normalised() {
        let creds = BackendCredentials::from_vars(
            "APP_BACKEND_",
            [
                ("APP_BACKEND_ORDERS_API".to_owned(), "k1".to_owned()),
                ("OTHER".to_owned(), "k2".to_owned()),
                ("APP_BACKEND_".to_owned(), "k3".to_owned()),
            ],
        );
        assert_eq!(creds.names().collect::<Vec<_>>(), ["orders-api"]);
        assert_eq!(creds.get("orders-api").unwrap().expose(), "k1");
    }

    #[test]
    fn secret_files_are_parsed_and_bad_lines_named() {
        let dir = std::env::temp_dir().join(format!("mcp-creds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good");
        std::fs::write(&good, "# comment\norders-api = abc=def\n\n").unwrap();
        let creds = BackendCredentials::from_file(&good).unwrap();
        assert_eq!(creds.get("orders-api").unwrap().expose(), "abc=def");
        let bad = dir.join("bad");
        std::fs::write(&bad, "ok = 1\nnot a pair\n").unwrap();
        let err = BackendCredentials::from_file(&bad).unwrap_err();
        assert!(
            matches!(err, CredentialsError::Syntax { line: 2, .. }),
            "{err}"
        );
    }
}
