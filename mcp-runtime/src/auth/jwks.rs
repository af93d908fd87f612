//! The issuer's signing keys (JWKS): where they come from, how long they are trusted, and when
//! they are fetched again.
//!
//! - The source is a `jwks_uri` (HTTP(S)), a local JWKS file, or nothing: then `jwks_uri` is
//!   discovered from the issuer's RFC 8414 metadata (`/.well-known/oauth-authorization-server`)
//!   or its OpenID Connect discovery document (`/.well-known/openid-configuration`).
//! - Keys are cached for [`JwksSettings::max_age`]. A token whose `kid` is not in the cache
//!   triggers one refresh, at most once per [`JwksSettings::min_refresh_interval`], so a flood
//!   of forged `kid`s cannot turn the server into a load generator against the issuer.
//! - A key is chosen by the token's `kid` *and* algorithm: a signing key of the algorithm's
//!   family (and curve) whose `alg`, when stated, is the token's. Two such keys for one `kid`
//!   make the key set ambiguous: the token is refused and the fetch that brought them logs
//!   which `kid`s are affected.
//! - Keys of types this library cannot read are skipped (RFC 7517 §5); a set none of whose
//!   keys can be read counts as no keys.
//! - When no keys can be had, validation fails: the server never accepts a token it could not
//!   verify (fail closed). Keys already fetched stay in use while the issuer is unreachable; a
//!   `kid` they do not hold is then "keys unavailable", not "unknown key".
//! - Each fetched set is decoded once ([`super::keys`]); a fetch that brings different keys
//!   starts a new *generation*, which empties the validated-token cache.

use super::keys::{KeySet, VerifyingKey, select};
use arc_swap::ArcSwapOption;
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Where the signing keys come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwksSource {
    /// A JWKS document at this HTTP(S) URL.
    Url(String),
    /// A JWKS document in a local file (development, air-gapped deployments).
    File(PathBuf),
    /// Discover `jwks_uri` from this issuer's metadata.
    Discover {
        /// The issuer identifier.
        issuer: String,
    },
}

impl JwksSource {
    /// Interprets the policy's `jwks_uri` setting: an `http(s)://` URL, a `file://` URL or a
    /// path; `None` means discovery from `issuer`.
    pub fn from_setting(jwks_uri: Option<&str>, issuer: &str) -> Self {
        match jwks_uri {
            None => Self::Discover {
                issuer: issuer.to_owned(),
            },
            Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
                Self::Url(u.to_owned())
            }
            Some(u) => Self::File(PathBuf::from(u.strip_prefix("file://").unwrap_or(u))),
        }
    }
}

/// Cache and refresh timing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JwksSettings {
    /// How long fetched keys are used before they are fetched again (default 10 minutes).
    pub max_age: Duration,
    /// The shortest time between two fetches (default 30 s).
    pub min_refresh_interval: Duration,
    /// Timeout of one fetch (default 5 s).
    pub fetch_timeout: Duration,
}

impl Default for JwksSettings {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(600),
            min_refresh_interval: Duration::from_secs(30),
            fetch_timeout: Duration::from_secs(5),
        }
    }
}

/// Why keys could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The fetch failed (network, status, body).
    #[error("fetching {url} failed: {reason}")]
    Fetch {
        /// What was fetched.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// The local JWKS file could not be read or parsed.
    #[error("reading the JWKS file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why it failed.
        reason: String,
    },
    /// The issuer's metadata names no `jwks_uri`, or names another issuer.
    #[error("discovery for issuer {issuer} failed: {reason}")]
    Discovery {
        /// The issuer.
        issuer: String,
        /// Why it failed.
        reason: String,
    },
    /// A refresh was wanted but the last one was too recent.
    #[error("the signing keys were refreshed moments ago; not fetching again yet")]
    RateLimited,
    /// Several keys of the set fit the token's `kid` and algorithm: the set is ambiguous.
    #[error(
        "the issuer's key set is ambiguous: {count} signing keys have kid `{kid}` and fit the token's algorithm"
    )]
    Ambiguous {
        /// The `kid` (empty when the token names none).
        kid: String,
        /// How many keys fit.
        count: usize,
    },
}

/// What only a refresh touches (held across the fetch, so one refresh runs at a time).
#[derive(Default)]
struct Refresh {
    last_attempt: Option<Instant>,
    /// Whether the last attempt failed (the cached keys, if any, may then be out of date).
    last_failed: bool,
    jwks_url: Option<String>,
}

