//! stdio: requests through the pipes of a child process, one at a time (each waits for its
//! answer) and pipelined (all written while answers are read), bounded in count and time.

use crate::child::{Memory, STOP_GRACE, memory, reap};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// How requests are framed for one peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Era {
    /// 2026-07-28: no handshake, `_meta` on every request.
    Modern,
    /// 2025-11-25: `initialize` first, plain requests after.
    Legacy,
}

impl Era {
    /// The protocol version.
    pub(crate) fn version(self) -> &'static str {
        match self {
            Self::Modern => "2026-07-28",
            Self::Legacy => "2025-11-25",
        }
    }
}

/// The request with id `id`.
pub(crate) fn request(era: Era, id: u64) -> String {
    let mut params = json!({"name": "echo", "arguments": {"text": "hello"}});
    if era == Era::Modern {
        params["_meta"] = crate::meta();
    }
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params}).to_string()
}

/// What one stdio peer achieved.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct StdioResult {
    /// Requests per second, one at a time.
    pub(crate) sequential_rps: f64,
    /// Requests per second, pipelined.
    pub(crate) pipelined_rps: f64,
    /// The server's memory afterwards.
    pub(crate) memory: Memory,
}

struct Peer {
    child: Child,
    /// `None` once closed, which tells the server to exit.
    stdin: Option<BufWriter<ChildStdin>>,
    stdout: BufReader<ChildStdout>,
}

impl Peer {
    fn start(args: &[String], env: &[(String, String)]) -> anyhow::Result<Self> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("serve")
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting a stdio server")?;
        let stdin = Some(BufWriter::new(child.stdin.take().context("stdin")?));
        let stdout = BufReader::new(child.stdout.take().context("stdout")?);
        Ok(Self {
            child,
            stdin,
            stdout,
        })
    }

    /// The server's input, while it is open.
    fn input(&mut self) -> anyhow::Result<&mut BufWriter<ChildStdin>> {
        open(&mut self.stdin)
    }

    fn send(&mut self, line: &str) -> anyhow::Result<()> {
        let stdin = self.input()?;
        stdin.write_all(line.as_bytes())?;
        stdin.write_all(b"\n")?;
        Ok(())
    }

    /// Reads lines until the response to `id` (notifications are skipped).
    fn answer(&mut self, id: u64) -> anyhow::Result<Value> {
        let mut line = String::new();
        loop {
            line.clear();
            if self.stdout.read_line(&mut line)? == 0 {
                bail!("the server closed its output");
            }
            let message: Value = serde_json::from_str(&line)?;
            if message.get("id") == Some(&json!(id)) {
                return Ok(message);
            }
        }
    }

    fn call(&mut self, line: &str, id: u64) -> anyhow::Result<Value> {
        self.send(line)?;
        self.input()?.flush()?;
        self.answer(id)
    }
}

/// Kills process `pid` if it is still being measured when the time is up.
struct Watchdog(std::sync::mpsc::Sender<()>);

impl Watchdog {
    fn arm(pid: u32, after: Duration) -> Self {
        let (cancel, cancelled) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = cancelled.recv_timeout(after) {
                eprintln!("bench: stdio server {pid} stopped answering; killing it");
                let _ = Command::new("kill")
                    .arg("-KILL")
                    .arg(pid.to_string())
                    .status();
            }
        });
        Self(cancel)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// A server's input, while it is open (also for a caller holding the peer's fields apart).
fn open(stdin: &mut Option<BufWriter<ChildStdin>>) -> anyhow::Result<&mut BufWriter<ChildStdin>> {
    stdin.as_mut().context("the server's input is closed")
}

impl Drop for Peer {
    /// Closes the server's input, which ends a stdio server through its own shutdown (an
    /// instrumented build writes its profile then); kills it if it has not exited after a
    /// few seconds.
    fn drop(&mut self) {
        drop(self.stdin.take());
        reap(&mut self.child, STOP_GRACE);
    }
}

/// Starts the peer, finds which era it answers (modern first), and measures `count` requests
/// each way, giving up after `limit`.
pub(crate) fn measure(
    args: &[String],
    env: &[(String, String)],
    count: u64,
    limit: Duration,
) -> anyhow::Result<(Era, StdioResult)> {
    let mut peer = Peer::start(args, env)?;
    // A hard stop in case the server stops answering mid-read: kill it by its PID.
    let _watchdog = Watchdog::arm(peer.child.id(), limit * 2 + Duration::from_secs(20));
    let probe = peer.call(&request(Era::Modern, 0), 0)?;
    let era = if probe.pointer("/result/content/0/text") == Some(&json!("hello")) {
        Era::Modern
    } else {
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "bench", "version": "1"}}});
        peer.call(&init.to_string(), 0)?;
        peer.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)?;
        let again = peer.call(&request(Era::Legacy, 0), 0)?;
        if again.pointer("/result/content/0/text") != Some(&json!("hello")) {
            bail!("the stdio server answers neither era: {probe} / {again}");
        }
        Era::Legacy
    };
    let lines: Vec<String> = (1..=count).map(|id| request(era, id)).collect();

    let started = Instant::now();
    let mut done = 0u64;
    for (i, line) in lines.iter().enumerate() {
        peer.call(line, i as u64 + 1)?;
        done += 1;
        if started.elapsed() > limit {
            break;
        }
    }
    let sequential_rps = done as f64 / started.elapsed().as_secs_f64();

    // Pipelined: a writer thread sends everything while this thread reads the answers. The
    // ids are reused, so answers are counted, not matched.
    let memory_before_pipelining = memory(peer.child.id());
    let Peer {
        child,
        stdin,
        stdout,
    } = &mut peer;
    let stdin = open(stdin)?;
    let started = Instant::now();
    let mut answered = 0u64;
    let mut out_of_time = false;
    std::thread::scope(|s| -> anyhow::Result<()> {
        let writer = s.spawn(|| -> std::io::Result<()> {
            for line in &lines {
                stdin.write_all(line.as_bytes())?;
                stdin.write_all(b"\n")?;
            }
            stdin.flush()
        });
        let mut line = String::new();
        while answered < count {
            if started.elapsed() > limit {
                // Unblock the writer: it may be stuck on a full pipe.
                out_of_time = true;
                let _ = child.kill();
                break;
            }
            line.clear();
            if stdout.read_line(&mut line)? == 0 {
                bail!("the server closed its output");
            }
            if line.contains("\"id\"") {
                answered += 1;
            }
        }
        let written = writer.join().expect("the writer thread");
        if !out_of_time {
            written?;
        }
        Ok(())
    })?;
    let pipelined_rps = answered as f64 / started.elapsed().as_secs_f64();
    let mut memory = memory(peer.child.id());
    if out_of_time {
        memory = memory_before_pipelining;
    }
    Ok((
        era,
        StdioResult {
            sequential_rps,
            pipelined_rps,
            memory,
        },
    ))
}
