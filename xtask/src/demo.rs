//! The demo stack: the Markifact sandbox (in-process), the Workers callback handler of
//! `examples/worker/` in real workerd (`wrangler dev`), and the static server for `www/` that
//! forwards the Worker's paths, all on 127.0.0.1 behind one URL. `cargo xtask demo` runs it until
//! interrupted; `cargo xtask test` runs the browser tests against it.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use markifact_sandbox::{Config, Sandbox};

use crate::cmd::root;
use crate::serve::{self, Server};
use crate::{pkg, tools};

/// The sandbox keys: the demo's, and a second one for the tests of key-private connections.
const SANDBOX_KEYS: [&str; 2] = ["sk_sandbox", "sk_sandbox_other"];
/// wrangler bundles the Worker and starts workerd; a cold first start takes a while.
const WORKER_START_TIMEOUT: Duration = Duration::from_secs(180);

pub struct DemoStack {
    pub server: Server,
    pub sandbox: Sandbox,
    worker: Child,
}

impl DemoStack {
    /// Starts the three parts; the page is at [`Server::url`].
    pub fn start(port: u16, tarball: &Path) -> Result<DemoStack, String> {
        let sandbox = Sandbox::start(Config {
            port: 0,
            api_keys: SANDBOX_KEYS.iter().map(|k| k.to_string()).collect(),
            allow_insecure_localhost: true,
            ..Default::default()
        })
        .map_err(|e| format!("starting the sandbox: {e}"))?;
        let server = serve::start(port)?;
        let origin = server.url().trim_end_matches('/').to_owned();
        let (worker, worker_addr) = start_worker(tarball, sandbox.url(), &origin)?;
        server.proxy_to(worker_addr);
        Ok(DemoStack {
            server,
            sandbox,
            worker,
        })
    }
}

impl Drop for DemoStack {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: the launcher stops workerd on its way out.
        let _ = Command::new("kill")
            .args(["-TERM", &self.worker.id().to_string()])
            .status();
        let _ = self.worker.wait();
    }
}

/// `cargo xtask demo`: build the package, start the stack, and serve until interrupted.
pub fn run(port: u16) -> Result<(), String> {
    tools::ensure_build_tools()?;
    let tarball = pkg::build()?;
    eprintln!("starting the sandbox and the Worker (workerd)…");
    let stack = DemoStack::start(port, &tarball)?;
    println!(
        "markifact-connect demo: {}  (Ctrl-C to stop)",
        stack.server.url()
    );
    loop {
        std::thread::park();
    }
}

/// Launches `examples/worker` through `tests/js/helpers/worker.mjs` and waits for its address.
fn start_worker(
    tarball: &Path,
    sandbox_url: &str,
    app_origin: &str,
) -> Result<(Child, SocketAddr), String> {
    let port = free_port()?;
    let launcher = root().join("tests/js/helpers/worker.mjs");
    let mut child = Command::new("node")
        .arg(&launcher)
        .args(["--tarball", &tarball.to_string_lossy()])
        .args(["--port", &port.to_string()])
        .args(["--sandbox", sandbox_url])
        .args(["--app-origin", app_origin])
        .current_dir(tools::js_dir())
        .env("WRANGLER_SEND_METRICS", "false")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", launcher.display()))?;
    let stdout = child
        .stdout
        .take()
        .ok_or("no stdout from the Worker launcher")?;
    let (lines, ready) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let announced = format!("worker listening on http://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + WORKER_START_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match ready.recv_timeout(left) {
            Ok(line) if line.trim() == announced => break,
            Ok(line) => eprintln!("worker: {line}"),
            Err(_) => {
                let _ = child.kill();
                return Err(format!(
                    "the Worker did not announce `{announced}` within {} s",
                    WORKER_START_TIMEOUT.as_secs()
                ));
            }
        }
    }
    // Keep echoing what it prints after start-up.
    std::thread::spawn(move || {
        for line in ready {
            eprintln!("worker: {line}");
        }
    });
    Ok((child, SocketAddr::from(([127, 0, 0, 1], port))))
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}
