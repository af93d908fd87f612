//! The audit stream: one structured `tracing` event per authorization decision, on the
//! target [`TARGET`] (`mcp::audit`), so it can be routed and kept apart from other logs
//! (e.g. `RUST_LOG=warn,mcp::audit=info`).
//!
//! Fields: `env`, `policy_revision`, `subject`, `client_id`, `origin`, `method`, `tool`,
//! `decision` (`allow`, `deny` or `rate_limited`), `rule` (the policy rule that decided),
//! `missing` (missing scopes, space-separated) and `reason`. For `tools/list`: `visible` and
//! `hidden` counts instead of a tool. Events never carry a token, a secret or tool arguments:
//! a [`Caller`] holds only validated claims.

use crate::context::{Caller, CallerOrigin};
use crate::policy::engine::{Engine, ScopeSet};
use std::fmt;

/// The `tracing` target of audit events.
pub const TARGET: &str = "mcp::audit";

/// The outcome recorded in an audit event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The call may proceed.
    Allow,
    /// The policy refused the call.
    Deny,
    /// The call exceeded a rate limit.
    RateLimited,
}

impl Verdict {
    /// The value of the `decision` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
            Self::RateLimited => "rate_limited",
        }
    }
}

struct Names<'a>(&'a Engine, ScopeSet);

impl fmt::Display for Names<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, i) in self.1.iter().enumerate() {
            if n > 0 {
                f.write_str(" ")?;
            }
            f.write_str(self.0.scope_name(i))?;
        }
        Ok(())
    }
}

fn origin(caller: &Caller) -> &'static str {
    match caller.origin() {
        CallerOrigin::Local => "local",
        _ => "token",
    }
}

/// Records one `tools/call` decision.
pub fn call(
    engine: &Engine,
    caller: &Caller,
    tool: &str,
    verdict: Verdict,
    rule: &str,
    missing: ScopeSet,
    reason: &str,
) {
    tracing::info!(
        target: TARGET,
        env = engine.env(),
        policy_revision = engine.revision(),
        subject = caller.subject(),
        client_id = caller.client_id().unwrap_or("-"),
        origin = origin(caller),
        method = "tools/call",
        tool,
        decision = verdict.as_str(),
        rule,
        missing = %Names(engine, missing),
        reason,
        "authorization decision"
    );
}

/// Records one decision on a prompt or resource (`prompts/get`, `resources/read`, completion).
#[allow(clippy::too_many_arguments)]
pub fn primitive(
    engine: &Engine,
    caller: &Caller,
    kind: &str,
    name: &str,
    verdict: Verdict,
    rule: &str,
    missing: &str,
    reason: &str,
) {
    tracing::info!(
        target: TARGET,
        env = engine.env(),
        policy_revision = engine.revision(),
        subject = caller.subject(),
        client_id = caller.client_id().unwrap_or("-"),
        origin = origin(caller),
        kind,
        name,
        decision = verdict.as_str(),
        rule,
        missing,
        reason,
        "authorization decision"
    );
}

/// Records one `tools/list` decision (which tools the caller was shown).
pub fn list(engine: &Engine, caller: &Caller, visible: usize, hidden: usize) {
    tracing::info!(
        target: TARGET,
        env = engine.env(),
        policy_revision = engine.revision(),
        subject = caller.subject(),
        client_id = caller.client_id().unwrap_or("-"),
        origin = origin(caller),
        method = "tools/list",
        visible,
        hidden,
        "authorization decision"
    );
}
