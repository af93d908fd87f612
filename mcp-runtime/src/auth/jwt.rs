//! Bearer JWT access-token validation (OAuth 2.1 §5.2, RFC 9068 profile) with `jsonwebtoken`.
//!
//! A token is accepted only when every check passes:
//! - its protected header (read before anything else, at most [`MAX_HEADER_BYTES`]) lists no
//!   critical extensions: this server understands none, so any `crit` member, even `[]`, is
//!   refused (RFC 7515 §4.1.11);
//! - its header names an algorithm on the allow-list (asymmetric only: `none` cannot even be
//!   parsed, and HMAC algorithms are refused when the validator is built, so a public key can
//!   never be used as an HMAC secret);
//! - its `typ`, when present, is `at+jwt`, `application/at+jwt` or `JWT`;
//! - its `kid` names exactly one key of the issuer's JWKS that fits the algorithm (its type
//!   and curve, and its `alg` when the key states one): keys sharing the `kid` but of another
//!   family are passed over, two fitting keys are an ambiguous key set and refused;
//! - the signature verifies; `iss` is one string equal to the configured issuer (an array is
//!   refused); `aud` contains this server's canonical resource URI; `exp` is in the future and
//!   `nbf` in the past (with leeway);
//! - it has a `sub`.
//!
//! The result is a [`Caller`]: subject, client id, scopes and claims, never the token.
//!
//! The work that does not depend on the token is done once: the `jsonwebtoken::Validation`
//! of each accepted algorithm when the validator is built, each key's decoding when the JWKS
//! is fetched. A token that passed is remembered (by its SHA-256 digest, until its `exp`) in
//! a bounded cache ([`super::cache`]), so a client reusing its token costs a hash and a map
//! lookup instead of a signature verification.

use super::TokenValidation;
use super::cache::{CacheEpoch, Stamp, TokenCache, TokenCacheSettings, digest};
use super::jwks::{JwksCache, JwksError, JwksSettings, JwksSource};
use crate::context::Caller;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, Validation, decode, decode_header};
use serde_json::{Map, Value};
use std::str::FromStr;
use std::sync::Arc;

/// The largest protected header read, in base64url characters.
pub const MAX_HEADER_BYTES: usize = 2048;

/// Why a token was refused. Over HTTP every variant is a `401` with `error="invalid_token"`,
/// except [`TokenError::KeysUnavailable`], a `503` (the token could not be checked at all);
/// the message is safe to show the client (it never contains the token).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a well-formed JWS, or an algorithm that is not supported at all.
    #[error("the access token is malformed")]
    Malformed,
    /// The algorithm is not on the allow-list.
    #[error("the token's signing algorithm {0} is not accepted")]
    Algorithm(String),
    /// The header lists critical extensions (`crit`), none of which this server understands.
    #[error("the token's header lists critical extensions (crit) this server does not understand")]
    Critical,
    /// The issuer's key set holds several keys that fit the token (same `kid`, same algorithm).
    #[error("{0}")]
    AmbiguousKey(#[source] JwksError),
    /// The `typ` header is not an access-token type.
    #[error("the token type `{0}` is not an access token")]
    Type(String),
    /// No key of the issuer matches the token.
    #[error("the token was not signed by a known key of the issuer")]
    UnknownKey,
    /// The issuer's keys could not be obtained (fail closed).
    #[error("the issuer's signing keys are unavailable")]
    KeysUnavailable(#[source] JwksError),
    /// The signature or a claim check failed.
    #[error("the access token is invalid: {0}")]
    Invalid(String),
    /// The token has expired.
    #[error("the access token has expired")]
    Expired,
}

impl TokenError {
    /// The `outcome` label of `mcp_token_validations_total` (see [`crate::metrics`]).
    pub fn label(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::Algorithm(_) => "algorithm",
            Self::Critical => "critical",
            Self::AmbiguousKey(_) => "ambiguous_key",
            Self::Type(_) => "type",
            Self::UnknownKey => "unknown_key",
            Self::KeysUnavailable(_) => "keys_unavailable",
            Self::Invalid(_) => "invalid",
            Self::Expired => "expired",
        }
    }
}

