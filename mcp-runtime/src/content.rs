//! Tool results: content blocks, structured output, and the conversions handlers return.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// One content block of a tool result or prompt message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Content {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// A base64-encoded image.
    Image {
        /// Base64 data.
        data: String,
        /// e.g. `image/png`.
        #[serde(rename = "mimeType")]
        mime_type: String,
    },
    /// Base64-encoded audio.
    Audio {
        /// Base64 data.
        data: String,
        /// e.g. `audio/wav`.
        #[serde(rename = "mimeType")]
        mime_type: String,
    },
    /// A link to a resource the client may read.
    ResourceLink {
        /// The resource URI.
        uri: String,
        /// The resource name.
        name: String,
        /// MIME type, if known.
        #[serde(rename = "mimeType", skip_serializing_if = "Option::is_none")]
        mime_type: Option<String>,
    },
    /// An embedded resource.
    Resource {
        /// The resource contents (`uri`, `mimeType`, and `text` or `blob`).
        resource: Value,
    },
}

impl Content {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text { text: text.into() }
    }

    /// An image block from base64 data.
    pub fn image(data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Self::Image {
            data: data.into(),
            mime_type: mime_type.into(),
        }
    }

    /// An audio block from base64 data.
    pub fn audio(data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Self::Audio {
            data: data.into(),
            mime_type: mime_type.into(),
        }
    }

    /// An embedded text resource.
    pub fn embedded_text(
        uri: impl Into<String>,
        mime_type: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        Self::Resource {
            resource: serde_json::json!({
                "uri": uri.into(), "mimeType": mime_type.into(), "text": text.into()
            }),
        }
    }
}

/// The result of `tools/call`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CallToolResult {
    /// Unstructured content blocks.
    pub content: Vec<Content>,
    /// Structured output conforming to the tool's `outputSchema`.
    #[serde(rename = "structuredContent", skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<Value>,
    /// `true` when the tool itself failed (a business error, not a protocol error).
    #[serde(
        rename = "isError",
        skip_serializing_if = "std::ops::Not::not",
        default
    )]
    pub is_error: bool,
}

impl CallToolResult {
    /// A successful result with these blocks.
    pub fn success(content: Vec<Content>) -> Self {
        Self {
            content,
            structured_content: None,
            is_error: false,
        }
    }

    /// A tool-execution error: `isError: true` with one text block.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            content: vec![Content::text(message)],
            structured_content: None,
            is_error: true,
        }
    }

    /// A structured result plus its serialized JSON as a text block (for older clients).
    pub fn structured(value: Value) -> Self {
        let text = serde_json::to_string(&value).unwrap_or_default();
        Self {
            content: vec![Content::text(text)],
            structured_content: Some(value),
            is_error: false,
        }
    }
}

/// Wraps a serializable value returned by a tool: it becomes `structuredContent` (plus a text
/// copy), and a tool declared with the macro gets an `outputSchema` for `T`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

/// Why a tool call failed, as the handler reports it.
///
/// Converts from any [`std::error::Error`] with `?`. It deliberately does not implement
/// `Display` (read [`ToolError::message`]), so `Result<T, ToolError>` has a conversion of its
/// own that keeps the two kinds apart. By default the message becomes an
/// `isError: true` result, which the model sees; [`ToolError::invalid_arguments`] instead ends
/// the request with a `-32602` protocol error.
pub struct ToolError {
    kind: ToolErrorKind,
    message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ToolErrorKind {
    Execution,
    InvalidArguments,
}

impl ToolError {
    /// A tool-execution failure, reported as `isError: true`.
    pub fn new(message: impl fmt::Display) -> Self {
        Self {
            kind: ToolErrorKind::Execution,
            message: message.to_string(),
        }
    }

    /// The arguments are unusable: reported as a `-32602` protocol error.
    pub fn invalid_arguments(message: impl fmt::Display) -> Self {
        Self {
            kind: ToolErrorKind::InvalidArguments,
            message: message.to_string(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether this is an invalid-arguments error.
    pub fn is_invalid_arguments(&self) -> bool {
        self.kind == ToolErrorKind::InvalidArguments
    }
}

impl fmt::Debug for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .finish()
    }
}

impl<E: std::error::Error> From<E> for ToolError {
    fn from(error: E) -> Self {
        Self::new(error)
    }
}

/// Converts what a tool handler returns into a [`CallToolResult`].
///
/// Implemented for text (`String`, `&'static str`), content ([`Content`], `Vec<Content>`),
/// [`Json<T>`], [`CallToolResult`], `()`, `Result<T, ToolError>` and `Result<T, E>` where
/// `E: Display`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from an MCP tool",
    note = "return text (`String`), `Content`, `Vec<Content>`, `Json<T>` for structured output, or `CallToolResult`, optionally inside `Result<_, E: Display>`"
)]
pub trait IntoCallToolResult {
    /// Performs the conversion; `Err` ends the request with a protocol error.
    ///
    /// # Errors
    /// A [`ToolError::invalid_arguments`] error, which becomes `-32602`.
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError>;
}

impl IntoCallToolResult for CallToolResult {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        Ok(self)
    }
}

impl IntoCallToolResult for String {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        Ok(CallToolResult::success(vec![Content::text(self)]))
    }
}

impl IntoCallToolResult for &'static str {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        Ok(CallToolResult::success(vec![Content::text(self)]))
    }
}

impl IntoCallToolResult for () {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        Ok(CallToolResult::success(Vec::new()))
    }
}

impl IntoCallToolResult for Content {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        Ok(CallToolResult::success(vec![self]))
    }
}

impl IntoCallToolResult for Vec<Content> {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        Ok(CallToolResult::success(self))
    }
}

impl<T: Serialize> IntoCallToolResult for Json<T> {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        let value = serde_json::to_value(&self.0)
            .map_err(|e| ToolError::new(format!("could not serialize the tool's output: {e}")))?;
        Ok(CallToolResult::structured(value))
    }
}

impl<T: IntoCallToolResult> IntoCallToolResult for Result<T, ToolError> {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        match self {
            Ok(value) => value.into_call_tool_result(),
            Err(error) if error.is_invalid_arguments() => Err(error),
            Err(error) => Ok(CallToolResult::error(error.message)),
        }
    }
}

impl<T: IntoCallToolResult, E: fmt::Display> IntoCallToolResult for Result<T, E> {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        match self {
            Ok(value) => value.into_call_tool_result(),
            Err(error) => Ok(CallToolResult::error(error.to_string())),
        }
    }
}

/// Tool arguments as received: a JSON object (`{}` when the client sent none).
pub type Arguments = Map<String, Value>;
