//! The fixtures that ask the client for input: legacy sampling and elicitation
//! (`test_sampling`, `test_elicitation`, SEP-1034 defaults, SEP-1330 enums) and the
//! 2026-07-28 input-required result tools and prompt. Each is straight-line code on
//! [`ToolContext`]; the runtime sends requests (legacy) or returns input-required results
//! (modern) as the request's era requires.

use mcp_runtime::asking::{Elicitation, Elicited, Root, Sampling};
use mcp_runtime::prelude::*;
use mcp_runtime::registry::{GetPromptResult, Prompt, PromptMessage, RegistryError};
use serde_json::{Value, json};

/// An object schema with one required string property `name`.
fn one_string(name: &str) -> Value {
    json!({
        "type": "object",
        "properties": { name: { "type": "string" } },
        "required": [name],
    })
}

/// `User response: <action: …, content: {…}>`, as the suite's fixtures answer.
fn describe(answer: &Elicited<Value>) -> String {
    match answer {
        Elicited::Accept(content) => {
            format!("User response: <action: accept, content: {content}>")
        }
        other => format!("User response: <action: {}>", other.action()),
    }
}

/// The string `field` of an accepted form, or `fallback`.
fn field(answer: &Elicited<Value>, field: &str, fallback: &str) -> String {
    match answer {
        Elicited::Accept(content) => content
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or(fallback)
            .to_owned(),
        _ => fallback.to_owned(),
    }
}

fn root_list(roots: &[Root]) -> String {
    let uris: Vec<&str> = roots.iter().map(|r| r.uri.as_str()).collect();
    format!("Client roots: {}", uris.join(", "))
}

/// Asks the client's model to answer the prompt (`sampling/createMessage`, 100 tokens).
#[tool(public, read_only)]
async fn test_sampling(
    ctx: &ToolContext,
    /// The prompt to send to the model.
    prompt: String,
) -> Result<String, ToolError> {
    let reply = ctx.sample(Sampling::prompt(prompt, 100)).await?;
    Ok(format!("LLM response: {}", reply.text()))
}

/// Asks the user for a username and an email address (`elicitation/create`).
#[tool(public, read_only)]
async fn test_elicitation(
    ctx: &ToolContext,
    /// The message to show the user.
    message: String,
) -> Result<String, ToolError> {
    let schema = json!({
        "type": "object",
        "properties": {
            "username": { "type": "string", "description": "User's response" },
            "email": { "type": "string", "description": "User's email address" },
        },
        "required": ["username", "email"],
    });
    let answer = ctx.elicit(Elicitation::form(message, schema)).await?;
    Ok(describe(&answer))
}

/// Asks for a form whose fields all have defaults (SEP-1034).
#[tool(public, read_only)]
async fn test_elicitation_sep1034_defaults(ctx: &ToolContext) -> Result<String, ToolError> {
    let schema = json!({
        "type": "object",
        "properties": {
            "name": { "type": "string", "description": "User name", "default": "John Doe" },
            "age": { "type": "integer", "description": "User age", "default": 30 },
            "score": { "type": "number", "description": "User score", "default": 95.5 },
            "status": {
                "type": "string",
                "description": "User status",
                "enum": ["active", "inactive", "pending"],
                "default": "active",
            },
            "verified": { "type": "boolean", "description": "Verified", "default": true },
        },
    });
    let ask = Elicitation::form(
        "Please review and update the form fields with defaults",
        schema,
    );
    Ok(describe(&ctx.elicit(ask).await?))
}

/// Asks for a form with every enum variant of SEP-1330.
#[tool(public, read_only)]
async fn test_elicitation_sep1330_enums(ctx: &ToolContext) -> Result<String, ToolError> {
    let titled = |n: u8| json!({ "const": format!("value{n}"), "title": format!("Option {n}") });
    let schema = json!({
        "type": "object",
        "properties": {
            "untitledSingle": {
                "type": "string",
                "enum": ["option1", "option2", "option3"],
            },
            "titledSingle": { "type": "string", "oneOf": [titled(1), titled(2), titled(3)] },
            "legacyEnum": {
                "type": "string",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"],
            },
            "untitledMulti": {
                "type": "array",
                "items": { "type": "string", "enum": ["option1", "option2", "option3"] },
            },
            "titledMulti": {
                "type": "array",
                "items": { "anyOf": [titled(1), titled(2), titled(3)] },
            },
        },
    });
    let ask = Elicitation::form("Please select options from the enum fields", schema);
    Ok(describe(&ctx.elicit(ask).await?))
}

/// Asks for the user's name (`user_name`), then greets them.
#[tool(public, read_only)]
async fn test_input_required_result_elicitation(ctx: &ToolContext) -> Result<String, ToolError> {
    let ask = Elicitation::form("What is your name?", one_string("name")).key("user_name");
    let answer = ctx.elicit(ask).await?;
    Ok(format!("Hello, {}!", field(&answer, "name", "stranger")))
}

/// Asks the client's model a question (`capital_question`) and returns its answer.
#[tool(public, read_only)]
async fn test_input_required_result_sampling(ctx: &ToolContext) -> Result<String, ToolError> {
    let ask = Sampling::prompt("What is the capital of France?", 100).key("capital_question");
    Ok(format!("LLM response: {}", ctx.sample(ask).await?.text()))
}

