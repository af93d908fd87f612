//! Legacy server-to-client requests: ids, the table of requests awaiting the client's
//! response, and the guard that withdraws a request when its call ends first.

use super::AskError;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

type Answer = Result<Value, AskError>;

/// The requests one connection (the stdio process, or a legacy HTTP session) sent the client
/// and still waits for. Ids are integers counted per connection.
#[derive(Debug, Default)]
pub struct PendingRequests {
    next: AtomicU64,
    waiting: Mutex<HashMap<u64, oneshot::Sender<Answer>>>,
}

impl PendingRequests {
    fn waiting(&self) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<Answer>>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends `method` with `params` through `outbound` and waits for the client's response,
    /// at most `timeout`. Dropping the returned future (the call was cancelled) withdraws the
    /// request and tells the client with `notifications/cancelled`.
    pub(crate) async fn request(
        &self,
        outbound: &mpsc::UnboundedSender<Value>,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Answer {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = oneshot::channel();
        self.waiting().insert(id, tx);
        let mut guard = Withdraw {
            pending: self,
            outbound,
            id,
            armed: true,
        };
        let message = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        if outbound.send(message).is_err() {
            return Err(AskError::Cancelled);
        }
        let answer = match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_closed)) => Err(AskError::Cancelled),
            Err(_elapsed) => Err(AskError::Timeout(timeout)),
        };
        // Answered: nothing to withdraw. Timed out: the guard tells the client.
        guard.armed = !matches!(answer, Ok(_) | Err(AskError::Client { .. }));
        answer
    }

    /// Delivers the client's response to request `id`: its `result`, or its `error` object.
    /// Returns whether a request was waiting for it.
    pub fn resolve(&self, id: &Value, outcome: Result<Value, Value>) -> bool {
        let Some(id) = id.as_u64() else {
            return false;
        };
        let Some(tx) = self.waiting().remove(&id) else {
            return false;
        };
        let answer = outcome.map_err(|error| AskError::Client {
            code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
            message: error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            data: error.get("data").cloned(),
        });
        tx.send(answer).is_ok()
    }

    /// Fails every waiting request (the connection ended).
    pub fn cancel_all(&self) {
        self.waiting().clear();
    }

    /// How many requests wait for the client.
    pub fn len(&self) -> usize {
        self.waiting().len()
    }

    /// Whether no request waits for the client.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Removes a request from the table when its future ends without an answer, and tells the
/// client it need not answer.
struct Withdraw<'a> {
    pending: &'a PendingRequests,
    outbound: &'a mpsc::UnboundedSender<Value>,
    id: u64,
    armed: bool,
}

impl Drop for Withdraw<'_> {
    fn drop(&mut self) {
        self.pending.waiting().remove(&self.id);
        if self.armed {
            let _ = self.outbound.send(json!({
                "jsonrpc": "2.0",
                "method": "notifications/cancelled",
                "params": { "requestId": self.id, "reason": "the server no longer needs the answer" },
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_response_reaches_its_request_and_a_dropped_request_is_withdrawn() {
        let pending = PendingRequests::default();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let ask = pending.request(&tx, "roots/list", json!({}), Duration::from_secs(5));
        tokio::pin!(ask);
        assert!(futures::poll!(&mut ask).is_pending());
        let sent = rx.recv().await.unwrap();
        assert_eq!(sent["method"], "roots/list");
        assert!(pending.resolve(&sent["id"], Ok(json!({"roots": []}))));
        assert_eq!(ask.await.unwrap(), json!({"roots": []}));
        assert!(pending.is_empty());

        let ask = pending.request(&tx, "roots/list", json!({}), Duration::from_secs(5));
        let mut ask = Box::pin(ask);
        assert!(futures::poll!(&mut ask).is_pending());
        let sent = rx.recv().await.unwrap();
        drop(ask);
        assert!(pending.is_empty());
        let cancelled = rx.recv().await.unwrap();
        assert_eq!(cancelled["method"], "notifications/cancelled");
        assert_eq!(cancelled["params"]["requestId"], sent["id"]);
        assert!(!pending.resolve(&sent["id"], Ok(json!({}))));
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_client_times_out() {
        let pending = PendingRequests::default();
        let (tx, _rx) = mpsc::unbounded_channel();
        let answer = pending
            .request(
                &tx,
                "sampling/createMessage",
                json!({}),
                Duration::from_secs(1),
            )
            .await;
        assert!(matches!(answer, Err(AskError::Timeout(_))));
        assert!(pending.is_empty());
    }
}
