//! The services a scaled-out deployment runs beside the replicas, started by the tests on
//! loopback with free ports and temporary directories (never a system service), and stopped
//! on drop: `redis-server` (the shared store) and `nginx` (the load balancer, configured from
//! `deploy/nginx.conf`). Both come from Debian's packages (`scripts/setup-services.sh`).

use crate::{free_port, workspace_root};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill(child: &mut Option<Child>) {
    if let Some(mut c) = child.take() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// A `redis-server` on a free loopback port, without persistence.
#[derive(Debug)]
pub struct Redis {
    child: Option<Child>,
    /// Its port.
    pub port: u16,
    dir: PathBuf,
}

impl Redis {
    /// Starts one and waits until it accepts connections.
    pub fn start() -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("e2e-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let mut redis = Self {
            child: None,
            port,
            dir,
        };
        redis.restart();
        redis
    }

    /// `redis://127.0.0.1:<port>/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Starts it (again) on the same port.
    pub fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (scripts/setup-services.sh installs it)");
        self.child = Some(child);
        wait_for_port(self.port, "redis-server");
    }

    /// Kills it (SIGKILL).
    pub fn kill(&mut self) {
        kill(&mut self.child);
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// nginx in front of `replicas`, configured from `deploy/nginx.conf`.
#[derive(Debug)]
pub struct Nginx {
    child: Option<Child>,
    /// Its port.
    pub port: u16,
    prefix: PathBuf,
}

impl Nginx {
    /// The port clients will use, chosen before the replicas start (their `resource` is the
    /// load balancer's URL).
    pub fn reserve_port() -> u16 {
        free_port()
    }

    /// Starts nginx on `port`, balancing over the replicas listening on `replicas`.
    pub fn start(port: u16, replicas: &[u16]) -> Self {
        let prefix = std::env::temp_dir().join(format!("e2e-nginx-{}-{port}", std::process::id()));
        for sub in ["logs", "temp"] {
            std::fs::create_dir_all(prefix.join(sub)).expect("a temporary directory");
        }
        let template = std::fs::read_to_string(workspace_root().join("deploy/nginx.conf"))
            .expect("deploy/nginx.conf");
        let servers: Vec<String> = replicas
            .iter()
            .map(|p| format!("server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;"))
            .collect();
        let conf = template
            .replace("@LISTEN@", &format!("127.0.0.1:{port}"))
            .replace("@SERVERS@", &servers.join("\n        "));
        std::fs::write(prefix.join("nginx.conf"), conf).expect("nginx.conf written");
        let child = Command::new(nginx_binary())
            .arg("-p")
            .arg(&prefix)
            .args([
                "-c",
                "nginx.conf",
                "-e",
                "logs/error.log",
                "-g",
                "daemon off;",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx runs (scripts/setup-services.sh installs it)");
        let nginx = Self {
            child: Some(child),
            port,
            prefix,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            let log = std::fs::read_to_string(nginx.prefix.join("logs/error.log"));
            assert!(
                Instant::now() < deadline,
                "nginx did not listen on {port}: {}",
                log.unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        nginx
    }

    /// `http://127.0.0.1:<port>/mcp`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }

    /// nginx's access log so far (one line per request, with the upstreams tried).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.prefix.join("logs/access.log")).unwrap_or_default()
    }
}

fn nginx_binary() -> PathBuf {
    let sbin = PathBuf::from("/usr/sbin/nginx");
    if sbin.exists() {
        sbin
    } else {
        PathBuf::from("nginx")
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM, so the master stops its worker too (a killed master would leave it).
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.prefix);
    }
}
