//! One fetched JWKS, decoded once: each signing key's `DecodingKey` is built when the key set
//! arrives, not on every request, and the set carries the generation number that tells the
//! token cache whether the keys it validated against are still the issuer's keys.

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use std::sync::Arc;
use std::time::Instant;

/// A signing key of the issuer, with its decoding key built once.
pub struct VerifyingKey {
    jwk: Jwk,
    /// `None` when the key cannot verify signatures at all (a symmetric `oct` key, or parameters
    /// `jsonwebtoken` cannot read).
    decoded: Option<DecodingKey>,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.jwk.common.key_id)
            .field("usable", &self.decoded.is_some())
            .finish()
    }
}

impl VerifyingKey {
    fn new(jwk: Jwk) -> Self {
        // Never verify with a symmetric key: a public key must not become an HMAC secret.
        let decoded = match jwk.algorithm {
            AlgorithmParameters::OctetKey(_) => None,
            _ => DecodingKey::from_jwk(&jwk).ok(),
        };
        Self { jwk, decoded }
    }

    /// The key as the issuer published it.
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// The decoding key for a token signed with `alg`, or `None` when this key may not verify
    /// such a token: the key states another algorithm, is symmetric, or belongs to another
    /// family (key-confusion defence).
    pub fn for_algorithm(&self, alg: Algorithm) -> Option<&DecodingKey> {
        if let Some(stated) = &self.jwk.common.key_algorithm
            && format!("{stated:?}") != format!("{alg:?}")
        {
            return None;
        }
        self.decoded
            .as_ref()
            .filter(|key| key.family() == alg.family())
    }
}

/// The signing keys of one successful fetch.
#[derive(Debug)]
pub(crate) struct KeySet {
    /// The published set, as fetched (compared on refresh to tell whether the keys changed).
    published: JwkSet,
    /// Keys allowed to verify signatures (`"use": "enc"` keys are left out).
    signing: Vec<Arc<VerifyingKey>>,
    /// When the set was fetched.
    pub(crate) fetched: Instant,
    /// Bumped each time a fetch brings a set that differs from the previous one.
    pub(crate) generation: u64,
}

impl KeySet {
    /// Decodes `published`, fetched now, as generation `generation`.
    pub(crate) fn new(published: JwkSet, generation: u64) -> Self {
        let signing = published
            .keys
            .iter()
            .filter(|k| !matches!(k.common.public_key_use, Some(PublicKeyUse::Encryption)))
            .map(|k| Arc::new(VerifyingKey::new(k.clone())))
            .collect();
        Self {
            published,
            signing,
            fetched: Instant::now(),
            generation,
        }
    }

    /// The same keys, decoded already, fetched again now.
    pub(crate) fn refreshed(&self) -> Self {
        Self {
            published: self.published.clone(),
            signing: self.signing.clone(),
            fetched: Instant::now(),
            generation: self.generation,
        }
    }

    /// Whether `other` publishes exactly the same keys.
    pub(crate) fn same_keys(&self, other: &JwkSet) -> bool {
        self.published.keys == other.keys
    }

    /// The signing key `kid` names, or the only signing key when no `kid` is given.
    pub(crate) fn find(&self, kid: Option<&str>) -> Option<&Arc<VerifyingKey>> {
        match kid {
            Some(kid) => self
                .signing
                .iter()
                .find(|k| k.jwk.common.key_id.as_deref() == Some(kid)),
            None if self.signing.len() == 1 => self.signing.first(),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> JwkSet {
        serde_json::from_value(serde_json::json!({"keys": [
            {"kty": "EC", "crv": "P-256", "kid": "enc", "use": "enc",
             "x": "JWzRR_fdnDMHPLNIVQfNGexnocp_jITiCGGfvKc_Vys", "y": "pj9ia05sum3zKdhMDUXiY3mzbqfX4jjmOWHp6ba6F9c"},
            {"kty": "EC", "crv": "P-256", "kid": "sig", "use": "sig", "alg": "ES256",
             "x": "JWzRR_fdnDMHPLNIVQfNGexnocp_jITiCGGfvKc_Vys", "y": "pj9ia05sum3zKdhMDUXiY3mzbqfX4jjmOWHp6ba6F9c"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}
        ]}))
        .unwrap()
    }

    #[test]
    fn keys_are_decoded_once_and_refuse_other_algorithms() {
        let keys = KeySet::new(set(), 1);
        assert!(
            keys.find(Some("enc")).is_none(),
            "encryption keys never verify"
        );
        let sig = keys.find(Some("sig")).unwrap();
        assert!(sig.for_algorithm(Algorithm::ES256).is_some());
        assert!(sig.for_algorithm(Algorithm::RS256).is_none(), "stated alg");
        assert!(sig.for_algorithm(Algorithm::HS256).is_none());
        let hmac = keys.find(Some("hmac")).unwrap();
        assert!(hmac.for_algorithm(Algorithm::HS256).is_none(), "oct keys");
        assert!(
            keys.find(None).is_none(),
            "two signing keys: a kid is needed"
        );
        assert!(keys.same_keys(&set()));
    }
}
