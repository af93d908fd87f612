//! `completion/complete`: suggestions for prompt arguments and resource template variables.

use super::server::{RequestScope, Server};
use super::{Object, unknown};
use crate::authz::Target;
use crate::error::McpError;
use serde_json::{Map, Value, json};

/// At most this many suggestions are returned; `total` and `hasMore` tell the rest.
const MAX_VALUES: usize = 100;

impl Server {
    /// Whether any prompt or resource template has a completer (the `completions`
    /// capability).
    pub(super) fn has_completions(&self) -> bool {
        self.inner.prompts.has_completions() || self.inner.resources.has_completions()
    }

    /// `completion/complete`: suggestions for a prompt argument (`ref/prompt`) or a
    /// template variable (`ref/resource`), at most 100, from the registered completer.
    pub(super) async fn complete(
        &self,
        params: &Map<String, Value>,
        scope: &RequestScope,
    ) -> Result<Object, McpError> {
        let reference = params
            .get("ref")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                McpError::invalid_params("`completion/complete` needs `ref` (an object)")
            })?;
        let argument = params.get("argument").and_then(Value::as_object);
        let (Some(arg_name), Some(value)) = (
            argument.and_then(|a| a.get("name")).and_then(Value::as_str),
            argument
                .and_then(|a| a.get("value"))
                .and_then(Value::as_str),
        ) else {
            return Err(McpError::invalid_params(
                "`completion/complete` needs `argument` with `name` and `value` (strings)",
            ));
        };
        let values =
            match reference.get("type").and_then(Value::as_str) {
                Some("ref/prompt") => {
                    let name = reference
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let prompt = self
                        .inner
                        .prompts
                        .get(name)
                        .ok_or_else(|| unknown("prompt", name))?;
                    self.authorize(scope, &Target::prompt(prompt)).await?;
                    if !prompt.arguments().iter().any(|a| a.name == arg_name) {
                        return Err(McpError::invalid_params(format!(
                            "prompt {name} has no argument `{arg_name}`"
                        )));
                    }
                    prompt.complete(arg_name, value).unwrap_or_default()
                }
                Some("ref/resource") => {
                    let uri = reference
                        .get("uri")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let template = self.inner.resources.template(uri).ok_or_else(|| {
                        McpError::InvalidParams {
                            message: format!("Unknown resource template: {uri}"),
                            data: Some(json!({ "uri": uri })),
                        }
                    })?;
                    self.authorize(scope, &Target::template(template)).await?;
                    if !template.template().variables().any(|v| v == arg_name) {
                        return Err(McpError::invalid_params(format!(
                            "resource template {uri} has no variable `{arg_name}`"
                        )));
                    }
                    template.complete(arg_name, value).unwrap_or_default()
                }
                _ => {
                    return Err(McpError::invalid_params(
                        "`ref.type` must be `ref/prompt` or `ref/resource`",
                    ));
                }
            };
        let total = values.len();
        let values: Vec<String> = values.into_iter().take(MAX_VALUES).collect();
        let mut result = Object::new();
        result.insert(
            "completion".into(),
            json!({ "values": values, "total": total, "hasMore": total > MAX_VALUES }),
        );
        Ok(result)
    }
}
