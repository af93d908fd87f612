//! Instructions per request: each HTTP server runs under valgrind's callgrind while one
//! keep-alive connection sends it a fixed number of `tools/call`s, one at a time. Unlike
//! requests per second, the count hardly moves when other processes share the machine.
//!
//! Each server is run twice, with `warmup` and with `warmup + n` requests; the difference of
//! the two totals divided by `n` leaves out start-up, shutdown and the first requests (lazy
//! initialisation, buffer growth). What is counted is the server process's user-space
//! instructions (all its threads); the kernel's share (sockets, scheduling) is not.
//!
//! Callgrind also simulates the caches ([`CACHES`]: 32 KiB L1 instruction and data caches,
//! 512 KiB last level, 64-byte lines), and counts the L1 misses per request: how much code
//! and data a request touches beyond what stays cached from the one before. On a loaded
//! machine, where other processes evict the caches between requests, that footprint, more
//! than the instruction count, sets the CPU time a request takes.

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

/// The simulated caches (callgrind options): L1 instruction and data caches of 32 KiB,
/// 8-way, and a last level of 512 KiB, 16-way (the per-core L2 of the machines the bench
/// runs on), all with 64-byte lines.
const CACHES: [&str; 3] = ["--I1=32768,8,64", "--D1=32768,8,64", "--LL=524288,16,64"];

/// Per request: instructions, and misses of the simulated L1 caches.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct PerRequest {
    /// Instructions executed.
    pub(crate) instructions: f64,
    /// L1 instruction-cache misses (code fetched from further away).
    pub(crate) i1_misses: f64,
    /// L1 data-cache misses, reads and writes.
    pub(crate) d1_misses: f64,
}

/// Totals of one profile, in callgrind's event names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Totals {
    ir: u64,
    i1mr: u64,
    d1mr: u64,
    d1mw: u64,
}

impl Totals {
    /// Reads the `events:` line and the `summary:` (or `totals:`) line of a profile.
    fn parse(profile: &str) -> Option<Self> {
        let line = |prefix: &str| profile.lines().find_map(|l| l.strip_prefix(prefix));
        let names: Vec<&str> = line("events:")?.split_whitespace().collect();
        let values: Vec<u64> = line("summary:")
            .or_else(|| line("totals:"))?
            .split_whitespace()
            .map(|v| v.parse().ok())
            .collect::<Option<_>>()?;
        // Trailing events with no occurrence may be left out of the totals.
        let get = |name: &str| {
            let i = names.iter().position(|n| *n == name)?;
            Some(values.get(i).copied().unwrap_or(0))
        };
        Some(Self {
            ir: get("Ir")?,
            i1mr: get("I1mr").unwrap_or(0),
            d1mr: get("D1mr").unwrap_or(0),
            d1mw: get("D1mw").unwrap_or(0),
        })
    }
}

/// What `subject` costs per request, from two runs under callgrind. The profiles are
/// written to `keep` (for `callgrind_annotate`) when given, else to `dir` and removed.
pub(crate) fn per_request(
    subject: &Subject<'_>,
    env: &[(String, String)],
    dir: &Path,
    keep: Option<&Path>,
    warmup: u64,
    n: u64,
) -> anyhow::Result<PerRequest> {
    let short = total(subject, env, dir, keep, warmup)?;
    let long = total(subject, env, dir, keep, warmup + n)?;
    Ok(difference(short, long, n))
}

/// `(long - short) / n` for each count.
fn difference(short: Totals, long: Totals, n: u64) -> PerRequest {
    let per = |a: u64, b: u64| b.saturating_sub(a) as f64 / n.max(1) as f64;
    PerRequest {
        instructions: per(short.ir, long.ir),
        i1_misses: per(short.i1mr, long.i1mr),
        d1_misses: per(short.d1mr + short.d1mw, long.d1mr + long.d1mw),
    }
}

/// What the server executed from start to exit, having answered `requests`.
fn total(
    subject: &Subject<'_>,
    env: &[(String, String)],
    dir: &Path,
    keep: Option<&Path>,
    requests: u64,
) -> anyhow::Result<Totals> {
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
        .arg("--cache-sim=yes")
        .args(CACHES)
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
    Totals::parse(&profile).context("no instruction total in the callgrind profile")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_read_by_event_name() {
        let profile = "version: 1\ncreator: callgrind-3.19.0\n\
            events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw\n\
            fn=main\n1 2 3\n\
            summary: 1000 300 200 40 7 5 2 1\n\
            totals: 1000 300 200 40 7 5 2 1\n";
        let t = Totals::parse(profile).unwrap();
        assert_eq!(
            t,
            Totals {
                ir: 1000,
                i1mr: 40,
                d1mr: 7,
                d1mw: 5
            }
        );
        // Without the cache simulation only `Ir` is there.
        let plain = "events: Ir\nsummary: 77\n";
        assert_eq!(Totals::parse(plain).unwrap().ir, 77);
        assert_eq!(Totals::parse("events: Ir\n"), None);
    }

    #[test]
    fn per_request_counts_leave_the_warm_up_out() {
        let short = Totals {
            ir: 1_000,
            i1mr: 100,
            d1mr: 10,
            d1mw: 10,
        };
        let long = Totals {
            ir: 61_000,
            i1mr: 3_100,
            d1mr: 510,
            d1mw: 210,
        };
        let per = difference(short, long, 20);
        assert_eq!(
            per,
            PerRequest {
                instructions: 3_000.0,
                i1_misses: 150.0,
                d1_misses: 35.0
            }
        );
    }
}
