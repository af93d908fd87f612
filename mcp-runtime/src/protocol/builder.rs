//! Building a [`Server`]: [`ServerBuilder`] collects tools, resources, prompts, shared state
//! and settings, and [`Implementation`] names the server.

use super::ownership::{Ownership, ResolveError, ResourceRef};
use super::server::{Inner, Server};
use crate::asking::StateSealer;
use crate::authz::{Authorizer, DeclaredScopes};
use crate::changes::Notifier;
use crate::context::Extensions;
use crate::registry::{
    Prompt, PromptRegistry, RegistryError, Resource, ResourceRegistry, ResourceTemplate, Tool,
    ToolRegistry,
};
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A server's name and version (`serverInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Implementation {
    /// Machine name.
    pub name: String,
    /// Version string.
    pub version: String,
    /// Display title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// Builds a [`Server`]; see [`Server::builder`].
#[must_use = "call .build() to finish the server"]
pub struct ServerBuilder {
    info: Implementation,
    instructions: Option<String>,
    tools: ToolRegistry,
    resources: ResourceRegistry,
    prompts: PromptRegistry,
    errors: Vec<RegistryError>,
    authorizer: Arc<dyn Authorizer>,
    extensions: Extensions,
    page_size: usize,
    list_ttl_ms: u64,
    state_key: Option<[u8; 32]>,
    state_ttl: Duration,
    ask_timeout: Duration,
    ownership: Ownership,
    notifier: Notifier,
}

impl fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Starts a server called `name` at `version`.
    pub fn builder(name: impl Into<String>, version: impl Into<String>) -> ServerBuilder {
        ServerBuilder {
            info: Implementation {
                name: name.into(),
                version: version.into(),
                title: None,
            },
            instructions: None,
            tools: ToolRegistry::new(),
            resources: ResourceRegistry::new(),
            prompts: PromptRegistry::new(),
            errors: Vec::new(),
            authorizer: Arc::new(DeclaredScopes),
            extensions: Extensions::default(),
            page_size: 100,
            list_ttl_ms: 60_000,
            state_key: None,
            state_ttl: Duration::from_secs(600),
            ask_timeout: Duration::from_secs(300),
            ownership: Ownership::default(),
            notifier: Notifier::default(),
        }
    }
}

impl ServerBuilder {
    /// How many published changes a subscriber may fall behind before it is resynchronised
    /// (default [`crate::changes::DEFAULT_CAPACITY`]; see [`crate::changes`]). Replaces the
    /// notifier: call it before [`ServerBuilder::notifier`].
    pub fn change_queue(mut self, capacity: usize) -> Self {
        self.notifier = Notifier::new(capacity);
        self
    }

    /// The handle that publishes changes to this server's subscribers (see
    /// [`crate::changes`]); the built server and every [`ToolContext`](crate::ToolContext)
    /// share it, so it can be handed to background tasks before the server is built.
    pub fn notifier(&self) -> Notifier {
        self.notifier.clone()
    }

