//! The approval step: when the policy says `approval = "required"` for a tool, the runtime
//! itself asks the user, through the client's elicitation, before the handler runs. The
//! handler cannot skip it and the model cannot answer it.
//!
//! - **Handshake era**: one `elicitation/create` request on the connection (stdout, or the
//!   call's SSE stream), awaited like a handler's own question.
//! - **2026-07-28**: the first call ends with an input-required result asking under the key
//!   [`KEY`]; its sealed `requestState` is bound to this caller, tool and digest of the
//!   arguments, expires, and carries a one-time nonce. Only an answer that comes back with
//!   that state counts (an answer the server did not ask for is ignored and the question is
//!   asked); the nonce is spent when the answer is taken, so the same state cannot approve a
//!   second call. When the handler then asks questions of its own, the state of the next
//!   round carries the approval under a fresh nonce, spent in the same way.
//! - A client that did not declare `elicitation` is refused
//!   ([`McpError::ApprovalUnavailable`]): fail closed.
//!
//! Every outcome (approved, declined, cancelled, unavailable) is one audit event. A call the
//! user did not approve ends with a tool result carrying `isError`, saying nothing was done.

use super::Object;
use super::era::Era;
use super::input::Asking;
use super::server::{RequestScope, Server};
use crate::asking::{self, AskError, Elicitation, Elicited};
use crate::context::Caller;
use crate::error::McpError;
use crate::policy::{ApprovalOutcome, audit_approval};
use crate::registry::Tool;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The `inputRequests` key of the approval question (2026-07-28). Reserved: the handler
/// never sees an answer under it.
pub(crate) const KEY: &str = "io.mcp-runtime/approval";

/// The approval form: one box to tick.
#[derive(Deserialize, JsonSchema)]
struct Approve {
    /// Tick to let this call run; leave unticked or decline to stop it.
    approve: bool,
}

/// What a modern round brought for the approval step: the marker of the verified
/// `requestState` and the client's answer, both taken out of the handler's answers.
#[derive(Debug, Default)]
pub(crate) struct Input {
    sealed: Option<Value>,
    response: Option<Value>,
    /// The marker to seal into the next round's state once this call is approved.
    grant: Option<Value>,
}

impl Input {
    /// Takes the approval's entries out of a round's opened state and `inputResponses`.
    pub(super) fn take(state: &mut Map<String, Value>, responses: &mut Map<String, Value>) -> Self {
        Self {
            sealed: state.remove(KEY),
            response: responses.remove(KEY),
            grant: None,
        }
    }

    /// Adds the approval (if this call was approved) to the answers the next state seals.
    pub(super) fn carry(&self, answers: &mut Map<String, Value>) {
        if let Some(grant) = &self.grant {
            answers.insert(KEY.to_owned(), grant.clone());
        }
    }

    fn sealed(&self, field: &str) -> Option<String> {
        let nonce = self.sealed.as_ref()?.get(field)?.as_str()?;
        Some(nonce.to_owned())
    }
}

/// The nonces of approval states already used (2026-07-28), each kept until the states that
/// carry it have expired. One process's memory: replicas behind a load balancer that do not
/// share it would each accept a state once.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    spent: Mutex<HashMap<String, u64>>,
}

/// Entries beyond which expired nonces are swept on the next spend.
const SWEEP_AT: usize = 1024;

impl Ledger {
    /// A fresh nonce.
    fn issue() -> String {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the operating system provides randomness");
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Spends `nonce`, kept for `ttl`; `false` when it was spent before.
    fn spend(&self, nonce: &str, ttl: Duration) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        if spent.len() >= SWEEP_AT {
            spent.retain(|_, until| *until > now);
        }
        if spent.contains_key(nonce) {
            return false;
        }
        spent.insert(nonce.to_owned(), now + ttl.as_secs() + 1);
        true
    }
}

/// What the approval step decided.
#[derive(Debug)]
pub(super) enum Gate {
    /// The user approved this call: the handler runs.
    Approved,
    /// The call ends here with this result: the question (2026-07-28), or the user's refusal.
    Answer(Object),
}

/// The question put to the user: the tool and its arguments (as the handler will get them).
fn question(tool: &str, arguments: &Map<String, Value>) -> Elicitation {
    let mut shown = Value::Object(arguments.clone()).to_string();
    if shown.len() > 1000 {
        let cut = (0..=1000).rev().find(|&i| shown.is_char_boundary(i));
        shown.truncate(cut.unwrap_or(0));
        shown.push('…');
    }
    Elicitation::for_type::<Approve>(format!(
        "Approve this call? The assistant wants to run `{tool}` with {shown}"
    ))
}

fn refusal(text: String) -> Object {
    let mut result = Object::new();
    result.insert("content".into(), json!([{ "type": "text", "text": text }]));
    result.insert("isError".into(), Value::Bool(true));
    result
}

/// A state whose approval was already used.
fn replayed() -> McpError {
    McpError::InvalidParams {
        message: "Invalid requestState: this approval was already used (an approval is \
                  single-use)"
            .to_owned(),
        data: Some(json!({ "requestState": "replayed" })),
    }
}

