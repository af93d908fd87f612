//! Legacy sessions shared by replicas: with a store, `initialize` publishes the session's
//! record (its owner, negotiated version, client capabilities and whether the client sent
//! `notifications/initialized`), each request keeps it alive for the idle timeout, a replica
//! that has never seen a session adopts it from the record, and `DELETE` ends it everywhere.
//!
//! What stays with one process: the session's GET (SSE) stream, its requests in flight (so
//! `notifications/cancelled` reaches only the replica running the request) and the answers to
//! the server's own requests. A load balancer that pins a session to one replica keeps those
//! working; without pinning, every request/response exchange still works on any replica.

use super::refusal::Refusal;
use super::session::{Owner, Session, Sessions};
use crate::protocol::{Connection, Transport};
use crate::store::SharedStore;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// What the store keeps of one legacy session.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    /// The token identity that created it (`None`: no authentication configured).
    owner: Option<Owner>,
    /// The version `initialize` settled on.
    version: String,
    /// The client's declared capabilities.
    #[serde(default)]
    capabilities: Option<Value>,
    /// Whether `notifications/initialized` arrived.
    #[serde(default)]
    initialized: bool,
}

impl Sessions {
    /// The same table, publishing its sessions in `store` when there is one.
    pub(crate) fn shared(mut self, store: Option<Arc<SharedStore>>) -> Self {
        self.shared = store;
        self
    }

    /// Publishes `session` for every replica (after `initialize`, and again once the client
    /// sent `notifications/initialized`). A store that cannot be reached leaves the session
    /// working on this replica only.
    pub(crate) async fn publish(&self, session: &Session) {
        let Some(store) = &self.shared else { return };
        let Some(version) = session.connection.protocol_version() else {
            return;
        };
        let record = Record {
            owner: session.owner.clone(),
            version,
            capabilities: session.connection.client_capabilities(),
            initialized: session.connection.is_initialized(),
        };
        let text = serde_json::to_string(&record).unwrap_or_default();
        if let Err(error) = store
            .put_session(&session.id, &text, self.idle_timeout)
            .await
        {
            tracing::warn!(session = session.connection.id(), %error, "legacy session not shared: it works on this replica only");
        }
    }

    /// Ends session `id` here and in the store.
    pub(crate) async fn end_everywhere(&self, id: &str) {
        self.remove(id);
        if let Some(store) = &self.shared
            && let Err(error) = store.remove_session(id).await
        {
            tracing::warn!(%error, "ended legacy session may outlive its idle timeout on other replicas");
        }
    }

    /// `session`, held here, if it has not ended elsewhere: each use keeps the record alive
    /// for another idle timeout. A store that cannot be reached changes nothing here.
    pub(super) async fn still_shared(
        &self,
        session: Arc<Session>,
    ) -> Result<Arc<Session>, Refusal> {
        let Some(store) = &self.shared else {
            return Ok(session);
        };
        match store.touch_session(&session.id, self.idle_timeout).await {
            Ok(true) | Err(_) => Ok(session),
            Ok(false) => {
                self.remove(&session.id);
                Err(Refusal::UnknownSession)
            }
        }
    }

    /// A session another replica created, from its record in the store.
    pub(super) async fn adopt(&self, id: &str) -> Result<Arc<Session>, Refusal> {
        let Some(store) = &self.shared else {
            return Err(Refusal::UnknownSession);
        };
        let text = match store.session(id).await {
            Ok(Some(text)) => text,
            Ok(None) => return Err(Refusal::UnknownSession),
            Err(error) => {
                tracing::warn!(%error, "cannot look up a legacy session in the shared store");
                return Err(Refusal::SessionStoreUnavailable);
            }
        };
        let Ok(record) = serde_json::from_str::<Record>(&text) else {
            tracing::warn!("unreadable legacy session record in the shared store");
            return Err(Refusal::UnknownSession);
        };
        let connection = Connection::over(Transport::Http);
        connection.set_handshake(&record.version, None, record.capabilities);
        if record.initialized {
            connection.mark_initialized();
        }
        let session = self
            .insert(id.to_owned(), record.owner, connection)
            .map_err(|_full| Refusal::TooManySessions)?;
        tracing::info!(
            session = session.connection.id(),
            "legacy session adopted from the shared store"
        );
        if let Err(error) = store.touch_session(id, self.idle_timeout).await {
            tracing::debug!(%error, "could not extend an adopted session");
        }
        Ok(session)
    }
}
