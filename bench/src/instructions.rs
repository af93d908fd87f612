//! Instructions per request: each HTTP server runs under valgrind's callgrind while one
//! keep-alive connection sends it a fixed number of `tools/call`s, one at a time. Unlike
//! requests per second, the count hardly moves when other processes share the machine.
//!
//! Each server is run twice, with `warmup` and with `warmup + n` requests; the difference of
//! the two totals divided by `n` leaves out start-up, shutdown and the first requests (lazy
//! initialisation, buffer growth). What is counted is the server process's user-space
//! instructions (all its threads); the kernel's share (sockets, scheduling) is not.

use crate::child::free_port;
use crate::wrk::HttpRequest;
use anyhow::{Context, bail};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Fails with a helpful message when valgrind is missing.
pub(crate) fn require_valgrind() -> anyhow::Result<()> {
    match Command::new("valgrind").arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        _ => bail!("`valgrind` is needed for --instructions (Debian: apt-get install valgrind)"),
    }
}

/// One server to count.
pub(crate) struct Subject<'a> {
    /// A short name for the profile files.
    pub(crate) name: &'a str,
    /// `bench serve` arguments; `{bind}` is replaced by the address.
    pub(crate) args: &'a [String],
    /// The request to send.
    pub(crate) request: &'a HttpRequest,
}

/// Instructions per request of `subject`, from two runs under callgrind. The profiles are
/// written to `keep` (for `callgrind_annotate`) when given, else to `dir` and removed.
pub(crate) fn per_request(
    subject: &Subject<'_>,
    env: &[(String, String)],
    dir: &Path,
    keep: Option<&Path>,
    warmup: u64,
    n: u64,
) -> anyhow::Result<f64> {
    let short = total(subject, env, dir, keep, warmup)?;
    let long = total(subject, env, dir, keep, warmup + n)?;
    Ok(long.saturating_sub(short) as f64 / n.max(1) as f64)
}

/// The instructions the server executed from start to exit, having answered `requests`.
fn total(
    subject: &Subject<'_>,
    env: &[(String, String)],
    dir: &Path,
    keep: Option<&Path>,
    requests: u64,
) -> anyhow::Result<u64> {
    let addr = free_port()?;
    let out = keep
        .unwrap_or(dir)
        .join(format!("callgrind.{}.{requests}.out", subject.name));
    let args: Vec<String> = subject
        .args
        .iter()
        .map(|a| a.replace("{bind}", &addr.to_string()))
        .collect();
    let child = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(std::env::current_exe()?)
        .arg("serve")
        .args(&args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("BENCH_BIND", addr.to_string())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting a server under valgrind")?;
    let mut child = Guard(child);
    wait_listening(&mut child.0, addr)?;
    drive(addr, subject.request, requests)
        .with_context(|| format!("driving `{}` under valgrind", args.join(" ")))?;
    // SIGTERM (not SIGKILL): valgrind writes the profile as the process ends.
    let pid = child.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.0.try_wait()?.is_none() {
        if Instant::now() > deadline {
            bail!("the server did not stop after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let profile = std::fs::read_to_string(&out).context("reading the callgrind profile")?;
    if keep.is_none() {
        let _ = std::fs::remove_file(&out);
    }
    profile
        .lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .context("no instruction total in the callgrind profile")
}

/// Kills (by PID) a server left running by an error.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn wait_listening(child: &mut Child, addr: SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if TcpStream::connect(addr).is_ok() {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            bail!("the server exited early under valgrind: {status}");
        }
        if Instant::now() > deadline {
            bail!("the server did not listen on {addr} under valgrind");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sends `request` `n` times on one keep-alive connection, each after the previous answer,
/// and checks every answer is a `200` echoing `hello`.
fn drive(addr: SocketAddr, request: &HttpRequest, n: u64) -> anyhow::Result<()> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    stream.set_nodelay(true)?;
    let mut head = format!(
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n",
        request.body.len()
    );
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(&request.body);
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    let mut body = Vec::new();
    for i in 0..n {
        writer.write_all(head.as_bytes())?;
        line.clear();
        reader.read_line(&mut line)?;
        if !line.starts_with("HTTP/1.1 200") {
            bail!("request {i}: unexpected status line {line:?}");
        }
        let mut length = None;
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse::<usize>().ok();
            }
        }
        let length = length.context("an answer without Content-Length")?;
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
        if !body.windows(5).any(|w| w == b"hello") {
            bail!(
                "request {i}: the answer does not echo: {}",
                String::from_utf8_lossy(&body)
            );
        }
    }
    Ok(())
}
