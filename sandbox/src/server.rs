//! The listener and the per-connection loop (a thread per connection, keep-alive).

use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::app::{App, Outcome};
use crate::http::{
    read_request, write_response, DeadlineReader, Limits, ReadError, ReadFailure, Response,
};

/// At most this many connections are served at once; more get a 503 and are closed.
pub(crate) const MAX_CONNECTIONS: usize = 256;
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// After a response that closes the connection, how long unread input is drained so the client
/// receives the response instead of a reset.
const LINGER: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 1 << 20;

pub(crate) struct Shared {
    pub app: App,
    pub limits: Limits,
    pub log_requests: bool,
    pub shutting_down: AtomicBool,
    next_connection: AtomicU64,
    /// Open connections, so shutting down can close them.
    connections: Mutex<HashMap<u64, TcpStream>>,
}

impl Shared {
    pub fn new(app: App, limits: Limits, log_requests: bool) -> Self {
        Shared {
            app,
            limits,
            log_requests,
            shutting_down: AtomicBool::new(false),
            next_connection: AtomicU64::new(0),
            connections: Mutex::new(HashMap::new()),
        }
    }

    fn open_connections(&self) -> std::sync::MutexGuard<'_, HashMap<u64, TcpStream>> {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Closes every open connection (their threads then end on their next read or write).
    pub fn close_all(&self) {
        for stream in self.open_connections().values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

// `Sandbox` derives Debug; the sockets and state inside are not worth printing.
impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

/// Removes a connection from the registry when its thread ends, however it ends.
struct Registration {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.shared.open_connections().remove(&self.id);
    }
}

pub(crate) fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.shutting_down.load(Ordering::SeqCst) {
            break;
        }
        let stream = match stream {
            Ok(stream) => stream,
            Err(_) => {
                // Out of file descriptors or similar: back off instead of spinning.
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let Ok(handle) = stream.try_clone() else {
            continue;
        };
        let id = shared.next_connection.fetch_add(1, Ordering::Relaxed);
        {
            let mut open = shared.open_connections();
            if open.len() >= MAX_CONNECTIONS {
                drop(open);
                refuse(stream);
                continue;
            }
            open.insert(id, handle);
        }
        let registration = Registration {
            shared: Arc::clone(&shared),
            id,
        };
        let worker = Arc::clone(&shared);
        // If the thread cannot be spawned, the closure (and the registration) is dropped.
        let _ = thread::Builder::new()
            .name("markifact-sandbox-conn".into())
            .spawn(move || {
                let _registration = registration;
                serve(&worker, stream);
            });
    }
}

fn refuse(mut stream: TcpStream) {
    let _ = stream.set_write_timeout(Some(Duration::from_millis(200)));
    let mut response = Response::detail(503, "Too many open connections to the sandbox");
    response.close = true;
    let _ = write_response(&mut stream, &response, None, false);
}

/// Serves one connection until it closes, times out, or a response closes it.
fn serve(shared: &Shared, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut writer = stream;
    let mut reader = BufReader::with_capacity(16 * 1024, DeadlineReader::new(read_half));
    let keep_alive_s = Some(shared.limits.idle_timeout.as_secs().max(1));
    loop {
        let request = match read_request(&mut reader, &mut writer, &shared.limits) {
            Ok(request) => request,
            Err(failure) => {
                answer_failure(shared, &mut writer, reader, failure);
                return;
            }
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| shared.app.handle(&request)))
            .unwrap_or_else(|_| {
                let mut response = Response::detail(500, "Internal error in the sandbox");
                response.cors = !request.is_control();
                Outcome::Respond(response)
            });
        let response = match outcome {
            Outcome::Reset => {
                log(shared, &request.method, &request.target, 0);
                return;
            }
            Outcome::Respond(response) => response,
            Outcome::Partial {
                response,
                pause,
                reset,
            } => {
                log(shared, &request.method, &request.target, response.status);
                // Always the last response on this connection: the client sees the body cut or late.
                let _ = write_in_two_parts(&mut writer, &response, pause, reset);
                if !reset {
                    linger(&writer, reader);
                }
                return;
            }
        };
        log(shared, &request.method, &request.target, response.status);
        let close =
            response.close || !request.keep_alive() || shared.shutting_down.load(Ordering::SeqCst);
        let keep = if close { None } else { keep_alive_s };
        if write_response(&mut writer, &response, keep, request.method == "HEAD").is_err() {
            return;
        }
        if close {
            linger(&writer, reader);
            return;
        }
    }
}

/// Answers a request that could not be read (408 or the error's status), then closes; a
/// connection that closed or failed gets nothing.
fn answer_failure(
    shared: &Shared,
    writer: &mut TcpStream,
    reader: BufReader<DeadlineReader>,
    failure: ReadFailure,
) {
    let (mut response, what) = match failure.error {
        ReadError::Closed => return,
        ReadError::Timeout => (
            Response::detail(408, "The request did not arrive in time"),
            "-",
        ),
        ReadError::Bad(status, message) => {
            (Response::detail(status, &message), "(malformed request)")
        }
    };
    if failure.control {
        response = response.without_cors();
    }
    log(shared, "-", what, response.status);
    let _ = write_response(writer, &response, None, false);
    linger(writer, reader);
}

/// Writes the head and half of the body, waits, then the rest, or (`reset`) stops there.
fn write_in_two_parts(
    writer: &mut TcpStream,
    response: &Response,
    pause: Duration,
    reset: bool,
) -> std::io::Result<()> {
    let mut bytes = Vec::new();
    write_response(&mut bytes, response, None, false)?;
    let head_length = bytes.len() - response.body.len();
    let cut = head_length + response.body.len() / 2;
    writer.write_all(&bytes[..cut])?;
    writer.flush()?;
    std::thread::sleep(pause);
    if reset {
        return writer.shutdown(Shutdown::Both);
    }
    writer.write_all(&bytes[cut..])?;
    writer.flush()
}

/// Half-closes, then drains what the client still sends for a moment, so that closing with
/// unread input does not make the kernel reset the connection before the client read the response.
fn linger(writer: &TcpStream, reader: BufReader<DeadlineReader>) {
    let _ = writer.shutdown(Shutdown::Write);
    let mut inner = reader.into_inner();
    inner.set_timeout(LINGER);
    let started = Instant::now();
    let mut sink = [0u8; 8192];
    let mut drained = 0;
    while drained < LINGER_BYTES && started.elapsed() < LINGER {
        match inner.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

fn log(shared: &Shared, method: &str, target: &str, status: u16) {
    if shared.log_requests {
        if status == 0 {
            eprintln!("{method} {target} -> connection dropped (reset fault)");
        } else {
            eprintln!("{method} {target} -> {status}");
        }
    }
}
