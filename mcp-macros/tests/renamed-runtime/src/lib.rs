//! `#[tool]` and `#[tools]` with the runtime crate renamed: here it is `runtime`, and
//! `::mcp_runtime` does not exist, so any path the expansion hard-codes fails to compile.
#![deny(unused_qualifications)]

use runtime::{Json, ToolError, tool, tools};

/// An order's status.
#[derive(Debug, runtime::__private::serde::Serialize, runtime::__private::schemars::JsonSchema)]
#[serde(crate = "runtime::__private::serde")]
#[schemars(crate = "runtime::__private::schemars")]
pub struct Status {
    /// The state.
    pub state: String,
}

/// Look up one order.
#[tool(crate = "::runtime", scopes = ["orders:read"], read_only)]
pub async fn get_order_status(order_id: String) -> Result<Json<Status>, ToolError> {
    Ok(Json(Status { state: order_id }))
}

/// A service.
#[derive(Debug)]
pub struct Orders;

#[tools(crate = "runtime")]
impl Orders {
    /// Count orders.
    #[tool(public)]
    pub async fn count(&self, ctx: &runtime::ToolContext) -> String {
        ctx.tool_name().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn tools_build_through_the_renamed_crate() {
        let server = runtime::Server::builder("renamed", "1.0")
            .tool(get_order_status_tool())
            .tools(Arc::new(Orders).tools())
            .build()
            .unwrap();
        let names: Vec<&str> = server.tools().iter().map(|t| t.name()).collect();
        assert_eq!(names, ["get_order_status", "count"]);
        let get = server.tools().get("get_order_status").unwrap();
        assert_eq!(get.output_schema().unwrap()["title"], "Status");
    }
}
