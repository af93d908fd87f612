//! The prompt methods: `prompts/list` and `prompts/get`.

use super::era::Era;
use super::server::{RequestScope, Server};
use super::{Object, to_object};
use crate::authz::Target;
use crate::context::LogLevel;
use crate::error::McpError;
use crate::jsonrpc::Request;
use crate::registry::PromptArguments;
use futures::FutureExt;
use serde_json::{Map, Value, json};
use std::panic::AssertUnwindSafe;

impl Server {
    /// `prompts/list`: one page of the prompts this caller may see.
    pub(super) fn list_prompts(
        &self,
        params: &Map<String, Value>,
        scope: &RequestScope,
        era: Era,
    ) -> Result<Object, McpError> {
        let prompts = self.inner.prompts.iter();
        let items = prompts.map(|p| (Target::prompt(p), p.to_json()));
        self.list_page(params, scope, "prompts", items, era)
    }

    /// `prompts/get`: authorizes, checks the (string) arguments and renders the prompt.
    pub(super) async fn get_prompt(
        &self,
        request: &Request,
        scope: &RequestScope,
        log_level: Option<LogLevel>,
    ) -> Result<Object, McpError> {
        let params = &request.params;
        let name = params
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| McpError::invalid_params("`prompts/get` needs `name` (a string)"))?;
        let prompt = self
            .inner
            .prompts
            .get(name)
            .ok_or_else(|| McpError::InvalidParams {
                message: format!("Unknown prompt: {name}"),
                data: Some(json!({ "name": name })),
            })?;
        self.authorize(scope, &Target::prompt(prompt))?;
        let arguments: PromptArguments = match params.get("arguments") {
            None | Some(Value::Null) => PromptArguments::new(),
            Some(Value::Object(a)) => a
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
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
        let ctx = self.context(&request.id, scope, name, log_level);
        match AssertUnwindSafe(prompt.get(ctx, arguments))
            .catch_unwind()
            .await
        {
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
                tracing::error!(prompt = name, "prompt handler panicked");
                Err(McpError::Internal(format!(
                    "prompt {name} failed unexpectedly"
                )))
            }
        }
    }
}
