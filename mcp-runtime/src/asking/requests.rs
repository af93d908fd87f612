//! What a handler can ask the client for (`elicitation/create`, `sampling/createMessage`,
//! `roots/list`) and the typed answers it gets back.

use super::AskError;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// An `elicitation/create` request in form mode: a message and the flat JSON Schema of the
/// answer the user fills in.
///
/// ```
/// use mcp_runtime::asking::Elicitation;
/// use serde_json::json;
///
/// let ask = Elicitation::form("Who are you?", json!({
///     "type": "object",
///     "properties": { "name": { "type": "string" } },
///     "required": ["name"],
/// }))
/// .key("user_name");
/// assert_eq!(ask.requested_schema()["required"][0], "name");
/// ```
#[derive(Clone, Debug)]
pub struct Elicitation {
    pub(crate) key: Option<String>,
    message: String,
    requested_schema: Value,
}

impl Elicitation {
    /// A form asking for `requested_schema` (an object schema of primitive properties).
    pub fn form(message: impl Into<String>, requested_schema: Value) -> Self {
        Self {
            key: None,
            message: message.into(),
            requested_schema,
        }
    }

    /// A form whose schema is derived from `T` (a struct of primitive fields) with
    /// `schemars`; `$schema` and `title` are left out, as elicitation schemas are flat.
    ///
    /// ```
    /// use mcp_runtime::asking::Elicitation;
    ///
    /// #[derive(schemars::JsonSchema, serde::Deserialize)]
    /// struct Contact { username: String, email: String }
    ///
    /// let ask = Elicitation::for_type::<Contact>("Your contact details?");
    /// assert_eq!(ask.requested_schema()["properties"]["email"]["type"], "string");
    /// ```
    pub fn for_type<T: JsonSchema>(message: impl Into<String>) -> Self {
        let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
        let mut schema = generator.into_root_schema_for::<T>();
        schema.remove("$schema");
        schema.remove("title");
        Self::form(message, schema.to_value())
    }

    /// Names this request's answer. In 2026-07-28 the answer comes back under this key of
    /// `inputResponses`; without one, requests are numbered in the order the handler makes
    /// them (`elicitation-1`, `elicitation-2`, …), which is deterministic for straight-line
    /// handlers.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// The message shown to the user.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The schema of the answer.
    pub fn requested_schema(&self) -> &Value {
        &self.requested_schema
    }

    pub(crate) fn params(&self) -> Value {
        json!({ "message": self.message, "requestedSchema": self.requested_schema })
    }
}

/// A URL mode elicitation (`elicitation/create` with `mode: "url"`): the client shows the
/// user `message` and, with their consent, opens `url`, where the interaction happens out of
/// band (a sign-in, a payment, a secret that must not pass through the client). The answer
/// only says whether the user agreed to go; it carries no content.
///
/// In 2025-11-25 each has an `elicitationId` (random unless set), which the server can
/// announce as complete with `notifications/elicitation/complete` (see
/// [`ToolContext::url_elicitation_completion`](crate::ToolContext::url_elicitation_completion)).
/// Protocol 2026-07-28 has neither: the id is left out of its input requests.
///
/// ```
/// use mcp_runtime::asking::UrlElicitation;
///
/// let ask = UrlElicitation::new("Connect your calendar", "https://calendar.example.com/connect")
///     .elicitation_id("cal-42");
/// assert_eq!(ask.id(), "cal-42");
/// assert_eq!(ask.url(), "https://calendar.example.com/connect");
/// ```
#[derive(Clone, Debug)]
pub struct UrlElicitation {
    pub(crate) key: Option<String>,
    message: String,
    url: String,
    id: String,
}

impl UrlElicitation {
    /// Asks the user to open `url`, explaining why with `message`; the id is random.
    ///
    /// # Panics
    /// If the operating system has no random source.
    pub fn new(message: impl Into<String>, url: impl Into<String>) -> Self {
        use base64::Engine as _;
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the operating system provides randomness");
        Self {
            key: None,
            message: message.into(),
            url: url.into(),
            id: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        }
    }

    /// Sets the `elicitationId` (unique within this server), e.g. one the server's own
    /// out-of-band flow already uses.
    #[must_use]
    pub fn elicitation_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// Names this request's answer in 2026-07-28 `inputResponses` (see [`Elicitation::key`]).
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// The `elicitationId`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The URL the user is asked to open.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The message shown to the user.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn params(&self) -> Value {
        json!({
            "mode": "url",
            "message": self.message,
            "url": self.url,
            "elicitationId": self.id,
        })
    }
}

