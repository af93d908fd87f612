//! Routing: from a decoded JSON-RPC message to the handler of its method, in its era, with
//! batches, cancellation, notifications and the `result` wrapping of each era.

use super::answer::Answer;
use super::era::{Era, era_of, validate_modern_meta};
use super::lifecycle::not_initialized;
use super::method::{Method, NotificationMethod};
use super::server::{RequestScope, Server};
use super::{Connection, Object};
use crate::context::{Caller, LogLevel, Outbound};
use crate::error::McpError;
use crate::jsonrpc::{
    ErrorObject, Incoming, Notification, Request, RequestId, codes, error_response,
    success_response,
};
use futures::FutureExt;
use futures::future::{Abortable, BoxFuture};
use serde_json::Value;
use std::sync::Arc;

impl Server {
    /// Dispatches one decoded JSON value (a message or, in a 2025-03-26 session, a batch)
    /// arriving on `connection`. Returns the response to send, if any.
    ///
    /// Work that must happen in arrival order (handling notifications such as
    /// `notifications/cancelled`, registering requests as in flight) is done before this
    /// function returns; the returned future does the rest and can run concurrently with
    /// later messages.
    pub fn dispatch(
        &self,
        connection: &Arc<Connection>,
        message: Value,
        caller: &Arc<Caller>,
        outbound: &Outbound,
    ) -> BoxFuture<'static, Option<Value>> {
        let scope = RequestScope {
            connection: Some(connection.clone()),
            caller: caller.clone(),
            outbound: Some(outbound.clone()),
        };
        match message {
            Value::Array(items) => {
                if !connection.accepts_batches() {
                    let error = ErrorObject::new(
                        codes::INVALID_REQUEST,
                        "Invalid Request: JSON-RPC batches are accepted only in a 2025-03-26 session",
                    );
                    return futures::future::ready(Some(error_response(None, &error))).boxed();
                }
                if items.is_empty() {
                    let error =
                        ErrorObject::new(codes::INVALID_REQUEST, "Invalid Request: empty batch");
                    return futures::future::ready(Some(error_response(None, &error))).boxed();
                }
                let futures: Vec<_> = items
                    .into_iter()
                    .map(|item| self.dispatch_one(item, &scope, true))
                    .collect();
                async move {
                    let responses: Vec<Value> = futures::future::join_all(futures)
                        .await
                        .into_iter()
                        .flatten()
                        .collect();
                    (!responses.is_empty()).then_some(Value::Array(responses))
                }
                .boxed()
            }
            single => self.dispatch_one(single, &scope, false),
        }
    }

    fn dispatch_one(
        &self,
        message: Value,
        scope: &RequestScope,
        in_batch: bool,
    ) -> BoxFuture<'static, Option<Value>> {
        let incoming = match Incoming::classify(message) {
            Ok(m) => m,
            Err(rejected) => return futures::future::ready(Some(rejected.to_response())).boxed(),
        };
        match incoming {
            Incoming::Notification(n) => {
                self.handle_notification(scope.connection.as_deref(), &n);
                futures::future::ready(None).boxed()
            }
            Incoming::Response(r) => {
                let id = r.id.clone();
                let found = scope.connection.as_ref().is_some_and(|c| c.resolve(r));
                if !found {
                    tracing::debug!(%id, "ignoring a response to an unknown server request");
                }
                futures::future::ready(None).boxed()
            }
            Incoming::Request(request) => {
                let method = Method::parse(&request.method);
                if in_batch && method == Some(Method::Initialize) {
                    let e = McpError::InvalidRequest(
                        "`initialize` must not be part of a batch".to_owned(),
                    );
                    return futures::future::ready(Some(error_response(
                        Some(&request.id),
                        &e.to_error_object(),
                    )))
                    .boxed();
                }
                let id = request.id.clone();
                let outcome = self.dispatch_parsed(request, method, scope);
                async move {
                    outcome.await.map(|outcome| match outcome {
                        Ok(result) => success_response(&id, result),
                        Err(error) => error_response(Some(&id), &error.to_error_object()),
                    })
                }
                .boxed()
            }
        }
    }

    /// Dispatches one request arriving on `scope.connection` (or statelessly when it is
    /// `None`), keeping the typed error so a transport can choose a status code for it.
    ///
    /// As with [`Server::dispatch`], order-sensitive work (`initialize`, `logging/setLevel`,
    /// registering the request as in flight) happens before this function returns. The future
    /// yields `None` when the request was cancelled (`notifications/cancelled`): no response is
    /// sent for it.
    pub fn dispatch_request(
        &self,
        request: Request,
        scope: &RequestScope,
    ) -> BoxFuture<'static, Option<Result<Value, McpError>>> {
        let method = Method::parse(&request.method);
        self.dispatch_parsed(request, method, scope)
    }

    /// [`Server::dispatch_request`] for a request whose method is already parsed.
    fn dispatch_parsed(
        &self,
        request: Request,
        method: Option<Method>,
        scope: &RequestScope,
    ) -> BoxFuture<'static, Option<Result<Value, McpError>>> {
        let era = era_of(method, &request.params);
        // The handshake and the session's log level change how later messages are handled, so
        // they take effect in arrival order, before the next message is read.
        if era == Era::Legacy {
            let connection = scope.connection.as_deref();
            let now = match method {
                Some(Method::Initialize) => Some(self.initialize(&request.params, connection)),
                Some(Method::LoggingSetLevel) => {
                    Some(self.set_log_level(&request.params, connection))
                }
                _ => None,
            };
            if let Some(outcome) = now {
                return futures::future::ready(Some(outcome.map(Value::Object))).boxed();
            }
        }
        let Some(connection) = scope.connection.clone() else {
            let server = self.clone();
            let scope = scope.clone();
            return async move { Some(server.handle(request, method, era, &scope).await) }.boxed();
        };
        let Some(registration) = connection.begin(&request.id) else {
            let e =
                McpError::InvalidRequest(format!("request id {} is already in use", request.id));
            return futures::future::ready(Some(Err(e))).boxed();
        };
        let server = self.clone();
        let scope = scope.clone();
        async move {
            let id = request.id.clone();
            let handling = server.handle(request, method, era, &scope);
            let outcome = Abortable::new(handling, registration).await;
            connection.finish(&id);
            match outcome {
                Ok(outcome) => Some(outcome),
                Err(_aborted) => {
                    tracing::debug!(%id, "request cancelled; no response is sent");
                    None
                }
            }
        }
        .boxed()
    }

    /// Handles a notification from the client.
    pub(crate) fn handle_notification(
        &self,
        connection: Option<&Connection>,
        notification: &Notification,
    ) {
        match NotificationMethod::parse(&notification.method) {
            Some(NotificationMethod::Initialized) => {
                if let Some(c) = connection {
                    c.mark_initialized();
                }
            }
            Some(NotificationMethod::Cancelled) => {
                let id = notification
                    .params
                    .get("requestId")
                    .and_then(RequestId::from_value);
                match (id, connection) {
                    (Some(id), Some(c)) => {
                        let found = c.cancel(&id);
                        tracing::debug!(%id, found, "cancellation requested");
                    }
                    _ => tracing::debug!("ignoring an invalid or unroutable cancellation"),
                }
            }
            None => {
                tracing::debug!(
                    method = notification.method.as_str(),
                    "ignoring notification"
                );
            }
        }
    }

    /// Handles one request under `era`, returning the `result` object or a typed error.
    ///
    /// Modern requests are validated (`_meta` fields, version) and their results carry
    /// `resultType` and `serverInfo`.
    ///
    /// # Errors
    /// The [`McpError`] the transport renders.
    pub async fn handle_request(
        &self,
        request: Request,
        era: Era,
        scope: &RequestScope,
    ) -> Result<Value, McpError> {
        self.handle_request_answer(request, era, scope)
            .await
            .and_then(Answer::into_value)
    }

    /// [`Server::handle_request`], with a tool's result left typed (see [`Answer`]) for a
    /// transport that writes it out directly.
    pub(crate) async fn handle_request_answer(
        &self,
        request: Request,
        era: Era,
        scope: &RequestScope,
    ) -> Result<Answer, McpError> {
        let method = Method::parse(&request.method);
        self.answer(request, method, era, scope).await
    }

    /// [`Server::handle_request`] for a request whose method is already parsed.
    async fn handle(
        &self,
        request: Request,
        method: Option<Method>,
        era: Era,
        scope: &RequestScope,
    ) -> Result<Value, McpError> {
        self.answer(request, method, era, scope)
            .await
            .and_then(Answer::into_value)
    }

    /// Handles the request and records it in the metrics.
    async fn answer(
        &self,
        request: Request,
        method: Option<Method>,
        era: Era,
        scope: &RequestScope,
    ) -> Result<Answer, McpError> {
        let started = std::time::Instant::now();
        let result = match era {
            Era::Modern => self.handle_modern(request, method, scope).await,
            Era::Legacy => self.handle_legacy(request, method, scope).await,
        };
        super::observe::request(method, era, scope, &result, started);
        result
    }

    async fn handle_modern(
        &self,
        request: Request,
        method: Option<Method>,
        scope: &RequestScope,
    ) -> Result<Answer, McpError> {
        let modern = validate_modern_meta(&request.params)?;
        let mut result = match method {
            Some(Method::ServerDiscover) => self.discover(),
            Some(Method::ToolsList) => self.list_tools(&request.params, scope, Era::Modern)?,
            Some(Method::SubscriptionsListen) => {
                Box::pin(self.listen_on_connection(&request, scope)).await?
            }
            Some(Method::ToolsCall) => {
                // Boxed: the call's state is the largest part of a request's future, and a
                // box of its own keeps it apart from the rest, each small enough for the
                // allocator's per-thread cache of recently freed blocks.
                let answer = Box::pin(self.call_tool(
                    request,
                    scope,
                    modern.log_level,
                    modern.capabilities.as_ref(),
                    Era::Modern,
                ))
                .await?;
                match answer {
                    Answer::Tool { result, .. } => {
                        return Ok(Answer::Tool {
                            result,
                            server_info: Some(self.inner.server_info.clone()),
                        });
                    }
                    Answer::Object(result) => result,
                }
            }
            _ => {
                let capabilities = modern.capabilities.as_ref();
                let level = modern.log_level;
                let primitive =
                    self.handle_primitive(request, method, scope, level, capabilities, Era::Modern);
                Box::pin(primitive).await?
            }
        };
        // An input-required result has its own `resultType`.
        super::answer::decorate(&mut result, self.inner.server_info.value());
        Ok(Answer::Object(result))
    }

    async fn handle_legacy(
        &self,
        request: Request,
        method: Option<Method>,
        scope: &RequestScope,
    ) -> Result<Answer, McpError> {
        let connection = scope.connection.as_deref();
        match method {
            Some(Method::Initialize) => {
                return self
                    .initialize(&request.params, connection)
                    .map(Answer::Object);
            }
            Some(Method::Ping) => return Ok(Answer::Object(Object::new())),
            _ => {}
        }
        let Some(connection) = connection.filter(|c| c.protocol_version().is_some()) else {
            return Err(not_initialized());
        };
        let result = match method {
            Some(Method::LoggingSetLevel) => self.set_log_level(&request.params, Some(connection)),
            Some(Method::ToolsList) => self.list_tools(&request.params, scope, Era::Legacy),
            Some(Method::ToolsCall) => {
                let capabilities = connection.shared_capabilities();
                return Box::pin(self.call_tool(
                    request,
                    scope,
                    connection.log_level(),
                    capabilities.as_ref(),
                    Era::Legacy,
                ))
                .await;
            }
            Some(Method::ResourcesSubscribe) if !self.inner.resources.is_empty() => {
                Box::pin(self.subscribe(&request, scope)).await
            }
            Some(Method::ResourcesUnsubscribe) if !self.inner.resources.is_empty() => {
                self.unsubscribe(&request, scope)
            }
            _ => {
                let capabilities = connection.shared_capabilities();
                let level = connection.log_level();
                let capabilities = capabilities.as_ref();
                let primitive =
                    self.handle_primitive(request, method, scope, level, capabilities, Era::Legacy);
                Box::pin(primitive).await
            }
        };
        result.map(Answer::Object)
    }

    /// Resources, prompts and completion: the same in both eras except for caching hints
    /// and the error for an unknown resource. A method whose capability is not declared
    /// (nothing registered) is unknown.
    async fn handle_primitive(
        &self,
        request: Request,
        method: Option<Method>,
        scope: &RequestScope,
        log_level: Option<LogLevel>,
        capabilities: Option<&Arc<Value>>,
        era: Era,
    ) -> Result<Object, McpError> {
        let has_resources = !self.inner.resources.is_empty();
        let has_prompts = !self.inner.prompts.is_empty();
        match method {
            Some(Method::ResourcesList) if has_resources => {
                self.list_resources(&request.params, scope, era)
            }
            Some(Method::ResourcesTemplatesList) if has_resources => {
                self.list_resource_templates(&request.params, scope, era)
            }
            Some(Method::ResourcesRead) if has_resources => {
                self.read_resource(&request, scope, log_level, capabilities, era)
                    .await
            }
            Some(Method::PromptsList) if has_prompts => {
                self.list_prompts(&request.params, scope, era)
            }
            Some(Method::PromptsGet) if has_prompts => {
                self.get_prompt(request, scope, log_level, capabilities, era)
                    .await
            }
            Some(Method::CompletionComplete) if self.has_completions() => {
                self.complete(&request.params, scope).await
            }
            _ => Err(McpError::MethodNotFound(request.method)),
        }
    }
}
