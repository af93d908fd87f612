//! The tool methods: `tools/list`, and `tools/call` with its capability, argument and
//! outcome handling.

use super::answer::Answer;
use super::approval::Gate;
use super::era::Era;
use super::input;
use super::server::{RequestScope, Server};
use super::{Object, take_name, unknown};
use crate::authz::{CallInput, Target};
use crate::content::Arguments;
use crate::context::{LogLevel, ToolContext};
use crate::error::McpError;
use crate::jsonrpc::Request;
use crate::registry::Tool;
use futures::FutureExt;
use serde_json::{Map, Value, json};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tracing::Instrument as _;

impl Server {
    /// `tools/list`: one page of the tools this caller may see.
    pub(super) fn list_tools(
        &self,
        params: &Map<String, Value>,
        scope: &RequestScope,
        era: Era,
    ) -> Result<Object, McpError> {
        let tools = self.inner.tools.iter();
        let items = tools.map(|t| (Target::tool(t), &**t));
        self.list_page(
            params,
            scope,
            "tools",
            items,
            |t| t.descriptor().clone(),
            era,
        )
    }

    /// `tools/call`: authorizes the call, checks the client's capabilities and the
    /// arguments, and runs the handler. A handler's failure (or panic) is a result with
    /// `isError`; only invalid arguments are a protocol error.
    ///
    /// The request is consumed: its arguments go to the handler without being copied.
    /// A modern call whose handler asked for input the round did not carry ends with an
    /// input-required result, whatever the handler returned.
    pub(super) async fn call_tool(
        &self,
        request: Request,
        scope: &RequestScope,
        log_level: Option<LogLevel>,
        client_capabilities: Option<&Arc<Value>>,
        era: Era,
    ) -> Result<Answer, McpError> {
        let Request { id, mut params, .. } = request;
        let name = take_name(&mut params, "tools/call")?;
        let tool = self
            .inner
            .tools
            .get(&name)
            .ok_or_else(|| unknown("tool", &name))?;
        let span = super::observe::tool_span(&name, era);
        let decided = self.authorize_call(scope, tool, &params).await;
        super::observe::record_decision(&span, &decided);
        decided?;
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
        let arguments = take_arguments(tool, &name, &mut params)?;
        let target = input::Target {
            method: "tools/call",
            name: &name,
        };
        let (mut asking, used) =
            self.asking(era, scope, &params, client_capabilities, target, &arguments)?;
        self.spend_state(used).await?;
        // Only a tool a rule puts behind an approval has a step to wait on; it is boxed, so
        // the future of every other call does not carry its state.
        let approved = match self
            .inner
            .authorizer
            .approval(&scope.caller, &Target::tool(tool))
        {
            None => false,
            Some(rule) => {
                match Box::pin(self.approval_gate(rule, scope, tool, &arguments, &mut asking, era))
                    .await?
                {
                    Gate::Approved => true,
                    Gate::Answer(result) => return Ok(Answer::Object(result)),
                }
            }
        };
        let progress_token = params
            .get_mut("_meta")
            .and_then(Value::as_object_mut)
            .and_then(|m| m.remove("progressToken"))
            .filter(|t| t.is_string() || t.is_i64() || t.is_u64());
        let ctx = ToolContext::builder(scope.caller.clone(), id, name)
            .progress_token(progress_token)
            .log_level(log_level)
            .outbound(scope.outbound.clone())
            .extensions(self.inner.extensions.clone())
            .asker(asking.asker())
            .notifier(self.inner.notifier.clone())
            .approved(approved)
            .build();
        let outcome = AssertUnwindSafe(tool.call(ctx, arguments))
            .catch_unwind()
            .instrument(span)
            .await;
        if let Some(result) = self.input_required(&asking)? {
            return Ok(Answer::Object(result));
        }
        let name = tool.name();
        match outcome {
            Ok(Ok(result)) => Ok(Answer::Tool {
                result,
                server_info: None,
            }),
            Ok(Err(error)) if error.is_invalid_arguments() => Err(McpError::InvalidParams {
                message: format!("Invalid arguments for tool {name}: {}", error.message()),
                data: Some(json!({ "tool": name })),
            }),
            Ok(Err(error)) => Ok(Answer::Object(error_result(error.message()))),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(tool = name, panic = %what, "tool handler panicked");
                Ok(Answer::Object(error_result(&format!(
                    "The tool `{name}` failed unexpectedly (internal error)."
                ))))
            }
        }
    }
}

impl Server {
    /// Asks the authorizer whether this caller may make this call of `tool`, with its
    /// arguments and, when a condition in force reads it, the resource they name.
    async fn authorize_call(
        &self,
        scope: &RequestScope,
        tool: &Tool,
        params: &Map<String, Value>,
    ) -> Result<(), McpError> {
        let target = Target::tool(tool);
        let authorizer = &self.inner.authorizer;
        let arguments = params.get("arguments").unwrap_or(&Value::Null);
        let names_resource = self.inner.ownership.arguments.contains_key(tool.name());
        let resource = if names_resource && authorizer.needs_resource(&scope.caller, &target) {
            Some(self.inner.ownership.resolve(tool.name(), arguments).await)
        } else {
            None
        };
        let input = CallInput {
            arguments,
            resource: resource
                .as_ref()
                .map(|r| r.as_ref().map_err(String::as_str)),
        };
        let started = std::time::Instant::now();
        let decided = match authorizer.authorize_shared(&scope.caller, target, input) {
            Some(pending) => pending.await,
            None => authorizer.authorize_call(&scope.caller, &target, &input),
        };
        crate::metrics::global().decision_latency(target.kind.as_str(), started.elapsed());
        Ok(decided?)
    }
}

/// Checks the `arguments` of a `tools/call` (absent or `null` is `{}`) against `tool`'s input
/// schema where they are, then moves them out of `params` for the handler.
fn take_arguments(
    tool: &Tool,
    name: &str,
    params: &mut Map<String, Value>,
) -> Result<Arguments, McpError> {
    let empty = Value::Object(Map::new());
    let given = match params.get("arguments") {
        None | Some(Value::Null) => &empty,
        Some(arguments @ Value::Object(_)) => arguments,
        Some(_) => return Err(McpError::invalid_params("`arguments` must be an object")),
    };
    if let Err(why) = tool.validate_arguments(given) {
        return Err(McpError::InvalidParams {
            message: format!("Invalid arguments for tool {name}: {why}"),
            data: Some(json!({ "tool": name })),
        });
    }
    Ok(match params.remove("arguments") {
        Some(Value::Object(arguments)) => arguments,
        // Absent or `null`: anything else was refused above.
        _ => Map::new(),
    })
}

/// A `tools/call` result reporting that the tool failed, with `text` as its one content block.
fn error_result(text: &str) -> Object {
    let mut result = Object::new();
    result.insert("content".into(), json!([{ "type": "text", "text": text }]));
    result.insert("isError".into(), Value::Bool(true));
    result
}
