//! TechNova's order book. (An in-memory store seeded with sample orders.)

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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
    /// The wire name (`"shipped"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
        }
    }

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
    pub total_cents: u64,
    /// Current status.
    pub status: OrderStatus,
    /// Carrier tracking number once shipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking: Option<String>,
    /// Why it was cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
}

/// Why an order could not be changed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    /// No such order.
    #[error("order {0} does not exist")]
    NotFound(String),
    /// Too late to cancel.
    #[error("order {id} is already {status:?} and can no longer be cancelled")]
    NotCancellable {
        /// The order.
        id: String,
        /// Its status.
        status: OrderStatus,
    },
}

/// The order book.
#[derive(Debug)]
pub struct Store {
    orders: Mutex<BTreeMap<String, Order>>,
}

impl Store {
    /// A store with TechNova's sample orders.
    pub fn with_sample_data() -> Self {
        let rows = [
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
        let orders = rows
            .into_iter()
            .map(|(id, customer, item, total_cents, status, tracking)| {
                (
                    id.to_owned(),
                    Order {
                        id: id.to_owned(),
                        customer: customer.to_owned(),
                        item: item.to_owned(),
                        total_cents,
                        status,
                        tracking: tracking.map(str::to_owned),
                        cancel_reason: None,
                    },
                )
            })
            .collect();
        Self {
            orders: Mutex::new(orders),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Order>> {
        self.orders.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One order.
    pub fn get(&self, id: &str) -> Option<Order> {
        self.lock().get(id).cloned()
    }

    /// Orders, optionally filtered by customer and status, in id order.
    pub fn list(&self, customer: Option<&str>, status: Option<OrderStatus>) -> Vec<Order> {
        self.lock()
            .values()
            .filter(|o| customer.is_none_or(|c| o.customer.eq_ignore_ascii_case(c)))
            .filter(|o| status.is_none_or(|s| o.status == s))
            .cloned()
            .collect()
    }

    /// Cancels an order that has not shipped.
    pub fn cancel(&self, id: &str, reason: &str) -> Result<Order, StoreError> {
        let mut orders = self.lock();
        let order = orders
            .get_mut(id)
            .ok_or_else(|| StoreError::NotFound(id.to_owned()))?;
        match order.status {
            OrderStatus::Pending | OrderStatus::Processing => {
                order.status = OrderStatus::Cancelled;
                order.cancel_reason = Some(reason.to_owned());
                Ok(order.clone())
            }
            status => Err(StoreError::NotCancellable {
                id: id.to_owned(),
                status,
            }),
        }
    }
}
