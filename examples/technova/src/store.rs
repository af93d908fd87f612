//! TechNova's order book, kept in an embedded SQLite database.
//!
//! [`Store::open`] creates the database file and its schema on first use and seeds it with
//! sample orders when it is empty; [`Store::in_memory`] does the same in memory (tests). SQLite
//! calls are short and serialized behind one connection.

use rusqlite::{Connection, OptionalExtension, params};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Mutex;

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
}

/// The order book.
#[derive(Debug)]
pub struct Store {
    db: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS orders (
    id            TEXT PRIMARY KEY,
    customer      TEXT NOT NULL,
    item          TEXT NOT NULL,
    total_cents   INTEGER NOT NULL CHECK (total_cents >= 0),
    status        TEXT NOT NULL CHECK (status IN ('pending','processing','shipped','delivered','cancelled')),
    tracking      TEXT,
    cancel_reason TEXT
);
CREATE INDEX IF NOT EXISTS orders_by_customer ON orders (customer COLLATE NOCASE);
";

/// id, customer, item, total in cents, status, tracking number.
type SampleRow = (
    &'static str,
    &'static str,
    &'static str,
    i64,
    OrderStatus,
    Option<&'static str>,
);

const SAMPLE: [SampleRow; 6] = [
    (
        "TN-1001",
        "ada@example.com",
        "Aurora 14 laptop",
        129_900,
        OrderStatus::Shipped,
        Some("1Z999AA10123456784"),
    ),
    (
        "TN-1002",
        "grace@example.com",
        "NovaPhone X",
        89_900,
        OrderStatus::Pending,
        None,
    ),
    (
        "TN-1003",
        "alan@example.com",
        "USB-C dock",
        15_900,
        OrderStatus::Processing,
        None,
    ),
    (
        "TN-1004",
        "ada@example.com",
        "Noise-cancelling headset",
        24_900,
        OrderStatus::Delivered,
        Some("1Z999AA10123456785"),
    ),
    (
        "TN-1005",
        "linus@example.com",
        "Mechanical keyboard",
        11_900,
        OrderStatus::Pending,
        None,
    ),
    (
        "TN-1006",
        "grace@example.com",
        "27\" 4K monitor",
        39_900,
        OrderStatus::Cancelled,
        None,
    ),
];

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
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        let empty: bool =
            conn.query_row("SELECT NOT EXISTS (SELECT 1 FROM orders)", [], |r| r.get(0))?;
        if empty {
            let mut insert = conn.prepare(
                "INSERT INTO orders (id, customer, item, total_cents, status, tracking) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (id, customer, item, total, status, tracking) in SAMPLE {
                insert.execute(params![
                    id,
                    customer,
                    item,
                    total,
                    status.as_str(),
                    tracking
                ])?;
            }
        }
        Ok(Self {
            db: Mutex::new(conn),
        })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Order> {
        let status: String = row.get(4)?;
        Ok(Order {
            id: row.get(0)?,
            customer: row.get(1)?,
            item: row.get(2)?,
            total_cents: row.get(3)?,
            status: OrderStatus::parse(&status).unwrap_or(OrderStatus::Pending),
            tracking: row.get(5)?,
            cancel_reason: row.get(6)?,
        })
    }

    /// One order.
    ///
    /// # Errors
    /// The database failed.
    pub fn get(&self, id: &str) -> Result<Option<Order>, StoreError> {
        let db = self.db();
        let order = db
            .query_row(
                "SELECT id, customer, item, total_cents, status, tracking, cancel_reason FROM orders WHERE id = ?1",
                [id],
                Self::row,
            )
            .optional()?;
        Ok(order)
    }

    /// Orders, optionally filtered by customer (case-insensitive) and status, in id order.
    ///
    /// # Errors
    /// The database failed.
    pub fn list(
        &self,
        customer: Option<&str>,
        status: Option<OrderStatus>,
    ) -> Result<Vec<Order>, StoreError> {
        let db = self.db();
        let mut stmt = db.prepare(
            "SELECT id, customer, item, total_cents, status, tracking, cancel_reason FROM orders
             WHERE (?1 IS NULL OR customer = ?1 COLLATE NOCASE) AND (?2 IS NULL OR status = ?2)
             ORDER BY id",
        )?;
        let rows = stmt.query_map(
            params![customer, status.map(OrderStatus::as_str)],
            Self::row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Cancels an order that has not shipped, recording why.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::NotCancellable`], or a database failure.
    pub fn cancel(&self, id: &str, reason: &str) -> Result<Order, StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let changed = tx.execute(
            "UPDATE orders SET status = 'cancelled', cancel_reason = ?2
             WHERE id = ?1 AND status IN ('pending', 'processing')",
            params![id, reason],
        )?;
        let order = tx
            .query_row(
                "SELECT id, customer, item, total_cents, status, tracking, cancel_reason FROM orders WHERE id = ?1",
                [id],
                Self::row,
            )
            .optional()?;
        tx.commit()?;
        match order {
            None => Err(StoreError::NotFound(id.to_owned())),
            Some(order) if changed == 0 => Err(StoreError::NotCancellable {
                id: id.to_owned(),
                status: order.status,
            }),
            Some(order) => Ok(order),
        }
    }
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
            6,
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
}
