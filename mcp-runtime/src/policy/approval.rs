//! `approval = "required"`: a tool whose every call the user approves in person, through the
//! client's elicitation, before its handler runs.
//!
//! The key sits in `[tools.NAME]` and `[env.E.tools.NAME]` like the other rule keys, and like
//! them it only tightens: once a layer requires approval, no more specific layer can lift it
//! (the only accepted value is `"required"`). Prompts and resources cannot require it. The
//! runtime asks (see `protocol/approval.rs`); this module validates the key, exposes the
//! compiled requirement and writes the audit event of each approval.

use super::audit::TARGET;
use super::engine::CompiledRule;
use super::model::Name;
use crate::authz::Primitive;
use crate::context::{Caller, CallerOrigin};
use std::ops::Range;

/// The one value `approval` accepts.
const REQUIRED: &str = "required";

/// Checks one rule's `approval` key: `Ok(true)` when it requires approval, an error with the
/// value's span otherwise.
pub(super) fn validate(
    kind: Primitive,
    value: Option<&Name>,
) -> Result<bool, (Range<usize>, String, Option<String>)> {
    let Some(value) = value else {
        return Ok(false);
    };
    if kind != Primitive::Tool {
        return Err((
            value.span(),
            format!(
                "`approval` applies to tools only, not to a {}",
                kind.as_str()
            ),
            None,
        ));
    }
    if value.get_ref() == REQUIRED {
        return Ok(true);
    }
    Err((
        value.span(),
        format!(
            "invalid approval `{}`: rules only tighten, so the only value is \"{REQUIRED}\"",
            value.get_ref()
        ),
        Some(format!(
            "write `approval = \"{REQUIRED}\"`, or leave the key out where no approval is needed"
        )),
    ))
}

impl CompiledRule {
    /// The rule that requires the user's approval of every call (e.g.
    /// `env.prod.tools.cancel_order.approval`), if any.
    pub fn approval(&self) -> Option<&str> {
        self.approval.as_deref()
    }
}

/// How an approval ended, as the audit event's `approval` field says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ApprovalOutcome {
    /// The user approved: the handler runs.
    Approved,
    /// The user declined (or accepted the form without approving).
    Declined,
    /// The user dismissed the question without choosing.
    Cancelled,
    /// The client cannot be asked (no `elicitation` capability), did not answer, or answered
    /// with an error: the call is refused.
    Unavailable,
}

impl ApprovalOutcome {
    /// The value of the `approval` field.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Declined => "declined",
            Self::Cancelled => "cancelled",
            Self::Unavailable => "unavailable",
        }
    }
}

/// Records how the approval of one call of `tool` ended (`rule` required it; `reason` says
/// why for people). Never carries the arguments or the answer's content.
pub(crate) fn record(
    caller: &Caller,
    tool: &str,
    rule: &str,
    outcome: ApprovalOutcome,
    reason: &str,
) {
    let origin = match caller.origin() {
        CallerOrigin::Local => "local",
        _ => "token",
    };
    tracing::info!(
        target: TARGET,
        subject = caller.subject(),
        client_id = caller.client_id().unwrap_or("-"),
        origin,
        method = "tools/call",
        kind = "tool",
        tool,
        name = tool,
        approval = outcome.as_str(),
        rule,
        reason,
        "approval"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(text: &str) -> Name {
        #[derive(serde::Deserialize)]
        struct One {
            approval: Name,
        }
        toml::from_str::<One>(&format!("approval = \"{text}\""))
            .unwrap()
            .approval
    }

    #[test]
    fn only_required_on_a_tool_is_accepted() {
        assert_eq!(validate(Primitive::Tool, None), Ok(false));
        assert_eq!(
            validate(Primitive::Tool, Some(&named("required"))),
            Ok(true)
        );
        let (span, why, help) = validate(Primitive::Tool, Some(&named("none"))).unwrap_err();
        assert_eq!(span, 11..17, "the span of the value");
        assert!(why.contains("only value is \"required\""), "{why}");
        assert!(help.unwrap().starts_with("write `approval = \"required\"`"));
        let (_, why, _) = validate(Primitive::Prompt, Some(&named("required"))).unwrap_err();
        assert!(why.contains("tools only"), "{why}");
    }
}
