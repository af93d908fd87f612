//! The validated-token cache seen from outside: a cached token is still refused once expired,
//! is verified again when the issuer's keys change or the policy reloads, and the cache stays
//! within its bound.

mod common;

use common::{Key, now};
use mcp_runtime::auth::jwks::JwksSettings;
use mcp_runtime::auth::{TokenCacheSettings, TokenError, TokenValidation, TokenValidator};
use mcp_runtime::authz::Catalog;
use mcp_runtime::policy::PolicyHandle;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const ISSUER: &str = "https://issuer.example.com";
const AUDIENCE: &str = "https://mcp.example.com/mcp";

fn write_jwks(path: &Path, keys: &[&Key]) {
    let set = json!({ "keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() });
    std::fs::write(path, set.to_string()).unwrap();
}

/// A scratch directory holding `jwks.json` with one fresh key, `k1`: the directory (removed
/// on drop), the file's path and the key.
fn one_key() -> (tempfile::TempDir, PathBuf, Key) {
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("jwks.json");
    let key = Key::generate("k1");
    write_jwks(&jwks, &[&key]);
    (dir, jwks, key)
}

fn validator(jwks: &Path, leeway: Duration, max_entries: usize) -> TokenValidator {
    let mut settings = TokenValidation::new(ISSUER, AUDIENCE);
    settings.jwks_uri = Some(jwks.display().to_string());
    settings.algorithms = vec!["ES256".into()];
    settings.leeway = leeway;
    let keys = JwksSettings {
        min_refresh_interval: Duration::ZERO,
        ..JwksSettings::default()
    };
    TokenValidator::with_options(settings, keys, TokenCacheSettings { max_entries }).unwrap()
}

fn claims(sub: &str, exp: u64) -> Value {
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "scope": "orders:read",
           "iat": now(), "nbf": now(), "exp": exp})
}

#[tokio::test]
async fn a_cached_token_is_refused_once_expired() {
    let (_dir, jwks, key) = one_key();
    let v = validator(&jwks, Duration::ZERO, 100);
    let exp = now() + 1;
    let token = key.sign(&claims("alice", exp), None);
    assert_eq!(v.validate(&token).await.unwrap().subject(), "alice");
    assert_eq!(v.validate(&token).await.unwrap().subject(), "alice");
    assert_eq!(v.cached_tokens(), 1, "the token is remembered");
    // Wait until the clock (in whole seconds, as `exp` is read) is past `exp`.
    while now() <= exp {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        matches!(v.validate(&token).await, Err(TokenError::Expired)),
        "the cache must not outlive the token"
    );
}

#[tokio::test]
async fn a_cached_token_lives_as_long_as_the_leeway_allows_and_no_longer() {
    let (_dir, jwks, key) = one_key();
    let v = validator(&jwks, Duration::from_secs(1), 100);
    let exp = now();
    let token = key.sign(&claims("alice", exp), None);
    assert!(
        v.validate(&token).await.is_ok(),
        "expired within the leeway"
    );
    while now() <= exp + 1 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(matches!(v.validate(&token).await, Err(TokenError::Expired)));
}

#[tokio::test]
async fn tokens_are_verified_again_after_the_keys_change() {
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("jwks.json");
    let old = Key::generate("old");
    write_jwks(&jwks, &[&old]);
    let v = validator(&jwks, Duration::ZERO, 100);
    let token = old.sign(&claims("alice", now() + 3600), None);
    assert!(v.validate(&token).await.is_ok());
    assert!(v.validate(&token).await.is_ok());
    assert_eq!(v.cached_tokens(), 1);

    // The issuer rotates: the old key is withdrawn, a new one published. A token naming the
    // new key makes the validator fetch the set again.
    let new = Key::generate("new");
    write_jwks(&jwks, &[&new]);
    let fresh = new.sign(&claims("bob", now() + 3600), None);
    assert_eq!(v.validate(&fresh).await.unwrap().subject(), "bob");
    assert_eq!(v.cached_tokens(), 1, "the old token was forgotten");
    assert!(
        matches!(v.validate(&token).await, Err(TokenError::UnknownKey)),
        "a token signed with a withdrawn key is refused although it was cached"
    );
}

