//! The tool methods: `tools/list`, and `tools/call` with its capability, argument and
//! outcome handling.

use super::era::Era;
use super::server::{RequestScope, Server};
use super::{Object, to_object};
use crate::authz::Target;
use crate::content::Arguments;
use crate::context::{LogLevel, ToolContext};
use crate::error::McpError;
use crate::jsonrpc::Request;
use futures::FutureExt;
use serde_json::{Map, Value, json};
use std::panic::AssertUnwindSafe;

impl Server {
    /// `tools/list`: one page of the tools this caller may see.
    pub(super) fn list_tools(
        &self,
        params: &Map<String, Value>,
        scope: &RequestScope,
        era: Era,
    ) -> Result<Object, McpError> {
        let tools = self.inner.tools.iter();
        let items = tools.map(|t| (Target::tool(t), t.to_json()));
        self.list_page(params, scope, "tools", items, era)
    }

    /// `tools/call`: authorizes the call, checks the client's capabilities and the
    /// arguments, and runs the handler. A handler's failure (or panic) is a result with
    /// `isError`; only invalid arguments are a protocol error.
    pub(super) async fn call_tool(
        &self,
        request: &Request,
        scope: &RequestScope,
        log_level: Option<LogLevel>,
        client_capabilities: Option<&Value>,
    ) -> Result<Object, McpError> {
        let params = &request.params;
        let name = params
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| McpError::invalid_params("`tools/call` needs `name` (a string)"))?;
        let tool = self
            .inner
            .tools
            .get(name)
            .ok_or_else(|| McpError::InvalidParams {
                message: format!("Unknown tool: {name}"),
                data: Some(json!({ "name": name })),
            })?;
        self.authorize(scope, &Target::tool(tool))?;
        let missing: Map<String, Value> = tool
            .required_client_capabilities()
            .iter()
            .filter(|c| {
                client_capabilities
                    .and_then(|caps| caps.get(c.as_str()))
                    .is_none()
            })
            .map(|c| (c.clone(), json!({})))
            .collect();
        if !missing.is_empty() {
            return Err(McpError::MissingClientCapability {
                required: Value::Object(missing),
            });
        }
        let arguments: Arguments = match params.get("arguments") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(a)) => a.clone(),
            Some(_) => return Err(McpError::invalid_params("`arguments` must be an object")),
        };
        let args_value = Value::Object(arguments);
        if let Err(why) = tool.validate_arguments(&args_value) {
            return Err(McpError::InvalidParams {
                message: format!("Invalid arguments for tool {name}: {why}"),
                data: Some(json!({ "tool": name })),
            });
        }
        let Value::Object(arguments) = args_value else {
            unreachable!("checked above")
        };
        let progress_token = params
            .get("_meta")
            .and_then(|m| m.get("progressToken"))
            .filter(|t| t.is_string() || t.is_i64() || t.is_u64())
            .cloned();
        let ctx = ToolContext::builder(scope.caller.clone(), request.id.clone(), name)
            .progress_token(progress_token)
            .log_level(log_level)
            .outbound(scope.outbound.clone())
            .extensions(self.inner.extensions.clone())
            .build();
        let outcome = AssertUnwindSafe(tool.call(ctx, arguments))
            .catch_unwind()
            .await;
        match outcome {
            Ok(Ok(result)) => to_object(result),
            Ok(Err(error)) if error.is_invalid_arguments() => Err(McpError::InvalidParams {
                message: format!("Invalid arguments for tool {name}: {}", error.message()),
                data: Some(json!({ "tool": name })),
            }),
            Ok(Err(error)) => Ok(error_result(error.message())),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(tool = name, panic = %what, "tool handler panicked");
                Ok(error_result(&format!(
                    "The tool `{name}` failed unexpectedly (internal error)."
                )))
            }
        }
    }
}

/// A `tools/call` result reporting that the tool failed, with `text` as its one content block.
fn error_result(text: &str) -> Object {
    let mut result = Object::new();
    result.insert("content".into(), json!([{ "type": "text", "text": text }]));
    result.insert("isError".into(), Value::Bool(true));
    result
}
