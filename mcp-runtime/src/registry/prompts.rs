//! Prompts: named message templates with arguments, for `prompts/list`, `prompts/get` and
//! argument completion.
//!
//! ```
//! use mcp_runtime::registry::{Prompt, PromptMessage};
//! use mcp_runtime::Content;
//!
//! let prompt = Prompt::builder("summarize_order")
//!     .description("Summarize one order for a customer.")
//!     .argument("order_id", "The order to summarize", true)
//!     .scopes(["orders:read"])
//!     .handler(|_ctx, args| async move {
//!         let id = &args["order_id"];
//!         Ok(vec![PromptMessage::user(Content::text(format!("Summarize order {id}.")))].into())
//!     })
//!     .completer(|_argument, value| {
//!         ["TN-1001", "TN-1002"].iter().filter(|v| v.starts_with(value)).map(|v| v.to_string()).collect()
//!     })
//!     .build()
//!     .expect("a valid prompt");
//! assert_eq!(prompt.name(), "summarize_order");
//! assert_eq!(prompt.complete("order_id", "TN-100"), Some(vec!["TN-1001".to_owned(), "TN-1002".to_owned()]));
//! ```

use super::access::{access_setters, check_access};
use super::completion::{Completer, completer_setter};
use super::describe::{Describe, Listing, describe_setters};
use super::names::{non_blank, validate_prompt_name};
use super::{Access, RegistryError};
use crate::content::{Content, ToolError};
use crate::context::ToolContext;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::Arc;

/// One argument a prompt accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PromptArgument {
    /// The argument name.
    pub name: String,
    /// What it means.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether `prompts/get` must supply it.
    pub required: bool,
}

/// Who speaks a prompt message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The user.
    User,
    /// The assistant.
    Assistant,
}

/// One message of a prompt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PromptMessage {
    /// Who speaks.
    pub role: Role,
    /// What is said (text, image, audio, an embedded resource or a resource link).
    pub content: Content,
}

impl PromptMessage {
    /// A user message.
    pub fn user(content: Content) -> Self {
        Self {
            role: Role::User,
            content,
        }
    }

    /// An assistant message.
    pub fn assistant(content: Content) -> Self {
        Self {
            role: Role::Assistant,
            content,
        }
    }
}

/// The result of `prompts/get`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GetPromptResult {
    /// A description of this rendering of the prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The messages.
    pub messages: Vec<PromptMessage>,
}

impl From<Vec<PromptMessage>> for GetPromptResult {
    fn from(messages: Vec<PromptMessage>) -> Self {
        Self {
            description: None,
            messages,
        }
    }
}

/// The arguments of `prompts/get`: names to string values.
pub type PromptArguments = BTreeMap<String, String>;

type PromptHandler = dyn Fn(ToolContext, PromptArguments) -> BoxFuture<'static, Result<GetPromptResult, ToolError>>
    + Send
    + Sync;

/// A registered prompt.
#[derive(Clone)]
pub struct Prompt {
    name: String,
    title: Option<String>,
    description: String,
    arguments: Vec<PromptArgument>,
    access: Access,
    handler: Arc<PromptHandler>,
    completer: Option<Arc<Completer>>,
}

impl fmt::Debug for Prompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prompt")
            .field("name", &self.name)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

