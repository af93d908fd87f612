//! What `#[prompt]` and `#[resource]` generate, driven through a real `Server`: every
//! `prompts/*`, `resources/*` and `completion/complete` response of a server built with the
//! generated constructors equals, byte for byte, the response of a server built with the
//! same definitions written by hand with the builders; a few are also pinned as JSON.

use mcp_runtime::prelude::*;
use mcp_runtime::registry::{
    GetPromptResult, Prompt, PromptMessage, Resource, ResourceContents, ResourceError,
    ResourceTemplate,
};
use mcp_runtime::{Connection, prompt, resource};
use serde_json::{Value, json};
use std::sync::Arc;

fn order_ids(_argument: &str, value: &str) -> Vec<String> {
    ["TN-1001", "TN-1002", "TN-2001"]
        .iter()
        .filter(|id| id.starts_with(value))
        .map(|id| (*id).to_owned())
        .collect()
}

fn summary(who: &str, order_id: &str, tone: Option<String>) -> Vec<PromptMessage> {
    let tone = tone.unwrap_or_else(|| "plain".to_owned());
    vec![
        PromptMessage::user(Content::text(format!(
            "{who} asks: summarize order {order_id} ({tone})."
        ))),
        PromptMessage::assistant(Content::text("Sure.")),
    ]
}

// ---- The definitions, with the macros. ----

/// Summarize one order for a customer.
#[prompt(scopes = ["orders:read"], title = "Order summary", completer = order_ids)]
async fn summarize_order(
    caller: &Caller,
    /// The order to summarize.
    order_id: String,
    #[arg(rename = "toneOfVoice", description = "How to say it")] tone: Option<String>,
) -> Vec<PromptMessage> {
    summary(caller.subject(), &order_id, tone)
}

/// Greets.
#[prompt(public, name = "greeting")]
async fn greet() -> Result<GetPromptResult, ToolError> {
    Ok(GetPromptResult {
        description: Some("A greeting".to_owned()),
        messages: vec![PromptMessage::assistant(Content::text("Hello"))],
    })
}

/// Refuses, always.
#[prompt(public)]
async fn refuse(
    /// Why.
    reason: String,
) -> Result<Vec<PromptMessage>, ToolError> {
    Err(ToolError::invalid_arguments(reason))
}

/// The project's README.
#[resource(
    uri = "docs://readme",
    public,
    mime_type = "text/markdown",
    title = "README"
)]
async fn readme() -> &'static str {
    "# Hello"
}

/// The project's licence, without a MIME type.
#[resource(uri = "docs://licence", public, name = "licence")]
async fn licence_text() -> String {
    "MIT".to_owned()
}

