//! Resources, resource templates, prompts and completion at the dispatcher, in both eras:
//! listing (pagination, caching hints, visibility), reading, getting, completing, the errors
//! each era prescribes, declared capabilities, and authorization by declared scopes.

use mcp_runtime::jsonrpc::{Request, RequestId};
use mcp_runtime::protocol::RequestScope;
use mcp_runtime::registry::{
    GetPromptResult, Prompt, PromptMessage, Resource, ResourceContents, ResourceError,
    ResourceTemplate,
};
use mcp_runtime::{CallToolResult, Caller, Connection, Content, Era, McpError, Server, Tool};
use serde_json::{Value, json};
use std::sync::Arc;

fn text(uri: &str, body: &str) -> Vec<ResourceContents> {
    vec![ResourceContents::text(uri, "text/plain", body)]
}

fn server() -> Server {
    let resource = |uri: &'static str| {
        Resource::builder(uri, uri.trim_start_matches("test://"))
            .public()
            .handler(move |_, uri| async move { Ok(text(&uri, "public body")) })
            .build()
    };
    Server::builder("primitives", "1.0.0")
        .page_size(2)
        .resource(resource("test://a"))
        .resource(resource("test://b"))
        .resource(resource("test://c"))
        .resource(
            Resource::builder("test://vault", "vault")
                .scopes(["vault:read"])
                .handler(|ctx, uri| async move {
                    Ok(text(
                        &uri,
                        &format!("secret for {}", ctx.caller().subject()),
                    ))
                })
                .build(),
        )
        .resource(
            Resource::builder("test://broken", "broken")
                .public()
                .handler(|_, _| async { Err(ResourceError::failed("disk on fire")) })
                .build(),
        )
        .resource_template(
            ResourceTemplate::builder("test://items/{id}", "item")
                .public()
                .handler(|_, uri, vars| async move {
                    if vars["id"] == "0" {
                        return Err(ResourceError::NotFound);
                    }
                    Ok(text(&uri, &format!("item {}", vars["id"])))
                })
                .completer(|_, value| {
                    (1..=150)
                        .map(|i| i.to_string())
                        .filter(|v| v.starts_with(value))
                        .collect()
                })
                .build(),
        )
        .prompt(
            Prompt::builder("greet")
                .description("Greets someone.")
                .argument("name", "Who to greet", true)
                .argument("mood", "How", false)
                .public()
                .handler(|_, args| async move {
                    let mood = args.get("mood").map_or("warmly", String::as_str);
                    Ok(GetPromptResult {
                        description: Some("a greeting".to_owned()),
                        messages: vec![PromptMessage::user(Content::text(format!(
                            "Greet {} {mood}.",
                            args["name"]
                        )))],
                    })
                })
                .completer(|argument, value| {
                    assert_eq!(argument, "name");
                    ["Ada", "Alan", "Grace"]
                        .iter()
                        .filter(|n| n.starts_with(value))
                        .map(|n| (*n).to_owned())
                        .collect()
                })
                .build(),
        )
        .prompt(
            Prompt::builder("audit")
                .description("Needs a scope.")
                .scopes(["audit:read"])
                .handler(|_, _| async {
                    Ok(vec![PromptMessage::assistant(Content::text("audit"))].into())
                })
                .build(),
        )
        .build()
        .expect("valid server")
}

fn modern_request(id: i64, method: &str, mut params: Value) -> Request {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    Request {
        id: RequestId::Number(id),
        method: method.to_owned(),
        params: params.as_object().cloned().unwrap_or_default(),
    }
}

async fn modern(
    server: &Server,
    caller: Caller,
    method: &str,
    params: Value,
) -> Result<Value, McpError> {
    let scope = RequestScope {
        connection: None,
        caller: Arc::new(caller),
        outbound: None,
    };
    server
        .handle_request(modern_request(1, method, params), Era::Modern, &scope)
        .await
}

fn anonymous() -> Caller {
    Caller::local("anonymous", Vec::<String>::new())
}

/// A legacy session (initialized with 2025-11-25) on `server` for `caller`.
struct Session {
    server: Server,
    connection: Arc<Connection>,
    caller: Arc<Caller>,
    next: i64,
}