    /// A display title for `serverInfo`.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.info.title = Some(title.into());
        self
    }

    /// Instructions for the client's model.
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }

    /// Adds a tool. Definition errors are reported by [`ServerBuilder::build`].
    pub fn tool(mut self, tool: Result<Tool, RegistryError>) -> Self {
        match tool.and_then(|t| self.tools.register(t)) {
            Ok(()) => {}
            Err(e) => self.errors.push(e),
        }
        self
    }

    /// Adds several tools.
    pub fn tools(mut self, tools: impl IntoIterator<Item = Result<Tool, RegistryError>>) -> Self {
        for t in tools {
            self = self.tool(t);
        }
        self
    }

    /// Adds a resource at a fixed URI. Definition errors are reported by
    /// [`ServerBuilder::build`].
    pub fn resource(mut self, resource: Result<Resource, RegistryError>) -> Self {
        if let Err(e) = resource.and_then(|r| self.resources.register(r)) {
            self.errors.push(e);
        }
        self
    }

    /// Adds a resource template. Definition errors are reported by [`ServerBuilder::build`].
    pub fn resource_template(mut self, template: Result<ResourceTemplate, RegistryError>) -> Self {
        if let Err(e) = template.and_then(|t| self.resources.register_template(t)) {
            self.errors.push(e);
        }
        self
    }

    /// Adds a prompt. Definition errors are reported by [`ServerBuilder::build`].
    pub fn prompt(mut self, prompt: Result<Prompt, RegistryError>) -> Self {
        if let Err(e) = prompt.and_then(|p| self.prompts.register(p)) {
            self.errors.push(e);
        }
        self
    }

    /// Shares `value` with every handler ([`ToolContext::state`]).
    ///
    /// [`ToolContext::state`]: crate::context::ToolContext::state
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.extensions.insert(value);
        self
    }

    /// Declares that `tool` acts on the resource named by its argument `argument` (e.g.
    /// `cancel_order` and `order_id`), so that policy conditions on the tool can read that
    /// resource as `resource`, as the [resolver](Self::resource_resolver) describes it. The
    /// tool must be registered and take the argument (checked by [`build`](Self::build)).
    /// See [`crate::protocol::ResourceRef`].
    pub fn resource_argument(mut self, tool: &str, argument: &str) -> Self {
        self.ownership
            .arguments
            .insert(tool.to_owned(), argument.to_owned());
        self
    }

    /// The application's resolver: describes the resource a call's arguments name (an
    /// order id → `{ "tenant": …, "owner": … }`) for policy conditions. It runs only when a
    /// condition in force reads `resource`, after the caller passed the scope checks; a
    /// failure denies the call.
    pub fn resource_resolver<F, Fut>(mut self, resolver: F) -> Self
    where
        F: Fn(ResourceRef) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Map<String, Value>, ResolveError>> + Send + 'static,
    {
        self.ownership.set_resolver(resolver);
        self
    }

    /// Replaces the default [`DeclaredScopes`] authorizer (e.g. with a deployment policy).
    pub fn authorizer(mut self, authorizer: Arc<dyn Authorizer>) -> Self {
        self.authorizer = authorizer;
        self
    }

    /// Items per page of `tools/list`, `resources/list`, `resources/templates/list` and
    /// `prompts/list` (default 100).
    pub fn page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// `ttlMs` of modern list and `resources/read` results (default 60 000).
    pub fn list_ttl_ms(mut self, ttl: u64) -> Self {
        self.list_ttl_ms = ttl;
        self
    }

    /// The tools registered so far (for checks before building).
    pub fn registry(&self) -> &ToolRegistry {
        &self.tools
    }

    /// Finishes the server.
    /// The 32-byte key that seals 2026-07-28 `requestState` (XChaCha20-Poly1305). Replicas
    /// behind one load balancer need the same key; without one, a random key is generated at
    /// start-up, which suits a single process.
    pub fn request_state_key(mut self, key: [u8; 32]) -> Self {
        self.state_key = Some(key);
        self
    }

    /// How long a sealed `requestState` stays valid (default 10 minutes).
    pub fn request_state_ttl(mut self, ttl: Duration) -> Self {
        self.state_ttl = ttl;
        self
    }

    /// How long a handler waits for the client to answer a legacy server-to-client request
    /// (elicitation, sampling, roots; default 5 minutes).
    pub fn client_request_timeout(mut self, timeout: Duration) -> Self {
        self.ask_timeout = timeout;
        self
    }

    ///
    /// # Errors
    /// Every tool definition or registration error, in order.
    pub fn build(mut self) -> Result<Server, Vec<RegistryError>> {
        for (tool, argument) in &self.ownership.arguments {
            let why = match self.tools.get(tool) {
                None => Some("is not registered, so it cannot name a resource".to_owned()),
                Some(t)
                    if t.input_schema()
                        .pointer(&format!("/properties/{argument}"))
                        .is_none() =>
                {
                    Some(format!("has no argument `{argument}` to name its resource"))
                }
                Some(_) => None,
            };
            if let Some(why) = why {
                self.errors.push(RegistryError::Invalid {
                    kind: "tool",
                    name: tool.clone(),
                    why,
                });
            }
        }
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        Ok(Server::new(Inner {
            server_info: Arc::new(super::answer::ServerInfo::new(serde_json::json!(self.info))),
            info: self.info,
            instructions: self.instructions,
            tools: self.tools,
            resources: self.resources,
            prompts: self.prompts,
            authorizer: self.authorizer,
            extensions: Arc::new(self.extensions),
            page_size: self.page_size,
            list_ttl_ms: self.list_ttl_ms,
            sealer: Arc::new(match self.state_key {
                Some(key) => StateSealer::new(key, self.state_ttl),
                None => StateSealer::generate(self.state_ttl),
            }),
            ask_timeout: self.ask_timeout,
            ownership: self.ownership,
            notifier: self.notifier,
            approvals: Arc::default(),
            store: None,
        }))
    }
}
