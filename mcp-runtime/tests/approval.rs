//! Human approval (`approval = "required"` in the policy): the runtime asks the user before
//! the handler runs, in both eras, over an in-memory stdio pipe. Accepted, declined,
//! dismissed, no capability, forged and replayed approvals; the handler runs only when the
//! user approved, and every outcome is audited.

mod stdio_pipe;

use mcp_runtime::asking::{Elicitation, Elicited};
use mcp_runtime::policy::{Policy, PolicyAuthorizer, PolicyHandle, Source};
use mcp_runtime::{CallToolResult, Caller, Content, Server, Tool};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use stdio_pipe::Pipe;

/// The `inputRequests` key of the runtime's approval question.
const KEY: &str = "io.mcp-runtime/approval";

const POLICY: &str = r#"
[tools.cancel]
approval = "required"

[env.test]
transport = "stdio"
principal = { scopes = ["orders:write"] }
tools.cancel_why.approval = "required"
"#;

/// Audit lines written by every test of this file (one process-wide subscriber).
fn audit_lines() -> &'static Mutex<Vec<u8>> {
    static LINES: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    LINES.get_or_init(|| {
        let lines: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        struct Sink(&'static Mutex<Vec<u8>>);
        impl Write for Sink {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let _ = tracing_subscriber::fmt()
            .with_env_filter("mcp::audit=info")
            .with_ansi(false)
            .with_writer(move || Sink(lines))
            .try_init();
        lines
    })
}

/// The audit lines about approvals of `subject`.
fn approvals_of(subject: &str) -> Vec<String> {
    let text = String::from_utf8(audit_lines().lock().unwrap().clone()).unwrap();
    text.lines()
        .filter(|l| l.contains(" approval ") && l.contains(&format!("subject=\"{subject}\"")))
        .map(str::to_owned)
        .collect()
}

struct Fixture {
    server: Server,
    runs: Arc<AtomicUsize>,
}

fn fixture() -> Fixture {
    audit_lines();
    let runs = Arc::new(AtomicUsize::new(0));
    let (r1, r2) = (runs.clone(), runs.clone());
    let server = Server::builder("test", "1.0.0")
        .request_state_key([9; 32])
        .tool(
            Tool::builder("cancel")
                .description("Cancels, once approved.")
                .scopes(["orders:write"])
                .input_schema(json!({"type":"object","properties":{"id":{"type":"string"}}}))
                .handler(move |ctx, _args| {
                    let runs = r1.clone();
                    async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        let text = format!("cancelled (approved: {})", ctx.approved());
                        Ok(CallToolResult::success(vec![Content::text(text)]))
                    }
                })
                .build(),
        )
        .tool(
            Tool::builder("cancel_why")
                .description("Cancels once approved, asking why.")
                .scopes(["orders:write"])
                .handler(move |ctx, _args| {
                    let runs = r2.clone();
                    async move {
                        let schema = json!({"type":"object",
                            "properties":{"why":{"type":"string"}},"required":["why"]});
                        let why = ctx
                            .elicit::<Value>(Elicitation::form("Why?", schema).key("why"))
                            .await?;
                        runs.fetch_add(1, Ordering::SeqCst);
                        let why = match why {
                            Elicited::Accept(c) => c["why"].as_str().unwrap_or("?").to_owned(),
                            other => other.action().to_owned(),
                        };
                        let text =
                            format!("cancelled because {why} (approved: {})", ctx.approved());
                        Ok(CallToolResult::success(vec![Content::text(text)]))
                    }
                })
                .build(),
        )
        .tool(
            Tool::builder("look")
                .description("Needs no approval.")
                .scopes(["orders:write"])
                .handler(|ctx, _args| async move {
                    let text = format!("looked (approved: {})", ctx.approved());
                    Ok(CallToolResult::success(vec![Content::text(text)]))
                })
                .build(),
        )
        .build()
        .expect("valid server");
    let source = Source {
        name: "policy.toml".into(),
        text: POLICY.into(),
        base_dir: ".".into(),
    };
    let policy = Policy::parse(source, Arc::new(server.catalog())).expect("a valid policy");
    let engine = policy.compile("test", &|_| None).expect("compiles");
    let authorizer = PolicyAuthorizer::new(Arc::new(PolicyHandle::fixed(engine)));
    Fixture {
        server: server.with_authorizer(Arc::new(authorizer)),
        runs,
    }
}

