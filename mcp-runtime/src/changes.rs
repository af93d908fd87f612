//! Publishing changes to the clients that follow them: a resource's content
//! (`notifications/resources/updated`), the lists of tools, prompts or resources
//! (`notifications/*/list_changed`), and what callers may see after a policy reload.
//!
//! A [`Notifier`] is a cheap, cloneable handle. Get one from [`ServerBuilder::notifier`],
//! [`Server::notifier`] or [`ToolContext::notifier`] and call it from anywhere (a handler, a
//! background task, a file watcher); publishing never blocks and never fails. The server fans
//! each change out to every subscriber, on both transports and in both protocol eras:
//!
//! - **2025-11-25 and older**: a session that called `resources/subscribe` for a URI receives
//!   `notifications/resources/updated` for it; every initialized session receives the
//!   `list_changed` notifications the server advertises. Over HTTP they go on the session's
//!   `GET` stream (nothing is queued while no stream is open); on stdio, on stdout.
//! - **2026-07-28**: a `subscriptions/listen` stream receives exactly what its filter asked
//!   for, each notification tagged with the subscription's id.
//!
//! Every delivery is checked against the authorizer for the subscriber's caller at the
//! moment it is sent: a caller never hears about a resource it may not read, and a
//! `list_changed` follows a policy reload only for the callers whose visible set changed.
//!
//! # Bounded queues
//! Changes travel through one bounded ring of [`DEFAULT_CAPACITY`] entries shared by all
//! subscribers; each subscriber reads it at the pace its client reads its stream (the socket
//! or stdout pushes back). A subscriber that falls more than the ring's capacity behind loses
//! the oldest changes, and instead of them receives one *resync*: a `list_changed` for every
//! list it follows and a `notifications/resources/updated` for every resource it subscribed
//! to (and may read). Memory therefore stays bounded whatever a client does, and a slow client
//! still ends up re-reading everything it follows.
//!
//! [`ServerBuilder::notifier`]: crate::ServerBuilder::notifier
//! [`Server::notifier`]: crate::Server::notifier
//! [`ToolContext::notifier`]: crate::ToolContext::notifier
//!
//! # Example
//! ```
//! use mcp_runtime::Server;
//!
//! let builder = Server::builder("docs", "1.0.0");
//! let notifier = builder.notifier();
//! let server = builder.build().expect("a valid server");
//! // Later, when `file:///notes.md` changes on disk:
//! notifier.resource_updated("file:///notes.md");
//! // And after the application loaded more tools:
//! server.notifier().tools_list_changed();
//! ```

use std::sync::Arc;
use tokio::sync::broadcast;

/// How many changes a subscriber may fall behind before it is resynchronised.
pub const DEFAULT_CAPACITY: usize = 256;

/// One published change.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// The content of the resource at this URI changed.
    ResourceUpdated(Arc<str>),
    /// The list of tools changed.
    ToolsListChanged,
    /// The list of prompts changed.
    PromptsListChanged,
    /// The list of resources or resource templates changed.
    ResourcesListChanged,
    /// The authorizer's decisions may have changed (a policy reload): each subscriber's
    /// visible tools, prompts and resources are recomputed, and a `list_changed` is sent for
    /// each list that changed for that caller.
    AuthorizationChanged,
    /// (2025-11-25) the out-of-band interaction of URL elicitation `id`, started on the
    /// connection with this process-unique id, completed: `notifications/elicitation/complete`
    /// to that connection only.
    ElicitationComplete {
        /// The connection that started the elicitation.
        connection: u64,
        /// The `elicitationId`.
        id: Arc<str>,
    },
}

/// A cloneable handle that publishes [`Change`]s to every subscriber of one server.
#[derive(Clone, Debug)]
pub struct Notifier {
    tx: broadcast::Sender<Change>,
}

impl Default for Notifier {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl Notifier {
    /// A notifier whose subscribers may fall `capacity` changes behind (at least 1).
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        Self { tx }
    }

    /// Publishes `change` to every current subscriber; without subscribers it is dropped.
    pub fn publish(&self, change: Change) {
        // An error only means nobody listens right now.
        let _ = self.tx.send(change);
    }

    /// The resource at `uri` changed: `notifications/resources/updated` to its subscribers.
    pub fn resource_updated(&self, uri: impl Into<String>) {
        self.publish(Change::ResourceUpdated(Arc::from(uri.into())));
    }

    /// `notifications/tools/list_changed` to every subscriber that follows the tool list.
    pub fn tools_list_changed(&self) {
        self.publish(Change::ToolsListChanged);
    }

    /// `notifications/prompts/list_changed` to every subscriber that follows the prompts.
    pub fn prompts_list_changed(&self) {
        self.publish(Change::PromptsListChanged);
    }

    /// `notifications/resources/list_changed` to every subscriber that follows the resources.
    pub fn resources_list_changed(&self) {
        self.publish(Change::ResourcesListChanged);
    }

    /// What callers may see may have changed (e.g. the policy was reloaded).
    pub fn authorization_changed(&self) {
        self.publish(Change::AuthorizationChanged);
    }

    /// How many subscribers (streams, sessions, stdio connections) follow changes now.
    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// A new subscriber's receiving end.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.tx.subscribe()
    }
}

/// Announces that one URL mode elicitation completed, to the client that started it
/// (`notifications/elicitation/complete`, 2025-11-25). Cloneable and `'static`: keep it
/// where the out-of-band flow finishes (e.g. the OAuth callback handler) and call
/// [`ElicitationCompletion::complete`] there, also after the tool call has ended. Over HTTP
/// the notification goes on the session's `GET` stream; on stdio, on stdout.
#[derive(Clone, Debug)]
pub struct ElicitationCompletion {
    notifier: Notifier,
    connection: u64,
    id: Arc<str>,
}

impl ElicitationCompletion {
    pub(crate) fn new(notifier: Notifier, connection: u64, id: &str) -> Self {
        Self {
            notifier,
            connection,
            id: Arc::from(id),
        }
    }

    /// The `elicitationId` this completes.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Sends the completion notification.
    pub fn complete(&self) {
        self.notifier.publish(Change::ElicitationComplete {
            connection: self.connection,
            id: self.id.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_lagging_receiver_learns_how_much_it_missed() {
        let notifier = Notifier::new(2);
        let mut rx = notifier.subscribe();
        for i in 0..5 {
            notifier.resource_updated(format!("test://{i}"));
        }
        assert_eq!(rx.recv().await, Err(broadcast::error::RecvError::Lagged(3)));
        assert_eq!(
            rx.recv().await,
            Ok(Change::ResourceUpdated(Arc::from("test://3")))
        );
        assert_eq!(notifier.subscribers(), 1);
    }

    #[test]
    fn publishing_without_subscribers_is_fine() {
        let notifier = Notifier::default();
        notifier.tools_list_changed();
        assert_eq!(notifier.subscribers(), 0);
    }
}