/// A cached, self-refreshing view of the issuer's signing keys.
pub struct JwksCache {
    source: JwksSource,
    settings: JwksSettings,
    client: reqwest::Client,
    /// The keys in use; read on every validation without waiting for a refresh.
    cached: ArcSwapOption<KeySet>,
    refresh: Mutex<Refresh>,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache")
            .field("source", &self.source)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The HTTP client for key and metadata fetches: rustls with the `ring` provider, no proxies
/// from the environment, no redirects to other schemes.
pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    // reqwest is built without a default crypto provider; install ring once for the process
    // (a provider installed earlier by the application wins).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .map_err(|e| e.to_string())
}

impl JwksCache {
    /// A cache over `source`. Nothing is fetched until a key is needed.
    ///
    /// # Errors
    /// The HTTP client cannot be built (no TLS roots on this machine).
    pub fn new(source: JwksSource, settings: JwksSettings) -> Result<Self, JwksError> {
        let client = http_client(settings.fetch_timeout).map_err(|reason| JwksError::Fetch {
            url: "(client set-up)".to_owned(),
            reason,
        })?;
        Ok(Self {
            source,
            settings,
            client,
            cached: ArcSwapOption::empty(),
            refresh: Mutex::new(Refresh::default()),
        })
    }

    /// The key that verifies a token signed with `alg`: the key named by `kid` among those
    /// fitting `alg`, or the only fitting key when the token names no `kid`. Refreshes the
    /// cache when it is stale or the `kid` is unknown (rate limited). `Ok(None)`: the keys are
    /// known and current, but none fits.
    ///
    /// # Errors
    /// No keys could be obtained, or the `kid` is not among stale keys that could not be
    /// refreshed ([`JwksError::Fetch`] and kin, [`JwksError::RateLimited`]); several keys fit
    /// ([`JwksError::Ambiguous`]).
    pub async fn key(&self, kid: Option<&str>, alg: Algorithm) -> Result<Option<Jwk>, JwksError> {
        Ok(self
            .verifying_key(kid, alg)
            .await?
            .map(|(key, _)| key.jwk().clone()))
    }

    /// The generation of the key set in use, when it is younger than
    /// [`JwksSettings::max_age`]. Generations only grow; a new one means the keys changed.
    pub fn fresh_generation(&self) -> Option<u64> {
        let keys = self.cached.load();
        let keys = keys.as_ref()?;
        (keys.fetched.elapsed() < self.settings.max_age).then_some(keys.generation)
    }

    /// The generation of the key set in use, however old; `None` before the first fetch.
    pub fn generation(&self) -> Option<u64> {
        self.cached.load().as_ref().map(|keys| keys.generation)
    }

    /// Like [`JwksCache::key`], with the key decoded once per fetch, and the generation of the
    /// key set it came from.
    ///
    /// # Errors
    /// As [`JwksCache::key`].
    pub async fn verifying_key(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Option<(Arc<VerifyingKey>, u64)>, JwksError> {
        if let Some(found) = self.cached_key(kid, alg, true)? {
            return Ok(Some(found));
        }
        // Stale, empty, or an unknown kid: refresh if allowed (one refresh at a time; callers
        // that waited find the refreshed keys).
        let mut refresh = self.refresh.lock().await;
        if let Some(found) = self.cached_key(kid, alg, true)? {
            return Ok(Some(found));
        }
        let allowed = refresh
            .last_attempt
            .is_none_or(|t| t.elapsed() >= self.settings.min_refresh_interval);
        let failure = if allowed {
            self.refresh_now(&mut refresh).await.err()
        } else if refresh.last_failed {
            Some(JwksError::RateLimited)
        } else {
            None
        };
        match (self.cached_key(kid, alg, false)?, failure) {
            (Some(found), _) => Ok(Some(found)),
            // Keys that are merely old are still the issuer's keys and stay in use until a
            // fetch succeeds; a key they do not hold may be a new one: fail closed.
            (None, Some(e)) => Err(e),
            (None, None) => Ok(None),
        }
    }

    /// Fetches the keys now and puts them in use (the caller holds the refresh lock and has
    /// checked the refresh interval).
    async fn refresh_now(&self, refresh: &mut Refresh) -> Result<(), JwksError> {
        refresh.last_attempt = Some(Instant::now());
        let fetched = self.fetch(refresh).await;
        crate::metrics::global().jwks_fetch(fetched.is_ok());
        match fetched {
            Ok(keys) => {
                tracing::debug!(keys = keys.keys.len(), "signing keys refreshed");
                warn_if_ambiguous(&keys);
                refresh.last_failed = false;
                self.store(keys);
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "fetching the issuer's signing keys failed");
                refresh.last_failed = true;
                Err(e)
            }
        }
    }

