//! Following changes: legacy `resources/subscribe` / `resources/unsubscribe` and modern
//! `subscriptions/listen` (what each subscriber follows); the `feed` module turns published
//! changes into its notifications (see [`crate::changes`]).

use super::era::validate_modern_meta;
use super::feed::{Feed, Interest, Source, Visible};
use super::server::{RequestScope, Server};
use super::{Connection, Object};
use crate::authz::Target;
use crate::context::Caller;
use crate::error::McpError;
use crate::jsonrpc::{Request, RequestId, notification, success_response};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The `_meta` key naming the subscription a notification belongs to.
pub const SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";
/// The most resource URIs one connection (or one listen stream) may follow.
pub const MAX_RESOURCE_SUBSCRIPTIONS: usize = 256;
/// The most `subscriptions/listen` streams one stdio connection may hold open.
pub const MAX_LISTENS: usize = 16;

/// What a connection follows.
#[derive(Debug, Default)]
pub(crate) struct Followed {
    /// Legacy `resources/subscribe` URIs.
    pub(super) resources: BTreeSet<String>,
    /// Modern listen streams open on the connection (stdio), by subscription id.
    pub(super) listens: Vec<(RequestId, Filter)>,
}

/// A `subscriptions/listen` filter, as honoured.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Filter {
    pub(super) tools: bool,
    pub(super) prompts: bool,
    pub(super) resources_list: bool,
    /// `None`: the client did not ask for resource updates.
    pub(super) resources: Option<BTreeSet<String>>,
}

impl Filter {
    /// The filter a legacy session gets: every list the server advertises, and its
    /// subscribed resources.
    pub(super) fn legacy(server: &Server, resources: BTreeSet<String>) -> Self {
        Self {
            tools: true,
            prompts: !server.inner.prompts.is_empty(),
            resources_list: !server.inner.resources.is_empty(),
            resources: Some(resources),
        }
    }

    /// The acknowledged filter: the subset of `requested` this server honours for `caller`
    /// (resources it may read; lists it has).
    fn honoured(server: &Server, caller: &Caller, params: &Object) -> Result<Self, McpError> {
        let Some(requested) = params.get("notifications").and_then(Value::as_object) else {
            return Err(McpError::invalid_params(
                "`subscriptions/listen` needs `notifications` (an object)",
            ));
        };
        let flag = |name: &str| requested.get(name).and_then(Value::as_bool) == Some(true);
        let resources = match requested.get("resourceSubscriptions") {
            None | Some(Value::Null) => None,
            Some(Value::Array(uris)) => {
                if uris.len() > MAX_RESOURCE_SUBSCRIPTIONS {
                    return Err(McpError::invalid_params(format!(
                        "at most {MAX_RESOURCE_SUBSCRIPTIONS} resources may be followed on one stream"
                    )));
                }
                let mut honoured = BTreeSet::new();
                for uri in uris {
                    let Some(uri) = uri.as_str() else {
                        return Err(McpError::invalid_params(
                            "`resourceSubscriptions` must be an array of strings",
                        ));
                    };
                    // Only what the caller may read: the rest is left out of the
                    // acknowledgment, whether it exists or not.
                    if server.readable(caller, uri) {
                        honoured.insert(uri.to_owned());
                    }
                }
                Some(honoured)
            }
            Some(_) => {
                return Err(McpError::invalid_params(
                    "`resourceSubscriptions` must be an array of strings",
                ));
            }
        };
        let has_resources = !server.inner.resources.is_empty();
        Ok(Self {
            tools: flag("toolsListChanged"),
            prompts: flag("promptsListChanged") && !server.inner.prompts.is_empty(),
            resources_list: flag("resourcesListChanged") && has_resources,
            resources: resources.filter(|_| has_resources),
        })
    }

    fn to_json(&self) -> Value {
        let mut filter = Map::new();
        for (name, on) in [
            ("toolsListChanged", self.tools),
            ("promptsListChanged", self.prompts),
            ("resourcesListChanged", self.resources_list),
        ] {
            if on {
                filter.insert(name.into(), Value::Bool(true));
            }
        }
        if let Some(uris) = &self.resources {
            filter.insert("resourceSubscriptions".into(), json!(uris));
        }
        Value::Object(filter)
    }
}

/// A modern listen stream opened over HTTP: the acknowledgment to send first, then the feed.
#[derive(Debug)]
pub struct Listen {
    /// The subscription id (the listen request's id).
    pub id: RequestId,
    /// `notifications/subscriptions/acknowledged`, the stream's first message.
    pub acknowledgment: Value,
    /// The notifications that follow.
    pub feed: Feed,
}

impl Listen {
    /// The graceful end of the stream (e.g. at shutdown): the listen request's completion
    /// result, tagged with the subscription id.
    pub fn completion(&self, server: &Server) -> Value {
        success_response(&self.id, Value::Object(server.listen_completion(&self.id)))
    }
}

impl Server {
    /// Opens a modern `subscriptions/listen` stream for an HTTP request (stateless: the
    /// stream is the response).
    ///
    /// # Errors
    /// Invalid `_meta` or filter, or a server that offers nothing to listen to.
    pub fn listen(&self, request: &Request, caller: Arc<Caller>) -> Result<Listen, McpError> {
        validate_modern_meta(&request.params)?;
        let filter = Filter::honoured(self, &caller, &request.params)?;
        let acknowledgment = acknowledgment(&request.id, &filter);
        let interest = Interest {
            tag: Some(request.id.clone()),
            filter,
        };
        Ok(Listen {
            id: request.id.clone(),
            acknowledgment,
            feed: self.new_feed(caller, Source::Listen(interest)),
        })
    }

