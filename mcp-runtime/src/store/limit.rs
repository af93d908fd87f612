//! Rate limits held in the store: the generic cell rate algorithm (the one the in-memory
//! limiter uses), run as one Lua script so concurrent replicas never over-admit.
//!
//! A limit of `burst` calls per `period` admits `burst` calls at once and then one more every
//! `period / burst`. The store keeps one number per caller and item, the theoretical arrival
//! time of the next call, and the script reads the clock of the store itself (`TIME`), so the
//! replicas' clocks do not matter.

use super::{SharedStore, StoreError};
use redis::Script;
use std::sync::LazyLock;
use std::time::Duration;

/// KEYS[1]: the counter. ARGV[1]: microseconds between two calls (`period / burst`).
/// ARGV[2]: the burst. Returns 0 when admitted, otherwise the microseconds to wait.
static GCRA: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + interval
local allow_at = next_tat - interval * burst
if allow_at > now then
  return allow_at - now
end
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil((next_tat - now) / 1000))
return 0
",
    )
});

impl SharedStore {
    /// Counts one call of `caller` on `item` against a limit of `burst` calls per `period`.
    /// `Ok(Ok(()))` admits it; `Ok(Err(wait))` refuses it until `wait` has passed.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`]: the caller must fail closed.
    pub async fn admit(
        &self,
        item: &str,
        caller: &str,
        burst: u32,
        period: Duration,
    ) -> Result<Result<(), Duration>, StoreError> {
        let key = self.key("rl", &[item, caller]);
        let burst = u64::from(burst.max(1));
        let interval = (u64::try_from(period.as_micros()).unwrap_or(u64::MAX) / burst).max(1);
        let wait: u64 = self
            .run(|mut c| async move {
                GCRA.key(key)
                    .arg(interval)
                    .arg(burst)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(match wait {
            0 => Ok(()),
            us => Err(Duration::from_micros(us)),
        })
    }
}
