//! The demo stack: the Markifact sandbox (in-process), the Workers callback handler of
//! `examples/worker/` in real workerd (`wrangler dev`), and the static server for `www/` that
//! forwards the Worker's paths, all on 127.0.0.1 behind one URL. `cargo xtask demo` runs it until
//! interrupted; `cargo xtask test` runs the browser tests against it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use markifact_sandbox::{Config, Sandbox};

use crate::cmd::root;
use crate::serve::{self, Server};
use crate::{pkg, tools};

/// The sandbox keys: the demo's, and a second one for the tests of key-private connections.
const SANDBOX_KEYS: [&str; 2] = ["sk_sandbox", "sk_sandbox_other"];
/// wrangler bundles the Worker and starts workerd; a cold first start takes a while.
const WORKER_START_TIMEOUT: Duration = Duration::from_secs(180);
/// Once wrangler says it listens, how long the Worker's code may take to answer through the demo
/// server (its dev proxy is up before the Worker is loaded, and answers 404 or 503 meanwhile).
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one readiness request may take.
const READY_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const READY_POLL_INTERVAL: Duration = Duration::from_millis(200);
/// The Worker route polled through the demo server: it answers 200 to anyone (it signs a new
/// user in when there is no session cookie) and needs neither Markifact nor a body.
const WORKER_READY_PATH: &str = "/api/session";

pub struct DemoStack {
    pub server: Server,
    pub sandbox: Sandbox,
    worker: Child,
}

impl DemoStack {
    /// Starts the three parts and returns once the Worker's [`WORKER_READY_PATH`] answers `200`
    /// through the demo server's proxy (the sandbox and the demo server run in this process and
    /// listen before their `start` returns). The page is at [`Server::url`].
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
        let mut stack = DemoStack {
            server,
            sandbox,
            worker,
        };
        // On failure the stack is dropped, which stops the Worker.
        stack.wait_until_ready()?;
        Ok(stack)
    }

    /// Polls the Worker through the demo server until it answers `200` or [`READY_TIMEOUT`]
    /// passes.
    fn wait_until_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let demo = self.server.addr;
        let session = format!(
            "{}{}",
            self.server.url().trim_end_matches('/'),
            WORKER_READY_PATH
        );
        let worker = &mut self.worker;
        poll_until_ok(
            demo,
            WORKER_READY_PATH,
            &session,
            deadline,
            || match worker.try_wait() {
                Ok(Some(status)) => Err(format!("the Worker launcher exited ({status})")),
                _ => Ok(()),
            },
        )
    }
}

/// GETs `path` from `addr` until it answers `200`, or fails at `deadline` naming `url` and the
/// last answer. `alive` is checked between attempts (a dead Worker need not be waited for).
fn poll_until_ok(
    addr: SocketAddr,
    path: &str,
    url: &str,
    deadline: Instant,
    mut alive: impl FnMut() -> Result<(), String>,
) -> Result<(), String> {
    loop {
        let last = match get_status(addr, path) {
            Ok(200) => return Ok(()),
            Ok(status) => format!("HTTP {status}"),
            Err(e) => e,
        };
        if let Err(why) = alive() {
            return Err(format!(
                "GET {url} did not answer 200 (last: {last}): {why}"
            ));
        }
        if Instant::now() + READY_POLL_INTERVAL >= deadline {
            return Err(format!(
                "GET {url} did not answer 200 within {} s (last: {last})",
                READY_TIMEOUT.as_secs()
            ));
        }
        std::thread::sleep(READY_POLL_INTERVAL);
    }
}

/// One `GET` on a fresh connection, each step bounded by a timeout: the response's bytes (read
/// to the end, so the server is not reset mid-write), and how the read ended.
pub fn get(addr: SocketAddr, path: &str) -> Result<(Vec<u8>, std::io::Result<usize>), String> {
    let mut stream = TcpStream::connect_timeout(&addr, READY_REQUEST_TIMEOUT)
        .map_err(|e| format!("cannot connect: {e}"))?;
    stream
        .set_read_timeout(Some(READY_REQUEST_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(READY_REQUEST_TIMEOUT)))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send the request: {e}"))?;
    let mut response = Vec::new();
    let read = stream.read_to_end(&mut response);
    Ok((response, read))
}

/// One `GET` on a fresh connection; the response's status code.
fn get_status(addr: SocketAddr, path: &str) -> Result<u16, String> {
    let (response, read) = get(addr, path)?;
    let head = String::from_utf8_lossy(&response[..response.len().min(64)]).into_owned();
    match head
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| head.strip_prefix("HTTP/1.0 "))
    {
        Some(rest) => rest
            .get(..3)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("a malformed status line: {head:?}")),
        None => Err(match read {
            Err(e) => format!("no response ({e})"),
            Ok(_) if response.is_empty() => "the connection closed without a response".into(),
            Ok(_) => format!("not an HTTP response: {head:?}"),
        }),
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
    eprintln!(
        "starting the sandbox and the Worker (workerd); the address follows once both answer…"
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A server answering each connection with the next status of `statuses` (the last one
    /// repeats).
    fn answering(statuses: &'static [u16]) -> SocketAddr {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for (i, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { continue };
                let status = statuses[i.min(statuses.len() - 1)];
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
                );
            }
        });
        addr
    }

    #[test]
    fn polling_waits_for_a_200() {
        let addr = answering(&[404, 503, 404, 200]);
        let deadline = Instant::now() + Duration::from_secs(10);
        let started = Instant::now();
        poll_until_ok(
            addr,
            "/api/session",
            "http://x/api/session",
            deadline,
            || Ok(()),
        )
        .unwrap();
        assert!(started.elapsed() >= READY_POLL_INTERVAL * 3);
    }

    #[test]
    fn polling_fails_naming_the_url_and_the_last_answer() {
        let addr = answering(&[503, 404]);
        let deadline = Instant::now() + Duration::from_millis(700);
        let error = poll_until_ok(
            addr,
            "/api/session",
            "http://demo/api/session",
            deadline,
            || Ok(()),
        )
        .unwrap_err();
        assert!(
            error.starts_with("GET http://demo/api/session did not answer 200 within")
                && error.ends_with("(last: HTTP 404)"),
            "{error}"
        );

        // Nothing listening: the connection error is the last answer.
        let closed = TcpListener::bind(("127.0.0.1", 0))
            .unwrap()
            .local_addr()
            .unwrap();
        let deadline = Instant::now() + Duration::from_millis(300);
        let error = poll_until_ok(closed, "/", "http://closed/", deadline, || Ok(())).unwrap_err();
        assert!(error.contains("(last: cannot connect: "), "{error}");

        // A dead Worker ends the wait at once.
        let error = poll_until_ok(
            addr,
            "/",
            "http://demo/",
            Instant::now() + READY_TIMEOUT,
            || Err("the Worker launcher exited".into()),
        )
        .unwrap_err();
        assert_eq!(
            error,
            "GET http://demo/ did not answer 200 (last: HTTP 404): the Worker launcher exited"
        );
    }
}
