//! The fixtures of the official MCP conformance suite (`@modelcontextprotocol/conformance`),
//! served by `mcp-runtime`: tools written with `#[tool]`, resources, a resource template and
//! prompts registered with the builders, and argument completion.
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
use mcp_runtime::registry::{
    GetPromptResult, Prompt, PromptMessage, RegistryError, Resource, ResourceContents,
    ResourceTemplate,
};
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

/// Needs the client's `sampling` capability: a client that did not declare it is refused
/// with `-32021` before this runs (this server never sends sampling requests itself).
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

fn resources() -> Vec<Result<Resource, RegistryError>> {
    vec![
        Resource::builder("test://static-text", "static-text")
            .description("A static text resource.")
            .mime_type("text/plain")
            .public()
            .handler(|_ctx, uri| async move {
                Ok(vec![ResourceContents::text(
                    uri,
                    "text/plain",
                    "This is the content of the static text resource.",
                )])
            })
            .build(),
        Resource::builder("test://static-binary", "static-binary")
            .description("A static binary resource (a 1x1 PNG image).")
            .mime_type("image/png")
            .public()
            .handler(|_ctx, uri| async move {
                Ok(vec![ResourceContents::blob(uri, "image/png", PNG_1X1)])
            })
            .build(),
        Resource::builder("test://watched-resource", "watched-resource")
            .description("A resource clients may subscribe to.")
            .mime_type("text/plain")
            .public()
            .handler(|_ctx, uri| async move {
                Ok(vec![ResourceContents::text(
                    uri,
                    "text/plain",
                    "Watched resource content.",
                )])
            })
            .build(),
    ]
}

fn template() -> Result<ResourceTemplate, RegistryError> {
    ResourceTemplate::builder("test://template/{id}/data", "template-data")
        .description("Data for one id, as JSON.")
        .mime_type("application/json")
        .public()
        .handler(|_ctx, uri, vars| async move {
            let id = vars.get("id").cloned().unwrap_or_default();
            let body =
                json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") });
            Ok(vec![ResourceContents::text(
                uri,
                "application/json",
                body.to_string(),
            )])
        })
        .completer(|_variable, value| {
            ["1", "2", "3", "123"]
                .iter()
                .filter(|v| v.starts_with(value))
                .map(|v| (*v).to_owned())
                .collect()
        })
        .build()
}

fn prompts() -> Vec<Result<Prompt, RegistryError>> {
    let user_text =
        |text: String| -> GetPromptResult { vec![PromptMessage::user(Content::text(text))].into() };
    vec![
        Prompt::builder("test_simple_prompt")
            .description("A prompt without arguments.")
            .public()
            .handler(move |_ctx, _args| async move {
                Ok(user_text("This is a simple prompt for testing.".to_owned()))
            })
            .build(),
        Prompt::builder("test_prompt_with_arguments")
            .description("A prompt with two required arguments.")
            .argument("arg1", "First test argument", true)
            .argument("arg2", "Second test argument", true)
            .public()
            .handler(move |_ctx, args| async move {
                let (a, b) = (&args["arg1"], &args["arg2"]);
                Ok(user_text(format!(
                    "Prompt with arguments: arg1='{a}', arg2='{b}'"
                )))
            })
            .completer(|_argument, value| {
                ["test", "testValue1", "testValue2", "example"]
                    .iter()
                    .filter(|v| v.starts_with(value))
                    .map(|v| (*v).to_owned())
                    .collect()
            })
            .build(),
        Prompt::builder("test_prompt_with_embedded_resource")
            .description("A prompt that embeds a resource.")
            .argument("resourceUri", "URI of the resource to embed", true)
            .public()
            .handler(|_ctx, args| async move {
                let uri = args["resourceUri"].clone();
                Ok(vec![
                    PromptMessage::user(Content::embedded_text(
                        uri,
                        "text/plain",
                        "Embedded resource content for testing.",
                    )),
                    PromptMessage::user(Content::text(
                        "Please process the embedded resource above.",
                    )),
                ]
                .into())
            })
            .build(),
        Prompt::builder("test_prompt_with_image")
            .description("A prompt that carries an image.")
            .public()
            .handler(|_ctx, _args| async move {
                Ok(vec![
                    PromptMessage::user(Content::image(PNG_1X1, "image/png")),
                    PromptMessage::user(Content::text("Please analyze the image above.")),
                ]
                .into())
            })
            .build(),
    ]
}

/// The conformance fixture server (both protocol eras).
///
/// # Errors
/// A fixture definition error (a bug in this crate).
pub fn server() -> Result<Server, Vec<RegistryError>> {
    let mut builder = Server::builder("conformance-server", env!("CARGO_PKG_VERSION"))
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
        .tool(json_schema_2020_12_tool())
        .tools(asking::tools())
        .prompt(asking::prompt())
        .resource_template(template());
    for r in resources() {
        builder = builder.resource(r);
    }
    for p in prompts() {
        builder = builder.prompt(p);
    }
    builder.build()
}
