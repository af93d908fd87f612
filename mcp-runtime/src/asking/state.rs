//! Sealed `requestState` (2026-07-28): the answers of earlier rounds, encrypted and
//! authenticated with XChaCha20-Poly1305, bound to one principal and one request, with an
//! expiry. The client holds it between rounds but can neither read nor alter it, nor replay
//! it for another caller, tool or set of arguments.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The format version, the first byte of every sealed state.
const VERSION: u8 = 1;
/// Domain separation: authenticated with every state, never sent.
const AAD: &[u8] = b"mcp-runtime/request-state/v1";
const NONCE_LEN: usize = 24;

/// Why a `requestState` was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Not a state this server issued (bad encoding, wrong length or version).
    #[error("requestState is malformed")]
    Malformed,
    /// The integrity check failed: altered, or sealed with another key.
    #[error("requestState failed its integrity check")]
    Tampered,
    /// Sealed for another caller or another request (tool, method or arguments).
    #[error("requestState was issued for another {0}")]
    Foreign(&'static str),
    /// Older than its time to live.
    #[error("requestState has expired")]
    Expired,
    /// Already answered once (with a shared store, a state is single-use across replicas).
    #[error("requestState has already been used")]
    Replayed,
}

/// What a sealed state is bound to: the principal (issuer, subject, client) and the request
/// (method, tool/prompt name or resource URI, and a digest of its arguments).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateBinding {
    #[serde(rename = "iss", default)]
    issuer: Option<String>,
    #[serde(rename = "sub")]
    subject: String,
    #[serde(rename = "cid", default)]
    client: Option<String>,
    #[serde(rename = "m")]
    method: String,
    #[serde(rename = "n")]
    name: String,
    #[serde(rename = "a")]
    arguments: String,
}

impl StateBinding {
    /// Binds to a principal and a request; `arguments` are digested (SHA-256 of their
    /// canonical JSON, keys sorted), not stored.
    pub fn new(
        issuer: Option<&str>,
        subject: &str,
        client: Option<&str>,
        method: &str,
        name: &str,
        arguments: &Map<String, Value>,
    ) -> Self {
        let canonical = canonical_arguments(arguments);
        Self::with_canonical_arguments(issuer, subject, client, method, name, &canonical)
    }

    /// [`StateBinding::new`] for arguments already in their canonical form
    /// ([`canonical_arguments`]), so a call can put off the digest until a state is opened
    /// or sealed.
    pub(crate) fn with_canonical_arguments(
        issuer: Option<&str>,
        subject: &str,
        client: Option<&str>,
        method: &str,
        name: &str,
        canonical: &[u8],
    ) -> Self {
        let digest = Sha256::digest(canonical);
        Self {
            issuer: issuer.map(str::to_owned),
            subject: subject.to_owned(),
            client: client.map(str::to_owned),
            method: method.to_owned(),
            name: name.to_owned(),
            arguments: URL_SAFE_NO_PAD.encode(digest),
        }
    }

    /// Which part differs from `other`, for the error message.
    fn mismatch(&self, other: &Self) -> Option<&'static str> {
        if (&self.issuer, &self.subject, &self.client)
            != (&other.issuer, &other.subject, &other.client)
        {
            Some("caller")
        } else if (&self.method, &self.name) != (&other.method, &other.name) {
            Some("request")
        } else if self.arguments != other.arguments {
            Some("set of arguments")
        } else {
            None
        }
    }
}

/// The canonical JSON of a call's arguments (object keys sorted, whatever the map's own
/// order), which a [`StateBinding`] digests.
pub(crate) fn canonical_arguments(arguments: &Map<String, Value>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    write_object(arguments, &mut out);
    out
}

/// JSON with object keys sorted, whatever the map's own order.
fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => write_object(map, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        // Writing a scalar into a `Vec` cannot fail.
        other => serde_json::to_writer(&mut *out, other).unwrap_or_default(),
    }
}

fn write_object(map: &Map<String, Value>, out: &mut Vec<u8>) {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    // A `serde_json::Map` iterates sorted already unless `preserve_order` is on somewhere in
    // the build; sort anyway so the digest never depends on that.
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out.push(b'{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, key).unwrap_or_default();
        out.push(b':');
        write_canonical(value, out);
    }
    out.push(b'}');
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    #[serde(rename = "b")]
    binding: StateBinding,
    /// Expiry, in seconds since the Unix epoch.
    exp: u64,
    #[serde(rename = "ans")]
    answers: Map<String, Value>,
}

/// Seals and opens `requestState` with one symmetric key.
///
/// Every replica behind a load balancer needs the same key (from configuration); a single
/// process may generate one at start-up ([`StateSealer::generate`]).
///
/// ```
/// use mcp_runtime::asking::{StateBinding, StateError, StateSealer};
/// use serde_json::{Map, json};
/// use std::time::Duration;
///
/// let sealer = StateSealer::new([7; 32], Duration::from_secs(600));
/// let binding = StateBinding::new(None, "alice", None, "tools/call", "greet", &Map::new());
/// let answers = json!({"user_name": {"action": "accept", "content": {"name": "Al"}}});
/// let state = sealer.seal(&binding, answers.as_object().unwrap());
/// assert_eq!(sealer.open(&state, &binding).unwrap(), *answers.as_object().unwrap());
///
/// let mallory = StateBinding::new(None, "mallory", None, "tools/call", "greet", &Map::new());
/// assert_eq!(sealer.open(&state, &mallory), Err(StateError::Foreign("caller")));
/// ```
pub struct StateSealer {
    cipher: XChaCha20Poly1305,
    ttl: Duration,
}

