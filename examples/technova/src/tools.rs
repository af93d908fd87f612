//! TechNova's tools: the methods of [`Orders`], declared with `#[tool]`.
//!
//! Each tool states the scopes it requires; the argument types describe themselves as JSON
//! Schema (with the same patterns and limits the server checks before a handler runs).

use crate::shipping::Shipping;
use crate::store::{Order, OrderStatus, Store};
use mcp_runtime::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// An order id such as `TN-1001`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[schemars(inline)]
pub struct OrderId(#[schemars(regex(pattern = r"^TN-[0-9]+$"))] pub String);

/// Why a customer cancels (at least three characters).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[schemars(inline)]
pub struct CancelReason(#[schemars(length(min = 3))] pub String);

/// The options of `export_orders_report`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportOptions {
    /// Pause per order, in milliseconds (default 200)
    #[schemars(range(max = 10_000))]
    pub step_ms: Option<u64>,
}

/// The status of one order, as `get_order_status` reports it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct OrderStatusReport {
    /// The order id.
    pub id: String,
    /// Where the order is.
    pub status: OrderStatus,
    /// What was ordered.
    pub item: String,
    /// The carrier's tracking number, once shipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking: Option<String>,
}

/// The orders `list_orders` found.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct OrderList {
    /// The orders, in id order.
    pub orders: Vec<Order>,
    /// How many there are.
    pub count: usize,
}

/// The summary `export_orders_report` builds.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct OrdersReport {
    /// How many orders were counted.
    pub orders: usize,
    /// Orders per status.
    pub by_status: BTreeMap<String, usize>,
}

/// The order tools, over one order book.
#[derive(Debug)]
pub struct Orders {
    store: Arc<Store>,
    shipping: Option<Shipping>,
}

impl Orders {
    /// The tools over `store`.
    pub fn new(store: Arc<Store>) -> Self {
        Self {
            store,
            shipping: None,
        }
    }

    /// Tells `shipping` about every cancellation before it is recorded.
    #[must_use]
    pub fn with_shipping(mut self, shipping: Shipping) -> Self {
        self.shipping = Some(shipping);
        self
    }
}

#[tools]
impl Orders {
    /// Look up the shipping status of one order by its id (for example `TN-1001`).
    #[tool(
        scopes = ["orders:read"],
        title = "Order status",
        read_only,
        idempotent,
        open_world = false
    )]
    pub async fn get_order_status(
        &self,
        #[arg(description = "The order id, e.g. TN-1001")] order_id: OrderId,
    ) -> Result<Json<OrderStatusReport>, ToolError> {
        let id = order_id.0;
        let order = self
            .store
            .get_order(&id)
            .await?
            .ok_or_else(|| ToolError::new(format!("No order with id {id}.")))?;
        Ok(Json(OrderStatusReport {
            id: order.id,
            status: order.status,
            item: order.item,
            tracking: order.tracking,
        }))
    }

    /// List orders, optionally only those of one customer (e-mail) or in one status.
    #[tool(scopes = ["orders:read"], title = "List orders", read_only, open_world = false)]
    pub async fn list_orders(
        &self,
        #[arg(description = "Customer e-mail address")] customer: Option<String>,
        #[arg(description = "Only orders in this status")] status: Option<OrderStatus>,
    ) -> Result<Json<OrderList>, ToolError> {
        let orders = self.store.list_orders(customer.as_deref(), status).await?;
        Ok(Json(OrderList {
            count: orders.len(),
            orders,
        }))
    }

    /// Cancel an order that has not shipped yet. Requires a reason, which is recorded.
    #[tool(
        scopes = ["orders:write"],
        title = "Cancel order",
        destructive,
        idempotent = false,
        open_world = false
    )]
    pub async fn cancel_order(
        &self,
        caller: &Caller,
        order_id: OrderId,
        #[arg(description = "Why the customer cancels")] reason: CancelReason,
    ) -> Result<String, ToolError> {
        let id = &order_id.0;
        let current = self
            .store
            .get_order(id)
            .await?
            .ok_or_else(|| ToolError::new(format!("No order with id {id}.")))?;
        if !matches!(
            current.status,
            OrderStatus::Pending | OrderStatus::Processing
        ) {
            return Err(ToolError::new(format!(
                "Order {id} is already {} and can no longer be cancelled.",
                current.status.as_str()
            )));
        }
        if let Some(shipping) = &self.shipping {
            shipping.stop_shipment(id).await?;
        }
        let order = self.store.cancel_order(id, &reason.0).await?;
        tracing::info!(order = %order.id, by = caller.subject(), "order cancelled");
        Ok(format!("Order {} is cancelled.", order.id))
    }

    /// Build a summary report of all orders by status. Long-running: reports progress while it works.
    #[tool(scopes = ["reports:run"], title = "Orders report", read_only, open_world = false)]
    pub async fn export_orders_report(
        &self,
        ctx: &ToolContext,
        #[arg(flatten)] options: ReportOptions,
    ) -> Result<Json<OrdersReport>, ToolError> {
        let step = Duration::from_millis(options.step_ms.unwrap_or(200));
        let orders = self.store.list_orders(None, None).await?;
        let total = orders.len();
        ctx.log(
            LogLevel::Info,
            format!("building a report over {total} orders"),
        );
        let mut by_status = BTreeMap::<String, usize>::new();
        for (i, order) in orders.iter().enumerate() {
            tokio::time::sleep(step).await;
            *by_status
                .entry(order.status.as_str().to_owned())
                .or_default() += 1;
            ctx.progress(
                (i + 1) as f64,
                Some(total as f64),
                Some(&format!("processed {}", order.id)),
            );
        }
        Ok(Json(OrdersReport {
            orders: total,
            by_status,
        }))
    }
}
