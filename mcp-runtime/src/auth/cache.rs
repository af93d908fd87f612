//! The cache of validated access tokens: a token seen again is not verified again until it
//! expires or the issuer's keys change.
//!
//! - Entries are keyed by the SHA-256 digest of the token: the token itself is never stored
//!   (nor logged), so a memory dump of the cache yields no usable credential.
//! - An entry ends at the token's `exp` plus the validator's clock leeway, exactly when a full
//!   validation would start refusing it, never later.
//! - Each entry records the generation of the key set it was verified with; when a JWKS
//!   refresh brings different keys (rotation, revocation), the generation moves on and every
//!   entry is dropped.
//! - Each entry also records the [`CacheEpoch`] in force when its validation began; advancing
//!   the epoch (done by every successful policy reload, see
//!   [`PolicyHandle::cache_epoch`](crate::policy::PolicyHandle::cache_epoch)) drops every entry,
//!   and a validation that began before the advance is not remembered.
//! - The number of entries is bounded ([`TokenCacheSettings::max_entries`]). The cache is
//!   split in shards, each a `RwLock<HashMap>`, so concurrent requests rarely wait on each
//!   other; a full shard first drops its expired entries (at most once a second), then an
//!   arbitrary entry.
//! - Refusals are never cached: a refused token is checked in full every time.

use crate::context::Caller;
use foldhash::HashMap;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Settings of the validated-token cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenCacheSettings {
    /// The most tokens remembered at once (default 10 000; `0` turns the cache off). Each
    /// entry holds the caller's claims, typically well under 1 KiB.
    pub max_entries: usize,
}

impl Default for TokenCacheSettings {
    fn default() -> Self {
        Self {
            max_entries: 10_000,
        }
    }
}

/// A counter whose advance empties the token caches that watch it: what a change of anything
/// a past validation depended on (a policy reload) signals. Clones share one counter.
///
/// ```
/// use mcp_runtime::auth::cache::CacheEpoch;
///
/// let epoch = CacheEpoch::default();
/// let watched = epoch.clone();
/// assert_eq!(watched.current(), 0);
/// epoch.advance();
/// assert_eq!(watched.current(), 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct CacheEpoch(Arc<AtomicU64>);

impl CacheEpoch {
    /// The epoch now.
    pub fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Moves to the next epoch: every cache watching this counter forgets its tokens, and
    /// a validation that began before is not remembered.
    pub fn advance(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

/// What a cached validation depended on: the key-set generation that verified the token and
/// the [`CacheEpoch`] when its validation began. An entry is used only under the same stamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    /// The key-set generation.
    pub(crate) keys: u64,
    /// The cache epoch.
    pub(crate) epoch: u64,
}

/// The SHA-256 digest of a token: the only form in which the cache holds it.
pub type TokenDigest = [u8; 32];

/// The cache key of `token`.
pub fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

struct Entry {
    caller: Arc<Caller>,
    /// Unix seconds after which the entry is no longer used (`exp` + leeway).
    until: u64,
    stamp: Stamp,
}

#[derive(Default)]
struct Shard {
    /// Hashed with foldhash: the keys are SHA-256 digests of tokens an issuer signed (only
    /// validated tokens are stored), so nobody can choose keys that collide, and a keyed
    /// cryptographic hash (std's SipHash) would cost more than the rest of a lookup.
    map: HashMap<TokenDigest, Entry>,
    last_sweep: u64,
}

/// A bounded, sharded map from token digests to validated callers.
pub(crate) struct TokenCache {
    shards: Box<[RwLock<Shard>]>,
    per_shard: usize,
    /// The newest key-set generation seen; entries of older generations are dropped.
    generation: AtomicU64,
    /// The newest cache epoch seen; entries of older epochs are dropped.
    epoch: AtomicU64,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("max_entries", &self.capacity())
            .field("len", &self.len())
            .finish()
    }
}

const MAX_SHARDS: usize = 16;

impl TokenCache {
    /// A cache holding at most `settings.max_entries` tokens.
    pub(crate) fn new(settings: TokenCacheSettings) -> Self {
        let n = settings.max_entries.clamp(1, MAX_SHARDS);
        Self {
            shards: (0..n).map(|_| RwLock::default()).collect(),
            per_shard: settings.max_entries / n,
            generation: AtomicU64::new(0),
            epoch: AtomicU64::new(0),
        }
    }

