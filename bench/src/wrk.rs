//! Driving a server with `wrk`: the request (method, headers, JSON-RPC body) as a Lua script,
//! an optional list of tokens to rotate through (one per request), and the figures read back
//! from the script's `done` hook.

use anyhow::{Context, bail};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One HTTP request, sent again and again.
#[derive(Clone, Debug)]
pub(crate) struct HttpRequest {
    /// Header names and values (`Host` and `Content-Length` are added by wrk).
    pub(crate) headers: Vec<(String, String)>,
    /// The JSON-RPC body.
    pub(crate) body: String,
}

/// What one wrk run measured.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct WrkResult {
    /// Completed requests.
    pub(crate) requests: u64,
    /// Requests per second.
    pub(crate) rps: f64,
    /// Median latency in microseconds.
    pub(crate) p50_us: u64,
    /// 99th-percentile latency in microseconds.
    pub(crate) p99_us: u64,
    /// Responses that were not 2xx/3xx.
    pub(crate) non_2xx: u64,
    /// Connect, read, write and timeout errors.
    pub(crate) socket_errors: u64,
}

/// Fails with a hint when wrk is not installed.
pub(crate) fn require_wrk() -> anyhow::Result<()> {
    match Command::new("wrk")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(_) => Ok(()),
        Err(_) => {
            bail!("wrk is not installed: run scripts/setup-bench.sh (Debian's `wrk` package)")
        }
    }
}

const DONE: &str = r#"
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d sockerr=%d\n",
    summary.requests, summary.duration, latency:percentile(50.0), latency:percentile(99.0),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"#;

/// Rotates through the tokens of the file named by the first script argument; thread `k` of
/// `n` (second argument) takes tokens `k`, `k + n`, `k + 2n`, …
const ROTATE: &str = r#"
local counter = 0
function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end
local tokens = {}
local idx, step = 0, 1
function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  step = tonumber(args[2])
  idx = offset
end
function request()
  local h = {}
  for k, v in pairs(wrk.headers) do h[k] = v end
  h["Authorization"] = "Bearer " .. tokens[(idx % #tokens) + 1]
  idx = idx + step
  return wrk.format(nil, nil, h, nil)
end
"#;

/// Writes the Lua script for `request` into `dir` and returns its path; with `rotate`, each
/// request carries the next token of a list instead of a fixed `Authorization` header.
pub(crate) fn write_script(
    dir: &Path,
    name: &str,
    request: &HttpRequest,
    rotate: bool,
) -> anyhow::Result<PathBuf> {
    let mut lua = String::from("wrk.method = \"POST\"\n");
    writeln!(lua, "wrk.body = [==[{}]==]", request.body)?;
    for (name, value) in &request.headers {
        if rotate && name.eq_ignore_ascii_case("authorization") {
            continue;
        }
        writeln!(lua, "wrk.headers[\"{name}\"] = [==[{value}]==]")?;
    }
    if rotate {
        lua.push_str(ROTATE);
    }
    lua.push_str(DONE);
    let path = dir.join(format!("{name}.lua"));
    std::fs::write(&path, lua)?;
    Ok(path)
}

/// How one wrk run is shaped.
#[derive(Clone, Debug)]
pub(crate) struct Load<'a> {
    /// The endpoint.
    pub(crate) url: &'a str,
    /// Open connections.
    pub(crate) connections: u32,
    /// How long to send.
    pub(crate) duration: Duration,
    /// The Lua script.
    pub(crate) script: &'a Path,
    /// The token list for a rotating script.
    pub(crate) tokens: Option<&'a Path>,
}

/// Runs wrk once (bounded: killed if it outlives its duration by 30 s).
pub(crate) fn run(load: &Load<'_>) -> anyhow::Result<WrkResult> {
    let threads = load.connections.clamp(1, 2);
    let mut cmd = Command::new("wrk");
    cmd.arg("-t")
        .arg(threads.to_string())
        .arg("-c")
        .arg(load.connections.to_string())
        .arg("-d")
        .arg(format!("{}s", load.duration.as_secs().max(1)))
        .arg("--timeout")
        .arg("5s")
        .arg("-s")
        .arg(load.script)
        .arg(load.url);
    if let Some(tokens) = load.tokens {
        cmd.arg("--").arg(tokens).arg(threads.to_string());
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting wrk")?;
    let deadline = Instant::now() + load.duration + Duration::from_secs(30);
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("wrk did not finish in time");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    parse(&stdout).with_context(|| {
        format!(
            "wrk printed no figures: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn parse(stdout: &str) -> Option<WrkResult> {
    let line = stdout.lines().find(|l| l.starts_with("BENCH "))?;
    let field = |name: &str| -> Option<u64> {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))?
            .parse()
            .ok()
    };
    let requests = field("requests")?;
    let duration_us = field("duration_us")?.max(1);
    Some(WrkResult {
        requests,
        rps: requests as f64 * 1e6 / duration_us as f64,
        p50_us: field("p50_us")?,
        p99_us: field("p99_us")?,
        non_2xx: field("non2xx")?,
        socket_errors: field("sockerr")?,
    })
}
