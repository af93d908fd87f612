//! How a `tools/call`, `prompts/get` or `resources/read` asks its client: the legacy channel on the connection,
//! or a 2026-07-28 round (its `inputResponses` and sealed `requestState` checked here) whose
//! unanswered asks become an input-required result.

use super::Object;
use super::approval;
use super::era::Era;
use super::server::{RequestScope, Server};
use crate::asking::{
    Asker, ELICITATION, ROOTS, Rounds, SAMPLING, StateBinding, StateError, StateUse,
    canonical_arguments, declares,
};
use crate::context::Caller;
use crate::error::McpError;
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};

/// The channel one call asks through, and what closing a modern round needs.
#[derive(Debug)]
pub(super) struct Asking {
    asker: Option<Asker>,
    round: Option<(Arc<Rounds>, Binding)>,
    /// (legacy) the URL elicitations the handler declared required.
    url_required: Option<Arc<Mutex<Vec<Value>>>>,
    /// (2026-07-28) the runtime's own approval step, kept apart from the handler's answers.
    pub(super) approval: approval::Input,
}

/// What a modern round's `requestState` is bound to. The digest of the arguments is taken
/// only when a state is opened or sealed: most calls never ask their client anything.
#[derive(Debug)]
enum Binding {
    /// No state can be sealed in this round: the client declared none of the capabilities
    /// an input request needs (elicitation, sampling, roots), so neither the handler nor
    /// the approval step can ask it anything, and no `requestState` came with the call.
    Unneeded,
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

    /// The binding, or `None` for [`Binding::Unneeded`].
    fn resolve(&self) -> Option<StateBinding> {
        Some(match self {
            Self::Unneeded => return None,
            Self::Ready(binding) => binding.clone(),
            Self::Deferred {
                caller,
                method,
                name,
                canonical,
            } => StateBinding::with_canonical_arguments(
                issuer(caller),
                caller.subject(),
                caller.client_id(),
                method,
                name,
                canonical,
            ),
        })
    }
}

/// The caller's token issuer, part of a state's binding.
fn issuer(caller: &Caller) -> Option<&str> {
    caller.claims().get("iss").and_then(Value::as_str)
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
    ///
    /// A state that checks out is returned with the asking, to be spent with
    /// [`Server::spend_state`] before the call goes on. This part never waits, so the
    /// future of a call holds no state of it.
    pub(super) fn asking(
        &self,
        era: Era,
        scope: &RequestScope,
        params: &Map<String, Value>,
        capabilities: Option<&Arc<Value>>,
        target: Target<'_>,
        arguments: &Map<String, Value>,
    ) -> Result<(Asking, Option<StateUse>), McpError> {
        let capabilities = capabilities.cloned();
        if era == Era::Legacy {
            let url_required = Arc::new(Mutex::new(Vec::new()));
            let asker = match (&scope.connection, &scope.outbound) {
                (Some(connection), Some(outbound)) => Some(Asker::Legacy {
                    pending: connection.pending().clone(),
                    outbound: outbound.clone(),
                    capabilities,
                    timeout: self.inner.ask_timeout,
                    connection: connection.id(),
                    url_required: url_required.clone(),
                }),
                _ => None,
            };
            let asking = Asking {
                asker,
                round: None,
                url_required: Some(url_required),
                approval: approval::Input::default(),
            };
            return Ok((asking, None));
        }
        let mut responses = match params.get("inputResponses") {
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
        let may_ask = [ELICITATION, SAMPLING, ROOTS]
            .iter()
            .any(|kind| declares(capabilities.as_deref(), kind.capability));
        let mut binding = if may_ask {
            Binding::new(&scope.caller, target, arguments)
        } else {
            Binding::Unneeded
        };
        let (mut answers, used) = match params.get("requestState") {
            None | Some(Value::Null) => (Map::new(), None),
            Some(Value::String(state)) => {
                let ready = StateBinding::with_canonical_arguments(
                    issuer(&scope.caller),
                    scope.caller.subject(),
                    scope.caller.client_id(),
                    target.method,
                    target.name,
                    &canonical_arguments(arguments),
                );
                let (answers, used) = self
                    .inner
                    .sealer
                    .open_once(state, &ready)
                    .map_err(refused_state)?;
                binding = Binding::Ready(ready);
                (answers, Some(used))
            }
            Some(_) => return Err(McpError::invalid_params("`requestState` must be a string")),
        };
        // The approval step's marker and answer never reach the handler.
        let approval = approval::Input::take(&mut answers, &mut responses);
        // This round's answers win over earlier ones under the same key.
        answers.extend(responses);
        let rounds = Arc::new(Rounds::new(answers, used.is_some()));
        let asking = Asking {
            asker: Some(Asker::Modern {
                rounds: rounds.clone(),
                capabilities,
            }),
            round: Some((rounds, binding)),
            url_required: None,
            approval,
        };
        Ok((asking, used))
    }

    /// Spends the `requestState` that [`Server::asking`] accepted, if any (see
    /// [`Server::use_state_once`]). Only a round that carries a state waits here; its wait
    /// is boxed, so the call's own future stays small.
    pub(super) async fn spend_state(&self, used: Option<StateUse>) -> Result<(), McpError> {
        match used {
            None => Ok(()),
            Some(used) => Box::pin(self.use_state_once(used)).await,
        }
    }

    /// With a shared store, records that the state `used` was answered, once for every
    /// replica (`SET NX` for the state's remaining lifetime); a second use is refused. A
    /// store that cannot be reached lets the call go on (the state is still bound to its
    /// caller, request and arguments, and expires).
    async fn use_state_once(&self, used: StateUse) -> Result<(), McpError> {
        let Some(store) = &self.inner.store else {
            return Ok(());
        };
        match store.use_once("state", &used.id, used.remaining).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(refused_state(StateError::Replayed)),
            Err(error) => {
                tracing::warn!(%error, "requestState accepted without its single-use record: the shared store is unavailable");
                Ok(())
            }
        }
    }

    /// After the handler returned: the input-required result, if it asked for input that
    /// this round did not carry (its `requestState` seals the answers used so far); or
    /// (legacy) the `-32042` error, if it declared URL elicitations required.
    pub(super) fn input_required(&self, asking: &Asking) -> Result<Option<Object>, McpError> {
        if let Some(required) = &asking.url_required {
            let elicitations =
                std::mem::take(&mut *required.lock().unwrap_or_else(|e| e.into_inner()));
            if !elicitations.is_empty() {
                return Err(McpError::UrlElicitationRequired { elicitations });
            }
        }
        Ok(self.sealed_round(asking))
    }

    fn sealed_round(&self, asking: &Asking) -> Option<Object> {
        let (rounds, _) = asking.round.as_ref()?;
        let requests = rounds.input_requests()?;
        let mut answers = rounds.used_answers();
        asking.approval.carry(&mut answers);
        self.input_required_for(asking, requests, &answers)
    }

    /// An input-required result asking `requests`, with `answers` sealed for this call
    /// (`None` outside a modern round).
    pub(super) fn input_required_for(
        &self,
        asking: &Asking,
        requests: Map<String, Value>,
        answers: &Map<String, Value>,
    ) -> Option<Object> {
        let (_, binding) = asking.round.as_ref()?;
        let Some(binding) = binding.resolve() else {
            tracing::error!(
                "an input request in a round whose client declared no capability to answer it"
            );
            return None;
        };
        let state = self.inner.sealer.seal(&binding, answers);
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
        StateError::Replayed => "replayed",
    };
    McpError::InvalidParams {
        message: format!("Invalid requestState: {error}"),
        data: Some(json!({ "requestState": reason })),
    }
}