impl Elicited<()> {
    /// The answer to a URL mode elicitation: an action, no content.
    pub(crate) fn from_url_answer(answer: &Value) -> Result<Self, AskError> {
        match answer.get("action").and_then(Value::as_str) {
            Some("accept") => Ok(Self::Accept(())),
            Some("decline") => Ok(Self::Decline),
            Some("cancel") => Ok(Self::Cancel),
            _ => Err(AskError::InvalidAnswer(
                "`action` must be accept, decline or cancel".to_owned(),
            )),
        }
    }
}

/// The user's answer to an [`Elicitation`].
#[derive(Clone, Debug, PartialEq)]
pub enum Elicited<T> {
    /// The user submitted the form; its content, deserialized.
    Accept(T),
    /// The user explicitly declined.
    Decline,
    /// The user dismissed the request without choosing.
    Cancel,
}

impl<T> Elicited<T> {
    /// `accept`, `decline` or `cancel`, as on the wire.
    pub fn action(&self) -> &'static str {
        match self {
            Self::Accept(_) => "accept",
            Self::Decline => "decline",
            Self::Cancel => "cancel",
        }
    }
}

impl<T: DeserializeOwned> Elicited<T> {
    pub(crate) fn from_answer(answer: Value) -> Result<Self, AskError> {
        let Value::Object(mut answer) = answer else {
            return Err(AskError::InvalidAnswer(
                "an elicitation result must be an object".to_owned(),
            ));
        };
        match answer.get("action").and_then(Value::as_str) {
            Some("accept") => {
                let content = answer
                    .remove("content")
                    .unwrap_or_else(|| Value::Object(Map::new()));
                serde_json::from_value(content)
                    .map(Self::Accept)
                    .map_err(|e| AskError::InvalidAnswer(format!("content: {e}")))
            }
            Some("decline") => Ok(Self::Decline),
            Some("cancel") => Ok(Self::Cancel),
            _ => Err(AskError::InvalidAnswer(
                "`action` must be accept, decline or cancel".to_owned(),
            )),
        }
    }
}

/// A `sampling/createMessage` request: messages for the client's model and a token budget.
///
/// ```
/// use mcp_runtime::asking::Sampling;
/// let ask = Sampling::prompt("What is the capital of France?", 100).key("capital_question");
/// assert_eq!(ask.params()["maxTokens"], 100);
/// ```
#[derive(Clone, Debug)]
pub struct Sampling {
    pub(crate) key: Option<String>,
    params: Map<String, Value>,
}

impl Sampling {
    /// One user message with `text`, answered in at most `max_tokens` tokens.
    pub fn prompt(text: impl Into<String>, max_tokens: u32) -> Self {
        let message = json!({ "role": "user", "content": { "type": "text", "text": text.into() } });
        Self::messages(vec![message], max_tokens)
    }

    /// Any `SamplingMessage`s, as JSON.
    pub fn messages(messages: Vec<Value>, max_tokens: u32) -> Self {
        let mut params = Map::new();
        params.insert("messages".into(), Value::Array(messages));
        params.insert("maxTokens".into(), json!(max_tokens));
        Self { key: None, params }
    }

    /// Sets the system prompt.
    #[must_use]
    pub fn system_prompt(mut self, prompt: impl Into<String>) -> Self {
        self.params
            .insert("systemPrompt".into(), Value::String(prompt.into()));
        self
    }

    /// Names this request's answer (see [`Elicitation::key`]); the default numbering is
    /// `sampling-1`, `sampling-2`, ….
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// The request's `params`.
    pub fn params(&self) -> Value {
        Value::Object(self.params.clone())
    }
}

/// The client's `CreateMessageResult`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SamplingResult {
    /// Who wrote the message (`assistant`).
    pub role: String,
    /// The generated content: one content block, or (2025-11-25) an array of them.
    pub content: Value,
    /// The model that generated it.
    #[serde(default)]
    pub model: String,
    /// Why generation stopped, if the client said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
}

impl SamplingResult {
    /// The generated text: the text blocks of the content, joined.
    pub fn text(&self) -> String {
        let blocks = match &self.content {
            Value::Array(blocks) => blocks.iter().collect::<Vec<_>>(),
            block => vec![block],
        };
        blocks
            .into_iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("")
    }

    pub(crate) fn from_answer(answer: Value) -> Result<Self, AskError> {
        serde_json::from_value(answer).map_err(|e| AskError::InvalidAnswer(e.to_string()))
    }
}

/// One of the client's roots (`roots/list`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    /// The root's URI (a `file://` URI).
    pub uri: String,
    /// A name for display, if the client gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

pub(crate) fn roots_from_answer(answer: Value) -> Result<Vec<Root>, AskError> {
    #[derive(Deserialize)]
    struct ListRootsResult {
        roots: Vec<Root>,
    }
    serde_json::from_value::<ListRootsResult>(answer)
        .map(|r| r.roots)
        .map_err(|e| AskError::InvalidAnswer(e.to_string()))
}
