//! MCP request headers: which era a POST belongs to, the 2026-07-28 header rules, and the
//! version a legacy request may name.

use super::refusal::Refusal;
use crate::error::McpError;
use crate::jsonrpc::Request;
use crate::protocol::{Era, LEGACY_VERSIONS, modern_meta_version};
use axum::http::header::AsHeaderName;
use axum::http::{HeaderMap, HeaderName};
use base64::Engine as _;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// `MCP-Protocol-Version`.
pub(crate) const PROTOCOL_VERSION: &str = "mcp-protocol-version";
/// `Mcp-Session-Id`.
pub(crate) const SESSION_ID: &str = "mcp-session-id";
/// `Mcp-Method`.
pub(crate) const METHOD: &str = "mcp-method";
/// `Mcp-Name`.
pub(crate) const NAME: &str = "mcp-name";

// The names above, parsed once: a lookup by `&str` parses and lower-cases the name first.
static PROTOCOL_VERSION_NAME: HeaderName = HeaderName::from_static(PROTOCOL_VERSION);
static SESSION_ID_NAME: HeaderName = HeaderName::from_static(SESSION_ID);
static METHOD_NAME: HeaderName = HeaderName::from_static(METHOD);
static NAME_NAME: HeaderName = HeaderName::from_static(NAME);

/// A header's value as text; `Err` when it carries bytes that are not visible ASCII.
pub(crate) fn text<K: AsHeaderName>(headers: &HeaderMap, name: K) -> Result<Option<&str>, ()> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v.to_str().map(Some).map_err(|_| ()),
    }
}

/// Decides the era of a POST (digest 4.4): with no `Mcp-Session-Id`, a request that carries
/// an `MCP-Protocol-Version` header or `params._meta` is modern, except that a legacy version
/// in the header without `_meta` is legacy traffic. Everything else (a session, `initialize`
/// from a handshake-era client, batches) is legacy.
pub(crate) fn detect_era(headers: &HeaderMap, body: &Value) -> Era {
    let Value::Object(message) = body else {
        return Era::Legacy;
    };
    let has_meta = message
        .get("params")
        .and_then(|p| p.get("_meta"))
        .is_some_and(Value::is_object);
    era_of(headers, has_meta)
}

/// [`detect_era`] for a request already read (its `params`).
pub(crate) fn detect_request_era(headers: &HeaderMap, params: &Map<String, Value>) -> Era {
    era_of(headers, params.get("_meta").is_some_and(Value::is_object))
}

/// The era of a POST whose body is one message, with or without `params._meta`.
fn era_of(headers: &HeaderMap, has_meta: bool) -> Era {
    if headers.contains_key(&SESSION_ID_NAME) {
        return Era::Legacy;
    }
    match headers.get(&PROTOCOL_VERSION_NAME) {
        Some(v) if !has_meta => {
            let legacy = v.to_str().is_ok_and(|v| LEGACY_VERSIONS.contains(&v));
            if legacy { Era::Legacy } else { Era::Modern }
        }
        Some(_) => Era::Modern,
        None if has_meta => Era::Modern,
        None => Era::Legacy,
    }
}

/// `MCP-Protocol-Version` on a legacy request: absent (taken as 2025-03-26) or a
/// handshake-era version.
pub(crate) fn check_legacy_version(headers: &HeaderMap) -> Result<(), Refusal> {
    match text(headers, PROTOCOL_VERSION) {
        Ok(None) => Ok(()),
        Ok(Some(v)) if LEGACY_VERSIONS.contains(&v) => Ok(()),
        _ => Err(Refusal::UnsupportedLegacyVersion),
    }
}

/// Whether a sessionless GET or DELETE comes from a legacy client (it names a handshake-era
/// version), rather than from a stateless one.
pub(crate) fn names_legacy_version(headers: &HeaderMap) -> bool {
    text(headers, PROTOCOL_VERSION)
        .ok()
        .flatten()
        .is_some_and(|v| LEGACY_VERSIONS.contains(&v))
}

/// Decodes an `Mcp-Name` / `Mcp-Param-*` value: `=?base64?…?=` carries UTF-8 in base64.
pub(crate) fn decode_value(raw: &str) -> Option<Cow<'_, str>> {
    match raw
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    {
        Some(encoded) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()?;
            String::from_utf8(bytes).ok().map(Cow::Owned)
        }
        None => Some(Cow::Borrowed(raw)),
    }
}