#[tokio::test]
async fn stale_keys_are_fetched_again_before_a_cached_token_is_trusted() {
    let (_dir, jwks, key) = one_key();
    let mut settings = TokenValidation::new(ISSUER, AUDIENCE);
    settings.jwks_uri = Some(jwks.display().to_string());
    settings.algorithms = vec!["ES256".into()];
    let v = TokenValidator::with_options(
        settings,
        JwksSettings {
            max_age: Duration::from_millis(200),
            min_refresh_interval: Duration::ZERO,
            ..JwksSettings::default()
        },
        TokenCacheSettings::default(),
    )
    .unwrap();
    let token = key.sign(&claims("alice", now() + 3600), None);
    assert!(v.validate(&token).await.is_ok());
    // The issuer withdraws the key; once the cached key set is older than `max_age`, the
    // next presentation fetches it again and the token is refused.
    write_jwks(&jwks, &[&Key::generate("k2")]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(matches!(
        v.validate(&token).await,
        Err(TokenError::UnknownKey)
    ));
    assert_eq!(v.cached_tokens(), 0);
}

#[tokio::test]
async fn the_cache_stays_within_its_bound_and_can_be_emptied() {
    let (_dir, jwks, key) = one_key();
    let v = validator(&jwks, Duration::ZERO, 8);
    for i in 0..60 {
        let mut c = claims(&format!("user-{i}"), now() + 3600);
        c["jti"] = json!(i);
        assert!(v.validate(&key.sign(&c, None)).await.is_ok());
        assert!(v.cached_tokens() <= 8, "{} > 8", v.cached_tokens());
    }
    assert!(v.cached_tokens() > 0);
    v.clear_cache();
    assert_eq!(v.cached_tokens(), 0);
    let off = validator(&jwks, Duration::ZERO, 0);
    assert!(
        off.validate(&key.sign(&claims("a", now() + 60), None))
            .await
            .is_ok()
    );
    assert_eq!(
        off.cached_tokens(),
        0,
        "max_entries = 0 turns the cache off"
    );
}

#[tokio::test]
async fn refused_tokens_are_not_remembered() {
    let (_dir, jwks, key) = one_key();
    let v = validator(&jwks, Duration::ZERO, 100);
    let mut wrong = claims("alice", now() + 3600);
    wrong["aud"] = json!("https://other.example.com");
    let token = key.sign(&wrong, None);
    for _ in 0..3 {
        assert!(v.validate(&token).await.is_err());
    }
    assert_eq!(v.cached_tokens(), 0);
}

#[tokio::test]
async fn a_policy_reload_empties_the_cache_and_a_failed_one_does_not() {
    let (dir, jwks, key) = one_key();
    let policy = dir.path().join("policy.toml");
    let env = format!(
        "[env.prod]\ntransport = \"http\"\nbind = \"127.0.0.1:8080\"\nresource = \"{AUDIENCE}\"\n"
    );
    std::fs::write(&policy, &env).unwrap();
    let handle = PolicyHandle::load(&policy, "prod", Arc::new(Catalog::default())).unwrap();
    let v = validator(&jwks, Duration::ZERO, 100).with_cache_epoch(handle.cache_epoch());
    let alice = key.sign(&claims("alice", now() + 3600), None);
    let bob = key.sign(&claims("bob", now() + 3600), None);
    assert!(v.validate(&alice).await.is_ok());
    assert!(v.validate(&bob).await.is_ok());
    assert_eq!(v.cached_tokens(), 2);

    std::fs::write(&policy, format!("{env}bogus = 1\n")).unwrap();
    assert!(handle.reload().is_err());
    assert!(v.validate(&bob).await.is_ok());
    assert_eq!(v.cached_tokens(), 2, "a refused reload changes nothing");

    std::fs::write(&policy, format!("{env}\n# touched\n")).unwrap();
    assert_eq!(handle.reload().unwrap(), 1);
    assert_eq!(v.validate(&bob).await.unwrap().subject(), "bob");
    assert_eq!(
        v.cached_tokens(),
        1,
        "only the token validated after the reload is remembered"
    );
}