/// Why a validator could not be built from the settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValidatorConfigError {
    /// An algorithm name is unknown, symmetric, or `none`.
    #[error(
        "algorithm `{0}` cannot be accepted: only asymmetric JWS algorithms (RS*, PS*, ES256, ES384, EdDSA) are allowed"
    )]
    Algorithm(String),
    /// No algorithm is allowed.
    #[error("the algorithm allow-list is empty")]
    NoAlgorithms,
    /// The issuer or audience is empty.
    #[error("token validation needs a non-empty {0}")]
    Missing(&'static str),
    /// The key source cannot be set up.
    #[error(transparent)]
    Jwks(#[from] JwksError),
}

/// Validates bearer tokens against one issuer's keys, remembering the tokens that passed.
#[derive(Debug)]
pub struct TokenValidator {
    settings: TokenValidation,
    /// The checks for each accepted algorithm, built once.
    validations: Vec<(Algorithm, Validation)>,
    keys: JwksCache,
    cache: TokenCache,
    /// Advanced when something a past validation depended on changed (a policy reload).
    epoch: CacheEpoch,
}

impl TokenValidator {
    /// A validator for `settings`, with default key-cache timing.
    ///
    /// # Errors
    /// An algorithm that may not be accepted, or an empty issuer / audience.
    pub fn new(settings: TokenValidation) -> Result<Self, ValidatorConfigError> {
        Self::with_jwks_settings(settings, JwksSettings::default())
    }

    /// A validator with explicit key-cache timing.
    ///
    /// # Errors
    /// As [`TokenValidator::new`].
    pub fn with_jwks_settings(
        settings: TokenValidation,
        jwks: JwksSettings,
    ) -> Result<Self, ValidatorConfigError> {
        Self::with_options(settings, jwks, TokenCacheSettings::default())
    }

    /// A validator with explicit key-cache timing and token-cache size.
    ///
    /// # Errors
    /// As [`TokenValidator::new`].
    pub fn with_options(
        settings: TokenValidation,
        jwks: JwksSettings,
        cache: TokenCacheSettings,
    ) -> Result<Self, ValidatorConfigError> {
        if settings.issuer.trim().is_empty() {
            return Err(ValidatorConfigError::Missing("issuer"));
        }
        if settings.audience.trim().is_empty() {
            return Err(ValidatorConfigError::Missing("audience"));
        }
        let validations = parse_algorithms(&settings.algorithms)?
            .into_iter()
            .map(|alg| (alg, validation_for(alg, &settings)))
            .collect();
        let source = JwksSource::from_setting(settings.jwks_uri.as_deref(), &settings.issuer);
        let keys = JwksCache::new(source, jwks)?;
        Ok(Self {
            settings,
            validations,
            keys,
            cache: TokenCache::new(cache),
            epoch: CacheEpoch::default(),
        })
    }

    /// Empties the token cache whenever `epoch` advances, as a policy reload does (see
    /// [`PolicyHandle::cache_epoch`](crate::policy::PolicyHandle::cache_epoch)): after it,
    /// every token is verified in full when next presented, and a validation that began
    /// before the advance is not remembered.
    #[must_use]
    pub fn with_cache_epoch(mut self, epoch: CacheEpoch) -> Self {
        self.epoch = epoch;
        self
    }

    /// The settings in force.
    pub fn settings(&self) -> &TokenValidation {
        &self.settings
    }

    /// Forgets every validated token: each is verified in full when next presented, and a
    /// validation in flight is not remembered. Done automatically when the issuer's keys
    /// change and when the cache epoch advances ([`TokenValidator::with_cache_epoch`]); call
    /// it when anything else that a past validation depended on changes. This advances the
    /// epoch, so every validator sharing it forgets its tokens too.
    pub fn clear_cache(&self) {
        self.epoch.advance();
        self.cache.clear();
    }

    /// Whether the issuer's signing keys are in hand (see [`JwksCache::ready`]): what a
    /// readiness probe asks.
    pub async fn keys_ready(&self) -> bool {
        self.keys.ready().await
    }

    /// How many validated tokens are remembered.
    pub fn cached_tokens(&self) -> usize {
        self.cache.len()
    }

    /// The most validated tokens remembered at once (`0`: the cache is off).
    #[cfg(test)]
    pub(crate) fn cache_capacity(&self) -> usize {
        self.cache.capacity()
    }

    /// Validates `token` and returns the caller it identifies.
    ///
    /// # Errors
    /// The reason the token is refused.
    pub async fn validate(&self, token: &str) -> Result<Caller, TokenError> {
        self.validate_shared(token).await.map(Arc::unwrap_or_clone)
    }

    /// Validates `token` and returns the caller it identifies, shared with the token cache
    /// (no copy of the claims on a cache hit).
    ///
    /// # Errors
    /// The reason the token is refused.
    pub async fn validate_shared(&self, token: &str) -> Result<Arc<Caller>, TokenError> {
        let result = self.validate_cached(token).await;
        let outcome = result.as_ref().map_or_else(TokenError::label, |_| "valid");
        crate::metrics::global().token_validation(outcome);
        result
    }

    /// [`TokenValidator::validate_shared`] before it is counted.
    async fn validate_cached(&self, token: &str) -> Result<Arc<Caller>, TokenError> {
        // `verify` is boxed: its state (a key fetch among it) is large and only a cache miss
        // needs it, so the future of every request that awaits this one stays small.
        if !self.cache.enabled() {
            return Box::pin(self.verify(token))
                .await
                .map(|(caller, _, _)| Arc::new(caller));
        }
        let key = digest(token);
        // The epoch before the validation: an advance while it runs keeps it out of the cache.
        let epoch = self.epoch.current();
        let hit = self
            .keys
            .fresh_generation()
            .and_then(|keys| self.cache.get(&key, unix_now(), Stamp { keys, epoch }));
        crate::metrics::global().token_cache(hit.is_some());
        if let Some(caller) = hit {
            return Ok(caller);
        }
        let verified = Box::pin(self.verify(token)).await;
        if let Some(keys) = self.keys.generation() {
            // A refresh or an epoch advance during this validation: forget the tokens
            // validated before it now, not at the next cache hit.
            self.cache.observe(Stamp {
                keys,
                epoch: self.epoch.current(),
            });
        }
        let (caller, exp, keys) = verified?;
        let caller = Arc::new(caller);
        if let Some(exp) = exp {
            let until = exp.saturating_add(self.settings.leeway.as_secs());
            self.cache.insert(
                key,
                caller.clone(),
                until,
                unix_now(),
                Stamp { keys, epoch },
            );
        }
        Ok(caller)
    }

    /// Every check, in full: the caller, the token's `exp`, and the key-set generation that
    /// verified it.
    async fn verify(&self, token: &str) -> Result<(Caller, Option<u64>, u64), TokenError> {
        if protected_header(token)?.contains_key("crit") {
            return Err(TokenError::Critical);
        }
        let header = decode_header(token).map_err(|_| TokenError::Malformed)?;
        let Some((_, validation)) = self.validations.iter().find(|(a, _)| *a == header.alg) else {
            return Err(TokenError::Algorithm(format!("{:?}", header.alg)));
        };
        if let Some(typ) = &header.typ
            && !matches!(
                typ.to_ascii_lowercase().as_str(),
                "at+jwt" | "application/at+jwt" | "jwt"
            )
        {
            return Err(TokenError::Type(typ.clone()));
        }
        let (jwk, generation) = self
            .keys
            .verifying_key(header.kid.as_deref(), header.alg)
            .await
            .map_err(|e| match e {
                JwksError::Ambiguous { .. } => TokenError::AmbiguousKey(e),
                e => TokenError::KeysUnavailable(e),
            })?
            .ok_or(TokenError::UnknownKey)?;
        let key = jwk
            .for_algorithm(header.alg)
            .ok_or(TokenError::UnknownKey)?;
        let data = decode::<Map<String, Value>>(token, key, validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::InvalidAudience => TokenError::Invalid("wrong audience".to_owned()),
                ErrorKind::InvalidIssuer => TokenError::Invalid("wrong issuer".to_owned()),
                ErrorKind::ImmatureSignature => TokenError::Invalid("not valid yet".to_owned()),
                ErrorKind::InvalidSignature => TokenError::Invalid("bad signature".to_owned()),
                ErrorKind::MissingRequiredClaim(c) => {
                    TokenError::Invalid(format!("missing claim `{c}`"))
                }
                _ => TokenError::Invalid("rejected".to_owned()),
            }
        })?;
        if data.claims.get("iss").and_then(Value::as_str) != Some(self.settings.issuer.as_str()) {
            return Err(TokenError::Invalid(
                "`iss` must be one string naming the issuer".to_owned(),
            ));
        }
        let exp = data.claims.get("exp").and_then(Value::as_u64);
        Ok((caller_from_claims(data.claims)?, exp, generation))
    }
}