    /// The most tokens the cache holds at once (`0`: off).
    pub(crate) fn capacity(&self) -> usize {
        self.per_shard * self.shards.len()
    }

    /// Whether the cache can hold anything at all.
    pub(crate) fn enabled(&self) -> bool {
        self.per_shard > 0
    }

    /// The shard holding `key`. The digest is uniformly distributed: its first byte picks it.
    fn shard_of(&self, key: &TokenDigest) -> &RwLock<Shard> {
        &self.shards[usize::from(key[0]) % self.shards.len()]
    }

    /// Reads `key`'s shard: many lookups at once, none waiting on another (a hit never
    /// writes).
    fn read(&self, key: &TokenDigest) -> RwLockReadGuard<'_, Shard> {
        self.shard_of(key).read().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes `key`'s shard.
    fn write(&self, key: &TokenDigest) -> RwLockWriteGuard<'_, Shard> {
        self.shard_of(key)
            .write()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Notes the key-set generation and epoch in force; a newer one of either empties the
    /// cache. Returns whether both are the newest seen.
    pub(crate) fn observe(&self, stamp: Stamp) -> bool {
        let keys = self.catch_up(&self.generation, stamp.keys);
        let epoch = self.catch_up(&self.epoch, stamp.epoch);
        keys && epoch
    }

    /// Moves `seen` forward to `value`, emptying the cache when it does. Returns whether
    /// `value` is the newest seen.
    fn catch_up(&self, seen: &AtomicU64, value: u64) -> bool {
        let newest = seen.load(Ordering::Acquire);
        if value == newest {
            return true;
        }
        if value < newest {
            return false;
        }
        if seen
            .compare_exchange(newest, value, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.clear();
        }
        seen.load(Ordering::Acquire) == value
    }

    /// The caller of a token validated under `stamp`, if it is cached and has not expired at
    /// `now` (Unix seconds).
    pub(crate) fn get(&self, key: &TokenDigest, now: u64, stamp: Stamp) -> Option<Arc<Caller>> {
        if !self.enabled() || !self.observe(stamp) {
            return None;
        }
        {
            let shard = self.read(key);
            let entry = shard.map.get(key)?;
            if entry.stamp == stamp && now <= entry.until {
                return Some(entry.caller.clone());
            }
        }
        // Expired or validated under older keys: dropped, unless replaced meanwhile.
        let mut shard = self.write(key);
        if shard
            .map
            .get(key)
            .is_some_and(|e| e.stamp != stamp || now > e.until)
        {
            shard.map.remove(key);
        }
        None
    }

    /// Remembers a token validated under `stamp`, usable until `until` (Unix seconds).
    /// Ignored when the keys or the epoch have moved on since.
    pub(crate) fn insert(
        &self,
        key: TokenDigest,
        caller: Arc<Caller>,
        until: u64,
        now: u64,
        stamp: Stamp,
    ) {
        if !self.enabled() || now > until || !self.observe(stamp) {
            return;
        }
        let mut shard = self.write(&key);
        if shard.map.len() >= self.per_shard && !shard.map.contains_key(&key) {
            if shard.last_sweep < now {
                shard.last_sweep = now;
                shard.map.retain(|_, e| now <= e.until);
            }
            if shard.map.len() >= self.per_shard
                && let Some(victim) = shard.map.keys().next().copied()
            {
                shard.map.remove(&victim);
            }
        }
        shard.map.insert(
            key,
            Entry {
                caller,
                until,
                stamp,
            },
        );
    }

