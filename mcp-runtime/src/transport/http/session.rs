//! Legacy (handshake-era) HTTP sessions: minted by `initialize`, bound to the caller that
//! created them (issuer, subject and client), bounded in number, and expired when idle.
//!
//! A session only carries protocol state (negotiated version, log level, requests in flight).
//! It never authenticates: every request still presents and validates its own token, and a
//! token that differs from the creator's in issuer, subject or client (`client_id` / `azp`)
//! is refused on the session.

use super::headers;
use super::refusal::Refusal;
use crate::context::Caller;
use crate::protocol::{Connection, Transport};
use crate::store::SharedStore;
use axum::http::HeaderMap;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Who a session belongs to: the identity of the token that created it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Owner {
    issuer: Option<String>,
    subject: String,
    client_id: Option<String>,
    azp: Option<String>,
}

impl Owner {
    /// The owner `caller` would be: its token's `iss`, `sub`, `client_id` and `azp`.
    pub(crate) fn of(caller: &Caller) -> Self {
        let claim = |name: &str| {
            caller
                .claims()
                .get(name)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        Self {
            issuer: claim("iss"),
            subject: caller.subject().to_owned(),
            client_id: claim("client_id"),
            azp: claim("azp"),
        }
    }
}

/// One legacy session.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) id: String,
    pub(crate) connection: Arc<Connection>,
    /// The caller whose token created the session (`None`: no authentication configured).
    pub(crate) owner: Option<Owner>,
    last_seen: Mutex<Instant>,
    /// Cancelled when the session ends (DELETE, expiry); ends its GET stream.
    pub(crate) closed: CancellationToken,
    get_stream_open: Mutex<bool>,
}

impl Session {
    fn touch(&self) {
        *self.last_seen.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    fn idle_for(&self) -> Duration {
        self.last_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed()
    }

    fn busy(&self) -> bool {
        self.connection.in_flight() > 0
            || *self
                .get_stream_open
                .lock()
                .unwrap_or_else(|e| e.into_inner())
    }

    /// Claims the session's one GET stream; `false` when one is already open.
    pub(crate) fn open_get_stream(&self) -> bool {
        let mut open = self
            .get_stream_open
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        !std::mem::replace(&mut *open, true)
    }

    /// Releases the GET stream.
    pub(crate) fn close_get_stream(&self) {
        *self
            .get_stream_open
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = false;
        self.touch();
    }

    fn end(&self) {
        self.closed.cancel();
        self.connection.cancel_all();
    }
}

/// The session table.
#[derive(Debug)]
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Arc<Session>>>,
    max: usize,
    pub(super) idle_timeout: Duration,
    /// Where every replica finds the sessions (`None`: this process only).
    pub(super) shared: Option<Arc<SharedStore>>,
}

/// The table is full of active sessions.
#[derive(Debug)]
pub(crate) struct Full;

impl Sessions {
    pub(crate) fn new(max: usize, idle_timeout: Duration) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            max: max.max(1),
            idle_timeout,
            shared: None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Session>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Mints a session for `owner` with a fresh random id.
    pub(crate) fn create(&self, owner: Option<Owner>) -> Result<Arc<Session>, Full> {
        self.insert(new_session_id(), owner, Connection::over(Transport::Http))
    }

    /// Holds session `id` here, with `connection`'s state.
    pub(super) fn insert(
        &self,
        id: String,
        owner: Option<Owner>,
        connection: Connection,
    ) -> Result<Arc<Session>, Full> {
        self.expire_idle();
        let mut map = self.lock();
        if let Some(existing) = map.get(&id) {
            return Ok(existing.clone());
        }
        if map.len() >= self.max {
            return Err(Full);
        }
        let session = Arc::new(Session {
            id: id.clone(),
            connection: Arc::new(connection),
            owner,
            last_seen: Mutex::new(Instant::now()),
            closed: CancellationToken::new(),
            get_stream_open: Mutex::new(false),
        });
        map.insert(id, session.clone());
        Ok(session)
    }

    /// The live session `id`, marked as used now.
    pub(crate) fn get(&self, id: &str) -> Option<Arc<Session>> {
        self.expire_idle();
        let session = self.lock().get(id).cloned()?;
        session.touch();
        Some(session)
    }

