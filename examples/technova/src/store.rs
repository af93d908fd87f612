//! TechNova's order book, kept in an embedded SQLite database.
//!
//! [`Store::open`] creates the database file and its schema on first use and seeds it with
//! sample orders when it is empty; [`Store::in_memory`] does the same in memory (tests). SQLite
//! calls are serialized behind one connection.
//!
//! SQLite blocks the thread that calls it (on disk I/O, and for up to five seconds while another
//! process holds the file's lock), so async code uses [`Store::get_order`],
//! [`Store::list_orders`] and [`Store::cancel_order`]: each runs its SQLite work on Tokio's
//! blocking pool and leaves the runtime's worker threads free for other requests. [`Store::get`],
//! [`Store::list`] and [`Store::cancel`] do the same work on the calling thread, for
//! synchronous callers.

mod sqlite;

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Where an order is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Paid, not yet packed.
    Pending,
    /// Packed, waiting for the carrier.
    Processing,
    /// With the carrier.
    Shipped,
    /// At the customer.
    Delivered,
    /// Cancelled before shipping.
    Cancelled,
}

impl OrderStatus {
    /// Parses a status name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "processing" => Self::Processing,
            "shipped" => Self::Shipped,
            "delivered" => Self::Delivered,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
        }
    }
}

/// One order.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Order {
    /// e.g. `TN-1001`.
    pub id: String,
    /// Customer e-mail.
    pub customer: String,
    /// What was ordered.
    pub item: String,
    /// Total in cents.
    pub total_cents: i64,
    /// Current status.
    pub status: OrderStatus,
    /// Carrier tracking number once shipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking: Option<String>,
    /// Why it was cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
}

/// Why an order could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such order.
    #[error("order {0} does not exist")]
    NotFound(String),
    /// Too late to cancel.
    #[error("order {id} is already {} and can no longer be cancelled", status.as_str())]
    NotCancellable {
        /// The order.
        id: String,
        /// Its status.
        status: OrderStatus,
    },
    /// The database failed.
    #[error("the order database failed: {0}")]
    Database(#[from] rusqlite::Error),
    /// The runtime shut down before the database work could run.
    #[error("the order database is unavailable: the server is shutting down")]
    ShuttingDown,
}

/// The order book.
#[derive(Debug)]
pub struct Store {
    /// Shared with the blocking-pool task of each async operation.
    db: Arc<Mutex<Connection>>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, seeding it on first use.
    ///
    /// # Errors
    /// The file cannot be opened or the schema cannot be created.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::init(Connection::open(path)?)
    }

    /// A fresh in-memory database with the sample orders.
    ///
    /// # Errors
    /// SQLite could not create the schema.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    /// A fresh in-memory database with the sample orders; panics if SQLite is unusable.
    pub fn with_sample_data() -> Self {
        Self::in_memory().expect("an in-memory SQLite database")
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        sqlite::prepare(&conn)?;
        Ok(Self {
            db: Arc::new(Mutex::new(conn)),
        })
    }

    /// One order, looked up on the blocking pool.
    ///
    /// # Errors
    /// The database failed.
    pub async fn get_order(&self, id: &str) -> Result<Option<Order>, StoreError> {
        let id = id.to_owned();
        self.run(move |db| sqlite::get(db, &id)).await
    }

    /// Orders, optionally filtered by customer (case-insensitive) and status, in id order;
    /// read on the blocking pool.
    ///
    /// # Errors
    /// The database failed.
    pub async fn list_orders(
        &self,
        customer: Option<&str>,
        status: Option<OrderStatus>,
    ) -> Result<Vec<Order>, StoreError> {
        let customer = customer.map(str::to_owned);
        self.run(move |db| sqlite::list(db, customer.as_deref(), status))
            .await
    }

    /// Cancels an order that has not shipped, recording why; written on the blocking pool.
    /// Once started, the change completes even if the caller stops waiting for it.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::NotCancellable`], or a database failure.
    pub async fn cancel_order(&self, id: &str, reason: &str) -> Result<Order, StoreError> {
        let (id, reason) = (id.to_owned(), reason.to_owned());
        self.run(move |db| sqlite::cancel(db, &id, &reason)).await
    }

    /// Who order `id` belongs to, `(tenant, customer)`, looked up on the blocking pool
    /// (what the policy's ownership conditions read).
    ///
    /// # Errors
    /// The database failed.
    pub async fn owner_of(&self, id: &str) -> Result<Option<(String, String)>, StoreError> {
        let id = id.to_owned();
        self.run(move |db| sqlite::owner(db, &id)).await
    }

    /// One order, blocking the calling thread.
    ///
    /// # Errors
    /// The database failed.
    pub fn get(&self, id: &str) -> Result<Option<Order>, StoreError> {
        sqlite::get(&lock(&self.db), id)
    }

    /// Orders, optionally filtered by customer (case-insensitive) and status, in id order;
    /// blocks the calling thread.
    ///
    /// # Errors
    /// The database failed.
    pub fn list(
        &self,
        customer: Option<&str>,
        status: Option<OrderStatus>,
    ) -> Result<Vec<Order>, StoreError> {
        sqlite::list(&lock(&self.db), customer, status)
    }

    /// Cancels an order that has not shipped, recording why; blocks the calling thread.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::NotCancellable`], or a database failure.
    pub fn cancel(&self, id: &str, reason: &str) -> Result<Order, StoreError> {
        sqlite::cancel(&mut lock(&self.db), id, reason)
    }

    /// Runs `op` on the connection in Tokio's blocking pool and waits for it without holding a
    /// worker thread. A panic in `op` resumes in the caller, exactly as if `op` had run there
    /// (the tool runtime turns it into an error result); the connection stays usable.
    async fn run<T: Send + 'static>(
        &self,
        op: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = Arc::clone(&self.db);
        match tokio::task::spawn_blocking(move || op(&mut lock(&db))).await {
            Ok(result) => result,
            Err(failure) => match failure.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(_cancelled) => Err(StoreError::ShuttingDown),
            },
        }
    }
}

