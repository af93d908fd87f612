use mcp_runtime::prelude::*;

struct Orders;

#[tools]
impl Default for Orders {
    fn default() -> Self {
        Orders
    }
}

fn main() {}