/// One order, as JSON.
#[resource(
    uri = "orders://{id}",
    scopes = ["orders:read"],
    mime_type = "application/json",
    completer = order_ids
)]
async fn order(id: String) -> Result<String, ResourceError> {
    if id == "missing" {
        return Err(ResourceError::NotFound);
    }
    Ok(format!(r#"{{"id":"{id}"}}"#))
}

/// One line of an order.
#[resource(uri = "orders://{id}/lines/{line}", public, name = "order-line")]
async fn order_line(ctx: &ToolContext, line: String, id: String) -> Vec<ResourceContents> {
    vec![ResourceContents::text(
        format!("orders://{id}/lines/{line}"),
        "text/plain",
        format!("{} {id} {line}", ctx.tool_name()),
    )]
}

/// Documentation pages, as a service.
struct Docs {
    prefix: String,
}

#[tools]
impl Docs {
    /// Explain a topic.
    #[prompt(public)]
    async fn explain(
        &self,
        /// The topic.
        topic: String,
    ) -> Vec<PromptMessage> {
        vec![PromptMessage::user(Content::text(format!(
            "{}{topic}",
            self.prefix
        )))]
    }

    /// The changelog.
    #[resource(uri = "docs://changelog", public, mime_type = "text/plain")]
    async fn changelog(&self) -> String {
        format!("{}changes", self.prefix)
    }

    /// One page.
    #[resource(uri = "docs://pages/{page}", public)]
    async fn page(&self, page: String) -> String {
        format!("{}{page}", self.prefix)
    }
}

fn with_macros() -> Server {
    let docs = Arc::new(Docs {
        prefix: "> ".to_owned(),
    });
    let mut builder = Server::builder("test", "1.0")
        .prompt(summarize_order_prompt())
        .prompt(greet_prompt())
        .prompt(refuse_prompt())
        .resource(readme_resource())
        .resource(licence_text_resource())
        .resource_template(order_resource_template())
        .resource_template(order_line_resource_template());
    for p in Arc::clone(&docs).prompts() {
        builder = builder.prompt(p);
    }
    for r in Arc::clone(&docs).resources() {
        builder = builder.resource(r);
    }
    for t in docs.resource_templates() {
        builder = builder.resource_template(t);
    }
    builder.build().expect("valid definitions")
}

// ---- The same definitions, by hand. ----

fn by_hand() -> Server {
    let prefix = Arc::new("> ".to_owned());
    let (p1, p2, p3) = (Arc::clone(&prefix), Arc::clone(&prefix), prefix);
    Server::builder("test", "1.0")
        .prompt(
            Prompt::builder("summarize_order")
                .description("Summarize one order for a customer.")
                .title("Order summary")
                .argument("order_id", "The order to summarize.", true)
                .argument("toneOfVoice", "How to say it", false)
                .scopes(["orders:read"])
                .handler(|ctx, mut args| async move {
                    let order_id = args.remove("order_id").unwrap();
                    let tone = args.remove("toneOfVoice");
                    Ok(summary(ctx.caller().subject(), &order_id, tone).into())
                })
                .completer(order_ids)
                .build(),
        )
        .prompt(
            Prompt::builder("greeting")
                .description("Greets.")
                .public()
                .handler(|_ctx, _args| async {
                    Ok(GetPromptResult {
                        description: Some("A greeting".to_owned()),
                        messages: vec![PromptMessage::assistant(Content::text("Hello"))],
                    })
                })
                .build(),
        )
        .prompt(
            Prompt::builder("refuse")
                .description("Refuses, always.")
                .argument("reason", "Why.", true)
                .public()
                .handler(
                    |_ctx, args| async move { Err(ToolError::invalid_arguments(&args["reason"])) },
                )
                .build(),
        )
        .resource(
            Resource::builder("docs://readme", "readme")
                .description("The project's README.")
                .title("README")
                .mime_type("text/markdown")
                .public()
                .handler(|_ctx, uri| async move {
                    Ok(vec![ResourceContents::text(
                        uri,
                        "text/markdown",
                        "# Hello",
                    )])
                })
                .build(),
        )
        .resource(
            Resource::builder("docs://licence", "licence")
                .description("The project's licence, without a MIME type.")
                .public()
                .handler(|_ctx, uri| async move {
                    Ok(vec![ResourceContents::Text {
                        uri,
                        mime_type: None,
                        text: "MIT".to_owned(),
                    }])
                })
                .build(),
        )
        .resource_template(
            ResourceTemplate::builder("orders://{id}", "order")
                .description("One order, as JSON.")
                .mime_type("application/json")
                .scopes(["orders:read"])
                .handler(|_ctx, uri, vars| async move {
                    let id = &vars["id"];
                    if id == "missing" {
                        return Err(ResourceError::NotFound);
                    }
                    Ok(vec![ResourceContents::text(
                        uri,
                        "application/json",
                        format!(r#"{{"id":"{id}"}}"#),
                    )])
                })
                .completer(order_ids)
                .build(),
        )
        .resource_template(
            ResourceTemplate::builder("orders://{id}/lines/{line}", "order-line")
                .description("One line of an order.")
                .public()
                .handler(|ctx, _uri, vars| async move {
                    let (id, line) = (&vars["id"], &vars["line"]);
                    Ok(vec![ResourceContents::text(
                        format!("orders://{id}/lines/{line}"),
                        "text/plain",
                        format!("{} {id} {line}", ctx.tool_name()),
                    )])
                })
                .build(),
        )
        .prompt(
            Prompt::builder("explain")
                .description("Explain a topic.")
                .argument("topic", "The topic.", true)
                .public()
                .handler(move |_ctx, args| {
                    let prefix = Arc::clone(&p1);
                    async move {
                        Ok(vec![PromptMessage::user(Content::text(format!(
                            "{prefix}{}",
                            args["topic"]
                        )))]
                        .into())
                    }
                })
                .build(),
        )
        .resource(
            Resource::builder("docs://changelog", "changelog")
                .description("The changelog.")
                .mime_type("text/plain")
                .public()
                .handler(move |_ctx, uri| {
                    let prefix = Arc::clone(&p2);
                    async move {
                        Ok(vec![ResourceContents::text(
                            uri,
                            "text/plain",
                            format!("{prefix}changes"),
                        )])
                    }
                })
                .build(),
        )
        .resource_template(
            ResourceTemplate::builder("docs://pages/{page}", "page")
                .description("One page.")
                .public()
                .handler(move |_ctx, uri, vars| {
                    let prefix = Arc::clone(&p3);
                    async move {
                        Ok(vec![ResourceContents::Text {
                            uri,
                            mime_type: None,
                            text: format!("{prefix}{}", vars["page"]),
                        }])
                    }
                })
                .build(),
        )
        .build()
        .expect("valid definitions")
}

async fn request(server: &Server, scopes: &[&str], method: &str, params: Value) -> Value {
    let mut params = params;
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": { "name": "test", "version": "1" }
    });
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let caller = Arc::new(Caller::local("alice", scopes.iter().copied()));
    let message = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    server
        .dispatch(&Arc::new(Connection::new()), message, &caller, &tx)
        .await
        .expect("a response")
}

/// Sends the same request to both servers, checks the responses are equal, returns one.
async fn both(method: &str, params: Value) -> Value {
    let scopes = ["orders:read"];
    let generated = request(&with_macros(), &scopes, method, params.clone()).await;
    let written = request(&by_hand(), &scopes, method, params.clone()).await;
    assert_eq!(generated, written, "{method} {params}");
    generated
}

#[tokio::test]
async fn prompts_list_matches_the_builders() {
    let response = both("prompts/list", json!({})).await;
    let prompts = response["result"]["prompts"].as_array().expect("prompts");
    let names: Vec<&str> = prompts
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["summarize_order", "greeting", "refuse", "explain"]);
    assert_eq!(
        prompts[0],
        json!({
            "name": "summarize_order",
            "title": "Order summary",
            "description": "Summarize one order for a customer.",
            "arguments": [
                { "name": "order_id", "description": "The order to summarize.", "required": true },
                { "name": "toneOfVoice", "description": "How to say it", "required": false }
            ],
            "_meta": { "io.github.policy-mcp/access": { "scopes": ["orders:read"] } }
        })
    );
    assert_eq!(
        prompts[1],
        json!({
            "name": "greeting",
            "description": "Greets.",
            "_meta": { "io.github.policy-mcp/access": { "public": true } }
        })
    );
}

