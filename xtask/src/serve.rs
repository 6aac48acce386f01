//! A small static file server on 127.0.0.1 for the demo (www/ at `/`, the built package at
//! `/pkg/`), also started by the tests. GET and HEAD only; nothing outside those two folders.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use crate::cmd::root;
use crate::{pkg, tools};

/// `cargo xtask demo`: build the package, then serve until interrupted.
pub fn demo(port: u16) -> Result<(), String> {
    tools::ensure_build_tools()?;
    pkg::build()?;
    let addr = start(port)?;
    println!("markifact-connect demo: http://{addr}/  (Ctrl-C to stop)");
    loop {
        std::thread::park();
    }
}

/// Starts serving in a background thread and returns the bound address (port 0 picks one).
pub fn start(port: u16) -> Result<SocketAddr, String> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                // A broken connection only affects its own request.
                let _ = handle(stream);
            });
        }
    });
    Ok(addr)
}

fn handle(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
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
    match resolve(path) {
        Some(file) => match std::fs::read(&file) {
            Ok(body) => respond(&mut stream, "200 OK", mime(&file), &body, method),
            Err(_) => respond(
                &mut stream,
                "404 Not Found",
                "text/plain",
                b"not found",
                method,
            ),
        },
        None => respond(
            &mut stream,
            "404 Not Found",
            "text/plain",
            b"not found",
            method,
        ),
    }
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
