//! Following changes: legacy `resources/subscribe` / `resources/unsubscribe`, modern
//! `subscriptions/listen`, and [`Feed`], which turns the [`Notifier`](crate::Notifier)'s
//! changes into the notifications one subscriber may receive (see [`crate::changes`]).

use super::era::validate_modern_meta;
use super::server::{RequestScope, Server};
use super::{Connection, Object};
use crate::authz::Target;
use crate::changes::Change;
use crate::context::Caller;
use crate::error::McpError;
use crate::jsonrpc::{Request, RequestId, notification, success_response};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};

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
    resources: BTreeSet<String>,
    /// Modern listen streams open on the connection (stdio), by subscription id.
    listens: Vec<(RequestId, Filter)>,
}

/// A `subscriptions/listen` filter, as honoured.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Filter {
    tools: bool,
    prompts: bool,
    resources_list: bool,
    /// `None`: the client did not ask for resource updates.
    resources: Option<BTreeSet<String>>,
}

impl Filter {
    /// The filter a legacy session gets: every list the server advertises, and its
    /// subscribed resources.
    fn legacy(server: &Server, resources: BTreeSet<String>) -> Self {
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

/// One interest a feed serves: its subscription id (modern) and filter.
struct Interest {
    tag: Option<RequestId>,
    filter: Filter,
}

/// Where a feed's interests come from.
enum Source {
    /// A connection (legacy session or stdio process): read at each change, since the client
    /// subscribes and unsubscribes while it runs.
    Connection(Arc<Connection>),
    /// One modern listen stream over HTTP, fixed when it opened.
    Listen(Interest),
}

/// The tools, prompts, resources and templates one caller may see (indices in registry
/// order), to tell whether a policy reload changed them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Visible {
    tools: Vec<usize>,
    prompts: Vec<usize>,
    resources: Vec<usize>,
    templates: Vec<usize>,
}

/// Which lists a change touches.
#[derive(Clone, Copy, Debug, Default)]
struct Lists {
    tools: bool,
    prompts: bool,
    resources: bool,
}

impl Lists {
    const ALL: Self = Self {
        tools: true,
        prompts: true,
        resources: true,
    };
}

/// The notifications one subscriber receives, in order: a stream over the server's
/// [`Notifier`](crate::Notifier), filtered by what the subscriber follows and by what its
/// caller may see at the moment of delivery.
pub struct Feed {
    server: Server,
    caller: Arc<Caller>,
    source: Source,
    rx: broadcast::Receiver<Change>,
    visible: Visible,
}

impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feed")
            .field("caller", &self.caller.subject())
            .finish_non_exhaustive()
    }
}

impl Feed {
    /// The next notifications to send (never an empty batch); `None` once the server is gone.
    pub async fn next(&mut self) -> Option<Vec<Value>> {
        loop {
            let messages = match self.rx.recv().await {
                Ok(change) => self.render(&change),
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        subject = self.caller.subject(),
                        missed,
                        "a subscriber fell behind; sending it a resync instead of the changes it missed"
                    );
                    self.resync()
                }
                Err(RecvError::Closed) => return None,
            };
            if !messages.is_empty() {
                return Some(messages);
            }
        }
    }

    fn interests(&self) -> Vec<Interest> {
        match &self.source {
            Source::Listen(i) => vec![Interest {
                tag: i.tag.clone(),
                filter: i.filter.clone(),
            }],
            Source::Connection(c) => {
                let initialized = c.protocol_version().is_some();
                let followed = c.followed();
                let mut all = Vec::with_capacity(followed.listens.len() + 1);
                if initialized {
                    let filter = Filter::legacy(&self.server, followed.resources.clone());
                    all.push(Interest { tag: None, filter });
                }
                for (id, filter) in &followed.listens {
                    all.push(Interest {
                        tag: Some(id.clone()),
                        filter: filter.clone(),
                    });
                }
                all
            }
        }
    }

    fn render(&mut self, change: &Change) -> Vec<Value> {
        let interests = self.interests();
        let mut out = Vec::new();
        let lists = match change {
            Change::ResourceUpdated(uri) => {
                let wanted = interests.iter().any(|i| follows(i, uri));
                if wanted && self.server.readable(&self.caller, uri) {
                    for i in interests.iter().filter(|i| follows(i, uri)) {
                        out.push(updated(i, uri));
                    }
                }
                return out;
            }
            Change::ToolsListChanged => Lists {
                tools: true,
                ..Lists::default()
            },
            Change::PromptsListChanged => Lists {
                prompts: true,
                ..Lists::default()
            },
            Change::ResourcesListChanged => Lists {
                resources: true,
                ..Lists::default()
            },
            Change::ElicitationComplete { connection, id } => {
                if let Source::Connection(c) = &self.source
                    && c.id() == *connection
                    && c.protocol_version().is_some()
                {
                    out.push(notification(
                        "notifications/elicitation/complete",
                        json!({ "elicitationId": &**id }),
                    ));
                }
                return out;
            }
            Change::AuthorizationChanged => {
                let now = self.server.visible(&self.caller);
                let was = std::mem::replace(&mut self.visible, now);
                let now = &self.visible;
                Lists {
                    tools: was.tools != now.tools,
                    prompts: was.prompts != now.prompts,
                    resources: was.resources != now.resources || was.templates != now.templates,
                }
            }
        };
        for i in &interests {
            list_changed(i, lists, &mut out);
        }
        out
    }

    /// After missed changes: every list the subscriber follows, and every resource it
    /// follows and may read.
    fn resync(&mut self) -> Vec<Value> {
        self.visible = self.server.visible(&self.caller);
        let mut out = Vec::new();
        for i in &self.interests() {
            list_changed(i, Lists::ALL, &mut out);
            for uri in i.filter.resources.iter().flatten() {
                if self.server.readable(&self.caller, uri) {
                    out.push(updated(i, uri));
                }
            }
        }
        out
    }
}

