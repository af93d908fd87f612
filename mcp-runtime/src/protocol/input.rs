//! How a `tools/call`, `prompts/get` or `resources/read` asks its client: the legacy channel on the connection,
//! or a 2026-07-28 round (its `inputResponses` and sealed `requestState` checked here) whose
//! unanswered asks become an input-required result.

use super::Object;
use super::era::Era;
use super::server::{RequestScope, Server};
use crate::asking::{Asker, Rounds, StateBinding, StateError, canonical_arguments};
use crate::context::Caller;
use crate::error::McpError;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The channel one call asks through, and what closing a modern round needs.
#[derive(Debug)]
pub(super) struct Asking {
    asker: Option<Asker>,
    round: Option<(Arc<Rounds>, Binding)>,
}

/// What a modern round's `requestState` is bound to. The digest of the arguments is taken
/// only when a state is opened or sealed: most calls never ask their client anything.
#[derive(Debug)]
enum Binding {
    /// Digested (a `requestState` came with the call).
    Ready(StateBinding),
    /// Everything the digest needs, the arguments in canonical form.
    Deferred {
        caller: Arc<Caller>,
        method: String,
        name: String,
        canonical: Vec<u8>,
    },
}

impl Binding {
    fn new(caller: &Arc<Caller>, target: Target<'_>, arguments: &Map<String, Value>) -> Self {
        Self::Deferred {
            caller: caller.clone(),
            method: target.method.to_owned(),
            name: target.name.to_owned(),
            canonical: canonical_arguments(arguments),
        }
    }

    fn resolve(&self) -> StateBinding {
        match self {
            Self::Ready(binding) => binding.clone(),
            Self::Deferred {
                caller,
                method,
                name,
                canonical,
            } => StateBinding::with_canonical_arguments(
                caller.claims().get("iss").and_then(Value::as_str),
                caller.subject(),
                caller.client_id(),
                method,
                name,
                canonical,
            ),
        }
    }
}

/// The method and target one call's `requestState` is bound to.
#[derive(Clone, Copy, Debug)]
pub(super) struct Target<'a> {
    pub(super) method: &'a str,
    pub(super) name: &'a str,
}

impl Asking {
    /// The asker to put in the handler's context.
    pub(super) fn asker(&self) -> Option<Asker> {
        self.asker.clone()
    }
}

impl Server {
    /// Prepares how a call asks its client. In the modern era this reads `inputResponses`
    /// and `requestState` from `params` and checks them: either malformed, or a state that
    /// is tampered, expired or issued for another caller or request, is `-32602`.
    pub(super) fn asking(
        &self,
        era: Era,
        scope: &RequestScope,
        params: &Map<String, Value>,
        capabilities: Option<&Value>,
        target: Target<'_>,
        arguments: &Map<String, Value>,
    ) -> Result<Asking, McpError> {
        let capabilities = capabilities.cloned();
        if era == Era::Legacy {
            let asker = match (&scope.connection, &scope.outbound) {
                (Some(connection), Some(outbound)) => Some(Asker::Legacy {
                    pending: connection.pending().clone(),
                    outbound: outbound.clone(),
                    capabilities,
                    timeout: self.inner.ask_timeout,
                }),
                _ => None,
            };
            return Ok(Asking { asker, round: None });
        }
        let responses = match params.get("inputResponses") {
            None => Map::new(),
            Some(Value::Object(responses)) => responses.clone(),
            Some(_) => {
                return Err(McpError::invalid_params(
                    "`inputResponses` must be an object",
                ));
            }
        };
        if let Some((key, _)) = responses.iter().find(|(_, v)| !v.is_object()) {
            return Err(McpError::InvalidParams {
                message: format!("`inputResponses.{key}` must be a result object"),
                data: Some(json!({ "inputResponse": key })),
            });
        }
        let mut binding = Binding::new(&scope.caller, target, arguments);
        let (mut answers, resumed) = match params.get("requestState") {
            None | Some(Value::Null) => (Map::new(), false),
            Some(Value::String(state)) => {
                let ready = binding.resolve();
                let answers = self
                    .inner
                    .sealer
                    .open(state, &ready)
                    .map_err(refused_state)?;
                binding = Binding::Ready(ready);
                (answers, true)
            }
            Some(_) => return Err(McpError::invalid_params("`requestState` must be a string")),
        };
        // This round's answers win over earlier ones under the same key.
        answers.extend(responses);
        let rounds = Arc::new(Rounds::new(answers, resumed));
        Ok(Asking {
            asker: Some(Asker::Modern {
                rounds: rounds.clone(),
                capabilities,
            }),
            round: Some((rounds, binding)),
        })
    }

    /// After the handler returned: the input-required result, if it asked for input that
    /// this round did not carry. Its `requestState` seals the answers used so far.
    pub(super) fn input_required(&self, asking: &Asking) -> Option<Object> {
        let (rounds, binding) = asking.round.as_ref()?;
        let requests = rounds.input_requests()?;
        let state = self
            .inner
            .sealer
            .seal(&binding.resolve(), &rounds.used_answers());
        let mut result = Object::new();
        result.insert("resultType".into(), json!("input_required"));
        result.insert("inputRequests".into(), Value::Object(requests));
        result.insert("requestState".into(), Value::String(state));
        Some(result)
    }
}

/// A refused `requestState`: `-32602`, with the reason for programs.
fn refused_state(error: StateError) -> McpError {
    let reason = match error {
        StateError::Malformed => "malformed",
        StateError::Tampered => "tampered",
        StateError::Foreign(_) => "foreign",
        StateError::Expired => "expired",
    };
    McpError::InvalidParams {
        message: format!("Invalid requestState: {error}"),
        data: Some(json!({ "requestState": reason })),
    }
}