impl Session {
    async fn open(server: Server, caller: Caller) -> (Self, Value) {
        let mut s = Self {
            server,
            connection: Arc::new(Connection::new()),
            caller: Arc::new(caller),
            next: 0,
        };
        let init = s
            .send(
                "initialize",
                json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
            )
            .await;
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        assert!(
            s.server
                .dispatch(&s.connection, note, &s.caller, &tx)
                .await
                .is_none()
        );
        (s, init)
    }

    async fn send(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let message =
            json!({"jsonrpc": "2.0", "id": self.next, "method": method, "params": params});
        self.server
            .dispatch(&self.connection, message, &self.caller, &tx)
            .await
            .expect("a response")
    }
}

#[tokio::test]
async fn modern_lists_are_paginated_and_carry_caching_hints() {
    let s = server();
    let first = modern(&s, anonymous(), "resources/list", json!({}))
        .await
        .unwrap();
    let uris: Vec<&str> = first["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    assert_eq!(uris, ["test://a", "test://b"]);
    assert_eq!(first["ttlMs"], 60_000);
    assert_eq!(first["cacheScope"], "private");
    assert_eq!(first["resultType"], "complete");
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();
    let second = modern(&s, anonymous(), "resources/list", json!({"cursor": cursor}))
        .await
        .unwrap();
    let uris: Vec<&str> = second["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    // test://vault is hidden from a caller without `vault:read`.
    assert_eq!(uris, ["test://c", "test://broken"]);
    assert!(second.get("nextCursor").is_none());
    let bad = modern(&s, anonymous(), "resources/list", json!({"cursor": "nope"}))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), -32602);

    let templates = modern(&s, anonymous(), "resources/templates/list", json!({}))
        .await
        .unwrap();
    assert_eq!(
        templates["resourceTemplates"][0]["uriTemplate"],
        "test://items/{id}"
    );
    assert!(templates["ttlMs"].is_u64());
    let prompts = modern(&s, anonymous(), "prompts/list", json!({}))
        .await
        .unwrap();
    let names: Vec<&str> = prompts["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["greet"]);
    assert_eq!(prompts["prompts"][0]["arguments"][0]["required"], true);
    let auditor = Caller::local("auditor", ["audit:read"]);
    let prompts = modern(&s, auditor, "prompts/list", json!({}))
        .await
        .unwrap();
    assert_eq!(prompts["prompts"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn modern_reads_resources_and_templates_and_reports_unknown_uris_as_invalid_params() {
    let s = server();
    let read = modern(
        &s,
        anonymous(),
        "resources/read",
        json!({"uri": "test://a"}),
    )
    .await
    .unwrap();
    assert_eq!(
        read["contents"][0],
        json!({"uri": "test://a", "mimeType": "text/plain", "text": "public body"})
    );
    assert!(read["ttlMs"].is_u64());
    assert_eq!(read["cacheScope"], "private");
    let item = modern(
        &s,
        anonymous(),
        "resources/read",
        json!({"uri": "test://items/42"}),
    )
    .await
    .unwrap();
    assert_eq!(item["contents"][0]["text"], "item 42");
    for missing in ["test://nowhere", "test://items/0"] {
        let e = modern(&s, anonymous(), "resources/read", json!({"uri": missing}))
            .await
            .unwrap_err();
        let obj = e.to_error_object();
        assert_eq!(obj.code, -32602, "{missing}");
        assert_eq!(obj.data.unwrap()["uri"], missing);
    }
    let broken = modern(
        &s,
        anonymous(),
        "resources/read",
        json!({"uri": "test://broken"}),
    )
    .await
    .unwrap_err();
    assert_eq!(broken.code(), -32603);
    assert!(broken.to_string().contains("disk on fire"), "{broken}");
    // Subscriptions are legacy-only.
    let e = modern(
        &s,
        anonymous(),
        "resources/subscribe",
        json!({"uri": "test://a"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), -32601);
}

#[tokio::test]
async fn declared_scopes_guard_resources_and_prompts() {
    let s = server();
    let denied = modern(
        &s,
        anonymous(),
        "resources/read",
        json!({"uri": "test://vault"}),
    )
    .await
    .unwrap_err();
    let McpError::Forbidden(denial) = &denied else {
        panic!("expected a denial, got {denied:?}");
    };
    assert_eq!(denial.missing, ["vault:read"]);
    assert_eq!(denied.http_status(), 403);
    assert_eq!(
        denied.to_error_object().data.unwrap()["resource"],
        "test://vault"
    );
    assert!(
        denied
            .to_string()
            .contains("reading resource `test://vault`"),
        "{denied}"
    );
    let reader = Caller::local("ana", ["vault:read"]);
    let read = modern(&s, reader, "resources/read", json!({"uri": "test://vault"}))
        .await
        .unwrap();
    assert_eq!(read["contents"][0]["text"], "secret for ana");

    let denied = modern(&s, anonymous(), "prompts/get", json!({"name": "audit"}))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), -31003);
    assert_eq!(denied.to_error_object().data.unwrap()["prompt"], "audit");
    let auditor = Caller::local("bo", ["audit:read"]);
    let got = modern(&s, auditor, "prompts/get", json!({"name": "audit"}))
        .await
        .unwrap();
    assert_eq!(got["messages"][0]["role"], "assistant");
}

#[tokio::test]
async fn prompts_check_their_arguments() {
    let s = server();
    let got = modern(
        &s,
        anonymous(),
        "prompts/get",
        json!({"name": "greet", "arguments": {"name": "Ada"}}),
    )
    .await
    .unwrap();
    assert_eq!(got["description"], "a greeting");
    assert_eq!(
        got["messages"][0]["content"],
        json!({"type": "text", "text": "Greet Ada warmly."})
    );
    for (args, why) in [
        (json!({}), "missing required argument(s): name"),
        (
            json!({"name": "Ada", "colour": "red"}),
            "unknown argument(s): colour",
        ),
        (json!({"name": 7}), "`name` must be a string"),
    ] {
        let e = modern(
            &s,
            anonymous(),
            "prompts/get",
            json!({"name": "greet", "arguments": args}),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), -32602);
        assert!(e.to_string().contains(why), "{e}");
    }
    let unknown = modern(&s, anonymous(), "prompts/get", json!({"name": "nope"}))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), -32602);
}