/// The connection, also after an operation panicked while holding it: SQLite rolled back any
/// transaction it had open (the transaction is dropped while unwinding), so it is consistent.
fn lock(db: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    db.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancelling_changes_the_database_once() {
        let store = Store::in_memory().unwrap();
        assert_eq!(
            store.get("TN-1002").unwrap().unwrap().status,
            OrderStatus::Pending
        );
        let cancelled = store.cancel("TN-1002", "changed mind").unwrap();
        assert_eq!(cancelled.status, OrderStatus::Cancelled);
        assert_eq!(
            store
                .get("TN-1002")
                .unwrap()
                .unwrap()
                .cancel_reason
                .as_deref(),
            Some("changed mind")
        );
        assert!(matches!(
            store.cancel("TN-1002", "again"),
            Err(StoreError::NotCancellable { .. })
        ));
        assert!(matches!(
            store.cancel("TN-1001", "shipped"),
            Err(StoreError::NotCancellable { .. })
        ));
        assert!(matches!(
            store.cancel("TN-0000", "x"),
            Err(StoreError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn orders_have_an_owner_and_older_databases_gain_the_tenant_column() {
        let store = Store::with_sample_data();
        assert_eq!(
            store.owner_of("TN-1007").await.unwrap(),
            Some(("globex".to_owned(), "wile@globex.example".to_owned()))
        );
        assert_eq!(
            store.owner_of("TN-1002").await.unwrap(),
            Some(("technova".to_owned(), "grace@example.com".to_owned()))
        );
        assert_eq!(store.owner_of("TN-9999").await.unwrap(), None);

        let dir = std::env::temp_dir().join(format!("technova-tenant-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("old.db");
        let _ = std::fs::remove_file(&path);
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE orders (id TEXT PRIMARY KEY, customer TEXT NOT NULL, item TEXT NOT NULL,
                total_cents INTEGER NOT NULL, status TEXT NOT NULL, tracking TEXT, cancel_reason TEXT);
             INSERT INTO orders (id, customer, item, total_cents, status)
                VALUES ('TN-1', 'old@example.com', 'Fax', 100, 'pending');",
        )
        .unwrap();
        drop(old);
        let upgraded = Store::open(&path).unwrap();
        assert_eq!(
            upgraded.owner_of("TN-1").await.unwrap(),
            Some(("technova".to_owned(), "old@example.com".to_owned()))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_database_file_persists_and_is_seeded_once() {
        let dir = std::env::temp_dir().join(format!("technova-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("orders.db");
        let _ = std::fs::remove_file(&path);
        Store::open(&path)
            .unwrap()
            .cancel("TN-1005", "duplicate order")
            .unwrap();
        let reopened = Store::open(&path).unwrap();
        assert_eq!(
            reopened.get("TN-1005").unwrap().unwrap().status,
            OrderStatus::Cancelled
        );
        assert_eq!(
            reopened.list(None, None).unwrap().len(),
            7,
            "not seeded twice"
        );
        assert_eq!(
            reopened.list(Some("ADA@example.com"), None).unwrap().len(),
            2
        );
        assert_eq!(
            reopened
                .list(None, Some(OrderStatus::Pending))
                .unwrap()
                .len(),
            1
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_busy_database_does_not_stall_the_runtime() {
        let store = Store::in_memory().unwrap();
        // Another thread holds the connection (as SQLite does while it waits for a locked
        // file) until it is told to let go.
        let (held, is_held) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let db = Arc::clone(&store.db);
        let holder = std::thread::spawn(move || {
            let _conn = lock(&db);
            held.send(()).unwrap();
            let _ = released.recv_timeout(std::time::Duration::from_secs(5));
        });
        is_held.recv().unwrap();
        let lookup = store.get_order("TN-1001");
        tokio::pin!(lookup);
        // The runtime's only thread keeps serving timers while the lookup waits.
        let waited = tokio::time::timeout(std::time::Duration::from_millis(100), &mut lookup);
        assert!(waited.await.is_err(), "the lookup blocked the runtime");
        release.send(()).unwrap();
        assert_eq!(lookup.await.unwrap().unwrap().id, "TN-1001");
        holder.join().unwrap();
    }

    /// Calls a tool that runs `op` on the store the way TechNova's tools do; returns the
    /// tool result and the store.
    async fn call_tool_running(
        op: fn(&mut Connection) -> Result<String, StoreError>,
    ) -> (serde_json::Value, Arc<Store>) {
        use mcp_runtime::{CallToolResult, Caller, Content, Server, Tool};
        let store = Arc::new(Store::in_memory().unwrap());
        let in_tool = Arc::clone(&store);
        let tool = Tool::builder("sql")
            .description("Runs SQL.")
            .input_schema(serde_json::json!({"type": "object"}))
            .public()
            .handler(move |_ctx, _args| {
                let store = Arc::clone(&in_tool);
                async move {
                    let text = store.run(op).await?;
                    Ok(CallToolResult::success(vec![Content::text(text)]))
                }
            })
            .build();
        let server = Server::builder("test", "1").tool(tool).build().unwrap();
        let request = serde_json::json!({
            "jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": { "name": "sql", "arguments": {}, "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
                "io.modelcontextprotocol/clientInfo": { "name": "test", "version": "1" }
            }}
        });
        let (outbound, _notifications) = tokio::sync::mpsc::unbounded_channel();
        let caller = Arc::new(Caller::local("test", ["orders:read"]));
        let connection = Arc::new(mcp_runtime::Connection::new());
        let response = server
            .dispatch(&connection, request, &caller, &outbound)
            .await
            .expect("a response");
        (response["result"].clone(), store)
    }

    #[tokio::test]
    async fn a_failing_database_call_is_a_tool_error() {
        let (result, _) =
            call_tool_running(|db| Ok(db.execute("DELETE FROM nowhere", [])?.to_string())).await;
        assert_eq!(result["isError"], true, "{result}");
        let text = result["content"][0]["text"].as_str().unwrap();
        assert!(text.starts_with("the order database failed: "), "{text}");
    }

    #[tokio::test]
    async fn a_panicking_database_call_is_a_tool_error_and_the_store_lives_on() {
        let (result, store) = call_tool_running(|db| {
            let _tx = db.transaction()?;
            panic!("the disk caught fire")
        })
        .await;
        assert_eq!(result["isError"], true, "{result}");
        assert_eq!(
            result["content"][0]["text"],
            "The tool `sql` failed unexpectedly (internal error)."
        );
        assert_eq!(store.list_orders(None, None).await.unwrap().len(), 7);
        store
            .cancel_order("TN-1002", "after the panic")
            .await
            .unwrap();
    }
}
