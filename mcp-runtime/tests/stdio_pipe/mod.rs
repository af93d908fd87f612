//! An in-process stdio client for the tests: the server's stdio loop on one end of a pair of
//! in-memory pipes, newline-delimited JSON-RPC on the other.
#![allow(dead_code, unreachable_pub, missing_docs)]

use mcp_runtime::transport::stdio::{StdioConfig, serve};
use mcp_runtime::{Caller, Server};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};

/// The client end of a stdio session served in this process.
pub struct Pipe {
    pub write: DuplexStream,
    pub read: tokio::io::Lines<BufReader<DuplexStream>>,
}

impl Pipe {
    /// Serves `server` to `caller` (the local stdio user) over a fresh pair of pipes.
    pub fn start(server: Server, caller: Caller) -> Self {
        let (client_w, server_r) = tokio::io::duplex(1 << 16);
        let (server_w, client_r) = tokio::io::duplex(1 << 16);
        tokio::spawn(serve(
            server,
            caller,
            StdioConfig::default(),
            BufReader::new(server_r),
            server_w,
        ));
        Self {
            write: client_w,
            read: BufReader::new(client_r).lines(),
        }
    }

    /// Writes one message, newline-terminated.
    pub async fn send(&mut self, v: Value) {
        let mut b = serde_json::to_vec(&v).unwrap();
        b.push(b'\n');
        self.write.write_all(&b).await.unwrap();
    }

    /// The next message from the server (10 s at most).
    pub async fn recv(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(10), self.read.next_line())
            .await
            .expect("timely")
            .unwrap()
            .expect("open");
        serde_json::from_str(&line).unwrap()
    }

    /// A 2025-11-25 handshake declaring `capabilities`.
    pub async fn init(&mut self, capabilities: Value) {
        self.send(json!({"jsonrpc":"2.0","id":0,"method":"initialize",
            "params":{"protocolVersion":"2025-11-25","capabilities":capabilities}}))
            .await;
        assert_eq!(self.recv().await["id"], 0);
        self.send(json!({"jsonrpc":"2.0","method":"notifications/initialized"}))
            .await;
    }
}