/// Asks for the client's roots (`client_roots`) and lists them.
#[tool(public, read_only)]
async fn test_input_required_result_list_roots(ctx: &ToolContext) -> Result<String, ToolError> {
    Ok(root_list(&ctx.roots_keyed("client_roots").await?))
}

/// Asks for a confirmation; the answer arrives with the sealed `requestState`.
#[tool(public, read_only)]
async fn test_input_required_result_request_state(ctx: &ToolContext) -> Result<String, ToolError> {
    let schema = json!({
        "type": "object",
        "properties": { "ok": { "type": "boolean" } },
        "required": ["ok"],
    });
    let answer: Elicited<Value> = ctx
        .elicit(Elicitation::form("Please confirm", schema).key("confirm"))
        .await?;
    let state = if ctx.resumed() {
        "state-ok"
    } else {
        "no state"
    };
    Ok(format!("{state}: {}", answer.action()))
}

/// Asks for a name, a greeting and the client's roots in one round.
#[tool(public, read_only)]
async fn test_input_required_result_multiple_inputs(
    ctx: &ToolContext,
) -> Result<String, ToolError> {
    let name = Elicitation::form("What is your name?", one_string("name")).key("user_name");
    let greeting = Sampling::prompt("Generate a greeting", 50).key("greeting");
    let (name, greeting, roots) = tokio::join!(
        ctx.elicit::<Value>(name),
        ctx.sample(greeting),
        ctx.roots_keyed("client_roots"),
    );
    let (name, greeting, roots) = (name?, greeting?, roots?);
    Ok(format!(
        "{} {}! {}",
        greeting.text(),
        field(&name, "name", "stranger"),
        root_list(&roots)
    ))
}

/// Asks for a name (`step1`), then a colour (`step2`), one round each.
#[tool(public, read_only)]
async fn test_input_required_result_multi_round(ctx: &ToolContext) -> Result<String, ToolError> {
    let step1 = Elicitation::form("Step 1: What is your name?", one_string("name")).key("step1");
    let name = field(&ctx.elicit(step1).await?, "name", "someone");
    let step2 =
        Elicitation::form("Step 2: What is your favorite color?", one_string("color")).key("step2");
    let color = field(&ctx.elicit(step2).await?, "color", "no colour");
    Ok(format!("{name} likes {color}."))
}

/// Asks for a confirmation; a retry with an altered `requestState` is refused (`-32602`).
#[tool(public, read_only)]
async fn test_input_required_result_tampered_state(ctx: &ToolContext) -> Result<String, ToolError> {
    let schema = json!({
        "type": "object",
        "properties": { "ok": { "type": "boolean" } },
        "required": ["ok"],
    });
    let answer: Elicited<Value> = ctx
        .elicit(Elicitation::form("Please confirm", schema).key("confirm"))
        .await?;
    Ok(format!("Confirmation: {}", answer.action()))
}

/// Asks only for what the client declared: sampling and/or elicitation.
#[tool(public, read_only)]
async fn test_input_required_result_capabilities(ctx: &ToolContext) -> Result<String, ToolError> {
    let sampled = async {
        match ctx.can_sample() {
            true => Some(
                ctx.sample(Sampling::prompt("Say hello", 20).key("sample"))
                    .await,
            ),
            false => None,
        }
    };
    let elicited = async {
        let ask = Elicitation::form("What is your name?", one_string("name")).key("name");
        match ctx.can_elicit() {
            true => Some(ctx.elicit::<Value>(ask).await),
            false => None,
        }
    };
    let (sampled, elicited) = tokio::join!(sampled, elicited);
    let (sampled, elicited) = (sampled.transpose()?, elicited.transpose()?);
    Ok(format!(
        "sampling: {}, elicitation: {}",
        sampled.map_or("not declared".to_owned(), |s| s.text()),
        elicited.map_or("not declared", |e| e.action()),
    ))
}

/// The tools above.
pub(crate) fn tools() -> Vec<Result<Tool, RegistryError>> {
    vec![
        test_sampling_tool(),
        test_elicitation_tool(),
        test_elicitation_sep1034_defaults_tool(),
        test_elicitation_sep1330_enums_tool(),
        test_input_required_result_elicitation_tool(),
        test_input_required_result_sampling_tool(),
        test_input_required_result_list_roots_tool(),
        test_input_required_result_request_state_tool(),
        test_input_required_result_multiple_inputs_tool(),
        test_input_required_result_multi_round_tool(),
        test_input_required_result_tampered_state_tool(),
        test_input_required_result_capabilities_tool(),
    ]
}

/// A prompt that asks the user for its context (`user_context`) before it renders.
pub(crate) fn prompt() -> Result<Prompt, RegistryError> {
    Prompt::builder("test_input_required_result_prompt")
        .description("A prompt that asks the user what context to use.")
        .public()
        .handler(|ctx, _args| async move {
            let ask =
                Elicitation::form("What context should the prompt use?", one_string("context"))
                    .key("user_context");
            let context = field(&ctx.elicit(ask).await?, "context", "none");
            let text = format!("Use this context: {context}");
            Ok(GetPromptResult::from(vec![PromptMessage::user(
                Content::text(text),
            )]))
        })
        .build()
}