    /// Whether keys are in hand to verify tokens with (a readiness check). Keys fetched once
    /// stay in hand while the issuer is unreachable. With none yet, one fetch is tried unless
    /// a fetch is under way or the last attempt was less than
    /// [`JwksSettings::min_refresh_interval`] ago: probing readiness often never fetches more
    /// often than validating tokens would.
    pub async fn ready(&self) -> bool {
        if self.cached.load().is_some() {
            return true;
        }
        let Ok(mut refresh) = self.refresh.try_lock() else {
            return false;
        };
        if self.cached.load().is_some() {
            return true;
        }
        let allowed = refresh
            .last_attempt
            .is_none_or(|t| t.elapsed() >= self.settings.min_refresh_interval);
        allowed && self.refresh_now(&mut refresh).await.is_ok()
    }

    /// Puts a fetched set in use: the same keys keep their generation (and their decoded
    /// form), different keys start the next one.
    fn store(&self, fetched: JwkSet) {
        let current = self.cached.load_full();
        let next = match &current {
            Some(keys) if keys.same_keys(&fetched) => keys.refreshed(),
            Some(keys) => {
                tracing::info!(
                    generation = keys.generation + 1,
                    "the issuer's signing keys changed"
                );
                KeySet::new(fetched, keys.generation + 1)
            }
            None => KeySet::new(fetched, 1),
        };
        self.cached.store(Some(Arc::new(next)));
    }

    /// The fitting cached key and its generation; with `fresh_only`, only from keys younger
    /// than `max_age`.
    fn cached_key(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
        fresh_only: bool,
    ) -> Result<Option<(Arc<VerifyingKey>, u64)>, JwksError> {
        let keys = self.cached.load();
        let Some(keys) = keys.as_ref() else {
            return Ok(None);
        };
        if fresh_only && keys.fetched.elapsed() >= self.settings.max_age {
            return Ok(None);
        }
        Ok(keys.find(kid, alg)?.map(|k| (k.clone(), keys.generation)))
    }

    async fn fetch(&self, state: &mut Refresh) -> Result<JwkSet, JwksError> {
        let url = match &self.source {
            JwksSource::File(path) => {
                let text = tokio::fs::read_to_string(path)
                    .await
                    .map_err(|e| JwksError::File {
                        path: path.clone(),
                        reason: e.to_string(),
                    })?;
                return serde_json::from_str::<RawSet>(&text)
                    .map_err(|e| e.to_string())
                    .and_then(readable)
                    .map_err(|reason| JwksError::File {
                        path: path.clone(),
                        reason,
                    });
            }
            JwksSource::Url(url) => url.clone(),
            JwksSource::Discover { issuer } => match &state.jwks_url {
                Some(url) => url.clone(),
                None => {
                    let url = self.discover(issuer).await?;
                    state.jwks_url = Some(url.clone());
                    url
                }
            },
        };
        let raw: RawSet = self.get_json(&url).await?;
        readable(raw).map_err(|reason| JwksError::Fetch { url, reason })
    }

    async fn discover(&self, issuer: &str) -> Result<String, JwksError> {
        #[derive(Deserialize)]
        struct Metadata {
            issuer: Option<String>,
            jwks_uri: Option<String>,
        }
        let mut reasons = Vec::new();
        for url in discovery_urls(issuer) {
            match self.get_json::<Metadata>(&url).await {
                Ok(m) => {
                    if m.issuer.as_deref().is_some_and(|i| i != issuer) {
                        return Err(JwksError::Discovery {
                            issuer: issuer.to_owned(),
                            reason: format!("{url} names another issuer"),
                        });
                    }
                    if let Some(jwks) = m.jwks_uri {
                        return Ok(jwks);
                    }
                    reasons.push(format!("{url} has no jwks_uri"));
                }
                Err(e) => reasons.push(e.to_string()),
            }
        }
        Err(JwksError::Discovery {
            issuer: issuer.to_owned(),
            reason: reasons.join("; "),
        })
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, JwksError> {
        let fail = |reason: String| JwksError::Fetch {
            url: url.to_owned(),
            reason,
        };
        let response = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| fail(e.to_string()))?;
        if !response.status().is_success() {
            return Err(fail(format!("status {}", response.status())));
        }
        response.json::<T>().await.map_err(|e| fail(e.to_string()))
    }
}