/// The protected header of a compact JWS, decoded without trusting it: base64url of a JSON
/// object, at most [`MAX_HEADER_BYTES`] long.
fn protected_header(token: &str) -> Result<Map<String, Value>, TokenError> {
    let (encoded, _) = token.split_once('.').ok_or(TokenError::Malformed)?;
    if encoded.len() > MAX_HEADER_BYTES {
        return Err(TokenError::Malformed);
    }
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)
}

/// The checks for tokens signed with `alg`.
fn validation_for(alg: Algorithm, settings: &TokenValidation) -> Validation {
    let mut validation = Validation::new(alg);
    validation.algorithms = vec![alg];
    validation.set_issuer(&[&settings.issuer]);
    validation.set_audience(&[&settings.audience]);
    validation.leeway = settings.leeway.as_secs();
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation
}

/// The current time in Unix seconds, as `jsonwebtoken` reads it for `exp`.
fn unix_now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn parse_algorithms(names: &[String]) -> Result<Vec<Algorithm>, ValidatorConfigError> {
    let names: Vec<&str> = if names.is_empty() {
        vec!["RS256", "ES256"]
    } else {
        names.iter().map(String::as_str).collect()
    };
    let mut out = Vec::new();
    for name in names {
        let alg = Algorithm::from_str(name)
            .map_err(|_| ValidatorConfigError::Algorithm(name.to_owned()))?;
        if matches!(alg.family(), jsonwebtoken::AlgorithmFamily::Hmac) {
            return Err(ValidatorConfigError::Algorithm(name.to_owned()));
        }
        out.push(alg);
    }
    if out.is_empty() {
        return Err(ValidatorConfigError::NoAlgorithms);
    }
    Ok(out)
}

