//! The SQL behind the order book: the schema, the sample orders, and each query run on one
//! SQLite connection. Everything here blocks; [`super::Store`] decides on which thread.

use super::{Order, OrderStatus, StoreError};
use rusqlite::{Connection, OptionalExtension, params};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS orders (
    id            TEXT PRIMARY KEY,
    customer      TEXT NOT NULL,
    item          TEXT NOT NULL,
    total_cents   INTEGER NOT NULL CHECK (total_cents >= 0),
    status        TEXT NOT NULL CHECK (status IN ('pending','processing','shipped','delivered','cancelled')),
    tracking      TEXT,
    cancel_reason TEXT,
    tenant        TEXT NOT NULL DEFAULT 'technova'
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

/// Creates the schema if needed and seeds the sample orders into an empty database.
pub(super) fn prepare(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(SCHEMA)?;
    // Databases created before orders had a tenant: every order so far is TechNova's own.
    let has_tenant: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info('orders') WHERE name = 'tenant')",
        [],
        |r| r.get(0),
    )?;
    if !has_tenant {
        conn.execute_batch(
            "ALTER TABLE orders ADD COLUMN tenant TEXT NOT NULL DEFAULT 'technova'",
        )?;
    }
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
        // One order placed through a partner shop: it belongs to tenant `globex`.
        conn.execute(
            "INSERT INTO orders (id, customer, item, total_cents, status, tenant)
             VALUES ('TN-1007', 'wile@globex.example', 'Rocket skates', 49900, 'processing', 'globex')",
            [],
        )?;
    }
    Ok(())
}

/// Who an order belongs to: its tenant and its customer.
pub(super) fn owner(conn: &Connection, id: &str) -> Result<Option<(String, String)>, StoreError> {
    let owner = conn
        .query_row(
            "SELECT tenant, customer FROM orders WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(owner)
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

/// One order by id.
pub(super) fn get(conn: &Connection, id: &str) -> Result<Option<Order>, StoreError> {
    let order = conn
        .query_row(
            "SELECT id, customer, item, total_cents, status, tracking, cancel_reason FROM orders WHERE id = ?1",
            [id],
            row,
        )
        .optional()?;
    Ok(order)
}

/// Orders, optionally filtered by customer (case-insensitive) and status, in id order.
pub(super) fn list(
    conn: &Connection,
    customer: Option<&str>,
    status: Option<OrderStatus>,
) -> Result<Vec<Order>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, customer, item, total_cents, status, tracking, cancel_reason FROM orders
         WHERE (?1 IS NULL OR customer = ?1 COLLATE NOCASE) AND (?2 IS NULL OR status = ?2)
         ORDER BY id",
    )?;
    let rows = stmt.query_map(params![customer, status.map(OrderStatus::as_str)], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Cancels an order that has not shipped, recording why, in one transaction.
pub(super) fn cancel(conn: &mut Connection, id: &str, reason: &str) -> Result<Order, StoreError> {
    let tx = conn.transaction()?;
    let changed = tx.execute(
        "UPDATE orders SET status = 'cancelled', cancel_reason = ?2
         WHERE id = ?1 AND status IN ('pending', 'processing')",
        params![id, reason],
    )?;
    let order = tx
        .query_row(
            "SELECT id, customer, item, total_cents, status, tracking, cancel_reason FROM orders WHERE id = ?1",
            [id],
            row,
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
