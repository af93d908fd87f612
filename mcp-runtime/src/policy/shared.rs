//! Rate limits held in the shared store: the [`PolicyAuthorizer`] path of an environment with
//! `store = "redis://…"`. The decision is the engine's, as in memory; only the counting of an
//! allowed call against its limit goes to the store, so a "5/minute" limit allows 5 calls per
//! minute across every replica and keeps counting through policy reloads. A store that cannot
//! be reached refuses limited calls (fail closed) and leaves every other call alone.

use super::audit::Verdict;
use super::authorizer::{PolicyAuthorizer, rule_of};
use crate::authz::{CallInput, Refusal, Target};
use crate::context::Caller;
use crate::store::SharedStore;
use std::time::Duration;

/// How long a client is asked to wait when the store is unavailable.
const STORE_RETRY_AFTER: Duration = Duration::from_secs(1);

impl PolicyAuthorizer {
    /// [`crate::authz::Authorizer::authorize`], counting rate limits in `store`.
    pub(super) async fn authorize_in(
        &self,
        store: &SharedStore,
        caller: &Caller,
        target: Target<'_>,
        input: CallInput<'_>,
    ) -> Result<(), Refusal> {
        let started = self.decision_log_started();
        let engine = self.handle().snapshot();
        let mut adhoc = None;
        let item = rule_of(&engine, &target, &mut adhoc);
        let (decision, rule) =
            self.decide_before_limit(&engine, item, caller, &target, &input, started)?;
        let what = (target.kind, target.name);
        let limit = rule.rate_limit();
        let counted = match limit {
            None => Ok(Ok(())),
            Some((limit, _)) => {
                let item_key = format!(
                    "{}\0{}\0{}",
                    engine.env(),
                    target.kind.as_str(),
                    target.name
                );
                let caller_key = format!(
                    "{}\0{}",
                    caller.subject(),
                    caller.client_id().unwrap_or_default()
                );
                store
                    .admit(&item_key, &caller_key, limit.calls.get(), limit.per)
                    .await
            }
        };
        let limit_rule = limit.map_or("", |(_, rule)| rule);
        let (kind, name) = (target.kind, target.name.to_owned());
        match counted {
            Ok(Ok(())) => {
                let rule = engine.rule(&decision);
                self.record(
                    &engine,
                    &decision,
                    what,
                    &input,
                    Verdict::Allow,
                    rule,
                    "allowed",
                    started,
                );
                Ok(())
            }
            Ok(Err(retry_after)) => {
                let reason = "rate limit exceeded";
                self.record(
                    &engine,
                    &decision,
                    what,
                    &input,
                    Verdict::RateLimited,
                    limit_rule,
                    reason,
                    started,
                );
                Err(Refusal::RateLimited {
                    kind,
                    name,
                    retry_after,
                })
            }
            Err(error) => {
                tracing::warn!(store = store.location(), %error, "refusing a rate-limited call: the shared store is unavailable");
                let reason = "the shared store holding the rate limit is unavailable (fail closed)";
                self.record(
                    &engine,
                    &decision,
                    what,
                    &input,
                    Verdict::RateLimited,
                    limit_rule,
                    reason,
                    started,
                );
                Err(Refusal::Unavailable {
                    kind,
                    name,
                    retry_after: STORE_RETRY_AFTER,
                })
            }
        }
    }
}