/// A key set as fetched, before its keys are read one by one.
#[derive(Deserialize)]
struct RawSet {
    keys: Vec<serde_json::Value>,
}

/// The keys of `raw` this library can read; the others are skipped (RFC 7517 §5). A set with
/// keys none of which can be read is refused.
fn readable(raw: RawSet) -> Result<JwkSet, String> {
    let total = raw.keys.len();
    let keys: Vec<Jwk> = raw
        .keys
        .into_iter()
        .filter_map(|k| serde_json::from_value(k).ok())
        .collect();
    if keys.len() < total {
        tracing::warn!(
            skipped = total - keys.len(),
            total,
            "skipping signing keys that cannot be read"
        );
    }
    if keys.is_empty() && total > 0 {
        return Err(format!("none of its {total} keys can be read"));
    }
    Ok(JwkSet { keys })
}

/// The key for a token of `alg` naming `kid` (or naming none: the only fitting key), by the
/// rule of [`select`].
fn pick(keys: &JwkSet, kid: Option<&str>, alg: Algorithm) -> Result<Option<Jwk>, JwksError> {
    Ok(select(keys.keys.iter(), |k| k, kid, alg)?.cloned())
}

/// Logs, once per fetch, each `kid` under which the set holds two keys fitting one algorithm.
fn warn_if_ambiguous(keys: &JwkSet) {
    use Algorithm as A;
    const ALGORITHMS: [Algorithm; 9] = [
        A::RS256,
        A::RS384,
        A::RS512,
        A::PS256,
        A::PS384,
        A::PS512,
        A::ES256,
        A::ES384,
        A::EdDSA,
    ];
    let mut kids: Vec<&str> = keys
        .keys
        .iter()
        .filter_map(|k| k.common.key_id.as_deref())
        .filter(|kid| {
            ALGORITHMS.iter().any(|alg| {
                matches!(
                    pick(keys, Some(kid), *alg),
                    Err(JwksError::Ambiguous { .. })
                )
            })
        })
        .collect();
    kids.sort_unstable();
    kids.dedup();
    if !kids.is_empty() {
        tracing::warn!(
            kids = ?kids,
            "the issuer's key set is ambiguous: several signing keys share a kid and an algorithm; tokens naming these kids are refused"
        );
    }
}