#[tokio::test]
async fn completion_covers_prompt_arguments_and_template_variables() {
    let s = server();
    let c = modern(
        &s,
        anonymous(),
        "completion/complete",
        json!({"ref": {"type": "ref/prompt", "name": "greet"}, "argument": {"name": "name", "value": "A"}}),
    )
    .await
    .unwrap();
    assert_eq!(c["completion"]["values"], json!(["Ada", "Alan"]));
    assert_eq!(c["completion"]["hasMore"], false);
    let c = modern(
        &s,
        anonymous(),
        "completion/complete",
        json!({"ref": {"type": "ref/resource", "uri": "test://items/{id}"}, "argument": {"name": "id", "value": ""}}),
    )
    .await
    .unwrap();
    assert_eq!(c["completion"]["values"].as_array().unwrap().len(), 100);
    assert_eq!(c["completion"]["total"], 150);
    assert_eq!(c["completion"]["hasMore"], true);
    for params in [
        json!({"ref": {"type": "ref/prompt", "name": "nope"}, "argument": {"name": "x", "value": ""}}),
        json!({"ref": {"type": "ref/prompt", "name": "greet"}, "argument": {"name": "x", "value": ""}}),
        json!({"ref": {"type": "ref/other"}, "argument": {"name": "x", "value": ""}}),
        json!({"ref": {"type": "ref/prompt", "name": "greet"}}),
    ] {
        let e = modern(&s, anonymous(), "completion/complete", params.clone())
            .await
            .unwrap_err();
        assert_eq!(e.code(), -32602, "{params}");
    }
    let denied = modern(
        &s,
        anonymous(),
        "completion/complete",
        json!({"ref": {"type": "ref/prompt", "name": "audit"}, "argument": {"name": "x", "value": ""}}),
    )
    .await
    .unwrap_err();
    assert_eq!(denied.code(), -31003);
}

