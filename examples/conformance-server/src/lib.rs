//! The fixtures of the official MCP conformance suite (`@modelcontextprotocol/conformance`),
//! served by `mcp-runtime`: tools written with `#[tool]` (two with the builder, for what the
//! macro does not express: a required client capability, a hand-written input schema),
//! resources, a resource template and prompts written with `#[resource]` and `#[prompt]`, and
//! argument completion.
//!
//! Every fixture is public (the suite does not authenticate); serve it on loopback only.
//! The fixtures that ask the client for input (sampling, elicitation, roots; legacy requests
//! and 2026-07-28 input-required results) are in `asking`. What the suite tests that this
//! server deliberately does not offer is listed, with the reason, in `expected-failures.yaml`
//! next to this crate's manifest.
//!
//! ```
//! let server = conformance_server::server().expect("valid fixtures");
//! assert!(server.tools().get("test_simple_text").is_some());
//! assert!(server.resources().get("test://static-text").is_some());
//! assert!(server.prompts().get("test_simple_prompt").is_some());
//! ```

mod asking;

use mcp_runtime::prelude::*;
use mcp_runtime::registry::{PromptMessage, RegistryError, ResourceContents};
use mcp_runtime::{prompt, resource};
use serde_json::json;
use std::time::Duration;

/// A 1×1 PNG image.
pub const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
/// A WAV file with no samples (8 kHz, 16-bit mono).
pub const WAV_EMPTY: &str = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=";

/// The pause between the steps of the progress and logging fixtures.
const STEP: Duration = Duration::from_millis(50);

/// Answers with a fixed text.
#[tool(public, read_only)]
async fn test_simple_text() -> &'static str {
    "This is a simple text response for testing."
}

/// Answers with a 1x1 PNG image.
#[tool(public, read_only)]
async fn test_image_content() -> Content {
    Content::image(PNG_1X1, "image/png")
}

/// Answers with a short WAV audio clip.
#[tool(public, read_only)]
async fn test_audio_content() -> Content {
    Content::audio(WAV_EMPTY, "audio/wav")
}

/// Answers with an embedded text resource.
#[tool(public, read_only)]
async fn test_embedded_resource() -> Content {
    Content::embedded_text(
        "test://embedded-resource",
        "text/plain",
        "This is an embedded resource content.",
    )
}

/// Answers with text, an image and an embedded JSON resource.
#[tool(public, read_only)]
async fn test_multiple_content_types() -> Vec<Content> {
    vec![
        Content::text("Multiple content types test:"),
        Content::image(PNG_1X1, "image/png"),
        Content::embedded_text(
            "test://mixed-content-resource",
            "application/json",
            json!({ "test": "data", "value": 123 }).to_string(),
        ),
    ]
}

/// Always fails, as a tool error (`isError: true`), not a protocol error.
#[tool(public, read_only)]
async fn test_error_handling() -> Result<String, ToolError> {
    Err(ToolError::new(
        "This tool intentionally returns an error for testing",
    ))
}

/// Reports progress at 0, 50 and 100 of 100 when the client asks for it.
#[tool(public, read_only)]
async fn test_tool_with_progress(ctx: &ToolContext) -> String {
    for step in [0.0, 50.0, 100.0] {
        ctx.progress(
            step,
            Some(100.0),
            Some(&format!("Completed step {step} of 100")),
        );
        tokio::time::sleep(STEP).await;
    }
    "Progress test completed".to_owned()
}

/// Sends three log messages at level info (delivered when the client set a log level).
#[tool(public, read_only)]
async fn test_tool_with_logging(ctx: &ToolContext) -> String {
    for message in [
        "Tool execution started",
        "Tool processing data",
        "Tool execution completed",
    ] {
        ctx.log(LogLevel::Info, message);
        tokio::time::sleep(STEP).await;
    }
    "Logging test completed".to_owned()
}

