//! OpenTelemetry traces (the runtime's `otel` feature) end to end: a server on a loopback
//! socket exports over OTLP/HTTP to a small receiver in this test, which decodes the protobuf
//! batches. A call carrying a W3C `traceparent` continues that trace: the request's span has
//! the incoming trace id and the caller's span as parent, the tool call's span is its child
//! and names the tool, the decision and the era; no span carries the call's arguments.

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use mcp_runtime::telemetry::otel::{self, OtelSettings};
use mcp_runtime::transport::http::{HttpConfig, serve_listener};
use mcp_runtime::{CallToolResult, Content, Server, Tool};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";
const SECRET_ARG: &str = "argument-that-must-not-be-exported";

/// Starts the receiver: `POST /v1/traces` keeps each body and answers an empty export
/// response.
async fn receiver() -> (String, Arc<Mutex<Vec<Bytes>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let kept = bodies.clone();
    let app = Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body);
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1/traces", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, bodies)
}

fn server() -> Server {
    let lookup = Tool::builder("lookup")
        .description("Look something up.")
        .input_schema(json!({"type":"object","properties":{"q":{"type":"string"}}}))
        .public()
        .handler(|_ctx, _args| async { Ok(CallToolResult::success(vec![Content::text("found")])) })
        .build();
    let cancel = Tool::builder("cancel")
        .description("Cancel something.")
        .scopes(["orders:write"])
        .handler(|_ctx, _args| async { Ok(CallToolResult::default()) })
        .build();
    Server::builder("otel-test", "0.0.1")
        .tool(lookup)
        .tool(cancel)
        .build()
        .unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
        .and_then(|v| match v {
            any_value::Value::StringValue(s) => Some(s.as_str()),
            _ => None,
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_continues_the_callers_trace_and_its_tool_call_is_a_child_span() {
    let (endpoint, bodies) = receiver().await;
    otel::init(&OtelSettings {
        endpoint: Some(endpoint),
        service_name: Some("otel-test".into()),
    })
    .unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let url = format!("http://{addr}/mcp");
    let mut config = HttpConfig::new(url.clone());
    config.bind = addr;
    tokio::spawn(serve_listener(
        listener,
        server(),
        config,
        std::future::pending(),
    ));

    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let call = |id: i64, tool: &str, traceparent: Option<&str>| {
        let meta = json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"}
        });
        let mut rb = http
            .post(&url)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/call")
            .header("mcp-name", tool)
            .json(
                &json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":{
                "name": tool, "arguments": {"q": SECRET_ARG}, "_meta": meta}}),
            );
        if let Some(tp) = traceparent {
            rb = rb
                .header("traceparent", tp)
                .header("tracestate", "vendor=opaque");
        }
        rb.send()
    };
    let r = call(1, "lookup", Some(&format!("00-{TRACE_ID}-{PARENT_ID}-01")))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["result"]["content"][0]["text"], "found");
    // Denied (the anonymous caller holds no scope), and with a malformed traceparent: a new
    // trace.
    let r = call(2, "cancel", Some("00-zz-not-a-trace-01"))
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Flush from a blocking thread (the exporter's client is blocking), then collect.
    let started = Instant::now();
    let spans: Vec<Span> = loop {
        tokio::task::spawn_blocking(otel::flush).await.unwrap();
        let spans: Vec<Span> = bodies
            .lock()
            .unwrap()
            .iter()
            .flat_map(|b| {
                ExportTraceServiceRequest::decode(b.clone())
                    .expect("an OTLP/protobuf export request")
                    .resource_spans
            })
            .flat_map(|rs| rs.scope_spans)
            .flat_map(|ss| ss.spans)
            .collect();
        let tools = spans.iter().filter(|s| s.name == "mcp.tool_call").count();
        if tools >= 2 {
            break spans;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "spans received so far: {:?}",
            spans.iter().map(|s| &s.name).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    let request = spans
        .iter()
        .find(|s| s.name == "mcp.request" && hex(&s.trace_id) == TRACE_ID)
        .expect("the request's span continues the incoming trace");
    assert_eq!(hex(&request.parent_span_id), PARENT_ID);
    assert_eq!(attribute(request, "http.request.method"), Some("POST"));
    assert_eq!(attribute(request, "url.path"), Some("/mcp"));
    let tool = spans
        .iter()
        .find(|s| s.name == "mcp.tool_call" && attribute(s, "mcp.tool") == Some("lookup"))
        .expect("a span for the tool call");
    assert_eq!(hex(&tool.trace_id), TRACE_ID);
    assert_eq!(
        tool.parent_span_id, request.span_id,
        "a child of the request"
    );
    assert_eq!(attribute(tool, "mcp.decision"), Some("allow"));
    assert_eq!(attribute(tool, "mcp.era"), Some("modern"));

    let denied = spans
        .iter()
        .find(|s| s.name == "mcp.tool_call" && attribute(s, "mcp.tool") == Some("cancel"))
        .expect("a span for the denied call");
    assert_eq!(attribute(denied, "mcp.decision"), Some("deny"));
    assert_ne!(hex(&denied.trace_id), TRACE_ID, "a new trace");
    assert_eq!(denied.trace_id.len(), 16);

    for body in bodies.lock().unwrap().iter() {
        assert!(
            !body
                .windows(SECRET_ARG.len())
                .any(|w| w == SECRET_ARG.as_bytes()),
            "an exported span carries the call's arguments"
        );
    }
    tokio::task::spawn_blocking(otel::shutdown).await.unwrap();
}
