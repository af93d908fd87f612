//! The `result` of a request on its way to the transport: a JSON object, or a tool's typed
//! result that is written out directly.
//!
//! A `tools/call` result used to become a `serde_json` object first (every content block a map
//! of owned keys), then gain the members its era adds (`resultType`, `_meta.serverInfo`), then be
//! serialized and dropped. [`Answer::Tool`] keeps the handler's [`CallToolResult`] and writes
//! the same members from it; [`Answer::into_object`] builds the object the old way for the
//! transports that want a `Value`. Both give the same JSON (a unit test compares them).

use super::{Object, meta, to_object};
use crate::content::CallToolResult;
use crate::error::McpError;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;
use std::sync::Arc;

/// The `result` of one request.
#[derive(Debug)]
pub(crate) enum Answer {
    /// A complete result object.
    Object(Object),
    /// A tool's own result, and what its era adds to it.
    Tool {
        /// What the handler returned.
        result: CallToolResult,
        /// A 2026-07-28 result's `_meta.serverInfo` (and its `resultType`); `None` in the
        /// handshake era, which adds nothing.
        server_info: Option<Arc<ServerInfo>>,
    },
}

/// A server's `serverInfo`, as a `Value` and as the `_meta` member of a 2026-07-28 result,
/// written out once: every `tools/call` result carries it.
#[derive(Debug)]
pub(crate) struct ServerInfo {
    value: Value,
    /// `{"io.modelcontextprotocol/serverInfo": value}`.
    meta: Box<RawValue>,
}

impl ServerInfo {
    /// The `serverInfo` object `value`.
    pub(crate) fn new(value: Value) -> Self {
        let mut meta = Object::new();
        meta.insert(meta::SERVER_INFO.into(), value.clone());
        let meta = serde_json::value::to_raw_value(&meta)
            .expect("a JSON object with string keys serializes");
        Self { value, meta }
    }

    /// `serverInfo` as a `Value`.
    pub(crate) fn value(&self) -> &Value {
        &self.value
    }
}

/// The `resultType` of a result that is not a request for more input.
pub(crate) const COMPLETE: &str = "complete";

impl Answer {
    /// The result as a JSON object.
    ///
    /// # Errors
    /// A tool result that does not serialize to an object (not expected from a
    /// [`CallToolResult`]).
    pub(crate) fn into_object(self) -> Result<Object, McpError> {
        match self {
            Self::Object(object) => Ok(object),
            Self::Tool {
                result,
                server_info,
            } => {
                let mut object = to_object(result)?;
                if let Some(info) = server_info {
                    decorate(&mut object, info.value());
                }
                Ok(object)
            }
        }
    }

    /// [`Answer::into_object`] as a `Value`.
    ///
    /// # Errors
    /// As [`Answer::into_object`].
    pub(crate) fn into_value(self) -> Result<Value, McpError> {
        self.into_object().map(Value::Object)
    }
}

/// Adds what every 2026-07-28 result carries: `resultType` (unless the result has its own,
/// as an input-required one does) and `_meta.serverInfo`.
pub(crate) fn decorate(result: &mut Object, server_info: &Value) {
    result
        .entry("resultType")
        .or_insert_with(|| Value::from(COMPLETE));
    let meta_obj = result
        .entry("_meta")
        .or_insert_with(|| Value::Object(Object::new()));
    if let Some(m) = meta_obj.as_object_mut() {
        m.insert(meta::SERVER_INFO.into(), server_info.clone());
    }
}

impl Serialize for Answer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Object(object) => object.serialize(serializer),
            Self::Tool {
                result,
                server_info: None,
            } => result.serialize(serializer),
            // The members in the order a `serde_json` object (sorted keys) writes them.
            Self::Tool {
                result,
                server_info: Some(info),
            } => {
                // Every field named: a field added to `CallToolResult` must be written here.
                let CallToolResult {
                    content,
                    structured_content,
                    is_error,
                } = result;
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry("_meta", &*info.meta)?;
                map.serialize_entry("content", content)?;
                if *is_error {
                    map.serialize_entry("isError", &true)?;
                }
                map.serialize_entry("resultType", COMPLETE)?;
                if let Some(structured) = structured_content {
                    map.serialize_entry("structuredContent", structured)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Content;
    use serde_json::json;

    fn results() -> Vec<CallToolResult> {
        vec![
            CallToolResult::success(vec![Content::text("hello")]),
            CallToolResult::success(Vec::new()),
            CallToolResult::error("it broke"),
            CallToolResult {
                content: vec![
                    Content::text("{\"n\":1}"),
                    Content::text("second \"quoted\""),
                ],
                structured_content: Some(json!({"n": 1, "list": [1, "two", null]})),
                is_error: false,
            },
            CallToolResult {
                content: vec![Content::text("x")],
                structured_content: Some(json!({"reason": "denied"})),
                is_error: true,
            },
        ]
    }

    #[test]
    fn a_tool_answer_writes_the_object_its_value_form_holds() {
        let info = Arc::new(ServerInfo::new(
            json!({"name": "srv", "version": "1.0.0", "title": "Server \"quoted\""}),
        ));
        for result in results() {
            for server_info in [None, Some(info.clone())] {
                let answer = Answer::Tool {
                    result: result.clone(),
                    server_info: server_info.clone(),
                };
                let written = serde_json::to_string(&answer).unwrap();
                let object = Answer::Tool {
                    result: result.clone(),
                    server_info,
                }
                .into_object()
                .unwrap();
                let reparsed: Value = serde_json::from_str(&written).unwrap();
                assert_eq!(reparsed, Value::Object(object.clone()), "{written}");
                // The members come in the order the object form writes them.
                let keys: Vec<&String> = reparsed.as_object().unwrap().keys().collect();
                let object_keys: Vec<&String> = object.keys().collect();
                assert_eq!(keys, object_keys);
            }
        }
    }

    #[test]
    fn a_modern_tool_answer_carries_its_result_type_and_server_info() {
        let info = Arc::new(ServerInfo::new(json!({"name": "srv", "version": "2"})));
        let answer = Answer::Tool {
            result: CallToolResult::success(vec![Content::text("hi")]),
            server_info: Some(info),
        };
        let v = serde_json::to_value(&answer).unwrap();
        assert_eq!(v["resultType"], "complete");
        assert_eq!(v["_meta"][meta::SERVER_INFO]["name"], "srv");
        assert_eq!(v["content"][0]["text"], "hi");
        assert!(v.get("isError").is_none());
    }

    #[test]
    fn decorate_keeps_a_result_type_the_result_has() {
        let mut object = Object::new();
        object.insert("resultType".into(), json!("input_required"));
        object.insert("_meta".into(), json!({"other": 1}));
        decorate(&mut object, &json!({"name": "srv"}));
        assert_eq!(object["resultType"], "input_required");
        assert_eq!(object["_meta"]["other"], 1);
        assert_eq!(object["_meta"][meta::SERVER_INFO]["name"], "srv");
    }
}
