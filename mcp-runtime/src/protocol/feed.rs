//! [`Feed`]: the notifications one subscriber receives, from the server's
//! [`Notifier`](crate::Notifier): what it follows (see `subscriptions`), checked against what
//! its caller may see when each change is delivered, with a resync after missed changes.

use super::Connection;
use super::server::Server;
use super::subscriptions::{Filter, SUBSCRIPTION_ID};
use crate::changes::Change;
use crate::context::Caller;
use crate::jsonrpc::{RequestId, notification};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};

/// One interest a feed serves: its subscription id (modern) and filter.
pub(super) struct Interest {
    pub(super) tag: Option<RequestId>,
    pub(super) filter: Filter,
}

/// Where a feed's interests come from.
pub(super) enum Source {
    /// A connection (legacy session or stdio process): read at each change, since the client
    /// subscribes and unsubscribes while it runs.
    Connection(Arc<Connection>),
    /// One modern listen stream over HTTP, fixed when it opened.
    Listen(Interest),
}

/// The tools, prompts, resources and templates one caller may see (indices in registry
/// order), to tell whether a policy reload changed them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Visible {
    pub(super) tools: Vec<usize>,
    pub(super) prompts: Vec<usize>,
    pub(super) resources: Vec<usize>,
    pub(super) templates: Vec<usize>,
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

impl Server {
    /// The feed of a connection (a legacy session's `GET` stream, or a stdio process):
    /// legacy `list_changed` and subscribed resources, plus any modern listen streams open on
    /// the connection, for `caller`.
    pub fn feed(&self, connection: Arc<Connection>, caller: Arc<Caller>) -> Feed {
        self.new_feed(caller, Source::Connection(connection))
    }

    pub(super) fn new_feed(&self, caller: Arc<Caller>, source: Source) -> Feed {
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
}
