#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod app;
mod html;
mod http;
mod rules;
mod server;
mod state;

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

pub use state::{ConnectionType, CONNECTION_TYPES, LINK_LIFETIME_MS};

/// The port the binary listens on by default.
pub const DEFAULT_PORT: u16 = 8787;

/// The API key the sandbox always accepts unless [`Config::api_keys`] is replaced.
pub const DEFAULT_API_KEY: &str = "sk_sandbox";

/// The largest request body accepted, in bytes (larger: `413`).
pub const MAX_BODY_BYTES: usize = http::MAX_BODY_BYTES;

/// How to run a [`Sandbox`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The port on 127.0.0.1; `0` picks a free one. Default [`DEFAULT_PORT`].
    pub port: u16,
    /// The accepted API keys, each one user of the same team. Default: [`DEFAULT_API_KEY`] only.
    pub api_keys: Vec<String>,
    /// Accept `http://localhost`, `http://127.0.0.1` and `http://[::1]` redirect URLs (the real
    /// API refuses them). Default `false`.
    pub allow_insecure_localhost: bool,
    /// Log one line per request to stderr. Default `false` (the binary turns it on).
    pub log_requests: bool,
    /// How long a kept-alive connection may stay idle between requests. Default 15 s.
    pub idle_timeout: Duration,
    /// How long a request may take to arrive once it started (slower: `408`). Default 10 s.
    pub request_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: DEFAULT_PORT,
            api_keys: vec![DEFAULT_API_KEY.to_owned()],
            allow_insecure_localhost: false,
            log_requests: false,
            idle_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// A running sandbox. Dropping it (or calling [`Sandbox::shutdown`]) stops the listener and
/// closes every open connection.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    url: String,
    shared: Arc<server::Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds 127.0.0.1:`config.port` and starts serving on a background thread.
    ///
    /// Fails if the port is taken or `config.api_keys` holds an empty key.
    pub fn start(config: Config) -> io::Result<Sandbox> {
        if config
            .api_keys
            .iter()
            .any(|k| k.is_empty() || k.contains([' ', '\t']))
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "API keys must be non-empty and contain no spaces or tabs",
            ));
        }
        let listener = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, config.port))?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}");
        let limits = http::Limits {
            max_request_line: 8 * 1024,
            max_head: 16 * 1024,
            max_headers: 100,
            max_body: MAX_BODY_BYTES,
            idle_timeout: config.idle_timeout,
            request_timeout: config.request_timeout,
        };
        let app = app::App::new(
            config.api_keys,
            config.allow_insecure_localhost,
            url.clone(),
        );
        let shared = Arc::new(server::Shared::new(app, limits, config.log_requests));
        let worker = Arc::clone(&shared);
        let accept_thread = thread::Builder::new()
            .name("markifact-sandbox-accept".into())
            .spawn(move || server::accept_loop(listener, worker))?;
        Ok(Sandbox {
            addr,
            url,
            shared,
            accept_thread: Some(accept_thread),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The sandbox clock, in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        self.shared.app.now()
    }

    /// Moves the sandbox clock forward (like `POST /_sandbox/clock`); returns the new time.
    pub fn advance_clock(&self, by: Duration) -> i64 {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.shared.app.advance_clock(ms)
    }

    /// Clears links, connections and faults and resets the clock (like `POST /_sandbox/reset`).
    pub fn reset(&self) {
        self.shared.app.reset();
    }

    /// Blocks until the sandbox stops (for the binary: forever, until the process is killed).
    pub fn wait(mut self) {
        if let Some(thread) = self.accept_thread.take() {
            let _ = thread.join();
        }
    }

    /// Stops the sandbox now (the same as dropping it).
    pub fn shutdown(self) {}
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.shared.shutting_down.store(true, Ordering::SeqCst);
        if let Some(thread) = self.accept_thread.take() {
            // Wake the blocking accept() with a connection of our own.
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
            let _ = thread.join();
        }
        self.shared.close_all();
    }
}