impl fmt::Debug for StateSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateSealer")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl StateSealer {
    /// A sealer with a 32-byte `key`; states live for `ttl`.
    pub fn new(key: [u8; 32], ttl: Duration) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(&key.into()),
            ttl,
        }
    }

    /// A sealer with a random key, for a single process.
    ///
    /// # Panics
    /// If the operating system has no random source.
    pub fn generate(ttl: Duration) -> Self {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the operating system provides randomness");
        Self::new(key, ttl)
    }

    /// How long a sealed state stays valid.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Seals `answers` for `binding`.
    pub fn seal(&self, binding: &StateBinding, answers: &Map<String, Value>) -> String {
        self.seal_at(binding, answers, SystemTime::now())
    }

    fn seal_at(
        &self,
        binding: &StateBinding,
        answers: &Map<String, Value>,
        now: SystemTime,
    ) -> String {
        let exp = seconds(now) + self.ttl.as_secs().max(1);
        let plain = serde_json::to_vec(&Sealed {
            binding: binding.clone(),
            exp,
            answers: answers.clone(),
        })
        .unwrap_or_default();
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the operating system provides randomness");
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: AAD,
                },
            )
            .expect("encryption of an in-memory buffer cannot fail");
        let mut bytes = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        bytes.push(VERSION);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Opens a state sealed for `binding` and returns its answers.
    ///
    /// # Errors
    /// [`StateError`]: malformed, tampered, foreign or expired.
    pub fn open(
        &self,
        state: &str,
        binding: &StateBinding,
    ) -> Result<Map<String, Value>, StateError> {
        self.open_at(state, binding, SystemTime::now())
            .map(|(answers, _)| answers)
    }

    /// [`StateSealer::open`], with the state's single-use identity: a unique id (its nonce)
    /// and how long it remains valid, for a record of used states.
    ///
    /// # Errors
    /// As [`StateSealer::open`].
    pub fn open_once(
        &self,
        state: &str,
        binding: &StateBinding,
    ) -> Result<(Map<String, Value>, StateUse), StateError> {
        self.open_at(state, binding, SystemTime::now())
    }

    fn open_at(
        &self,
        state: &str,
        binding: &StateBinding,
        now: SystemTime,
    ) -> Result<(Map<String, Value>, StateUse), StateError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(state)
            .map_err(|_| StateError::Malformed)?;
        if bytes.len() < 1 + NONCE_LEN + 16 || bytes[0] != VERSION {
            return Err(StateError::Malformed);
        }
        let (nonce, sealed) = bytes[1..].split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| StateError::Malformed)?;
        let plain = self
            .cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: AAD,
                },
            )
            .map_err(|_| StateError::Tampered)?;
        let sealed: Sealed = serde_json::from_slice(&plain).map_err(|_| StateError::Malformed)?;
        if let Some(what) = sealed.binding.mismatch(binding) {
            return Err(StateError::Foreign(what));
        }
        if seconds(now) >= sealed.exp {
            return Err(StateError::Expired);
        }
        let used = StateUse {
            id: nonce,
            remaining: Duration::from_secs(sealed.exp - seconds(now)),
        };
        Ok((sealed.answers, used))
    }
}

/// The single-use identity of an opened state (see [`StateSealer::open_once`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateUse {
    /// Unique to this state (its random nonce).
    pub id: [u8; NONCE_LEN],
    /// How long the state stays valid.
    pub remaining: Duration,
}

fn seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn binding(subject: &str, arguments: Value) -> StateBinding {
        let arguments = arguments.as_object().expect("an object").clone();
        StateBinding::new(
            Some("https://idp"),
            subject,
            Some("app"),
            "tools/call",
            "t",
            &arguments,
        )
    }

    #[test]
    fn tampered_expired_foreign_and_rekeyed_states_are_refused() {
        let sealer = StateSealer::new([1; 32], Duration::from_secs(60));
        let b = binding("alice", json!({"x": 1, "y": [1, {"b": 2, "a": 1}]}));
        let answers = json!({"k": {"action": "decline"}});
        let state = sealer.seal(&b, answers.as_object().unwrap());
        assert_eq!(
            sealer.open(&state, &b).unwrap(),
            *answers.as_object().unwrap()
        );

        // Key order does not change the digest; values do.
        let same = binding("alice", json!({"y": [1, {"a": 1, "b": 2}], "x": 1}));
        assert!(sealer.open(&state, &same).is_ok());
        let other_args = binding("alice", json!({"x": 2, "y": [1, {"b": 2, "a": 1}]}));
        assert_eq!(
            sealer.open(&state, &other_args),
            Err(StateError::Foreign("set of arguments"))
        );
        let other_caller = binding("bob", json!({"x": 1, "y": [1, {"b": 2, "a": 1}]}));
        assert_eq!(
            sealer.open(&state, &other_caller),
            Err(StateError::Foreign("caller"))
        );

        let mut bytes = URL_SAFE_NO_PAD.decode(&state).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(
            sealer.open(&URL_SAFE_NO_PAD.encode(&bytes), &b),
            Err(StateError::Tampered)
        );
        assert!(sealer.open(&format!("{state}-TAMPERED"), &b).is_err());
        assert_eq!(sealer.open("", &b), Err(StateError::Malformed));

        let rekeyed = StateSealer::new([2; 32], Duration::from_secs(60));
        assert_eq!(rekeyed.open(&state, &b), Err(StateError::Tampered));

        let later = SystemTime::now() + Duration::from_secs(61);
        assert_eq!(sealer.open_at(&state, &b, later), Err(StateError::Expired));
    }

    #[test]
    fn every_seal_differs() {
        let sealer = StateSealer::generate(Duration::from_secs(60));
        let b = binding("alice", json!({}));
        assert_ne!(sealer.seal(&b, &Map::new()), sealer.seal(&b, &Map::new()));
    }
}