/// The 2026-07-28 header checks, in the order the conformance suite relies on (digest 4.3):
/// a missing `MCP-Protocol-Version` (`-32020`), then missing `_meta` fields (`-32602`), then a
/// header that disagrees with `_meta` (`-32020`), then `Mcp-Method` and `Mcp-Name`
/// (`-32020`). An unsupported version (`-32022`) and an unknown method (`-32601`) are left to
/// the dispatcher, which sees the same request next.
pub(crate) fn check_modern(headers: &HeaderMap, request: &Request) -> Result<(), McpError> {
    let mismatch = |why: String| McpError::HeaderMismatch(why);
    let version = text(headers, &PROTOCOL_VERSION_NAME)
        .map_err(|()| mismatch("MCP-Protocol-Version carries invalid characters".to_owned()))?
        .ok_or_else(|| mismatch("the MCP-Protocol-Version header is required".to_owned()))?;
    let meta_version = modern_meta_version(&request.params)?;
    if version != meta_version {
        return Err(mismatch(format!(
            "MCP-Protocol-Version `{version}` does not match `_meta` protocol version `{meta_version}`"
        )));
    }
    let method = text(headers, &METHOD_NAME)
        .map_err(|()| mismatch("Mcp-Method carries invalid characters".to_owned()))?
        .ok_or_else(|| mismatch("the Mcp-Method header is required".to_owned()))?;
    if method != request.method {
        return Err(mismatch(format!(
            "Mcp-Method `{method}` does not match the body's method `{}`",
            request.method
        )));
    }
    let name_field = match request.method.as_str() {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    };
    if let Some(field) = name_field {
        let raw = text(headers, &NAME_NAME)
            .map_err(|()| mismatch("Mcp-Name carries invalid characters".to_owned()))?
            .ok_or_else(|| mismatch(format!("the Mcp-Name header is required for {method}")))?;
        let name = decode_value(raw)
            .ok_or_else(|| mismatch("Mcp-Name is not valid base64 UTF-8".to_owned()))?;
        let body = request.params.get(field).and_then(Value::as_str);
        if body != Some(&*name) {
            return Err(mismatch(format!(
                "Mcp-Name `{name}` does not match the body's `{field}`"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn eras_follow_headers_meta_and_sessions() {
        let meta = json!({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{}}});
        let plain = json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}});
        assert_eq!(detect_era(&headers(&[]), &meta), Era::Modern);
        assert_eq!(detect_era(&headers(&[]), &plain), Era::Legacy);
        assert_eq!(
            detect_era(&headers(&[(PROTOCOL_VERSION, "2026-07-28")]), &plain),
            Era::Modern
        );
        assert_eq!(
            detect_era(&headers(&[(PROTOCOL_VERSION, "2025-06-18")]), &plain),
            Era::Legacy
        );
        assert_eq!(
            detect_era(&headers(&[(PROTOCOL_VERSION, "2025-06-18")]), &meta),
            Era::Modern
        );
        assert_eq!(
            detect_era(&headers(&[(SESSION_ID, "abc")]), &meta),
            Era::Legacy
        );
        assert_eq!(detect_era(&headers(&[]), &json!([meta])), Era::Legacy);
    }

    #[test]
    fn base64_names_are_decoded() {
        assert_eq!(decode_value("=?base64?w6ljaG8=?=").as_deref(), Some("écho"));
        assert_eq!(decode_value("plain").as_deref(), Some("plain"));
        assert_eq!(decode_value("=?base64?***?="), None);
    }

    #[test]
    fn header_checks_run_in_the_documented_order() {
        let request = |version: &str| Request {
            id: crate::jsonrpc::RequestId::Number(1),
            method: "tools/call".to_owned(),
            params: json!({"name": "t", "_meta": {
                "io.modelcontextprotocol/protocolVersion": version,
                "io.modelcontextprotocol/clientCapabilities": {}
            }})
            .as_object()
            .unwrap()
            .clone(),
        };
        let code = |h: &HeaderMap, r: &Request| check_modern(h, r).map_err(|e| e.code());
        let r = request("2026-07-28");
        assert_eq!(code(&headers(&[]), &r), Err(-32020));
        let no_meta = Request {
            params: serde_json::Map::new(),
            ..r.clone()
        };
        assert_eq!(
            code(&headers(&[(PROTOCOL_VERSION, "2026-07-28")]), &no_meta),
            Err(-32602)
        );
        assert_eq!(
            code(
                &headers(&[(PROTOCOL_VERSION, "2026-07-28")]),
                &request("v999.0.0")
            ),
            Err(-32020)
        );
        assert_eq!(
            code(&headers(&[(PROTOCOL_VERSION, "2026-07-28")]), &r),
            Err(-32020),
            "Mcp-Method missing"
        );
        let full = [
            (PROTOCOL_VERSION, "2026-07-28"),
            (METHOD, "tools/call"),
            (NAME, "t"),
        ];
        assert_eq!(code(&headers(&full), &r), Ok(()));
        let wrong_name = [
            (PROTOCOL_VERSION, "2026-07-28"),
            (METHOD, "tools/call"),
            (NAME, "other"),
        ];
        assert_eq!(code(&headers(&wrong_name), &r), Err(-32020));
        let v999 = [
            (PROTOCOL_VERSION, "v999.0.0"),
            (METHOD, "tools/call"),
            (NAME, "t"),
        ];
        assert_eq!(code(&headers(&v999), &request("v999.0.0")), Ok(()));
    }

    /// Arbitrary header values (any bytes a `HeaderValue` can hold) and arbitrary requests
    /// through every check: never a panic; a refusal is always `-32020` or `-32602`, `400`.
    #[test]
    fn arbitrary_headers_and_requests_get_typed_errors() {
        use proptest::collection::{btree_map, vec};
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};

        let names = [PROTOCOL_VERSION, METHOD, NAME, SESSION_ID];
        let value = prop_oneof![
            proptest::sample::select(vec![
                "2026-07-28",
                "2025-11-25",
                "2025-03-26",
                "tools/call",
                "t",
                "=?base64?dA==?=",
                "=?base64?***?=",
                "=?base64?/w==?=",
                "",
            ])
            .prop_map(|s| s.as_bytes().to_vec()),
            vec(prop_oneof![0x20u8..0x7f, 0x80u8..=0xff, Just(b'\t')], 0..24),
        ];
        let scalar = prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::from),
            "[a-z/0-9.-]{0,12}".prop_map(Value::String),
            Just(json!("2026-07-28")),
            Just(json!("t")),
            Just(json!({})),
        ];
        let meta = btree_map(
            proptest::sample::select(vec![
                "io.modelcontextprotocol/protocolVersion",
                "io.modelcontextprotocol/clientCapabilities",
                "io.modelcontextprotocol/clientInfo",
                "other",
            ]),
            scalar.clone(),
            0..4,
        )
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()));
        let params = (
            prop::option::of(prop_oneof![meta, scalar.clone()]),
            prop::option::of(scalar.clone()),
            prop::option::of(scalar),
        )
            .prop_map(|(meta, name, uri)| {
                let mut p = serde_json::Map::new();
                for (k, v) in [("_meta", meta), ("name", name), ("uri", uri)] {
                    if let Some(v) = v {
                        p.insert(k.to_owned(), v);
                    }
                }
                p
            });
        let method = proptest::sample::select(vec![
            "tools/call",
            "prompts/get",
            "resources/read",
            "tools/list",
            "initialize",
            "x",
        ]);
        let strategy = (
            vec((proptest::sample::select(names.to_vec()), value), 0..6),
            method,
            params,
        );
        let mut runner = TestRunner::new(Config {
            cases: 3000,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&strategy, |(pairs, method, params)| {
                let mut h = HeaderMap::new();
                for (name, bytes) in &pairs {
                    if let Ok(v) = HeaderValue::from_bytes(bytes) {
                        h.append(*name, v);
                    }
                }
                let request = Request {
                    id: crate::jsonrpc::RequestId::Number(1),
                    method: method.to_owned(),
                    params,
                };
                let body = json!({"jsonrpc": "2.0", "id": 1, "method": method,
                    "params": Value::Object(request.params.clone())});
                let _ = detect_era(&h, &body);
                let _ = detect_era(&h, &json!([body]));
                let _ = check_legacy_version(&h);
                let _ = names_legacy_version(&h);
                for (name, _) in &pairs {
                    let _ = text(&h, *name);
                }
                if let Err(e) = check_modern(&h, &request) {
                    prop_assert!(matches!(e.code(), -32020 | -32602), "{e:?}");
                    prop_assert_eq!(e.http_status(), 400);
                }
                for (_, bytes) in &pairs {
                    let _ = decode_value(&String::from_utf8_lossy(bytes));
                }
                Ok(())
            })
            .unwrap();
    }
}