    /// The result that ends listen stream `id` gracefully (`resultType` and `serverInfo` are
    /// added like for every modern result).
    fn listen_completion(&self, id: &RequestId) -> Object {
        let mut result = Object::new();
        result.insert("resultType".into(), Value::from(super::answer::COMPLETE));
        let mut meta = Map::new();
        meta.insert(SUBSCRIPTION_ID.into(), id.to_value());
        meta.insert(
            super::meta::SERVER_INFO.into(),
            self.inner.server_info.value().clone(),
        );
        result.insert("_meta".into(), Value::Object(meta));
        result
    }

    /// Modern `subscriptions/listen` on a connection (stdio): acknowledges at once, then
    /// stays open, its notifications sent by the connection's feed, until the client cancels
    /// it (`notifications/cancelled`) or the connection closes (a completion result).
    pub(super) async fn listen_on_connection(
        &self,
        request: &Request,
        scope: &RequestScope,
    ) -> Result<Object, McpError> {
        let Some(connection) = scope.connection.clone() else {
            return Err(McpError::MethodNotFound(request.method.clone()));
        };
        let filter = Filter::honoured(self, &scope.caller, &request.params)?;
        {
            let mut followed = connection.followed();
            if followed.listens.len() >= MAX_LISTENS {
                return Err(McpError::InvalidRequest(format!(
                    "at most {MAX_LISTENS} subscriptions may be open on one connection"
                )));
            }
            // The acknowledgment is queued before the stream is registered, so nothing of
            // this subscription can overtake it.
            if let Some(out) = &scope.outbound {
                let _ = out.send(acknowledgment(&request.id, &filter));
            }
            followed.listens.push((request.id.clone(), filter));
        }
        let _registered = Registered(connection.clone(), request.id.clone());
        connection.subscriptions_closed().await;
        Ok(self.listen_completion(&request.id))
    }

    /// Legacy `resources/subscribe`: a resource the caller may read (the same check as
    /// `resources/read`), followed by this session until it unsubscribes or ends.
    pub(super) async fn subscribe(
        &self,
        request: &Request,
        scope: &RequestScope,
    ) -> Result<Object, McpError> {
        let uri = uri_param(request)?;
        let resources = &self.inner.resources;
        if let Some(resource) = resources.get(uri) {
            self.authorize(scope, &Target::resource(resource)).await?;
        } else if let Some((template, _)) = resources.find_template(uri) {
            self.authorize(scope, &Target::template(template)).await?;
        } else {
            return Err(McpError::ResourceNotFound {
                uri: uri.to_owned(),
            });
        }
        if let Some(c) = &scope.connection {
            let mut followed = c.followed();
            if !followed.resources.contains(uri)
                && followed.resources.len() >= MAX_RESOURCE_SUBSCRIPTIONS
            {
                return Err(McpError::invalid_params(format!(
                    "at most {MAX_RESOURCE_SUBSCRIPTIONS} resources may be followed in one session"
                )));
            }
            followed.resources.insert(uri.to_owned());
        }
        Ok(Object::new())
    }

    /// Legacy `resources/unsubscribe`: stops following the URI (a no-op if not followed).
    pub(super) fn unsubscribe(
        &self,
        request: &Request,
        scope: &RequestScope,
    ) -> Result<Object, McpError> {
        let uri = uri_param(request)?;
        if let Some(c) = &scope.connection {
            c.followed().resources.remove(uri);
        }
        Ok(Object::new())
    }

    /// Whether `caller` may read the resource (or templated URI) `uri`.
    pub(super) fn readable(&self, caller: &Caller, uri: &str) -> bool {
        let resources = &self.inner.resources;
        let authorizer = &self.inner.authorizer;
        if let Some(resource) = resources.get(uri) {
            authorizer
                .authorize(caller, &Target::resource(resource))
                .is_ok()
        } else if let Some((template, _)) = resources.find_template(uri) {
            authorizer
                .authorize(caller, &Target::template(template))
                .is_ok()
        } else {
            false
        }
    }

    pub(super) fn visible(&self, caller: &Caller) -> Visible {
        let inner = &self.inner;
        let authorizer = &inner.authorizer;
        let tools: Vec<_> = inner.tools.iter().map(|t| Target::tool(t)).collect();
        let prompts: Vec<_> = inner.prompts.iter().map(|p| Target::prompt(p)).collect();
        let resources: Vec<_> = inner
            .resources
            .iter()
            .map(|r| Target::resource(r))
            .collect();
        let templates: Vec<_> = inner
            .resources
            .templates()
            .map(|t| Target::template(t))
            .collect();
        Visible {
            tools: authorizer.visible_among(caller, &tools).0,
            prompts: authorizer.visible_among(caller, &prompts).0,
            resources: authorizer.visible_among(caller, &resources).0,
            templates: authorizer.visible_among(caller, &templates).0,
        }
    }
}

/// Removes a stdio listen stream when its request ends (completed, cancelled or aborted).
struct Registered(Arc<Connection>, RequestId);

impl Drop for Registered {
    fn drop(&mut self) {
        self.0.followed().listens.retain(|(id, _)| *id != self.1);
    }
}

fn acknowledgment(id: &RequestId, filter: &Filter) -> Value {
    notification(
        "notifications/subscriptions/acknowledged",
        json!({
            "_meta": { SUBSCRIPTION_ID: id.to_value() },
            "notifications": filter.to_json(),
        }),
    )
}

fn uri_param(request: &Request) -> Result<&str, McpError> {
    request
        .params
        .get("uri")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            McpError::invalid_params(format!("`{}` needs `uri` (a string)", request.method))
        })
}
