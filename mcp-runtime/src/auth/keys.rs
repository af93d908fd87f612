//! One fetched JWKS, decoded once: each signing key's `DecodingKey` is built when the key set
//! arrives, not on every request, and the set carries the generation number that tells the
//! token cache whether the keys it validated against are still the issuer's keys.

use super::jwks::JwksError;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse};
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

    /// The signing key for a token of `alg` naming `kid`, by the rule of [`select`] (keys
    /// this library cannot decode never fit).
    ///
    /// # Errors
    /// [`JwksError::Ambiguous`]: several keys fit.
    pub(crate) fn find(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Option<&Arc<VerifyingKey>>, JwksError> {
        let usable = self.signing.iter().filter(|k| k.decoded.is_some());
        select(usable, |k| &k.jwk, kid, alg)
    }
}

/// Whether `jwk` can verify a signature made with `alg`: a key not reserved for encryption,
/// of the algorithm's family (and, for elliptic curves, its curve), whose `alg`, when stated,
/// is `alg`.
pub(crate) fn fits(jwk: &Jwk, alg: Algorithm) -> bool {
    use Algorithm as A;
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return false;
    }
    if let Some(stated) = &jwk.common.key_algorithm
        && format!("{stated:?}") != format!("{alg:?}")
    {
        return false;
    }
    match (&jwk.algorithm, alg) {
        (
            AlgorithmParameters::RSA(_),
            A::RS256 | A::RS384 | A::RS512 | A::PS256 | A::PS384 | A::PS512,
        ) => true,
        (AlgorithmParameters::EllipticCurve(ec), A::ES256) => ec.curve == EllipticCurve::P256,
        (AlgorithmParameters::EllipticCurve(ec), A::ES384) => ec.curve == EllipticCurve::P384,
        (AlgorithmParameters::OctetKeyPair(okp), A::EdDSA) => okp.curve == EllipticCurve::Ed25519,
        _ => false,
    }
}

/// The key for a token of `alg`: among the keys that [`fits`] `alg`, the one named `kid`, or,
/// when the token names no `kid`, the only fitting key. `Ok(None)`: none fits.
///
/// # Errors
/// [`JwksError::Ambiguous`]: several fitting keys share the `kid`.
pub(crate) fn select<'k, K>(
    keys: impl Iterator<Item = &'k K>,
    jwk: impl Fn(&K) -> &Jwk,
    kid: Option<&str>,
    alg: Algorithm,
) -> Result<Option<&'k K>, JwksError> {
    let mut fitting = keys.filter(|k| fits(jwk(k), alg));
    let Some(kid) = kid else {
        return Ok(match (fitting.next(), fitting.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        });
    };
    let named: Vec<&K> = fitting
        .filter(|k| jwk(k).common.key_id.as_deref() == Some(kid))
        .collect();
    match named.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        several => Err(JwksError::Ambiguous {
            kid: kid.to_owned(),
            count: several.len(),
        }),
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
        let es = Algorithm::ES256;
        assert!(
            keys.find(Some("enc"), es).unwrap().is_none(),
            "encryption keys never verify"
        );
        let sig = keys.find(Some("sig"), es).unwrap().unwrap();
        assert!(sig.for_algorithm(Algorithm::ES256).is_some());
        assert!(sig.for_algorithm(Algorithm::RS256).is_none(), "stated alg");
        assert!(sig.for_algorithm(Algorithm::HS256).is_none());
        assert!(keys.find(Some("sig"), Algorithm::RS256).unwrap().is_none());
        assert!(
            keys.find(Some("hmac"), Algorithm::HS256).unwrap().is_none(),
            "oct keys never fit"
        );
        assert!(
            keys.find(None, es).unwrap().is_some(),
            "the only ES256 signing key"
        );
        assert!(keys.same_keys(&set()));
    }
}
