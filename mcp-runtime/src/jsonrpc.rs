//! JSON-RPC 2.0 wire types, as MCP uses them.
//!
//! MCP narrows JSON-RPC: request ids are strings or integers and never `null`, `params` is an
//! object when present, and notifications are never answered. The runtime turns each
//! decoded JSON value into a typed message or into the exact error response JSON-RPC prescribes.

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::fmt;

/// The only JSON-RPC version MCP speaks.
pub const JSONRPC_VERSION: &str = "2.0";

/// Standard JSON-RPC and MCP error codes.
pub mod codes {
    /// Invalid JSON was received.
    pub const PARSE_ERROR: i32 = -32700;
    /// The JSON sent is not a valid request object.
    pub const INVALID_REQUEST: i32 = -32600;
    /// The method does not exist or is not available in this protocol era.
    pub const METHOD_NOT_FOUND: i32 = -32601;
    /// Invalid method parameters (unknown tool, bad arguments, bad cursor, bad `_meta`).
    pub const INVALID_PARAMS: i32 = -32602;
    /// Internal error.
    pub const INTERNAL_ERROR: i32 = -32603;
    /// 2025-11-25 and earlier: the resource does not exist (2026-07-28 uses
    /// [`INVALID_PARAMS`] with `data.uri` instead).
    pub const RESOURCE_NOT_FOUND: i32 = -32002;
    /// (2025-11-25 only) a URL mode elicitation must complete before the request can succeed.
    pub const URL_ELICITATION_REQUIRED: i32 = -32042;
    /// 2026-07-28: HTTP headers disagree with the body.
    pub const HEADER_MISMATCH: i32 = -32020;
    /// 2026-07-28: the request needs a client capability the client did not declare.
    pub const MISSING_REQUIRED_CLIENT_CAPABILITY: i32 = -32021;
    /// 2026-07-28: the requested protocol version is not supported.
    pub const UNSUPPORTED_PROTOCOL_VERSION: i32 = -32022;
    /// Application code (outside the reserved range): no valid credentials were presented.
    pub const UNAUTHORIZED: i32 = -31001;
    /// Application code (outside the reserved range): the policy denied this call.
    pub const FORBIDDEN: i32 = -31003;
    /// Application code (outside the reserved range): the caller exceeded a rate limit.
    pub const RATE_LIMITED: i32 = -31029;
    /// Application code (outside the reserved range): a check this call needs (a rate limit
    /// held in the shared store) cannot be made now; retry later.
    pub const UNAVAILABLE: i32 = -31503;
}

/// A request id: a string or an integer, never `null`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(untagged)]
pub enum RequestId {
    /// An integer id.
    Number(i64),
    /// A string id.
    String(String),
}

impl RequestId {
    /// Reads an id from a JSON value; `None` for `null`, floats, booleans, arrays and objects.
    pub fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => Some(Self::String(s.clone())),
            Value::Number(n) => n.as_i64().map(Self::Number),
            _ => None,
        }
    }

    /// The id as JSON.
    pub fn to_value(&self) -> Value {
        match self {
            Self::Number(n) => Value::from(*n),
            Self::String(s) => Value::from(s.as_str()),
        }
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => write!(f, "{s:?}"),
        }
    }
}

/// The error member of a JSON-RPC error response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    /// Integer error code (see [`codes`]).
    pub code: i32,
    /// A short human-readable description.
    pub message: String,
    /// Structured detail, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ErrorObject {
    /// An error without `data`.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// Attaches structured `data`.
    #[must_use]
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
}

/// A JSON-RPC request (it has an id and expects exactly one response).
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The id the response must echo.
    pub id: RequestId,
    /// The method name.
    pub method: String,
    /// The `params` object (an empty object when absent).
    pub params: Map<String, Value>,
}

/// A JSON-RPC notification (no id; never answered).
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    /// The method name.
    pub method: String,
    /// The `params` object (an empty object when absent).
    pub params: Map<String, Value>,
}

/// A response the client sent to a server-to-client request (legacy era).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ClientResponse {
    /// The id of the server's request.
    pub id: RequestId,
    /// `Ok(result)` or `Err(error)`.
    pub outcome: Result<Value, ErrorObject>,
}

/// One decoded message from the client.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Incoming {
    /// A request.
    Request(Request),
    /// A notification.
    Notification(Notification),
    /// A response to a server-to-client request.
    Response(ClientResponse),
}

