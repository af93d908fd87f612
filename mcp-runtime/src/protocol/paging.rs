//! Pagination of the list methods: one page of the items the caller may see, and the opaque
//! cursors (`tl1.<offset>`) that lead to the next page.

use super::Object;
use super::era::Era;
use super::server::{RequestScope, Server};
use crate::authz::Target;
use crate::error::McpError;
use serde_json::{Map, Value, json};

impl Server {
    /// One page of a `tools/list`, `resources/list`, `resources/templates/list` or
    /// `prompts/list` result: the items the authorizer shows this caller, paginated with
    /// opaque cursors. Only the items of the page are described.
    pub(super) fn list_page<'t, T: 't>(
        &self,
        params: &Map<String, Value>,
        scope: &RequestScope,
        key: &str,
        items: impl Iterator<Item = (Target<'t>, &'t T)>,
        describe: impl Fn(&T) -> Value,
        era: Era,
    ) -> Result<Object, McpError> {
        let offset = parse_cursor(params)?;
        let (targets, items): (Vec<Target<'t>>, Vec<&T>) = items.unzip();
        let (visible, cache_scope) = self.inner.authorizer.visible_among(&scope.caller, &targets);
        if offset > visible.len() {
            return Err(McpError::invalid_params(
                "Invalid cursor: past the end of the list",
            ));
        }
        let end = (offset + self.inner.page_size).min(visible.len());
        let page: Vec<Value> = visible[offset..end]
            .iter()
            .map(|&i| describe(items[i]))
            .collect();
        let mut result = Object::new();
        result.insert(key.to_owned(), Value::Array(page));
        if end < visible.len() {
            result.insert("nextCursor".into(), json!(encode_cursor(end)));
        }
        if era == Era::Modern {
            result.insert("ttlMs".into(), json!(self.inner.list_ttl_ms));
            result.insert("cacheScope".into(), json!(cache_scope.as_str()));
        }
        Ok(result)
    }
}

/// The offset `params.cursor` points at (0 without a cursor).
fn parse_cursor(params: &Map<String, Value>) -> Result<usize, McpError> {
    match params.get("cursor") {
        None | Some(Value::Null) => Ok(0),
        Some(Value::String(c)) => decode_cursor(c).ok_or_else(|| {
            McpError::invalid_params(format!(
                "Invalid cursor `{c}`: use a `nextCursor` from an earlier page"
            ))
        }),
        Some(_) => Err(McpError::invalid_params("`cursor` must be a string")),
    }
}

const CURSOR_PREFIX: &str = "tl1.";

fn encode_cursor(offset: usize) -> String {
    format!("{CURSOR_PREFIX}{offset}")
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let digits = cursor.strip_prefix(CURSOR_PREFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        for offset in [0, 1, 100, 12_345] {
            assert_eq!(decode_cursor(&encode_cursor(offset)), Some(offset));
        }
        for bad in [
            "",
            "tl1.",
            "tl1.-1",
            "tl1.+1",
            "tl1.1a",
            "tl2.1",
            "1",
            "tl1.99999999999999999999999",
        ] {
            assert_eq!(decode_cursor(bad), None, "{bad:?}");
        }
    }
}