/// Logs one message, which reaches the client only when its request set a log level.
#[tool(public, read_only)]
async fn test_logging_tool(ctx: &ToolContext) -> String {
    ctx.log(LogLevel::Info, "test_logging_tool ran");
    "Logged (if the request asked for log messages).".to_owned()
}

/// Streams progress notifications, then answers; it never sends the client a request.
#[tool(public, read_only)]
async fn test_streaming_elicitation(ctx: &ToolContext) -> String {
    ctx.progress(1.0, Some(2.0), Some("working"));
    tokio::time::sleep(STEP).await;
    ctx.progress(2.0, Some(2.0), Some("done"));
    "No input was needed.".to_owned()
}

/// Announces a change of the tool list to every subscriber that follows it
/// (`notifications/tools/list_changed`).
#[tool(public, read_only)]
async fn test_trigger_tool_change(ctx: &ToolContext) -> &'static str {
    ctx.notifier().tools_list_changed();
    "Tool list change announced."
}

/// Announces a change of the prompt list to every subscriber that follows it
/// (`notifications/prompts/list_changed`).
#[tool(public, read_only)]
async fn test_trigger_prompt_change(ctx: &ToolContext) -> &'static str {
    ctx.notifier().prompts_list_changed();
    "Prompt list change announced."
}

/// Announces that `test://watched-resource` changed (`notifications/resources/updated` to
/// its subscribers).
#[tool(public, read_only)]
async fn test_trigger_resource_update(ctx: &ToolContext) -> &'static str {
    ctx.notifier().resource_updated("test://watched-resource");
    "Resource update announced."
}

/// Needs the client's `sampling` capability: a client that did not declare it is refused
/// with `-32021` before this runs (the handler itself asks nothing).
fn test_missing_capability() -> Result<Tool, RegistryError> {
    Tool::builder("test_missing_capability")
        .description("Requires the client's sampling capability; refused without it.")
        .public()
        .read_only(true)
        .requires_client_capability("sampling")
        .handler(|_ctx, _args| async {
            Ok(CallToolResult::success(vec![Content::text(
                "The client declared the sampling capability.",
            )]))
        })
        .build()
}

/// Its input schema uses JSON Schema 2020-12 keywords (`$schema`, `$defs` with `$anchor`,
/// `allOf`/`anyOf`, `if`/`then`/`else`), which `tools/list` must publish verbatim.
fn json_schema_2020_12_tool() -> Result<Tool, RegistryError> {
    Tool::builder("json_schema_2020_12_tool")
        .description("A tool whose input schema uses JSON Schema 2020-12 keywords.")
        .public()
        .read_only(true)
        .input_schema(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "$defs": {
                "address": {
                    "$anchor": "addressDef",
                    "type": "object",
                    "properties": { "street": { "type": "string" }, "city": { "type": "string" } }
                }
            },
            "properties": {
                "name": { "type": "string" },
                "address": { "$ref": "#/$defs/address" },
                "contactMethod": { "type": "string", "enum": ["phone", "email"] },
                "phone": { "type": "string" },
                "email": { "type": "string" }
            },
            "allOf": [{ "anyOf": [{ "required": ["phone"] }, { "required": ["email"] }] }],
            "if": { "properties": { "contactMethod": { "const": "phone" } }, "required": ["contactMethod"] },
            "then": { "required": ["phone"] },
            "else": { "required": ["email"] },
            "additionalProperties": false
        }))
        .handler(|_ctx, _args| async { Ok(CallToolResult::success(vec![Content::text("ok")])) })
        .build()
}

/// A static text resource.
#[resource(
    uri = "test://static-text",
    public,
    name = "static-text",
    mime_type = "text/plain"
)]
async fn static_text() -> &'static str {
    "This is the content of the static text resource."
}

/// A static binary resource (a 1x1 PNG image).
#[resource(
    uri = "test://static-binary",
    public,
    name = "static-binary",
    mime_type = "image/png"
)]
async fn static_binary() -> Vec<ResourceContents> {
    vec![ResourceContents::blob(
        "test://static-binary",
        "image/png",
        PNG_1X1,
    )]
}