/// A message that is not a valid JSON-RPC message: the error response to send back.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Rejected {
    /// The id, when it could be read; `None` renders as `"id": null`.
    pub id: Option<RequestId>,
    /// The error.
    pub error: ErrorObject,
}

impl Rejected {
    fn invalid(id: Option<RequestId>, why: impl Into<String>) -> Self {
        Self {
            id,
            error: ErrorObject::new(
                codes::INVALID_REQUEST,
                format!("Invalid Request: {}", why.into()),
            ),
        }
    }

    /// The JSON-RPC error response for this rejection.
    pub(crate) fn to_response(&self) -> Value {
        error_response(self.id.as_ref(), &self.error)
    }
}

impl Incoming {
    /// Classifies one JSON value (not a batch) as a request, notification or response.
    ///
    /// # Errors
    /// Returns the `-32600 Invalid Request` rejection for anything that is not a valid MCP
    /// JSON-RPC message: a missing or wrong `jsonrpc`, a `null`, fractional or structured id, a
    /// non-string method, non-object params.
    pub(crate) fn classify(value: Value) -> Result<Self, Rejected> {
        let Value::Object(mut obj) = value else {
            return Err(Rejected::invalid(None, "a message must be a JSON object"));
        };
        let raw_id = obj.remove("id");
        let id = match &raw_id {
            None => None,
            Some(v) => match RequestId::from_value(v) {
                Some(id) => Some(id),
                None => {
                    return Err(Rejected::invalid(
                        None,
                        "`id` must be a string or an integer, and never null",
                    ));
                }
            },
        };
        match obj.get("jsonrpc") {
            Some(Value::String(v)) if v == JSONRPC_VERSION => {}
            _ => return Err(Rejected::invalid(id, "`jsonrpc` must be \"2.0\"")),
        }
        if let Some(method) = obj.remove("method") {
            let Value::String(method) = method else {
                return Err(Rejected::invalid(id, "`method` must be a string"));
            };
            let params = match obj.remove("params") {
                None => Map::new(),
                Some(Value::Object(map)) => map,
                Some(_) => return Err(Rejected::invalid(id, "`params` must be an object")),
            };
            return Ok(match id {
                Some(id) => Self::Request(Request { id, method, params }),
                None => Self::Notification(Notification { method, params }),
            });
        }
        let Some(id) = id else {
            return Err(Rejected::invalid(
                None,
                "a message needs `method`, or `id` with `result` or `error`",
            ));
        };
        match (obj.remove("result"), obj.remove("error")) {
            (Some(result), None) => Ok(Self::Response(ClientResponse {
                id,
                outcome: Ok(result),
            })),
            (None, Some(error)) => match serde_json::from_value::<ErrorObject>(error) {
                Ok(error) => Ok(Self::Response(ClientResponse {
                    id,
                    outcome: Err(error),
                })),
                Err(_) => Err(Rejected::invalid(
                    Some(id),
                    "`error` must have an integer `code` and a `message`",
                )),
            },
            _ => Err(Rejected::invalid(
                Some(id),
                "a response needs exactly one of `result` or `error`",
            )),
        }
    }
}

/// Reads a request of the common shape (`"jsonrpc": "2.0"`, an integer or string `id`, a
/// string `method`, `params` an object or absent) straight from its bytes, without first
/// building the whole message as a `Value` (no map for the envelope, no copies of its
/// member names). `None` for anything else (a notification, a response, a batch, invalid
/// JSON, a member of the wrong type): the caller then parses the bytes as a `Value` and
/// [`Incoming::classify`]s them, which gives the exact answer.
///
/// For the bytes it accepts, the request is the one `classify` makes of the same bytes
/// parsed as a `Value`: a repeated member counts once, its last value (as in a `Value`),
/// and every other member is parsed as a `Value` too (so JSON a `Value` refuses, such as a
/// number out of range, is refused here as well) and then ignored.
pub(crate) fn parse_request(bytes: &[u8]) -> Option<Request> {
    let Envelope {
        jsonrpc,
        id,
        method,
        params,
    } = serde_json::from_slice(bytes).ok()?;
    if jsonrpc != Some(JSONRPC_VERSION) {
        return None;
    }
    let id = RequestId::from_value(&id?)?;
    let params = match params {
        None => Map::new(),
        Some(Value::Object(params)) => params,
        Some(_) => return None,
    };
    Some(Request {
        id,
        method: method?,
        params,
    })
}