fn follows(interest: &Interest, uri: &str) -> bool {
    interest
        .filter
        .resources
        .as_ref()
        .is_some_and(|r| r.contains(uri))
}

fn tagged(interest: &Interest, method: &str, mut params: Map<String, Value>) -> Value {
    if let Some(id) = &interest.tag {
        params.insert("_meta".into(), json!({ SUBSCRIPTION_ID: id.to_value() }));
    }
    notification(method, Value::Object(params))
}

fn updated(interest: &Interest, uri: &str) -> Value {
    let mut params = Map::new();
    params.insert("uri".into(), json!(uri));
    tagged(interest, "notifications/resources/updated", params)
}

fn list_changed(interest: &Interest, lists: Lists, out: &mut Vec<Value>) {
    let f = &interest.filter;
    for (on, method) in [
        (lists.tools && f.tools, "notifications/tools/list_changed"),
        (
            lists.prompts && f.prompts,
            "notifications/prompts/list_changed",
        ),
        (
            lists.resources && f.resources_list,
            "notifications/resources/list_changed",
        ),
    ] {
        if on {
            out.push(tagged(interest, method, Map::new()));
        }
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
    /// The feed of a connection (a legacy session's `GET` stream, or a stdio process):
    /// legacy `list_changed` and subscribed resources, plus any modern listen streams open on
    /// the connection, for `caller`.
    pub fn feed(&self, connection: Arc<Connection>, caller: Arc<Caller>) -> Feed {
        self.new_feed(caller, Source::Connection(connection))
    }

    fn new_feed(&self, caller: Arc<Caller>, source: Source) -> Feed {
        // Subscribe first, so no change between the snapshot and the subscription is lost.
        let rx = self.inner.notifier.subscribe();
        Feed {
            visible: self.visible(&caller),
            server: self.clone(),
            caller,
            source,
            rx,
        }
    }

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
        result.insert("resultType".into(), json!("complete"));
        let mut meta = Map::new();
        meta.insert(SUBSCRIPTION_ID.into(), id.to_value());
        meta.insert(super::meta::SERVER_INFO.into(), json!(self.inner.info));
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
    pub(super) fn subscribe(
        &self,
        request: &Request,
        scope: &RequestScope,
    ) -> Result<Object, McpError> {
        let uri = uri_param(request)?;
        let resources = &self.inner.resources;
        if let Some(resource) = resources.get(uri) {
            self.authorize(scope, &Target::resource(resource))?;
        } else if let Some((template, _)) = resources.find_template(uri) {
            self.authorize(scope, &Target::template(template))?;
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
    fn readable(&self, caller: &Caller, uri: &str) -> bool {
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

    fn visible(&self, caller: &Caller) -> Visible {
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
