//! The shared store: state that every replica of a deployment must see, held in Redis.
//!
//! One process keeps everything in memory (the default). Several replicas behind a load
//! balancer share what cannot be per process through a [`SharedStore`], selected per
//! environment by `store = "redis://host:port/db"` in `policy.toml`:
//!
//! - **rate limits**: one counter per caller and item for the whole deployment, kept across
//!   policy reloads ([`SharedStore::admit`], a generic cell rate algorithm run atomically in
//!   the store, with the same burst and refill as the in-memory limiter);
//! - **legacy sessions**: the record of a handshake-era session (its owner, negotiated
//!   version and client capabilities), so a request naming a session created on another
//!   replica is accepted there ([`SharedStore::put_session`] and friends);
//! - **single-use records** of sealed `requestState` ([`SharedStore::use_once`]), so a state
//!   is answered once across the deployment.
//!
//! Every operation is bounded in time. When the store cannot be reached an operation fails
//! with [`StoreError::Unavailable`]: rate-limited calls then fail closed, everything else goes
//! on, and the connection is re-established by itself once the store is back.
//!
//! ```no_run
//! use mcp_runtime::store::SharedStore;
//! use std::time::Duration;
//!
//! # async fn demo() -> Result<(), mcp_runtime::store::StoreError> {
//! let store = SharedStore::open("redis://127.0.0.1:6379/0")?;
//! // "5/minute": a burst of 5, one more every 12 s.
//! let first = store.admit("tool:cancel_order", "alice", 5, Duration::from_secs(60)).await?;
//! assert!(first.is_ok());
//! # Ok(()) }
//! ```

mod limit;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Client};
use sha2::{Digest, Sha256};
use std::fmt;
use std::future::Future;
use std::time::Duration;
use tokio::sync::OnceCell;

/// The longest any one store operation may take before it counts as a failure.
const OPERATION_TIMEOUT: Duration = Duration::from_millis(800);

/// Why a store operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store URL is not one this runtime can use.
    #[error("store URL is not usable: {0}")]
    Url(String),
    /// The store did not answer (down, unreachable, too slow) or answered with an error.
    #[error("the shared store is unavailable: {0}")]
    Unavailable(String),
}

/// A connection to the shared store (Redis), opened lazily and re-established by itself.
///
/// Cheap to share behind an `Arc`; every replica of a deployment points at the same store.
pub struct SharedStore {
    client: Client,
    /// Where the store is, without any password, for logs.
    shown: String,
    prefix: String,
    manager: OnceCell<ConnectionManager>,
}

impl fmt::Debug for SharedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedStore")
            .field("store", &self.shown)
            .finish_non_exhaustive()
    }
}