impl Prompt {
    /// Starts defining a prompt called `name`.
    pub fn builder(name: impl Into<String>) -> PromptBuilder {
        PromptBuilder {
            name: name.into(),
            describe: Describe::default(),
            arguments: Vec::new(),
            access: None,
            handler: None,
            completer: None,
        }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The description.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The arguments it accepts.
    pub fn arguments(&self) -> &[PromptArgument] {
        &self.arguments
    }

    /// Who may get it, as declared in code.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// The `Prompt` object of `prompts/list`.
    pub fn to_json(&self) -> Value {
        Listing::new()
            .field("name", self.name.as_str())
            .optional("title", self.title.as_deref())
            .field("description", self.description.as_str())
            .optional(
                "arguments",
                (!self.arguments.is_empty()).then(|| json!(self.arguments)),
            )
            .finish(&self.access)
    }

    /// Checks `arguments`: every required argument is present, no unknown argument.
    ///
    /// # Errors
    /// A message naming the missing or unknown arguments.
    pub fn check_arguments(&self, arguments: &PromptArguments) -> Result<(), String> {
        let missing: Vec<&str> = self
            .arguments
            .iter()
            .filter(|a| a.required && !arguments.contains_key(&a.name))
            .map(|a| a.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "missing required argument(s): {}",
                missing.join(", ")
            ));
        }
        let unknown: Vec<&str> = arguments
            .keys()
            .filter(|k| !self.arguments.iter().any(|a| &a.name == *k))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(format!("unknown argument(s): {}", unknown.join(", ")));
        }
        Ok(())
    }

    /// Runs the handler (no validation, no authorization: the dispatcher does those).
    pub fn get(
        &self,
        ctx: ToolContext,
        arguments: PromptArguments,
    ) -> BoxFuture<'static, Result<GetPromptResult, ToolError>> {
        (self.handler)(ctx, arguments)
    }

    /// Completion suggestions for `argument`, given what the user typed (`None` when no
    /// completer is registered).
    pub fn complete(&self, argument: &str, value: &str) -> Option<Vec<String>> {
        self.completer.as_ref().map(|c| c(argument, value))
    }

    /// Whether a completer is registered.
    pub fn has_completer(&self) -> bool {
        self.completer.is_some()
    }
}

/// Builds a [`Prompt`]; see [`Prompt::builder`].
#[must_use = "call .build() to finish the prompt"]
pub struct PromptBuilder {
    name: String,
    describe: Describe,
    arguments: Vec<PromptArgument>,
    access: Option<Access>,
    handler: Option<Arc<PromptHandler>>,
    completer: Option<Arc<Completer>>,
}

impl fmt::Debug for PromptBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PromptBuilder")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl PromptBuilder {
    describe_setters! {
        /// What the prompt is for. Required.
    }

    /// Adds an argument.
    pub fn argument(
        mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        required: bool,
    ) -> Self {
        self.arguments.push(PromptArgument {
            name: name.into(),
            description: Some(description.into()),
            required,
        });
        self
    }

    access_setters!("prompt");

    /// The async handler: receives the request context (its `tool_name` is the prompt name)
    /// and the checked arguments. A [`ToolError::invalid_arguments`] becomes `-32602`; any
    /// other error `-32603`.
    pub fn handler<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(ToolContext, PromptArguments) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<GetPromptResult, ToolError>> + Send + 'static,
    {
        self.handler = Some(Arc::new(move |ctx, args| Box::pin(handler(ctx, args))));
        self
    }

    completer_setter! {
        /// Suggests values for an argument (`completion/complete` with `ref/prompt`): called
        /// with the argument's name and the partial value.
    }

    /// Validates the definition.
    ///
    /// # Errors
    /// [`RegistryError::Invalid`]: an empty name or one with whitespace, a missing
    /// description, an argument named twice or blank, missing or malformed scopes, a missing
    /// handler.
    pub fn build(self) -> Result<Prompt, RegistryError> {
        const KIND: &str = "prompt";
        let name = self.name;
        let invalid = |why: &str| RegistryError::invalid(KIND, &name, why);
        validate_prompt_name(&name).map_err(invalid)?;
        let description = non_blank(self.describe.description)
            .ok_or_else(|| invalid("no description; clients and users need one"))?;
        let mut seen = HashSet::new();
        for a in &self.arguments {
            if a.name.trim().is_empty() {
                return Err(invalid("an argument has an empty name"));
            }
            if !seen.insert(a.name.as_str()) {
                return Err(invalid(&format!(
                    "the argument `{}` is declared twice",
                    a.name
                )));
            }
        }
        let access = check_access(KIND, &name, self.access)?;
        let handler = self.handler.ok_or_else(|| invalid("no handler"))?;
        Ok(Prompt {
            name,
            title: self.describe.title,
            description,
            arguments: self.arguments,
            access,
            handler,
            completer: self.completer,
        })
    }
}