/// A resource clients may subscribe to.
#[resource(
    uri = "test://watched-resource",
    public,
    name = "watched-resource",
    mime_type = "text/plain"
)]
async fn watched() -> &'static str {
    "Watched resource content."
}

/// Data for one id, as JSON.
#[resource(
    uri = "test://template/{id}/data",
    public,
    name = "template-data",
    mime_type = "application/json",
    completer = template_ids
)]
async fn template_data(id: String) -> String {
    json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") }).to_string()
}

/// Suggests the ids of `test://template/{id}/data`.
fn template_ids(_variable: &str, value: &str) -> Vec<String> {
    ["1", "2", "3", "123"]
        .iter()
        .filter(|v| v.starts_with(value))
        .map(|v| (*v).to_owned())
        .collect()
}

fn user_text(text: impl Into<String>) -> Vec<PromptMessage> {
    vec![PromptMessage::user(Content::text(text))]
}

/// A prompt without arguments.
#[prompt(public)]
async fn test_simple_prompt() -> Vec<PromptMessage> {
    user_text("This is a simple prompt for testing.")
}

/// A prompt with two required arguments.
#[prompt(public, completer = argument_values)]
async fn test_prompt_with_arguments(
    /// First test argument
    arg1: String,
    /// Second test argument
    arg2: String,
) -> Vec<PromptMessage> {
    user_text(format!(
        "Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"
    ))
}

/// Suggests values for the arguments of `test_prompt_with_arguments`.
fn argument_values(_argument: &str, value: &str) -> Vec<String> {
    ["test", "testValue1", "testValue2", "example"]
        .iter()
        .filter(|v| v.starts_with(value))
        .map(|v| (*v).to_owned())
        .collect()
}

/// A prompt that embeds a resource.
#[prompt(public)]
async fn test_prompt_with_embedded_resource(
    /// URI of the resource to embed
    #[arg(rename = "resourceUri")]
    resource_uri: String,
) -> Vec<PromptMessage> {
    vec![
        PromptMessage::user(Content::embedded_text(
            resource_uri,
            "text/plain",
            "Embedded resource content for testing.",
        )),
        PromptMessage::user(Content::text("Please process the embedded resource above.")),
    ]
}

/// A prompt that carries an image.
#[prompt(public)]
async fn test_prompt_with_image() -> Vec<PromptMessage> {
    vec![
        PromptMessage::user(Content::image(PNG_1X1, "image/png")),
        PromptMessage::user(Content::text("Please analyze the image above.")),
    ]
}

/// The conformance fixture server (both protocol eras).
///
/// # Errors
/// A fixture definition error (a bug in this crate).
pub fn server() -> Result<Server, Vec<RegistryError>> {
    Server::builder("conformance-server", env!("CARGO_PKG_VERSION"))
        .title("MCP conformance fixtures")
        .tool(test_simple_text_tool())
        .tool(test_image_content_tool())
        .tool(test_audio_content_tool())
        .tool(test_embedded_resource_tool())
        .tool(test_multiple_content_types_tool())
        .tool(test_error_handling_tool())
        .tool(test_tool_with_progress_tool())
        .tool(test_tool_with_logging_tool())
        .tool(test_logging_tool_tool())
        .tool(test_streaming_elicitation_tool())
        .tool(test_missing_capability())
        .tool(test_trigger_tool_change_tool())
        .tool(test_trigger_prompt_change_tool())
        .tool(test_trigger_resource_update_tool())
        .tool(json_schema_2020_12_tool())
        .resource(static_text_resource())
        .resource(static_binary_resource())
        .resource(watched_resource())
        .resource_template(template_data_resource_template())
        .prompt(test_simple_prompt_prompt())
        .prompt(test_prompt_with_arguments_prompt())
        .prompt(test_prompt_with_embedded_resource_prompt())
        .prompt(test_prompt_with_image_prompt())
        .tools(asking::tools())
        .prompt(asking::prompt())
        .build()
}