/// Turns the user's answer into the gate's decision, auditing it.
fn settle(
    caller: &Caller,
    tool: &str,
    rule: &str,
    answer: Result<Elicited<Approve>, AskError>,
) -> Gate {
    let (outcome, reason) = match &answer {
        Ok(Elicited::Accept(Approve { approve: true })) => {
            audit_approval(
                caller,
                tool,
                rule,
                ApprovalOutcome::Approved,
                "the user approved",
            );
            return Gate::Approved;
        }
        Ok(Elicited::Accept(Approve { approve: false })) => (
            ApprovalOutcome::Declined,
            "the user submitted the form without approving".to_owned(),
        ),
        Ok(Elicited::Decline) => (ApprovalOutcome::Declined, "the user declined".to_owned()),
        Ok(Elicited::Cancel) => (
            ApprovalOutcome::Cancelled,
            "the user dismissed the question".to_owned(),
        ),
        Err(e) => (ApprovalOutcome::Unavailable, e.to_string()),
    };
    audit_approval(caller, tool, rule, outcome, &reason);
    Gate::Answer(refusal(format!(
        "The call of `{tool}` was not approved ({reason}); nothing was done."
    )))
}

impl Server {
    /// Runs the approval step of a `tools/call` whose authorization already succeeded,
    /// for a tool the policy's `rule` puts behind an approval.
    ///
    /// # Errors
    /// [`McpError::ApprovalUnavailable`] when the client cannot be asked; `-32602` for a
    /// replayed approval state or a malformed answer.
    pub(super) async fn approval_gate(
        &self,
        rule: String,
        scope: &RequestScope,
        tool: &Tool,
        arguments: &Map<String, Value>,
        asking: &mut Asking,
        era: Era,
    ) -> Result<Gate, McpError> {
        let caller = &scope.caller;
        let name = tool.name();
        let Some(asker) = asking.asker().filter(|a| a.supports(asking::ELICITATION)) else {
            let why = "the client did not declare the elicitation capability";
            audit_approval(caller, name, &rule, ApprovalOutcome::Unavailable, why);
            return Err(McpError::ApprovalUnavailable {
                tool: name.to_owned(),
                rule,
            });
        };
        let question = question(name, arguments);
        if era == Era::Legacy {
            let answer = asker
                .ask(asking::ELICITATION, None, question.params())
                .await
                .and_then(Elicited::from_answer);
            return Ok(settle(caller, name, &rule, answer));
        }
        let ttl = self.inner.sealer.ttl();
        let ledger = &self.inner.approvals;
        let input = &mut asking.approval;
        if let Some(nonce) = input.sealed("granted") {
            // A later round of a call approved earlier.
            if !ledger.spend(&nonce, ttl) {
                audit_approval(
                    caller,
                    name,
                    &rule,
                    ApprovalOutcome::Unavailable,
                    "replayed",
                );
                return Err(replayed());
            }
            input.grant = Some(json!({ "granted": Ledger::issue() }));
            return Ok(Gate::Approved);
        }
        match (input.sealed("asked"), input.response.take()) {
            (Some(nonce), Some(answer)) => {
                let answer = Elicited::<Approve>::from_answer(answer).map_err(|e| {
                    McpError::InvalidParams {
                        message: format!("Invalid `inputResponses.{KEY}`: {e}"),
                        data: Some(json!({ "inputResponse": KEY })),
                    }
                })?;
                if !ledger.spend(&nonce, ttl) {
                    audit_approval(
                        caller,
                        name,
                        &rule,
                        ApprovalOutcome::Unavailable,
                        "replayed",
                    );
                    return Err(replayed());
                }
                let gate = settle(caller, name, &rule, Ok(answer));
                if matches!(gate, Gate::Approved) {
                    input.grant = Some(json!({ "granted": Ledger::issue() }));
                }
                return Ok(gate);
            }
            (None, Some(_)) => {
                tracing::debug!(
                    tool = name,
                    "ignoring an approval answer the server did not ask for"
                );
            }
            _ => {}
        }
        let mut requests = Map::new();
        let request = json!({ "method": "elicitation/create", "params": question.params() });
        requests.insert(KEY.to_owned(), request);
        let mut sealed = Map::new();
        sealed.insert(KEY.to_owned(), json!({ "asked": Ledger::issue() }));
        let result = self.input_required_for(asking, requests, &sealed);
        result
            .map(Gate::Answer)
            .ok_or_else(|| McpError::Internal("no round to ask the approval in".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_spent_once() {
        let ledger = Ledger::default();
        let (a, b) = (Ledger::issue(), Ledger::issue());
        assert_ne!(a, b);
        assert!(ledger.spend(&a, Duration::from_secs(60)));
        assert!(!ledger.spend(&a, Duration::from_secs(60)));
        assert!(ledger.spend(&b, Duration::from_secs(60)));
    }

    #[test]
    fn the_question_names_the_tool_and_its_arguments_and_asks_one_box() {
        let args = json!({"order_id": "TN-1", "reason": "é".repeat(800)});
        let q = question("cancel_order", args.as_object().unwrap());
        assert!(q.message().contains("`cancel_order`"), "{}", q.message());
        assert!(q.message().contains("TN-1") && q.message().ends_with('…'));
        let schema = q.requested_schema();
        assert_eq!(schema["properties"]["approve"]["type"], "boolean");
        assert_eq!(schema["required"], json!(["approve"]));
    }
}
