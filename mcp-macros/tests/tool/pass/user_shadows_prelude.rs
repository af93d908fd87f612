//! The expansion names nothing from the prelude unqualified.
#![allow(dead_code, non_upper_case_globals)]

use mcp_runtime::{Json, ToolError};
use mcp_runtime::{tool, tools};

type Result<T> = core::result::Result<T, std::string::String>;
struct Vec;
struct Arc;
struct Box;
enum Option {
    Some,
    None,
}
struct String;
mod core_shadow {}
mod __private {}
fn unreachable() {}
// Names a careless expansion might bind in a pattern.
const value: u8 = 0;
const error: u8 = 0;
const ctx: u8 = 0;
const args: u8 = 0;

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Status {
    state: u32,
}

/// Look up one order.
#[tool(scopes = ["orders:read"], read_only)]
async fn get_order_status(order_id: u32) -> Result<Json<Status>> {
    Ok(Json(Status { state: order_id }))
}

struct Orders;

#[tools]
impl Orders {
    /// Count orders.
    #[tool(public)]
    async fn count(&self) -> core::result::Result<&'static str, ToolError> {
        Ok("0")
    }
}

fn main() {
    let _ = get_order_status_tool();
    let _ = std::sync::Arc::new(Orders).tools();
}