/// `request` as the message it was read from (what [`Incoming::classify`] makes back into
/// the same request).
pub(crate) fn request_message(request: Request) -> Value {
    let mut message = Map::new();
    message.insert("jsonrpc".to_owned(), Value::from(JSONRPC_VERSION));
    message.insert("id".to_owned(), request.id.to_value());
    message.insert("method".to_owned(), Value::String(request.method));
    message.insert("params".to_owned(), Value::Object(request.params));
    Value::Object(message)
}

/// The members of a message [`parse_request`] looks at.
struct Envelope<'a> {
    jsonrpc: Option<&'a str>,
    id: Option<Value>,
    method: Option<String>,
    params: Option<Value>,
}

impl<'de> Deserialize<'de> for Envelope<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EnvelopeVisitor)
    }
}

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Envelope<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-RPC message")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut envelope = Envelope {
            jsonrpc: None,
            id: None,
            method: None,
            params: None,
        };
        // Names and `jsonrpc` are borrowed from the input; one written with escapes fails
        // here, and the message takes the `Value` path.
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "jsonrpc" => envelope.jsonrpc = Some(map.next_value()?),
                "id" => envelope.id = Some(map.next_value()?),
                "method" => envelope.method = Some(map.next_value()?),
                "params" => envelope.params = Some(map.next_value()?),
                _ => {
                    map.next_value::<Value>()?;
                }
            }
        }
        Ok(envelope)
    }
}

/// A success response. `result` is moved in, not copied (`json!` would serialize it again).
pub(crate) fn success_response(id: &RequestId, result: Value) -> Value {
    let mut message = Map::new();
    message.insert("jsonrpc".to_owned(), Value::from(JSONRPC_VERSION));
    message.insert("id".to_owned(), id.to_value());
    message.insert("result".to_owned(), result);
    Value::Object(message)
}

/// An error response; `id: None` renders as `"id": null` (for unreadable requests).
pub(crate) fn error_response(id: Option<&RequestId>, error: &ErrorObject) -> Value {
    json!({
        "jsonrpc": JSONRPC_VERSION,
        "id": id.map_or(Value::Null, RequestId::to_value),
        "error": error,
    })
}

/// A notification message.
pub(crate) fn notification(method: &str, params: Value) -> Value {
    let mut message = Map::new();
    message.insert("jsonrpc".to_owned(), Value::from(JSONRPC_VERSION));
    message.insert("method".to_owned(), Value::from(method));
    message.insert("params".to_owned(), params);
    Value::Object(message)
}