/// All prompts of a server, in registration order.
#[derive(Clone, Debug, Default)]
pub struct PromptRegistry {
    prompts: Vec<Arc<Prompt>>,
    by_name: HashMap<String, usize>,
}

impl PromptRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a prompt.
    ///
    /// # Errors
    /// [`RegistryError::Invalid`] when the name is taken.
    pub fn register(&mut self, prompt: Prompt) -> Result<(), RegistryError> {
        if self.by_name.contains_key(&prompt.name) {
            return Err(RegistryError::invalid(
                "prompt",
                &prompt.name,
                "a prompt with this name is already registered",
            ));
        }
        self.by_name.insert(prompt.name.clone(), self.prompts.len());
        self.prompts.push(Arc::new(prompt));
        Ok(())
    }

    /// Looks a prompt up by name.
    pub fn get(&self, name: &str) -> Option<&Arc<Prompt>> {
        self.by_name.get(name).and_then(|&i| self.prompts.get(i))
    }

    /// All prompts, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Prompt>> {
        self.prompts.iter()
    }

    /// Number of prompts.
    pub fn len(&self) -> usize {
        self.prompts.len()
    }

    /// Whether there are no prompts.
    pub fn is_empty(&self) -> bool {
        self.prompts.is_empty()
    }

    /// Whether any prompt has a completer.
    pub fn has_completions(&self) -> bool {
        self.prompts.iter().any(|p| p.has_completer())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(name: &str) -> PromptBuilder {
        Prompt::builder(name)
            .description("d")
            .public()
            .handler(|_, _| async { Ok(GetPromptResult::default()) })
    }

    #[test]
    fn definitions_are_checked() {
        assert!(base("p").build().is_ok());
        assert!(base("").build().is_err());
        assert!(base("has space").build().is_err());
        assert!(base("p").description(" ").build().is_err());
        assert!(
            base("p")
                .argument("a", "", true)
                .argument("a", "", false)
                .build()
                .is_err()
        );
        assert!(base("p").scopes(Vec::<String>::new()).build().is_err());
        let undeclared = Prompt::builder("p")
            .description("d")
            .handler(|_, _| async { Ok(GetPromptResult::default()) })
            .build()
            .unwrap_err();
        assert_eq!(
            undeclared.to_string(),
            "prompt `p`: declare the scopes it requires, or declare it public"
        );
    }

    #[test]
    fn required_and_unknown_arguments_are_reported() {
        let p = base("p")
            .argument("a", "first", true)
            .argument("b", "second", false)
            .build()
            .unwrap();
        let args = |pairs: &[(&str, &str)]| -> PromptArguments {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        assert!(p.check_arguments(&args(&[("a", "1")])).is_ok());
        assert!(p.check_arguments(&args(&[("a", "1"), ("b", "2")])).is_ok());
        let err = p.check_arguments(&args(&[("b", "2")])).unwrap_err();
        assert!(err.contains("missing required argument(s): a"), "{err}");
        let err = p
            .check_arguments(&args(&[("a", "1"), ("z", "2")]))
            .unwrap_err();
        assert!(err.contains("unknown argument(s): z"), "{err}");
    }

    #[test]
    fn listing_shows_arguments_and_access() {
        let p = base("p").argument("a", "first", true).build().unwrap();
        let listed = p.to_json();
        assert_eq!(
            listed["arguments"],
            json!([{"name": "a", "description": "first", "required": true}])
        );
        assert_eq!(listed["description"], "d");
        let mut r = PromptRegistry::new();
        r.register(p).unwrap();
        assert!(r.register(base("p").build().unwrap()).is_err());
        assert_eq!(r.len(), 1);
        assert!(!r.has_completions());
    }

    #[test]
    fn messages_serialize_with_role_and_content() {
        let m = PromptMessage::assistant(Content::text("hi"));
        assert_eq!(
            serde_json::to_value(m).unwrap(),
            json!({"role": "assistant", "content": {"type": "text", "text": "hi"}})
        );
    }
}
