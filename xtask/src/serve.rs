//! A small static file server on 127.0.0.1 for the demo (www/ at `/`, the built package at
//! `/pkg/`), also started by the tests. GET and HEAD only; nothing outside those two folders.
//! `/api/` and `/oauth/` go to the demo's Worker once [`Server::proxy_to`] names it, so the page,
//! its API and the OAuth callback share one origin (and the Worker's session cookie); until then
//! they are a 503, and a 502 when the Worker does not accept the connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::cmd::root;

/// Paths served by the Worker rather than from disk.
const PROXIED_PREFIXES: [&str; 2] = ["/api/", "/oauth/"];

/// A running server: its address, and where it forwards Worker paths.
pub struct Server {
    pub addr: SocketAddr,
    upstream: Arc<OnceLock<SocketAddr>>,
}

impl Server {
    /// Forwards `/api/` and `/oauth/` to the Worker at `upstream` from now on.
    pub fn proxy_to(&self, upstream: SocketAddr) {
        let _ = self.upstream.set(upstream);
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

/// Starts serving in a background thread (port 0 picks one).
pub fn start(port: u16) -> Result<Server, String> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let upstream: Arc<OnceLock<SocketAddr>> = Arc::default();
    let shared = upstream.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let upstream = shared.get().copied();
            std::thread::spawn(move || {
                // A broken connection only affects its own request.
                let _ = handle(stream, upstream);
            });
        }
    });
    Ok(Server { addr, upstream })
}

fn handle(mut stream: TcpStream, upstream: Option<SocketAddr>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        headers.push(header);
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    if PROXIED_PREFIXES.iter().any(|p| target.starts_with(p)) {
        let Some(upstream) = upstream else {
            return respond(
                &mut stream,
                "503 Service Unavailable",
                "text/plain",
                b"the demo's Worker is still starting; try again in a moment",
                method,
            );
        };
        let Ok(worker) = TcpStream::connect(upstream) else {
            return respond(
                &mut stream,
                "502 Bad Gateway",
                "text/plain",
                format!("the demo's Worker does not answer on {upstream}").as_bytes(),
                method,
            );
        };
        return forward(&mut stream, &mut reader, &request_line, &headers, worker);
    }
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"method not allowed",
            method,
        );
    }
    let path = target.split(['?', '#']).next().unwrap_or("/");
    match resolve(path).and_then(|file| std::fs::read(&file).ok().map(|body| (file, body))) {
        Some((file, body)) => respond(&mut stream, "200 OK", mime(&file), &body, method),
        None => respond(
            &mut stream,
            "404 Not Found",
            "text/plain",
            b"not found",
            method,
        ),
    }
}

/// Relays one request to the Worker and its whole response back (one request per connection).
fn forward(
    client: &mut TcpStream,
    body: &mut impl Read,
    request_line: &str,
    headers: &[String],
    mut worker: TcpStream,
) -> std::io::Result<()> {
    worker.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = request_line.to_owned();
    let mut length = 0;
    for header in headers {
        let name = header
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if name == "content-length" {
            length = header
                .split_once(':')
                .and_then(|(_, v)| v.trim().parse().ok())
                .unwrap_or(0);
        }
        if name != "connection" && name != "keep-alive" {
            head.push_str(header);
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    worker.write_all(head.as_bytes())?;
    std::io::copy(&mut body.take(length), &mut worker)?;
    std::io::copy(&mut worker, client)?;
    client.flush()
}

/// Maps a URL path to a file under www/ or pkg/, refusing anything that could leave them.
fn resolve(path: &str) -> Option<PathBuf> {
    let (base, rest) = match path.strip_prefix("/pkg/") {
        Some(rest) => (root().join("pkg"), rest),
        None => (root().join("www"), path.trim_start_matches('/')),
    };
    let rest = if rest.is_empty() || rest.ends_with('/') {
        format!("{rest}index.html")
    } else {
        rest.to_string()
    };
    let relative = Path::new(&rest);
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
        || rest.contains('%')
        || rest.contains('\\')
    {
        return None;
    }
    let file = base.join(relative);
    file.is_file().then_some(file)
}

fn mime(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    method: &str,
) -> std::io::Result<()> {
    // The demo holds itself to a strict policy: no inline script or style, wasm allowed.
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\
         Content-Security-Policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        stream.write_all(body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_of(addr: SocketAddr, path: &str) -> String {
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response.lines().next().unwrap_or("").to_owned()
    }

    #[test]
    fn worker_paths_are_503_until_proxied_then_502_when_the_worker_is_down() {
        let server = start(0).unwrap();
        assert_eq!(
            status_of(server.addr, "/api/session"),
            "HTTP/1.1 503 Service Unavailable"
        );
        // A port nobody listens on.
        let down = TcpListener::bind(("127.0.0.1", 0))
            .unwrap()
            .local_addr()
            .unwrap();
        server.proxy_to(down);
        assert_eq!(
            status_of(server.addr, "/oauth/callback"),
            "HTTP/1.1 502 Bad Gateway"
        );
        assert_eq!(
            status_of(server.addr, "/no-such-file"),
            "HTTP/1.1 404 Not Found"
        );
    }
}