/// The `-32700 Parse error` response (always `id: null`).
pub(crate) fn parse_error(detail: impl fmt::Display) -> Value {
    error_response(
        None,
        &ErrorObject::new(codes::PARSE_ERROR, format!("Parse error: {detail}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the `Value` path makes of `bytes`.
    fn slow(bytes: &[u8]) -> Option<Result<Incoming, Rejected>> {
        serde_json::from_slice::<Value>(bytes)
            .ok()
            .map(Incoming::classify)
    }

    #[test]
    fn the_direct_read_of_a_request_agrees_with_classify() {
        let taken: &[&str] = &[
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":[1,{"b":null}]}}}"#,
            r#"{"method":"ping","id":"s-1","jsonrpc":"2.0"}"#,
            r#"{"jsonrpc":"2.0","id":-7,"method":"tools/list","params":{},"extra":{"deep":[1,2,3]}}"#,
            r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"a","method":"b","params":{"x":1},"params":{"y":2}}"#,
            r#"{"jsonrpc":"2.0","id":"é","method":"tools/call","params":{"name":"écho"}}"#,
            " \n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"} \n",
        ];
        for text in taken {
            let fast = parse_request(text.as_bytes()).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(
                slow(text.as_bytes()),
                Some(Ok(Incoming::Request(fast))),
                "{text}"
            );
        }
        let left: &[&str] = &[
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":{}}"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#,
            r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
            r#"{"id":1,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":5}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":null}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","x":1e400}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping"} x"#,
            r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping""#,
            "\"text\"",
        ];
        for text in left {
            assert_eq!(parse_request(text.as_bytes()), None, "{text}");
            assert!(
                !matches!(slow(text.as_bytes()), Some(Ok(Incoming::Request(_)))),
                "{text}"
            );
        }
        // Escaped names may take the `Value` path; whichever path, the same request.
        let escaped = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
        if let Some(fast) = parse_request(escaped) {
            assert_eq!(slow(escaped), Some(Ok(Incoming::Request(fast))));
        }
    }

    #[test]
    fn classifies_requests_notifications_and_responses() {
        let r = Incoming::classify(json!({"jsonrpc":"2.0","id":7,"method":"ping"})).unwrap();
        assert!(matches!(
            r,
            Incoming::Request(Request {
                id: RequestId::Number(7),
                ..
            })
        ));
        let n = Incoming::classify(json!({"jsonrpc":"2.0","method":"notifications/initialized"}))
            .unwrap();
        assert!(matches!(n, Incoming::Notification(_)));
        let c = Incoming::classify(json!({"jsonrpc":"2.0","id":"s1","result":{}})).unwrap();
        assert!(matches!(c, Incoming::Response(_)));
    }

    #[test]
    fn rejects_bad_shapes_with_invalid_request() {
        for (bad, echoed) in [
            (json!({"jsonrpc":"2.0","id":null,"method":"ping"}), None),
            (
                json!({"jsonrpc":"1.0","id":1,"method":"ping"}),
                Some(RequestId::Number(1)),
            ),
            (json!({"id":1,"method":"ping"}), Some(RequestId::Number(1))),
            (
                json!({"jsonrpc":"2.0","id":1,"method":5}),
                Some(RequestId::Number(1)),
            ),
            (
                json!({"jsonrpc":"2.0","id":1,"method":"x","params":[1]}),
                Some(RequestId::Number(1)),
            ),
            (json!({"jsonrpc":"2.0","id":1.5,"method":"ping"}), None),
            (json!([1]), None),
            (json!("hello"), None),
        ] {
            let rejected = Incoming::classify(bad.clone()).unwrap_err();
            assert_eq!(rejected.error.code, codes::INVALID_REQUEST, "{bad}");
            assert_eq!(rejected.id, echoed, "{bad}");
        }
    }

    #[test]
    fn error_response_with_unknown_id_is_null() {
        let v = parse_error("eof");
        assert_eq!(v["id"], Value::Null);
        assert_eq!(v["error"]["code"], -32700);
    }

    /// Arbitrary JSON values and JSON-RPC messages with every member present or not, of the
    /// right type or not: the classifier never panics, and every rejection is a `-32600`
    /// error response whose id is null, a string or an integer.
    #[test]
    fn the_classifier_types_every_value() {
        use proptest::collection::{btree_map, vec};
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};

        let word = prop_oneof![
            proptest::sample::select(vec![
                "2.0",
                "1.0",
                "ping",
                "tools/call",
                "initialize",
                "",
                "id",
                "result",
            ])
            .prop_map(str::to_owned),
            ".{0,8}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e300f64..1e300).prop_map(Value::from),
            word.clone().prop_map(Value::String),
        ];
        let value = leaf.prop_recursive(4, 48, 6, move |inner| {
            let key = prop_oneof![
                proptest::sample::select(vec![
                    "jsonrpc", "id", "method", "params", "result", "error", "code", "message",
                ])
                .prop_map(str::to_owned),
                "[a-z]{0,6}",
            ];
            prop_oneof![
                vec(inner.clone(), 0..6).prop_map(Value::Array),
                btree_map(key, inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        });
        let member = prop::option::of(prop_oneof![
            Just(json!("2.0")),
            any::<i64>().prop_map(Value::from),
            word.prop_map(Value::String),
            value.clone(),
        ]);
        let message = (
            member.clone(),
            member.clone(),
            member.clone(),
            member.clone(),
            member.clone(),
            member,
        )
            .prop_map(|(jsonrpc, id, method, params, result, error)| {
                let mut m = Map::new();
                for (k, v) in [
                    ("jsonrpc", jsonrpc),
                    ("id", id),
                    ("method", method),
                    ("params", params),
                    ("result", result),
                    ("error", error),
                ] {
                    if let Some(v) = v {
                        m.insert(k.to_owned(), v);
                    }
                }
                Value::Object(m)
            });
        let mut runner = TestRunner::new(Config {
            cases: 4000,
            failure_persistence: None,
            ..Config::default()
        });
        let tried = std::cell::Cell::new(0usize);
        runner
            .run(&prop_oneof![value, message], |v| {
                tried.set(tried.get() + 1);
                if let Err(rejected) = Incoming::classify(v) {
                    let r = rejected.to_response();
                    prop_assert_eq!(&r["jsonrpc"], "2.0");
                    prop_assert_eq!(&r["error"]["code"], -32600);
                    prop_assert!(r["id"].is_null() || r["id"].is_string() || r["id"].is_i64());
                }
                Ok(())
            })
            .unwrap();
        eprintln!("battery[classifier]: inputs={} panics=0", tried.get());
    }
}