/// The metadata documents tried for `issuer`, in order: RFC 8414 (the well-known segment goes
/// between the host and the issuer's path), then OpenID Connect Discovery (appended to the
/// issuer).
pub fn discovery_urls(issuer: &str) -> Vec<String> {
    let trimmed = issuer.trim_end_matches('/');
    let mut urls = Vec::new();
    if let Some(scheme_end) = trimmed.find("://") {
        let after = &trimmed[scheme_end + 3..];
        let (host, path) = match after.find('/') {
            Some(i) => (&after[..i], &after[i..]),
            None => (after, ""),
        };
        let origin = &trimmed[..scheme_end + 3 + host.len()];
        urls.push(format!(
            "{origin}/.well-known/oauth-authorization-server{path}"
        ));
    }
    urls.push(format!("{trimmed}/.well-known/openid-configuration"));
    urls
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::jwk::AlgorithmParameters;

    #[test]
    fn discovery_urls_follow_rfc8414_and_oidc() {
        assert_eq!(
            discovery_urls("https://id.example.com/realms/technova"),
            [
                "https://id.example.com/.well-known/oauth-authorization-server/realms/technova",
                "https://id.example.com/realms/technova/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            discovery_urls("http://127.0.0.1:4000/"),
            [
                "http://127.0.0.1:4000/.well-known/oauth-authorization-server",
                "http://127.0.0.1:4000/.well-known/openid-configuration",
            ]
        );
    }

    #[test]
    fn encryption_keys_never_verify_signatures() {
        let set: JwkSet = serde_json::from_value(serde_json::json!({"keys": [
            {"kty": "EC", "crv": "P-256", "kid": "enc", "use": "enc",
             "x": "JWzRR_fdnDMHPLNIVQfNGexnocp_jITiCGGfvKc_Vys", "y": "pj9ia05sum3zKdhMDUXiY3mzbqfX4jjmOWHp6ba6F9c"},
            {"kty": "EC", "crv": "P-256", "kid": "sig", "use": "sig",
             "x": "JWzRR_fdnDMHPLNIVQfNGexnocp_jITiCGGfvKc_Vys", "y": "pj9ia05sum3zKdhMDUXiY3mzbqfX4jjmOWHp6ba6F9c"}
        ]}))
        .unwrap();
        let es = Algorithm::ES256;
        assert!(pick(&set, Some("enc"), es).unwrap().is_none());
        assert_eq!(
            pick(&set, Some("sig"), es)
                .unwrap()
                .and_then(|k| k.common.key_id),
            Some("sig".to_owned())
        );
        assert_eq!(
            pick(&set, None, es).unwrap().and_then(|k| k.common.key_id),
            Some("sig".to_owned()),
            "the only signing key"
        );
    }

    const X: &str = "JWzRR_fdnDMHPLNIVQfNGexnocp_jITiCGGfvKc_Vys";
    const Y: &str = "pj9ia05sum3zKdhMDUXiY3mzbqfX4jjmOWHp6ba6F9c";

    fn set(keys: serde_json::Value) -> JwkSet {
        serde_json::from_value(serde_json::json!({ "keys": keys })).unwrap()
    }

    #[test]
    fn keys_fit_by_kid_family_curve_and_stated_alg() {
        let rsa =
            serde_json::json!({"kty": "RSA", "kid": "k", "alg": "RS256", "n": "AQAB", "e": "AQAB"});
        let ec = serde_json::json!({"kty": "EC", "crv": "P-256", "kid": "k", "x": X, "y": Y});
        let keys = set(serde_json::json!([rsa, ec]));
        let kid_of = |alg| pick(&keys, Some("k"), alg).unwrap().map(|k| k.algorithm);
        assert!(matches!(
            kid_of(Algorithm::ES256),
            Some(AlgorithmParameters::EllipticCurve(_))
        ));
        assert!(matches!(
            kid_of(Algorithm::RS256),
            Some(AlgorithmParameters::RSA(_))
        ));
        assert!(
            kid_of(Algorithm::PS256).is_none(),
            "the RSA key states RS256"
        );
        assert!(kid_of(Algorithm::ES384).is_none(), "a P-256 key");
        // Two keys for one kid and one algorithm: ambiguous, for that algorithm only.
        let twins = set(serde_json::json!([ec, ec, rsa]));
        assert!(matches!(
            pick(&twins, Some("k"), Algorithm::ES256),
            Err(JwksError::Ambiguous { count: 2, .. })
        ));
        assert!(pick(&twins, Some("k"), Algorithm::RS256).unwrap().is_some());
        assert!(pick(&twins, None, Algorithm::ES256).unwrap().is_none());
    }

    #[test]
    fn unreadable_keys_are_skipped_and_an_unreadable_set_refused() {
        let raw = |keys| RawSet { keys };
        let ec = serde_json::json!({"kty": "EC", "crv": "P-256", "kid": "k", "x": X, "y": Y});
        let mixed = readable(raw(vec![serde_json::json!({"kty": "EC", "kid": 7}), ec])).unwrap();
        assert_eq!(mixed.keys.len(), 1);
        assert!(readable(raw(vec![serde_json::json!("garbage")])).is_err());
        assert!(readable(raw(Vec::new())).unwrap().keys.is_empty());
    }

    #[test]
    fn sources_are_read_from_the_setting() {
        assert_eq!(
            JwksSource::from_setting(None, "https://i"),
            JwksSource::Discover {
                issuer: "https://i".to_owned()
            }
        );
        assert_eq!(
            JwksSource::from_setting(Some("https://i/jwks"), "https://i"),
            JwksSource::Url("https://i/jwks".to_owned())
        );
        assert_eq!(
            JwksSource::from_setting(Some("file:///etc/jwks.json"), "https://i"),
            JwksSource::File(PathBuf::from("/etc/jwks.json"))
        );
    }
}
