//! The prompt methods: `prompts/list` and `prompts/get`.

use super::era::Era;
use super::input;
use super::server::{RequestScope, Server};
use super::{Object, take_name, to_object, unknown};
use crate::authz::Target;
use crate::context::LogLevel;
use crate::error::McpError;
use crate::jsonrpc::Request;
use crate::registry::PromptArguments;
use futures::FutureExt;
use serde_json::{Map, Value, json};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

impl Server {
    /// `prompts/list`: one page of the prompts this caller may see.
    pub(super) fn list_prompts(
        &self,
        params: &Map<String, Value>,
        scope: &RequestScope,
        era: Era,
    ) -> Result<Object, McpError> {
        let prompts = self.inner.prompts.iter();
        let items = prompts.map(|p| (Target::prompt(p), &**p));
        self.list_page(params, scope, "prompts", items, |p| p.to_json(), era)
    }

    /// `prompts/get`: authorizes, checks the (string) arguments and renders the prompt.
    /// The request is consumed: its argument strings go to the handler without being copied.
    /// Like a tool, a prompt may ask the client for input (see `Server::call_tool`).
    pub(super) async fn get_prompt(
        &self,
        request: Request,
        scope: &RequestScope,
        log_level: Option<LogLevel>,
        client_capabilities: Option<&Arc<Value>>,
        era: Era,
    ) -> Result<Object, McpError> {
        let Request { id, mut params, .. } = request;
        let name = take_name(&mut params, "prompts/get")?;
        let prompt = self
            .inner
            .prompts
            .get(&name)
            .ok_or_else(|| unknown("prompt", &name))?;
        self.authorize(scope, &Target::prompt(prompt)).await?;
        let arguments: PromptArguments = match params.remove("arguments") {
            None | Some(Value::Null) => PromptArguments::new(),
            Some(Value::Object(a)) => a
                .into_iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k, s)),
                    _ => Err(McpError::invalid_params(format!(
                        "Invalid arguments for prompt {name}: `{k}` must be a string"
                    ))),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(McpError::invalid_params("`arguments` must be an object")),
        };
        prompt
            .check_arguments(&arguments)
            .map_err(|why| McpError::InvalidParams {
                message: format!("Invalid arguments for prompt {name}: {why}"),
                data: Some(json!({ "prompt": name })),
            })?;
        let bound: Map<String, Value> = arguments
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let target = input::Target {
            method: "prompts/get",
            name: &name,
        };
        let (asking, used) =
            self.asking(era, scope, &params, client_capabilities, target, &bound)?;
        self.spend_state(used).await?;
        let ctx = self.context(&id, scope, &name, log_level, asking.asker());
        let outcome = AssertUnwindSafe(prompt.get(ctx, arguments))
            .catch_unwind()
            .await;
        if let Some(result) = self.input_required(&asking)? {
            return Ok(result);
        }
        match outcome {
            Ok(Ok(result)) => to_object(result),
            Ok(Err(error)) if error.is_invalid_arguments() => Err(McpError::InvalidParams {
                message: format!("Invalid arguments for prompt {name}: {}", error.message()),
                data: Some(json!({ "prompt": name })),
            }),
            Ok(Err(error)) => Err(McpError::Internal(format!(
                "prompt {name} failed: {}",
                error.message()
            ))),
            Err(_panic) => {
                tracing::error!(prompt = name.as_str(), "prompt handler panicked");
                Err(McpError::Internal(format!(
                    "prompt {name} failed unexpectedly"
                )))
            }
        }
    }
}