fn caller_from_claims(claims: Map<String, Value>) -> Result<Caller, TokenError> {
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| TokenError::Invalid("missing claim `sub`".to_owned()))?
        .to_owned();
    let client_id = claims
        .get("client_id")
        .or_else(|| claims.get("azp"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut scopes: Vec<String> = Vec::new();
    for key in ["scope", "scp"] {
        match claims.get(key) {
            Some(Value::String(s)) => scopes.extend(s.split_whitespace().map(str::to_owned)),
            Some(Value::Array(items)) => {
                scopes.extend(items.iter().filter_map(Value::as_str).map(str::to_owned))
            }
            _ => {}
        }
    }
    Ok(Caller::from_token(subject, client_id, scopes, claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hmac_and_unknown_algorithms_are_refused_up_front() {
        for bad in ["HS256", "none", "XS999"] {
            assert!(
                matches!(
                    parse_algorithms(&[bad.to_owned()]),
                    Err(ValidatorConfigError::Algorithm(_))
                ),
                "{bad}"
            );
        }
        assert_eq!(
            parse_algorithms(&["ES256".to_owned()]).unwrap(),
            [Algorithm::ES256]
        );
    }

    #[test]
    fn the_protected_header_is_read_bounded_and_crit_is_seen() {
        let b64 = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let token = |h: &str| format!("{}.e30.sig", b64(h));
        let header = protected_header(&token(r#"{"alg":"ES256","crit":[]}"#)).unwrap();
        assert!(header.contains_key("crit"));
        assert!(
            !protected_header(&token(r#"{"alg":"ES256"}"#))
                .unwrap()
                .contains_key("crit")
        );
        for bad in [
            token("[1]"),
            token("{"),
            "no-dots".to_owned(),
            "%%%.e30.sig".to_owned(),
            token(&format!(
                r#"{{"alg":"ES256","x":"{}"}}"#,
                "a".repeat(MAX_HEADER_BYTES)
            )),
        ] {
            assert!(
                matches!(protected_header(&bad), Err(TokenError::Malformed)),
                "{bad:.40}"
            );
        }
    }

    #[test]
    fn scopes_come_from_scope_or_scp() {
        let c = caller_from_claims(
            json!({"sub": "alice", "scope": "a b", "scp": ["c"], "azp": "cli"})
                .as_object()
                .unwrap()
                .clone(),
        )
        .unwrap();
        assert_eq!(c.subject(), "alice");
        assert_eq!(c.client_id(), Some("cli"));
        assert_eq!(c.scopes().iter().collect::<Vec<_>>(), ["a", "b", "c"]);
        let no_sub = caller_from_claims(json!({"scope": "a"}).as_object().unwrap().clone());
        assert!(no_sub.is_err());
    }
}