impl Pipe {
    async fn call(&mut self, id: i64, params: Value) -> Value {
        self.send(json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":params}))
            .await;
        self.recv().await
    }

    /// A legacy call of `cancel` answered with `answer` when the approval question comes.
    async fn legacy_cancel(&mut self, id: i64, answer: Value) -> Value {
        self.send(json!({"jsonrpc":"2.0","id":id,"method":"tools/call",
            "params":{"name":"cancel","arguments":{"id":"A-1"}}}))
            .await;
        let ask = self.recv().await;
        assert_eq!(ask["method"], "elicitation/create", "{ask}");
        let message = ask["params"]["message"].as_str().unwrap();
        assert!(
            message.contains("`cancel`") && message.contains("A-1"),
            "{message}"
        );
        let schema = &ask["params"]["requestedSchema"];
        assert_eq!(schema["properties"]["approve"]["type"], "boolean", "{ask}");
        self.send(json!({"jsonrpc":"2.0","id":ask["id"],"result":answer}))
            .await;
        self.recv().await
    }
}

fn modern(mut params: Value, capabilities: Value) -> Value {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": capabilities,
    });
    params
}

fn elicit() -> Value {
    json!({"elicitation": {}})
}

fn text(r: &Value) -> &str {
    r["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn legacy_approval_accepted_runs_the_handler_once_approved() {
    let f = fixture();
    let mut p = Pipe::start(f.server, Caller::local("leg-accept", ["orders:write"]));
    p.init(elicit()).await;
    let r = p
        .legacy_cancel(1, json!({"action":"accept","content":{"approve":true}}))
        .await;
    assert_eq!(text(&r), "cancelled (approved: true)", "{r}");
    assert_eq!(f.runs.load(Ordering::SeqCst), 1);
    // A tool without the rule is not gated, and its handler is told so.
    let r = p.call(2, json!({"name":"look"})).await;
    assert_eq!(text(&r), "looked (approved: false)", "{r}");
    let audit = approvals_of("leg-accept");
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert!(audit[0].contains("approval=\"approved\""), "{audit:?}");
    assert!(
        audit[0].contains("rule=\"tools.cancel.approval\""),
        "{audit:?}"
    );
}

#[tokio::test]
async fn legacy_declined_or_dismissed_approval_does_nothing() {
    let f = fixture();
    let mut p = Pipe::start(f.server, Caller::local("leg-decline", ["orders:write"]));
    p.init(elicit()).await;
    for (id, answer) in [
        (1, json!({"action":"decline"})),
        (2, json!({"action":"cancel"})),
        (3, json!({"action":"accept","content":{"approve":false}})),
    ] {
        let r = p.legacy_cancel(id, answer).await;
        assert_eq!(r["result"]["isError"], true, "{r}");
        assert!(
            text(&r).contains("was not approved") && text(&r).contains("nothing was done"),
            "{r}"
        );
    }
    assert_eq!(f.runs.load(Ordering::SeqCst), 0, "the handler never ran");
    let audit = approvals_of("leg-decline").join("\n");
    assert_eq!(audit.matches("approval=\"declined\"").count(), 2, "{audit}");
    assert_eq!(
        audit.matches("approval=\"cancelled\"").count(),
        1,
        "{audit}"
    );
}

#[tokio::test]
async fn legacy_client_without_elicitation_is_refused() {
    let f = fixture();
    let mut p = Pipe::start(f.server, Caller::local("leg-nocap", ["orders:write"]));
    p.init(json!({"sampling": {}})).await;
    let r = p.call(1, json!({"name":"cancel"})).await;
    assert_eq!(r["error"]["code"], -32021, "{r}");
    assert_eq!(
        r["error"]["data"]["requiredCapabilities"],
        json!({"elicitation": {}})
    );
    let message = r["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("requires the user's approval"),
        "{message}"
    );
    assert_eq!(f.runs.load(Ordering::SeqCst), 0);
    let audit = approvals_of("leg-nocap");
    assert!(
        audit.len() == 1 && audit[0].contains("approval=\"unavailable\""),
        "{audit:?}"
    );
}

/// Round 1 of a modern `cancel` call: the approval question and its state.
async fn ask_modern(p: &mut Pipe, id: i64, arguments: Value) -> String {
    let r = p
        .call(
            id,
            modern(json!({"name":"cancel","arguments":arguments}), elicit()),
        )
        .await;
    let result = &r["result"];
    assert_eq!(result["resultType"], "input_required", "{r}");
    let ask = &result["inputRequests"][KEY];
    assert_eq!(ask["method"], "elicitation/create", "{r}");
    assert_eq!(
        ask["params"]["requestedSchema"]["required"],
        json!(["approve"])
    );
    result["requestState"].as_str().unwrap().to_owned()
}

fn answer(state: &str, arguments: Value, answer: Value) -> Value {
    modern(
        json!({"name":"cancel","arguments":arguments,"requestState":state,
            "inputResponses":{KEY: answer}}),
        elicit(),
    )
}

#[tokio::test]
async fn modern_approval_accepted_runs_once_and_its_state_cannot_be_replayed() {
    let f = fixture();
    let mut p = Pipe::start(f.server, Caller::local("mod-accept", ["orders:write"]));
    let args = json!({"id":"A-1"});
    let state = ask_modern(&mut p, 1, args.clone()).await;
    assert_eq!(
        f.runs.load(Ordering::SeqCst),
        0,
        "nothing ran before approval"
    );
    let yes = json!({"action":"accept","content":{"approve":true}});
    let r = p.call(2, answer(&state, args.clone(), yes.clone())).await;
    assert_eq!(r["result"]["resultType"], "complete", "{r}");
    assert_eq!(text(&r), "cancelled (approved: true)", "{r}");
    assert_eq!(f.runs.load(Ordering::SeqCst), 1);

    // The same approval, sent again: refused, and the handler does not run again.
    let r = p.call(3, answer(&state, args.clone(), yes.clone())).await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
    assert_eq!(r["error"]["data"]["requestState"], "replayed", "{r}");
    assert_eq!(f.runs.load(Ordering::SeqCst), 1);

    // An approval is bound to its arguments: another order is another question.
    let state = ask_modern(&mut p, 4, args).await;
    let r = p.call(5, answer(&state, json!({"id":"B-2"}), yes)).await;
    assert_eq!(r["error"]["data"]["requestState"], "foreign", "{r}");
    assert_eq!(f.runs.load(Ordering::SeqCst), 1);

    let audit = approvals_of("mod-accept").join("\n");
    assert_eq!(audit.matches("approval=\"approved\"").count(), 1, "{audit}");
    assert!(audit.contains("reason=\"replayed\""), "{audit}");
}

#[tokio::test]
async fn modern_declined_approval_does_nothing_and_cannot_be_replayed() {
    let f = fixture();
    let mut p = Pipe::start(f.server, Caller::local("mod-decline", ["orders:write"]));
    let args = json!({"id":"A-1"});
    let state = ask_modern(&mut p, 1, args.clone()).await;
    let no = json!({"action":"decline"});
    let r = p.call(2, answer(&state, args.clone(), no.clone())).await;
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert!(text(&r).contains("was not approved"), "{r}");
    let r = p.call(3, answer(&state, args, no)).await;
    assert_eq!(r["error"]["data"]["requestState"], "replayed", "{r}");
    assert_eq!(f.runs.load(Ordering::SeqCst), 0);
    let audit = approvals_of("mod-decline").join("\n");
    assert_eq!(audit.matches("approval=\"declined\"").count(), 1, "{audit}");
}

#[tokio::test]
async fn modern_client_without_elicitation_is_refused_and_forged_answers_are_ignored() {
    let f = fixture();
    let mut p = Pipe::start(f.server, Caller::local("mod-nocap", ["orders:write"]));
    let r = p.call(1, modern(json!({"name":"cancel"}), json!({}))).await;
    assert_eq!(r["error"]["code"], -32021, "{r}");
    assert_eq!(r["error"]["data"]["tool"], "cancel");

    // An approval the server did not ask for (no state of its own) approves nothing.
    let forged = modern(
        json!({"name":"cancel","inputResponses":{KEY:{"action":"accept","content":{"approve":true}}}}),
        elicit(),
    );
    let r = p.call(2, forged).await;
    assert_eq!(r["result"]["resultType"], "input_required", "{r}");
    assert_eq!(f.runs.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn modern_approval_then_the_handler_s_own_question_each_state_used_once() {
    let f = fixture();
    let mut p = Pipe::start(f.server, Caller::local("mod-rounds", ["orders:write"]));
    let caps = elicit();
    let r = p
        .call(1, modern(json!({"name":"cancel_why"}), caps.clone()))
        .await;
    let state1 = r["result"]["requestState"].as_str().unwrap().to_owned();
    assert!(r["result"]["inputRequests"].get(KEY).is_some(), "{r}");
    let yes = json!({"action":"accept","content":{"approve":true}});
    let retry = json!({"name":"cancel_why","requestState":state1,"inputResponses":{KEY:yes}});
    let r = p.call(2, modern(retry, caps.clone())).await;
    let requests = r["result"]["inputRequests"].as_object().unwrap();
    assert_eq!(
        requests.keys().collect::<Vec<_>>(),
        ["why"],
        "asked once, now the handler's question: {r}"
    );
    let state2 = r["result"]["requestState"].as_str().unwrap().to_owned();
    let why = json!({"action":"accept","content":{"why":"duplicate"}});
    let retry = json!({"name":"cancel_why","requestState":state2,"inputResponses":{"why":why}});
    let r = p.call(3, modern(retry.clone(), caps.clone())).await;
    assert_eq!(
        text(&r),
        "cancelled because duplicate (approved: true)",
        "{r}"
    );
    assert_eq!(f.runs.load(Ordering::SeqCst), 1);
    let r = p.call(4, modern(retry, caps)).await;
    assert_eq!(r["error"]["data"]["requestState"], "replayed", "{r}");
    assert_eq!(f.runs.load(Ordering::SeqCst), 1);
    let audit = approvals_of("mod-rounds");
    assert!(
        audit[0].contains("rule=\"env.test.tools.cancel_why.approval\""),
        "{audit:?}"
    );
}

#[test]
fn approval_is_validated_with_its_position() {
    let server = fixture().server;
    let catalog = Arc::new(server.catalog());
    let parse = |text: &str| {
        let source = Source {
            name: "policy.toml".into(),
            text: text.into(),
            base_dir: ".".into(),
        };
        Policy::parse(source, catalog.clone())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    let bad = parse("[tools.cancel]\napproval = \"sometimes\"\n");
    assert!(
        bad.contains("policy.toml:2:12") && bad.contains("the only value is \"required\""),
        "{bad}"
    );
    let lifted = parse("[env.prod]\ntransport = \"stdio\"\ntools.cancel.approval = \"none\"\n");
    assert!(lifted.contains("policy.toml:3:25"), "{lifted}");
    let typo = parse("[tools.cancel]\napprovel = \"required\"\n");
    assert!(
        typo.contains("policy.toml:2:1") && typo.contains("approval"),
        "{typo}"
    );
}