impl SharedStore {
    /// A store at `url` (`redis://[user:password@]host:port[/db]` or `redis+unix:///path`).
    /// Nothing is connected yet: the first operation connects.
    ///
    /// # Errors
    /// [`StoreError::Url`] for a URL that is not a Redis URL.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        if !(url.starts_with("redis://") || url.starts_with("redis+unix://")) {
            return Err(StoreError::Url(format!(
                "`{}` must start with `redis://` or `redis+unix://`",
                shown(url)
            )));
        }
        let client = Client::open(url).map_err(|e| StoreError::Url(e.to_string()))?;
        Ok(Self {
            client,
            shown: shown(url),
            prefix: "mcp:".to_owned(),
            manager: OnceCell::new(),
        })
    }

    /// Where the store is (without credentials), for logs.
    pub fn location(&self) -> &str {
        &self.shown
    }

    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        self.manager
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(Duration::from_millis(500)))
                    .set_response_timeout(Some(OPERATION_TIMEOUT))
                    .set_number_of_retries(2)
                    .set_max_delay(Duration::from_millis(500));
                ConnectionManager::new_lazy_with_config(self.client.clone(), config)
                    .map_err(unavailable)
            })
            .await
            .cloned()
    }

    /// Runs one operation with the time bound, mapping every failure to
    /// [`StoreError::Unavailable`].
    async fn run<T, F, Fut>(&self, op: F) -> Result<T, StoreError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let connection = self.connection().await?;
        match tokio::time::timeout(OPERATION_TIMEOUT, op(connection)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(unavailable(e)),
            Err(_) => Err(StoreError::Unavailable(format!(
                "no answer within {} ms",
                OPERATION_TIMEOUT.as_millis()
            ))),
        }
    }

    /// The store key of `parts`, under this runtime's prefix. Free text (names, subjects) is
    /// digested so a key has a bounded length and no separator can be injected.
    fn key(&self, kind: &str, parts: &[&str]) -> String {
        let mut hasher = Sha256::new();
        for p in parts {
            hasher.update((p.len() as u64).to_be_bytes());
            hasher.update(p.as_bytes());
        }
        let digest = hasher.finalize();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}{kind}:{hex}", self.prefix)
    }

    /// Whether the store answers now.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.run(|mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await })
            .await
            .map(drop)
    }

    /// Stores the record of legacy session `id` for `ttl` (replacing any earlier record).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn put_session(
        &self,
        id: &str,
        record: &str,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let key = self.key("session", &[id]);
        let ms = millis(ttl);
        self.run(|mut c| async move { c.pset_ex::<_, _, ()>(key, record, ms).await })
            .await
    }

    /// The record of legacy session `id`, if it is alive.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn session(&self, id: &str) -> Result<Option<String>, StoreError> {
        let key = self.key("session", &[id]);
        self.run(|mut c| async move { c.get::<_, Option<String>>(key).await })
            .await
    }

    /// Keeps legacy session `id` alive for another `ttl`; `false` when it has ended (deleted
    /// or expired), wherever that happened.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn touch_session(&self, id: &str, ttl: Duration) -> Result<bool, StoreError> {
        let key = self.key("session", &[id]);
        let ms = millis(ttl) as i64;
        self.run(|mut c| async move { c.pexpire::<_, bool>(key, ms).await })
            .await
    }

    /// Ends legacy session `id` for every replica.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn remove_session(&self, id: &str) -> Result<(), StoreError> {
        let key = self.key("session", &[id]);
        self.run(|mut c| async move { c.del::<_, ()>(key).await })
            .await
    }

    /// Records that the single-use item `id` (of kind `kind`, e.g. a sealed `requestState`)
    /// has been used, for `ttl` (its remaining lifetime). `true` the first time, `false` for
    /// every later use anywhere in the deployment (`SET NX PX`).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn use_once(&self, kind: &str, id: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let key = self.key(&format!("used:{kind}"), &[&hex]);
        let ms = millis(ttl);
        self.run(|mut c| async move {
            let set: Option<String> = redis::cmd("SET")
                .arg(key)
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(ms)
                .query_async(&mut c)
                .await?;
            Ok(set.is_some())
        })
        .await
    }
}

/// A positive number of milliseconds (Redis refuses zero).
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// `url` without its password.
fn shown(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_passwords_never_shown() {
        assert!(matches!(
            SharedStore::open("memcached://x"),
            Err(StoreError::Url(_))
        ));
        let store = SharedStore::open("redis://user:secret@127.0.0.1:6379/2").unwrap();
        assert_eq!(store.location(), "redis://…@127.0.0.1:6379/2");
        assert!(!format!("{store:?}").contains("secret"));
    }

    #[test]
    fn keys_are_bounded_and_unambiguous() {
        let store = SharedStore::open("redis://127.0.0.1/").unwrap();
        let a = store.key("rl", &["ab", "c"]);
        let b = store.key("rl", &["a", "bc"]);
        assert_ne!(a, b);
        assert!(a.starts_with("mcp:rl:"));
        assert_eq!(a.len(), "mcp:rl:".len() + 32);
    }
}