#[tokio::test]
async fn prompts_get_passes_arguments_and_context() {
    let response = both(
        "prompts/get",
        json!({ "name": "summarize_order", "arguments": { "order_id": "TN-1001", "toneOfVoice": "warm" } }),
    )
    .await;
    assert_eq!(
        response["result"]["messages"],
        json!([
            { "role": "user", "content": { "type": "text", "text": "alice asks: summarize order TN-1001 (warm)." } },
            { "role": "assistant", "content": { "type": "text", "text": "Sure." } }
        ])
    );
    let response = both(
        "prompts/get",
        json!({ "name": "summarize_order", "arguments": { "order_id": "TN-1002" } }),
    )
    .await;
    assert_eq!(
        response["result"]["messages"][0]["content"]["text"],
        "alice asks: summarize order TN-1002 (plain)."
    );
    let response = both("prompts/get", json!({ "name": "greeting" })).await;
    assert_eq!(response["result"]["description"], "A greeting");
    let response = both(
        "prompts/get",
        json!({ "name": "explain", "arguments": { "topic": "scopes" } }),
    )
    .await;
    assert_eq!(
        response["result"]["messages"][0]["content"]["text"],
        "> scopes"
    );
    // A handler's invalid-arguments error, a missing required argument.
    let response = both(
        "prompts/get",
        json!({ "name": "refuse", "arguments": { "reason": "no" } }),
    )
    .await;
    assert_eq!(response["error"]["code"], -32602);
    let response = both(
        "prompts/get",
        json!({ "name": "summarize_order", "arguments": {} }),
    )
    .await;
    assert_eq!(response["error"]["code"], -32602);
}