    /// The session a legacy request names in `Mcp-Session-Id`, or why it may not use one.
    /// With authentication on (`authenticated`), the caller must be the session's owner: the
    /// same issuer, subject and client. With a shared store, a session another replica
    /// created is found there, and one ended elsewhere ends here too.
    pub(crate) async fn for_request(
        &self,
        headers: &HeaderMap,
        caller: &Caller,
        authenticated: bool,
    ) -> Result<Arc<Session>, Refusal> {
        let id = match headers::text(headers, headers::SESSION_ID) {
            Ok(Some(id)) => id,
            Ok(None) => {
                return Err(Refusal::SessionRequired {
                    initialize_first: true,
                });
            }
            Err(()) => return Err(Refusal::InvalidSessionId),
        };
        let session = match self.get(id) {
            Some(session) => self.still_shared(session).await?,
            None => self.adopt(id).await?,
        };
        if authenticated && session.owner.as_ref() != Some(&Owner::of(caller)) {
            tracing::warn!(
                session = session.connection.id(),
                "refusing a session request made with another caller's token (issuer, subject or client differ)"
            );
            return Err(Refusal::SessionNotOwned);
        }
        Ok(session)
    }

    /// Ends session `id`; returns whether it existed.
    pub(crate) fn remove(&self, id: &str) -> bool {
        let removed = self.lock().remove(id);
        match removed {
            Some(s) => {
                s.end();
                tracing::info!(session = s.connection.id(), "legacy session ended");
                true
            }
            None => false,
        }
    }

    /// Number of live sessions.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Ends every session (shutdown).
    pub(crate) fn clear(&self) {
        for (_, s) in self.lock().drain() {
            s.end();
        }
    }

    /// Ends sessions idle for longer than the timeout with nothing in flight.
    pub(crate) fn expire_idle(&self) {
        let mut map = self.lock();
        let expired: Vec<String> = map
            .iter()
            .filter(|(_, s)| !s.busy() && s.idle_for() >= self.idle_timeout)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            if let Some(s) = map.remove(&id) {
                tracing::info!(session = s.connection.id(), "legacy session expired (idle)");
                s.end();
            }
        }
    }
}

/// 256 random bits from the operating system, hex-encoded (visible ASCII, as required).
fn new_session_id() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_visible_ascii() {
        let a = new_session_id();
        let b = new_session_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| (0x21..=0x7e).contains(&c)));
    }

    #[test]
    fn the_table_is_bounded_and_sessions_end() {
        let sessions = Sessions::new(2, Duration::from_secs(3600));
        let alice = Caller::from_token("alice", None, Vec::<String>::new(), Default::default());
        let one = sessions.create(Some(Owner::of(&alice))).unwrap();
        let _two = sessions.create(None).unwrap();
        assert!(sessions.create(None).is_err());
        assert!(sessions.get(&one.id).is_some());
        assert!(sessions.remove(&one.id));
        assert!(one.closed.is_cancelled());
        assert!(sessions.get(&one.id).is_none());
        assert!(!sessions.remove(&one.id));
        assert!(sessions.create(None).is_ok());
    }

    fn token_caller(iss: &str, sub: &str, client_id: Option<&str>, azp: Option<&str>) -> Caller {
        let mut claims = serde_json::Map::new();
        claims.insert("iss".into(), iss.into());
        if let Some(c) = client_id {
            claims.insert("client_id".into(), c.into());
        }
        if let Some(a) = azp {
            claims.insert("azp".into(), a.into());
        }
        Caller::from_token(
            sub,
            client_id.or(azp).map(str::to_owned),
            Vec::<String>::new(),
            claims,
        )
    }

    #[tokio::test]
    async fn sessions_are_bound_to_issuer_subject_and_client() {
        let sessions = Sessions::new(10, Duration::from_secs(3600));
        let creator = token_caller("https://a", "alice", Some("app"), None);
        let session = sessions.create(Some(Owner::of(&creator))).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(headers::SESSION_ID, session.id.parse().unwrap());
        let outcome = async |caller: &Caller| {
            sessions
                .for_request(&headers, caller, true)
                .await
                .map(|_| ())
                .map_err(|r| format!("{r:?}"))
        };
        assert_eq!(outcome(&creator).await, Ok(()));
        for other in [
            token_caller("https://b", "alice", Some("app"), None),
            token_caller("https://a", "bob", Some("app"), None),
            token_caller("https://a", "alice", Some("other-app"), None),
            token_caller("https://a", "alice", Some("app"), Some("other-app")),
            token_caller("https://a", "alice", None, None),
        ] {
            assert_eq!(
                outcome(&other).await,
                Err("SessionNotOwned".to_owned()),
                "{other:?}"
            );
        }
    }

    #[test]
    fn idle_sessions_expire_unless_busy() {
        let sessions = Sessions::new(10, Duration::ZERO);
        let idle = sessions.create(None).unwrap();
        let streaming = sessions.create(None).unwrap();
        assert!(streaming.open_get_stream());
        assert!(!streaming.open_get_stream(), "only one GET stream");
        sessions.expire_idle();
        assert!(idle.closed.is_cancelled());
        assert!(!streaming.closed.is_cancelled());
        assert_eq!(sessions.len(), 1);
    }
}
