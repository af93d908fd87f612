//! The naming rules: tool names, prompt names, resource URIs, and the text fields that must
//! not be blank.

use super::RegistryError;

/// The longest tool name accepted (the conformance suite's limit, stricter than the spec's 128).
pub const MAX_TOOL_NAME_LEN: usize = 64;

/// Checks a tool name against the MCP rules: 1 to 64 characters of `A-Z a-z 0-9 _ - .`.
pub(crate) fn validate_tool_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a tool name must not be empty".to_owned());
    }
    if name.len() > MAX_TOOL_NAME_LEN {
        return Err(format!(
            "{} characters; at most {MAX_TOOL_NAME_LEN} are allowed",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(format!(
            "{c:?} is not allowed; use only A-Z, a-z, 0-9, `_`, `-` and `.`"
        ));
    }
    Ok(())
}

/// Checks a prompt name: non-empty, without whitespace or control characters.
pub(super) fn validate_prompt_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a prompt name must be non-empty, without whitespace");
    }
    Ok(())
}

/// Checks that `uri` (a resource URI or URI template) is absolute: `scheme:...`, no
/// whitespace. `kind` names the item in the error.
pub(super) fn check_uri(kind: &'static str, uri: &str) -> Result<(), RegistryError> {
    let scheme_ok = uri.split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if !scheme_ok || uri.chars().any(char::is_whitespace) {
        return Err(RegistryError::invalid(
            kind,
            uri,
            "not an absolute URI (`scheme:...`, no whitespace)",
        ));
    }
    Ok(())
}

/// `value`, when it is present and not blank.
pub(super) fn non_blank(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// `value`, which must not be blank: otherwise the `kind` called `name` is refused because
/// its `field` is empty.
pub(super) fn required_text(
    kind: &'static str,
    name: &str,
    field: &str,
    value: String,
) -> Result<String, RegistryError> {
    non_blank(Some(value))
        .ok_or_else(|| RegistryError::invalid(kind, name, format!("`{field}` must not be empty")))
}