#[tokio::test]
async fn resources_list_matches_the_builders() {
    let response = both("resources/list", json!({})).await;
    let resources = response["result"]["resources"]
        .as_array()
        .expect("resources");
    assert_eq!(
        resources[0],
        json!({
            "uri": "docs://readme",
            "name": "readme",
            "title": "README",
            "description": "The project's README.",
            "mimeType": "text/markdown",
            "_meta": { "io.github.policy-mcp/access": { "public": true } }
        })
    );
    let uris: Vec<&str> = resources
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    assert_eq!(
        uris,
        ["docs://readme", "docs://licence", "docs://changelog"]
    );

    let response = both("resources/templates/list", json!({})).await;
    let templates = response["result"]["resourceTemplates"]
        .as_array()
        .expect("templates");
    assert_eq!(
        templates[0],
        json!({
            "uriTemplate": "orders://{id}",
            "name": "order",
            "description": "One order, as JSON.",
            "mimeType": "application/json",
            "_meta": { "io.github.policy-mcp/access": { "scopes": ["orders:read"] } }
        })
    );
    assert_eq!(templates.len(), 3);
}

#[tokio::test]
async fn resources_read_fixed_and_templates() {
    let response = both("resources/read", json!({ "uri": "docs://readme" })).await;
    assert_eq!(
        response["result"]["contents"],
        json!([{ "uri": "docs://readme", "mimeType": "text/markdown", "text": "# Hello" }])
    );
    let response = both("resources/read", json!({ "uri": "docs://licence" })).await;
    assert_eq!(
        response["result"]["contents"],
        json!([{ "uri": "docs://licence", "text": "MIT" }])
    );
    let response = both("resources/read", json!({ "uri": "orders://TN-1001" })).await;
    assert_eq!(
        response["result"]["contents"],
        json!([{ "uri": "orders://TN-1001", "mimeType": "application/json", "text": "{\"id\":\"TN-1001\"}" }])
    );
    let response = both("resources/read", json!({ "uri": "orders://7/lines/2" })).await;
    assert_eq!(response["result"]["contents"][0]["text"], "order-line 7 2");
    let response = both("resources/read", json!({ "uri": "docs://changelog" })).await;
    assert_eq!(response["result"]["contents"][0]["text"], "> changes");
    let response = both("resources/read", json!({ "uri": "docs://pages/intro" })).await;
    assert_eq!(
        response["result"]["contents"],
        json!([{ "uri": "docs://pages/intro", "text": "> intro" }])
    );
    // `ResourceError::NotFound` from the handler.
    let response = both("resources/read", json!({ "uri": "orders://missing" })).await;
    assert_eq!(response["error"]["code"], -32602);
}

#[tokio::test]
async fn completers_and_scopes_are_wired() {
    let response = both(
        "completion/complete",
        json!({
            "ref": { "type": "ref/prompt", "name": "summarize_order" },
            "argument": { "name": "order_id", "value": "TN-1" }
        }),
    )
    .await;
    assert_eq!(
        response["result"]["completion"]["values"],
        json!(["TN-1001", "TN-1002"])
    );
    let response = both(
        "completion/complete",
        json!({
            "ref": { "type": "ref/resource", "uri": "orders://{id}" },
            "argument": { "name": "id", "value": "TN-2" }
        }),
    )
    .await;
    assert_eq!(
        response["result"]["completion"]["values"],
        json!(["TN-2001"])
    );

    // Without `orders:read`, the scoped prompt and template are refused.
    for server in [with_macros(), by_hand()] {
        let response = request(
            &server,
            &[],
            "prompts/get",
            json!({ "name": "summarize_order", "arguments": { "order_id": "TN-1001" } }),
        )
        .await;
        assert!(response.get("error").is_some(), "{response}");
        let response = request(
            &server,
            &[],
            "resources/read",
            json!({ "uri": "orders://TN-1001" }),
        )
        .await;
        assert!(response.get("error").is_some(), "{response}");
    }
}
