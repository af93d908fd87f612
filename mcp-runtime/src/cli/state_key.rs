//! The key that seals 2026-07-28 `requestState`, from the deployment's configuration.
//!
//! `serve` reads it from `--request-state-key-file FILE` (env `MCP_REQUEST_STATE_KEY_FILE`)
//! or, failing that, from the environment variable `MCP_REQUEST_STATE_KEY`. Either holds 32
//! random bytes in base64 (standard or URL-safe alphabet, padding optional; surrounding
//! whitespace ignored), e.g. made with `openssl rand -base64 32`. Every replica behind one
//! endpoint must share the key: a state sealed by one replica is opened by whichever replica
//! the client's retry reaches. Without either setting, each process draws a random key and
//! says so in a warning: fine for one process, broken for several replicas (a retry that
//! lands on another replica is refused as tampered) and across restarts.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use std::path::Path;

/// The environment variable holding the key itself (base64).
pub const KEY_ENV: &str = "MCP_REQUEST_STATE_KEY";

/// Why a configured key is unusable.
#[derive(Debug, thiserror::Error)]
pub enum StateKeyError {
    /// The key file could not be read.
    #[error("cannot read the request-state key file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not base64 of exactly 32 bytes.
    #[error(
        "the request-state key from {origin} must be 32 bytes in base64 (e.g. `openssl rand -base64 32`); {why}"
    )]
    Invalid {
        /// Where the key came from (a file or the environment variable).
        origin: String,
        /// What is wrong with it.
        why: String,
    },
}

/// Decodes a key: 32 bytes in base64, surrounding whitespace ignored.
///
/// # Errors
/// [`StateKeyError::Invalid`] naming `origin` (never the key).
pub fn parse_key(text: &str, origin: &str) -> Result<[u8; 32], StateKeyError> {
    let text = text.trim();
    let invalid = |why: String| StateKeyError::Invalid {
        origin: origin.to_owned(),
        why,
    };
    let bytes = [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .ok_or_else(|| invalid("it is not valid base64".to_owned()))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| invalid(format!("it decodes to {} bytes", bytes.len())))
}

/// The configured key: from `file` if given, else from `env_value` (the value of
/// [`KEY_ENV`]); `None` when neither is set.
///
/// # Errors
/// An unreadable file or an invalid key.
pub fn configured_key(
    file: Option<&Path>,
    env_value: Option<&str>,
) -> Result<Option<[u8; 32]>, StateKeyError> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|source| StateKeyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        return parse_key(&text, &path.display().to_string()).map(Some);
    }
    match env_value {
        Some(v) if !v.trim().is_empty() => parse_key(v, KEY_ENV).map(Some),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn base64_of_32_bytes_in_any_alphabet_is_a_key() {
        for text in [STANDARD.encode(KEY), URL_SAFE_NO_PAD.encode(KEY)] {
            assert_eq!(parse_key(&format!(" {text}\n"), "test").unwrap(), KEY);
        }
    }

    #[test]
    fn a_short_or_garbled_key_is_refused_without_echoing_it() {
        let short = STANDARD.encode([1u8; 16]);
        let e = parse_key(&short, "the file").unwrap_err().to_string();
        assert!(e.contains("decodes to 16 bytes"), "{e}");
        assert!(!e.contains(&short), "{e}");
        let e = parse_key("not base64 at all!", KEY_ENV)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not valid base64") && e.contains(KEY_ENV), "{e}");
    }

    #[test]
    fn the_file_wins_over_the_environment_and_nothing_means_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.key");
        std::fs::write(&path, STANDARD.encode(KEY)).unwrap();
        let other = STANDARD.encode([9u8; 32]);
        assert_eq!(
            configured_key(Some(&path), Some(&other)).unwrap(),
            Some(KEY)
        );
        assert_eq!(configured_key(None, Some(&other)).unwrap(), Some([9; 32]));
        assert_eq!(configured_key(None, Some("  ")).unwrap(), None);
        assert_eq!(configured_key(None, None).unwrap(), None);
        let missing = dir.path().join("missing.key");
        assert!(matches!(
            configured_key(Some(&missing), None),
            Err(StateKeyError::Read { .. })
        ));
    }
}
