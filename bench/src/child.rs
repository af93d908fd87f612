//! A server under test as a child process of the bench: started from this same executable,
//! waited for on its loopback port, probed once, measured (RSS from `/proc/PID/status`) and
//! stopped by its own PID.

use crate::wrk::HttpRequest;
use anyhow::{Context, bail};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port (bound and released; the child binds it next).
pub(crate) fn free_port() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// A running server.
#[derive(Debug)]
pub(crate) struct Server {
    child: Child,
    /// Where it listens.
    pub(crate) addr: SocketAddr,
}

/// Memory of a process, from `/proc/PID/status`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Memory {
    /// Resident set size now, in KiB.
    pub(crate) rss_kib: u64,
    /// The peak resident set size, in KiB.
    pub(crate) peak_kib: u64,
}

/// Reads `VmRSS` and `VmHWM` of process `pid`.
pub(crate) fn memory(pid: u32) -> Memory {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Memory {
        rss_kib: field("VmRSS:"),
        peak_kib: field("VmHWM:"),
    }
}

/// CPU time a process has used so far, user and system together, from `/proc/PID/stat`
/// (`utime` + `stime`, in clock ticks of `USER_HZ`, which Linux fixes at 100 per second for
/// every process-visible interface).
pub(crate) fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    Duration::from_millis(cpu_ticks(&stat) * 10)
}

/// `utime + stime` of a `/proc/PID/stat` line. The command name (field 2) may hold spaces and
/// parentheses, so fields are counted after its closing parenthesis.
fn cpu_ticks(stat: &str) -> u64 {
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0;
    };
    // After the name: state (3), ppid (4), … utime (14), stime (15).
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<u64>().ok());
    field(14).unwrap_or(0) + field(15).unwrap_or(0)
}

impl Server {
    /// Starts `bench serve <args…>` with `env`, and waits (up to 20 s) until `addr` accepts
    /// connections.
    pub(crate) fn start(
        addr: SocketAddr,
        args: &[String],
        env: &[(String, String)],
    ) -> anyhow::Result<Self> {
        let exe = std::env::current_exe()?;
        let child = Command::new(exe)
            .arg("serve")
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting a server")?;
        let mut server = Self { child, addr };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if TcpStream::connect(addr).is_ok() {
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("the server `{}` exited early: {status}", args.join(" "));
            }
            if Instant::now() > deadline {
                bail!("the server `{}` did not listen on {addr}", args.join(" "));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The child's PID.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `request` once (HTTP/1.1, `Connection: close`) and checks that the answer is a
    /// `200` whose body contains `expect`.
    pub(crate) fn probe(&self, request: &HttpRequest, expect: &str) -> anyhow::Result<()> {
        let mut stream = TcpStream::connect(self.addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut head = format!(
            "POST /mcp HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            request.body.len()
        );
        for (name, value) in &request.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(request.body.as_bytes())?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let ok = response.starts_with("HTTP/1.1 200") && response.contains(expect);
        if !ok {
            bail!("unexpected answer from {}:\n{response}", self.addr);
        }
        Ok(())
    }

    /// Stops the child as an operator would, with `SIGTERM`, so that it exits through its
    /// own shutdown (an instrumented build writes its profile then); kills it if it is still
    /// running after a few seconds. Reaps it either way.
    pub(crate) fn stop(mut self) {
        let asked = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let grace = if asked { STOP_GRACE } else { Duration::ZERO };
        reap(&mut self.child, grace);
    }
}

/// How long a child asked to stop may take before it is killed.
pub(crate) const STOP_GRACE: Duration = Duration::from_secs(5);

/// Waits up to `grace` for `child` to exit, kills it if it has not, and reaps it.
pub(crate) fn reap(child: &mut Child, grace: Duration) {
    let deadline = Instant::now() + grace;
    loop {
        if !matches!(child.try_wait(), Ok(None)) {
            return;
        }
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Drop for Server {
    /// A server not stopped (an error cut the measurement short) is killed and reaped.
    fn drop(&mut self) {
        reap(&mut self.child, Duration::ZERO);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_read_after_the_command_name() {
        let stat = "4242 (tokio (rt) x) S 1 4242 4242 0 -1 4194560 907 0 0 0 157 43 0 0 20 0 3 0";
        assert_eq!(cpu_ticks(stat), 200);
        assert_eq!(cpu_ticks("garbage"), 0);
    }

    #[test]
    fn a_child_that_exits_is_reaped_and_one_that_does_not_is_killed_after_the_grace() {
        let mut quick = Command::new("true").spawn().unwrap();
        reap(&mut quick, Duration::from_secs(5));
        assert!(quick.try_wait().unwrap().unwrap().success());

        let mut stuck = Command::new("sleep").arg("30").spawn().unwrap();
        let started = Instant::now();
        reap(&mut stuck, Duration::from_millis(100));
        let waited = started.elapsed();
        let status = stuck.try_wait().unwrap().expect("reaped");
        assert!(!status.success(), "killed, not exited: {status:?}");
        assert!(waited >= Duration::from_millis(100), "{waited:?}");
        assert!(waited < Duration::from_secs(10), "{waited:?}");
    }

    #[test]
    fn this_process_has_used_some_cpu() {
        let spin = std::time::Instant::now();
        let mut x = 0u64;
        while spin.elapsed() < Duration::from_millis(60) {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        assert!(x != 1);
        assert!(cpu_time(std::process::id()) > Duration::ZERO);
    }
}