#[tokio::test]
async fn legacy_sessions_subscribe_and_get_resource_not_found_codes() {
    let (mut session, init) = Session::open(server(), anonymous()).await;
    let caps = &init["result"]["capabilities"];
    assert_eq!(
        caps["resources"],
        json!({"subscribe": true, "listChanged": true})
    );
    assert_eq!(caps["prompts"], json!({"listChanged": true}));
    assert_eq!(caps["completions"], json!({}));
    let list = session.send("resources/list", json!({})).await;
    assert!(
        list["result"].get("ttlMs").is_none(),
        "no caching hints in legacy results"
    );
    assert!(list["result"].get("resultType").is_none());
    let missing = session
        .send("resources/read", json!({"uri": "test://nowhere"}))
        .await;
    assert_eq!(missing["error"]["code"], -32002);
    assert_eq!(missing["error"]["data"]["uri"], "test://nowhere");
    for method in ["resources/subscribe", "resources/unsubscribe"] {
        let ok = session.send(method, json!({"uri": "test://a"})).await;
        assert_eq!(ok["result"], json!({}), "{method}");
    }
    let denied = session
        .send("resources/subscribe", json!({"uri": "test://vault"}))
        .await;
    assert_eq!(denied["error"]["code"], -31003);
    let unknown = session
        .send("resources/subscribe", json!({"uri": "test://nowhere"}))
        .await;
    assert_eq!(unknown["error"]["code"], -32002);
}

#[tokio::test]
async fn capabilities_follow_what_is_registered() {
    let tools_only = Server::builder("t", "1")
        .tool(
            Tool::builder("t")
                .description("d")
                .public()
                .requires_client_capability("sampling")
                .handler(|_, _| async { Ok(CallToolResult::default()) })
                .build(),
        )
        .build()
        .unwrap();
    let discover = modern(&tools_only, anonymous(), "server/discover", json!({}))
        .await
        .unwrap();
    let caps = discover["capabilities"].as_object().unwrap();
    assert!(caps.contains_key("tools"));
    for absent in ["resources", "prompts", "completions"] {
        assert!(
            !caps.contains_key(absent),
            "{absent} declared without anything registered"
        );
    }
    for method in [
        "resources/list",
        "resources/read",
        "prompts/list",
        "prompts/get",
        "completion/complete",
    ] {
        let e = modern(&tools_only, anonymous(), method, json!({}))
            .await
            .unwrap_err();
        assert_eq!(e.code(), -32601, "{method}");
    }
    let (mut session, init) = Session::open(tools_only.clone(), anonymous()).await;
    assert!(init["result"]["capabilities"].get("resources").is_none());
    let e = session
        .send("resources/subscribe", json!({"uri": "x://y"}))
        .await;
    assert_eq!(e["error"]["code"], -32601);

    // A tool that needs sampling refuses clients that did not declare it.
    let refused = modern(&tools_only, anonymous(), "tools/call", json!({"name": "t"}))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), -32021);
    assert_eq!(refused.http_status(), 400);
    assert_eq!(
        refused.to_error_object().data.unwrap(),
        json!({"requiredCapabilities": {"sampling": {}}})
    );
    let mut request = modern_request(2, "tools/call", json!({"name": "t"}));
    request.params["_meta"]["io.modelcontextprotocol/clientCapabilities"] = json!({"sampling": {}});
    let scope = RequestScope {
        connection: None,
        caller: Arc::new(anonymous()),
        outbound: None,
    };
    assert!(
        tools_only
            .handle_request(request, Era::Modern, &scope)
            .await
            .is_ok()
    );

    let full = modern(&server(), anonymous(), "server/discover", json!({}))
        .await
        .unwrap();
    assert_eq!(
        full["capabilities"]["resources"],
        json!({"subscribe": true, "listChanged": true}),
        "2026-07-28 subscribes through subscriptions/listen"
    );
    assert!(full["capabilities"].get("completions").is_some());
}

#[test]
fn declared_scopes_cover_every_primitive() {
    let s = server();
    assert_eq!(s.declared_scopes(), ["audit:read", "vault:read"]);
    assert_eq!(
        s.scopes_for("resources/read", "test://vault"),
        Some(vec!["vault:read".to_owned()])
    );
    assert_eq!(
        s.scopes_for("prompts/get", "audit"),
        Some(vec!["audit:read".to_owned()])
    );
    assert_eq!(
        s.scopes_for("resources/read", "test://items/3"),
        None,
        "public template"
    );
    assert_eq!(s.scopes_for("prompts/get", "nope"), None);
    assert_eq!(s.scopes_for("tools/list", "audit"), None);
}