    /// Forgets every token.
    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            shard.write().unwrap_or_else(|e| e.into_inner()).map.clear();
        }
    }

    /// How many tokens are remembered.
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().unwrap_or_else(|e| e.into_inner()).map.len())
            .sum()
    }

    #[cfg(test)]
    fn keys(&self) -> Vec<TokenDigest> {
        self.shards
            .iter()
            .flat_map(|s| {
                let s = s.read().unwrap();
                s.map.keys().copied().collect::<Vec<_>>()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(sub: &str) -> Arc<Caller> {
        Arc::new(Caller::from_token(sub, None, ["a"], serde_json::Map::new()))
    }

    /// Key-set generation `n`, first epoch.
    fn stamp(n: u64) -> Stamp {
        Stamp { keys: n, epoch: 0 }
    }

    fn cache(max: usize) -> TokenCache {
        TokenCache::new(TokenCacheSettings { max_entries: max })
    }

    #[test]
    fn the_key_is_the_sha256_digest_not_the_token() {
        // FIPS 180-2 test vector.
        assert_eq!(
            digest("abc")[..4],
            [0xba, 0x78, 0x16, 0xbf],
            "SHA-256 of `abc`"
        );
        let token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU";
        let c = cache(10);
        c.insert(digest(token), caller("alice"), 100, 10, stamp(1));
        let keys = c.keys();
        assert_eq!(keys, [digest(token)]);
        for key in &keys {
            assert!(
                !key.windows(8)
                    .any(|w| token.as_bytes().windows(8).any(|t| t == w)),
                "no run of the token's bytes appears in the key"
            );
        }
        assert!(c.get(&digest(token), 10, stamp(1)).is_some());
        assert!(c.get(&digest("another"), 10, stamp(1)).is_none());
    }

    #[test]
    fn entries_end_at_their_deadline() {
        let c = cache(10);
        let key = digest("t");
        c.insert(key, caller("alice"), 100, 50, stamp(1));
        assert!(c.get(&key, 100, stamp(1)).is_some(), "up to the deadline");
        assert!(c.get(&key, 101, stamp(1)).is_none(), "not a second past it");
        assert_eq!(c.len(), 0, "expired entries are dropped when met");
        c.insert(key, caller("alice"), 100, 101, stamp(1));
        assert_eq!(c.len(), 0, "an already expired token is not remembered");
    }

    #[test]
    fn a_new_key_generation_empties_the_cache() {
        let c = cache(10);
        c.insert(digest("t1"), caller("a"), 100, 0, stamp(1));
        c.insert(digest("t2"), caller("b"), 100, 0, stamp(1));
        assert_eq!(c.len(), 2);
        assert!(c.get(&digest("t1"), 0, stamp(2)).is_none());
        assert_eq!(c.len(), 0, "generation 2 dropped everything");
        c.insert(digest("t1"), caller("a"), 100, 0, stamp(1));
        assert_eq!(
            c.len(),
            0,
            "a validation against old keys is not remembered"
        );
        assert!(c.get(&digest("t1"), 0, stamp(1)).is_none());
    }

    #[test]
    fn a_new_epoch_empties_the_cache_and_refuses_older_validations() {
        let c = cache(10);
        let epoch = CacheEpoch::default();
        let at = |epoch: &CacheEpoch| Stamp {
            keys: 1,
            epoch: epoch.current(),
        };
        let before = at(&epoch);
        c.insert(digest("t1"), caller("a"), 100, 0, before);
        assert!(c.get(&digest("t1"), 0, at(&epoch)).is_some());
        epoch.advance();
        assert!(
            c.get(&digest("t1"), 0, at(&epoch)).is_none(),
            "not used after the epoch moved"
        );
        assert_eq!(c.len(), 0, "the new epoch dropped everything");
        c.insert(digest("t2"), caller("b"), 100, 0, before);
        assert_eq!(
            c.len(),
            0,
            "a validation begun before the advance is not kept"
        );
        c.insert(digest("t2"), caller("b"), 100, 0, at(&epoch));
        assert!(c.get(&digest("t2"), 0, at(&epoch)).is_some());
    }

    #[test]
    fn the_cache_never_holds_more_than_its_bound() {
        for max in [0, 1, 5, 16, 100] {
            let c = cache(max);
            for i in 0..1000 {
                c.insert(digest(&format!("token-{i}")), caller("a"), 100, 0, stamp(1));
                assert!(c.len() <= max, "{} > {max}", c.len());
            }
            if max >= MAX_SHARDS {
                assert!(
                    c.len() >= max / 2,
                    "the cache is used: {} of {max}",
                    c.len()
                );
            }
        }
    }

    #[test]
    fn a_full_shard_drops_expired_entries_first() {
        let c = cache(1);
        c.insert(digest("old"), caller("a"), 5, 0, stamp(1));
        c.insert(digest("new"), caller("b"), 100, 10, stamp(1));
        assert_eq!(c.len(), 1);
        assert!(c.get(&digest("new"), 10, stamp(1)).is_some());
    }

    #[test]
    fn clear_forgets_everything() {
        let c = cache(1000);
        for i in 0..50 {
            c.insert(digest(&format!("t{i}")), caller("a"), 100, 0, stamp(1));
        }
        assert_eq!(c.len(), 50);
        c.clear();
        assert_eq!(c.len(), 0);
    }
}
