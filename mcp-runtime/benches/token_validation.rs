//! Bearer-token validation, RS256 and ES256: *cold* (every check and the signature, as for a
//! token never seen before) against *cached* (a token presented again: a SHA-256 and a map
//! lookup). Run with `cargo bench -p mcp-runtime --bench token_validation`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mcp_runtime::auth::jwks::JwksSettings;
use mcp_runtime::auth::{TokenCacheSettings, TokenValidation, TokenValidator};
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use std::hint::black_box;
use std::path::Path;

const ISSUER: &str = "https://issuer.example.com";
const AUDIENCE: &str = "https://mcp.example.com/mcp";

/// A signing key generated for this run and its public JWK.
fn rsa_key() -> (EncodingKey, Value) {
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("an RSA key");
    let der = key.to_pkcs1_der().expect("DER");
    let jwk = json!({"kty": "RSA", "kid": "rs", "alg": "RS256", "use": "sig",
        "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be())});
    (EncodingKey::from_rsa_der(der.as_bytes()), jwk)
}

fn ec_key() -> (EncodingKey, Value) {
    let secret = loop {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("random bytes");
        if let Ok(k) = p256::SecretKey::from_slice(&bytes) {
            break k;
        }
    };
    let pem = secret.to_pkcs8_pem(LineEnding::LF).expect("PEM");
    let mut jwk: Value = serde_json::from_str(&secret.public_key().to_jwk_string()).expect("JWK");
    jwk["kid"] = json!("ec");
    jwk["alg"] = json!("ES256");
    jwk["use"] = json!("sig");
    (
        EncodingKey::from_ec_pem(pem.as_bytes()).expect("EC key"),
        jwk,
    )
}

fn token(key: &EncodingKey, alg: Algorithm, kid: &str) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "client_id": "cli",
        "scope": "orders:read orders:write", "iat": now, "nbf": now, "exp": now + 3600});
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    header.typ = Some("at+jwt".to_owned());
    jsonwebtoken::encode(&header, &claims, key).expect("a token")
}

fn validator(jwks: &Path, max_entries: usize) -> TokenValidator {
    let mut settings = TokenValidation::new(ISSUER, AUDIENCE);
    settings.jwks_uri = Some(jwks.display().to_string());
    TokenValidator::with_options(
        settings,
        JwksSettings::default(),
        TokenCacheSettings { max_entries },
    )
    .expect("a validator")
}

fn validation(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let jwks = dir.path().join("jwks.json");
    let (rs, rs_jwk) = rsa_key();
    let (ec, ec_jwk) = ec_key();
    std::fs::write(&jwks, json!({"keys": [rs_jwk, ec_jwk]}).to_string()).expect("JWKS");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let cold = validator(&jwks, 0);
    let cached = validator(&jwks, 10_000);
    let mut group = c.benchmark_group("token");
    for (name, token) in [
        ("RS256", token(&rs, Algorithm::RS256, "rs")),
        ("ES256", token(&ec, Algorithm::ES256, "ec")),
    ] {
        for v in [&cold, &cached] {
            runtime.block_on(v.validate(&token)).expect("a valid token");
        }
        group.bench_function(format!("cold/{name}"), |b| {
            b.iter(|| runtime.block_on(cold.validate_shared(black_box(&token))))
        });
        group.bench_function(format!("cached/{name}"), |b| {
            b.iter(|| runtime.block_on(cached.validate_shared(black_box(&token))))
        });
    }
    group.finish();
}

criterion_group!(benches, validation);
criterion_main!(benches);
