//! The audit stream: one structured `tracing` event per authorization decision, on the
//! target [`TARGET`] (`mcp::audit`), so it can be routed and kept apart from other logs
//! (e.g. `RUST_LOG=warn,mcp::audit=info`).
//!
//! Every decision, on a tool, a prompt, a resource or a resource template, has the same
//! fields: `env`, `policy_revision`, `subject`, `client_id`, `origin`, `kind` (`tool`,
//! `prompt` or `resource`), `name` (the tool or prompt name, the resource URI or URI
//! template), `decision` (`allow`, `deny` or `rate_limited`), `rule` (the policy rule that
//! decided), `missing` (missing scopes, space-separated) and `reason`; decisions on tools also
//! carry `method` (`tools/call`) and `tool` (the tool's name). For `tools/list`: `visible` and
//! `hidden` counts instead. Events never carry a token, a secret or arguments: a [`Caller`]
//! holds only validated claims.

use super::engine::{Decision, Engine};
use crate::authz::{Denial, Primitive};
use crate::context::{Caller, CallerOrigin};
use std::fmt;

/// The `tracing` target of audit events.
pub(crate) const TARGET: &str = "mcp::audit";

/// The outcome recorded in an audit event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The call may proceed.
    Allow,
    /// The policy refused the call.
    Deny,
    /// The call exceeded a rate limit.
    RateLimited,
}

impl Verdict {
    /// The value of the `decision` field.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
            Self::RateLimited => "rate_limited",
        }
    }
}

/// The missing scopes of a decision, space-separated, written without allocating.
struct Missing<'a>(&'a Engine, &'a Decision<'a>);

impl fmt::Display for Missing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, name) in self.0.missing_names(self.1).enumerate() {
            if n > 0 {
                f.write_str(" ")?;
            }
            f.write_str(name)?;
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

/// Records one decision on the item `kind`/`name` (`tools/call`, `prompts/get`,
/// `resources/read`, completion). `decision` gives the missing scopes of a denial.
pub(crate) fn decision(
    engine: &Engine,
    decision: &Decision<'_>,
    (kind, name): (Primitive, &str),
    verdict: Verdict,
    rule: &str,
    reason: &str,
) {
    crate::metrics::global().decision(kind.as_str(), rule, verdict.as_str());
    let tool = (kind == Primitive::Tool).then_some(name);
    tracing::info!(
        target: TARGET,
        env = engine.env(),
        policy_revision = engine.revision(),
        subject = decision.caller.subject(),
        client_id = decision.caller.client_id().unwrap_or("-"),
        origin = origin(decision.caller),
        method = tool.map(|_| "tools/call"),
        kind = kind.as_str(),
        tool,
        name,
        decision = verdict.as_str(),
        rule,
        missing = %Missing(engine, decision),
        reason,
        "authorization decision"
    );
}

/// Records one `tools/list` decision (which tools the caller was shown).
pub(crate) fn list(engine: &Engine, caller: &Caller, visible: usize, hidden: usize) {
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

/// Records a denial that a rule in shadow mode would have made (`decision = "would_deny"`,
/// `shadow = true`) on a call that goes ahead; `condition` names the CEL condition, if one
/// decided.
pub(crate) fn would_deny(
    engine: &Engine,
    decision: &Decision<'_>,
    (kind, name): (Primitive, &str),
    denial: &Denial,
) {
    let tool = (kind == Primitive::Tool).then_some(name);
    tracing::info!(
        target: TARGET,
        env = engine.env(),
        policy_revision = engine.revision(),
        subject = decision.caller.subject(),
        client_id = decision.caller.client_id().unwrap_or("-"),
        origin = origin(decision.caller),
        method = tool.map(|_| "tools/call"),
        kind = kind.as_str(),
        tool,
        name,
        decision = "would_deny",
        shadow = true,
        rule = denial.rule.as_str(),
        missing = %Missing(engine, decision),
        condition = denial.condition.as_deref(),
        reason = denial.reason.as_str(),
        "authorization decision (shadow)"
    );
}
