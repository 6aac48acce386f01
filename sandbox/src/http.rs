//! A small, strict HTTP/1.1 reader and writer on std.
//!
//! Requests: origin-form targets, `Content-Length` or `chunked` bodies, bounded sizes, a deadline
//! for the whole request. Anything malformed becomes a [`ReadError::Bad`] with the status to answer.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Size limits of a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The request line, in bytes (longer: 414).
    pub max_request_line: usize,
    /// Request line plus headers, in bytes (longer: 431).
    pub max_head: usize,
    /// Number of header fields (more: 431).
    pub max_headers: usize,
    /// Decoded body, in bytes (larger: 413).
    pub max_body: usize,
    /// How long a kept-alive connection may sit idle before the next request starts.
    pub idle_timeout: Duration,
    /// How long a request may take to arrive once its first byte did (slower: 408).
    pub request_timeout: Duration,
}

pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// A parsed request. Header names are lowercase.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: String,
    /// The raw request target, e.g. `/v1/connections?type=ga4`.
    pub target: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of a header, by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path part of the target (before `?`), still percent-encoded.
    pub fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(self.target.as_str(), |(p, _)| p)
    }

    /// Whether the request is for the `/_sandbox` controls (see [`is_control_target`]).
    pub fn is_control(&self) -> bool {
        is_control_target(&self.target)
    }

    /// The query part of the target (after `?`), still encoded.
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// The last value of a query parameter, form-decoded (like FastAPI, the last one wins).
    pub fn query_param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query().as_bytes())
            .filter(|(k, _)| k == name)
            .last()
            .map(|(_, v)| v.into_owned())
    }

    /// Whether the connection may serve another request after this one.
    pub fn keep_alive(&self) -> bool {
        let tokens = self.headers.iter().filter(|(n, _)| n == "connection");
        let mut close = false;
        let mut keep = false;
        for (_, value) in tokens {
            for token in value.split(',') {
                let token = token.trim();
                close |= token.eq_ignore_ascii_case("close");
                keep |= token.eq_ignore_ascii_case("keep-alive");
            }
        }
        if self.minor_version == 0 {
            keep && !close
        } else {
            !close
        }
    }
}

/// Why no request could be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer closed, or stayed idle past the idle timeout, before a request started; or the
    /// connection failed. Nobody to answer: close quietly.
    Closed,
    /// A request started but did not arrive in time: answer 408.
    Timeout,
    /// A malformed or oversized request: answer this status and close.
    Bad(u16, String),
}

/// A [`ReadError`], and whether the request it cut short was addressed to the `/_sandbox`
/// controls (known once its request line was read), whose answers carry no CORS headers.
#[derive(Debug)]
pub(crate) struct ReadFailure {
    pub error: ReadError,
    pub control: bool,
}

impl From<ReadError> for ReadFailure {
    fn from(error: ReadError) -> Self {
        ReadFailure {
            error,
            control: false,
        }
    }
}

fn bad(status: u16, message: impl Into<String>) -> ReadError {
    ReadError::Bad(status, message.into())
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn from_io(e: io::Error) -> ReadError {
    if is_timeout(&e) {
        ReadError::Timeout
    } else {
        ReadError::Closed
    }
}

/// A socket reader that fails with `TimedOut` once a deadline has passed, however the bytes
/// trickle in (a per-read timeout alone would let a slow client hold a thread forever).
pub(crate) struct DeadlineReader {
    stream: TcpStream,
    deadline: Instant,
}

impl DeadlineReader {
    pub fn new(stream: TcpStream) -> Self {
        DeadlineReader {
            stream,
            deadline: Instant::now(),
        }
    }

    pub fn set_timeout(&mut self, timeout: Duration) {
        self.deadline = Instant::now() + timeout;
    }
}

impl Read for DeadlineReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(remaining))?;
        self.stream.read(buf)
    }
}

pub(crate) type Reader = BufReader<DeadlineReader>;

/// Reads one line of at most `*budget` bytes (LF or CRLF ended; the ending is removed).
fn read_line(
    reader: &mut Reader,
    budget: &mut usize,
    too_long: (u16, &str),
) -> Result<Vec<u8>, ReadError> {
    let mut line = Vec::new();
    let n = reader
        .by_ref()
        .take(*budget as u64)
        .read_until(b'\n', &mut line)
        .map_err(from_io)?;
    if line.last() != Some(&b'\n') {
        return Err(if n == *budget {
            bad(too_long.0, too_long.1)
        } else {
            // The peer closed in the middle of the request.
            ReadError::Closed
        });
    }
    *budget -= n;
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(line)
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Reads the next request from a connection.
///
/// `writer` is the same connection, for the interim `100 Continue` a client asking for one waits
/// for before sending its body.
pub(crate) fn read_request(
    reader: &mut Reader,
    writer: &mut TcpStream,
    limits: &Limits,
) -> Result<Request, ReadFailure> {
    // Wait (up to the idle timeout) for the first byte of a request.
    reader.get_mut().set_timeout(limits.idle_timeout);
    match reader.fill_buf() {
        Ok([]) | Err(_) => return Err(ReadError::Closed.into()),
        Ok(_) => {}
    }
    reader.get_mut().set_timeout(limits.request_timeout);

    let mut head_budget = limits.max_head;
    let mut line_budget = limits.max_request_line.min(head_budget);
    let request_line = loop {
        // A server should ignore empty lines before the request line (RFC 9112, 2.2).
        let before = line_budget;
        let line = read_line(
            reader,
            &mut line_budget,
            (414, "the request line is too long"),
        )?;
        head_budget -= before - line_budget;
        if !line.is_empty() {
            break line;
        }
    };
    let (method, target, minor_version) = parse_request_line(&request_line)?;
    let control = is_control_target(&target);
    let request = Request {
        method,
        target,
        minor_version,
        headers: Vec::new(),
        body: Vec::new(),
    };
    read_headers_and_body(reader, writer, limits, head_budget, request)
        .map_err(|error| ReadFailure { error, control })
}

/// The rest of a request once its request line is read.
fn read_headers_and_body(
    reader: &mut Reader,
    writer: &mut TcpStream,
    limits: &Limits,
    mut head_budget: usize,
    mut request: Request,
) -> Result<Request, ReadError> {
    let mut headers = Vec::new();
    loop {
        let line = read_line(
            reader,
            &mut head_budget,
            (431, "the request headers are too large"),
        )?;
        if line.is_empty() {
            break;
        }
        if headers.len() == limits.max_headers {
            return Err(bad(431, "too many request headers"));
        }
        headers.push(parse_header(&line)?);
    }
    request.headers = headers;
    if request.minor_version == 1 && request.header("host").is_none() {
        return Err(bad(400, "an HTTP/1.1 request needs a Host header"));
    }
    request.body = read_body(reader, writer, &request, limits)?;
    Ok(request)
}

fn parse_request_line(line: &[u8]) -> Result<(String, String, u8), ReadError> {
    let malformed = || bad(400, "malformed request line");
    let text = std::str::from_utf8(line).map_err(|_| malformed())?;
    let mut parts = text.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err(malformed());
    }
    if target.is_empty() || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(malformed());
    }
    if !(target.starts_with('/') || (target == "*" && method == "OPTIONS")) {
        return Err(bad(
            400,
            "the request target must be a path starting with /",
        ));
    }
    let minor_version = match version {
        "HTTP/1.1" => 1,
        "HTTP/1.0" => 0,
        v if v.len() == 8
            && v.starts_with("HTTP/")
            && v.as_bytes()[5].is_ascii_digit()
            && v.as_bytes()[6] == b'.'
            && v.as_bytes()[7].is_ascii_digit() =>
        {
            return Err(bad(505, "only HTTP/1.1 (and 1.0) are supported"))
        }
        _ => return Err(malformed()),
    };
    Ok((method.to_owned(), target.to_owned(), minor_version))
}

fn parse_header(line: &[u8]) -> Result<(String, String), ReadError> {
    if line[0] == b' ' || line[0] == b'\t' {
        return Err(bad(400, "obsolete header line folding is not accepted"));
    }
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or_else(|| bad(400, "malformed header line (no colon)"))?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    if name.is_empty() || !name.iter().copied().all(is_tchar) {
        return Err(bad(400, "malformed header name"));
    }
    let value = value.trim_ascii();
    if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7F) {
        return Err(bad(400, "control character in a header value"));
    }
    Ok((
        String::from_utf8_lossy(name).to_ascii_lowercase(),
        String::from_utf8_lossy(value).into_owned(),
    ))
}

fn read_body(
    reader: &mut Reader,
    writer: &mut TcpStream,
    request: &Request,
    limits: &Limits,
) -> Result<Vec<u8>, ReadError> {
    let transfer_encoding = request.header("transfer-encoding");
    let mut length: Option<u64> = None;
    for (_, value) in request
        .headers
        .iter()
        .filter(|(n, _)| n == "content-length")
    {
        for item in value.split(',') {
            let item = item.trim();
            if item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(400, "invalid Content-Length"));
            }
            let parsed = item.parse::<u64>().unwrap_or(u64::MAX);
            if length.is_some_and(|l| l != parsed) {
                return Err(bad(400, "conflicting Content-Length values"));
            }
            length = Some(parsed);
        }
    }
    let chunked = match transfer_encoding {
        None => false,
        Some(_) if length.is_some() => {
            return Err(bad(
                400,
                "a request must not carry both Transfer-Encoding and Content-Length",
            ))
        }
        Some(te) if te.trim().eq_ignore_ascii_case("chunked") && request.minor_version == 1 => true,
        Some(_) => return Err(bad(501, "only the chunked transfer coding is supported")),
    };
    let max = limits.max_body as u64;
    if length.is_some_and(|l| l > max) {
        return Err(bad(
            413,
            format!("the request body is larger than {max} bytes"),
        ));
    }
    let expects_body = chunked || length.is_some_and(|l| l > 0);
    if let Some(expect) = request.header("expect") {
        if !expect.eq_ignore_ascii_case("100-continue") {
            return Err(bad(417, "only Expect: 100-continue is supported"));
        }
        if expects_body && request.minor_version == 1 {
            writer
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .map_err(|_| ReadError::Closed)?;
        }
    }
    if chunked {
        return read_chunked(reader, limits);
    }
    let length = length.unwrap_or(0);
    let mut body = Vec::with_capacity(length as usize);
    reader
        .by_ref()
        .take(length)
        .read_to_end(&mut body)
        .map_err(from_io)?;
    if (body.len() as u64) < length {
        return Err(ReadError::Closed);
    }
    Ok(body)
}

fn read_chunked(reader: &mut Reader, limits: &Limits) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    // Chunk-size lines and trailers share one budget, like the head.
    let mut budget = limits.max_head;
    loop {
        let line = read_line(reader, &mut budget, (431, "chunk metadata is too large"))?;
        let size_text = line
            .split(|&b| b == b';')
            .next()
            .unwrap_or(&[])
            .trim_ascii();
        let size = std::str::from_utf8(size_text)
            .ok()
            .filter(|s| !s.is_empty() && s.len() <= 16)
            .and_then(|s| u64::from_str_radix(s, 16).ok())
            .ok_or_else(|| bad(400, "invalid chunk size"))?;
        if size == 0 {
            // Trailer fields, ignored, until the empty line.
            while !read_line(reader, &mut budget, (431, "chunk metadata is too large"))?.is_empty()
            {
            }
            return Ok(body);
        }
        if body.len() as u64 + size > limits.max_body as u64 {
            return Err(bad(
                413,
                format!("the request body is larger than {} bytes", limits.max_body),
            ));
        }
        let before = body.len();
        reader
            .by_ref()
            .take(size)
            .read_to_end(&mut body)
            .map_err(from_io)?;
        if ((body.len() - before) as u64) < size {
            return Err(ReadError::Closed);
        }
        let mut crlf_budget = 2;
        if !read_line(
            reader,
            &mut crlf_budget,
            (400, "a chunk is longer than its size"),
        )?
        .is_empty()
        {
            return Err(bad(400, "a chunk is longer than its size"));
        }
    }
}

/// A response to write. `Content-Length`, `Connection` and the CORS headers are added by
/// [`write_response`].
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// Close the connection after this response.
    pub close: bool,
    /// Add the CORS headers (every response but the `/_sandbox` controls').
    pub cors: bool,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status,
            headers: vec![("content-type", content_type.to_owned())],
            body: body.into(),
            close: false,
            cors: true,
        }
    }

    /// A JSON response from any serialisable value.
    pub fn json(status: u16, value: &impl serde::Serialize) -> Self {
        // Serialising the sandbox's own values cannot fail (no maps with non-string keys).
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
        Response::new(status, "application/json", body)
    }

    /// `{"detail": message}`, the error body FastAPI (and Markifact's 401) uses.
    pub fn detail(status: u16, message: &str) -> Self {
        Response::json(status, &serde_json::json!({ "detail": message }))
    }

    pub fn html(status: u16, body: String) -> Self {
        let mut response = Response::new(status, "text/html; charset=utf-8", body);
        response.headers.push((
            "content-security-policy",
            // `img-src data:` for the page's empty icon: without one, browsers ask for
            // /favicon.ico, which `default-src 'none'` reports as a violation.
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; frame-ancestors 'none'"
                .into(),
        ));
        response
            .headers
            .push(("referrer-policy", "no-referrer".into()));
        response
    }

    pub fn empty(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            close: false,
            cors: true,
        }
    }

    /// Leaves the CORS headers out, so a page on another origin can neither read this response
    /// nor pass a preflight with it.
    pub fn without_cors(mut self) -> Self {
        self.cors = false;
        self
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

pub(crate) fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    }
}

/// Headers every response but the `/_sandbox` controls' carries so a page on another origin can
/// read it. The real API's CORS policy is unknown; this is the sandbox's (see the crate docs).
const CORS_HEADERS: &str =
    "access-control-allow-origin: *\r\naccess-control-expose-headers: retry-after\r\n";

/// Writes a whole response at once. `keep_alive_s` is `None` when the connection closes after it.
/// With `head_only` (the answer to a `HEAD` request) the body is left out but its length is kept.
pub(crate) fn write_response(
    out: &mut impl Write,
    response: &Response,
    keep_alive_s: Option<u64>,
    head_only: bool,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason_phrase(response.status)
    );
    for (name, value) in &response.headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    if response.cors {
        head.push_str(CORS_HEADERS);
    }
    if response.status != 204 && response.status != 304 {
        head.push_str(&format!("content-length: {}\r\n", response.body.len()));
    }
    match keep_alive_s {
        Some(seconds) => head.push_str(&format!("keep-alive: timeout={seconds}\r\n")),
        None => head.push_str("connection: close\r\n"),
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    if !head_only {
        bytes.extend_from_slice(&response.body);
    }
    out.write_all(&bytes)?;
    out.flush()
}

/// Whether a request target names the `/_sandbox` controls: its first path segment is
/// `_sandbox` once percent-decoded (`/%5Fsandbox/reset` too), whatever follows.
pub(crate) fn is_control_target(target: &str) -> bool {
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    path.split('/')
        .nth(1)
        .and_then(decode_path_segment)
        .is_some_and(|first| first == "_sandbox")
}

/// Percent-decodes one path segment (no `+` rule: that is for query strings only).
/// `None` when the result is not UTF-8. Invalid escapes are kept as they are.
pub(crate) fn decode_path_segment(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_decode() {
        assert_eq!(decode_path_segment("a%20b+c").as_deref(), Some("a b+c"));
        assert_eq!(decode_path_segment("%E2%9C%93").as_deref(), Some("✓"));
        assert_eq!(decode_path_segment("100%").as_deref(), Some("100%"));
        assert_eq!(decode_path_segment("%4").as_deref(), Some("%4"));
        assert_eq!(decode_path_segment("%zz%41").as_deref(), Some("%zzA"));
        assert_eq!(decode_path_segment("%FF"), None);
    }

    #[test]
    fn control_targets() {
        for target in [
            "/_sandbox",
            "/_sandbox/",
            "/_sandbox/reset",
            "/_sandbox/reset?x=1",
            "/%5Fsandbox/faults",
            "/%5fsandbox/%FF",
        ] {
            assert!(is_control_target(target), "{target}");
        }
        for target in [
            "/",
            "*",
            "/v1/_sandbox",
            "/_sandboxes",
            "/_Sandbox",
            "/?/_sandbox",
        ] {
            assert!(!is_control_target(target), "{target}");
        }
    }

    #[test]
    fn request_lines() {
        assert_eq!(
            parse_request_line(b"GET /x?y=1 HTTP/1.1").unwrap(),
            ("GET".into(), "/x?y=1".into(), 1)
        );
        assert!(parse_request_line(b"OPTIONS * HTTP/1.1").is_ok());
        for bad_line in [
            &b"GET /x"[..],
            b"GET  /x HTTP/1.1",
            b"GET /x HTTP/1.1 extra",
            b"G(T /x HTTP/1.1",
            b"GET x HTTP/1.1",
            b"GET * HTTP/1.1",
            b"GET /x HTTX/1.1",
            b"GET /\xff HTTP/1.1",
        ] {
            assert!(
                matches!(parse_request_line(bad_line), Err(ReadError::Bad(400, _))),
                "{:?}",
                String::from_utf8_lossy(bad_line)
            );
        }
        assert!(matches!(
            parse_request_line(b"GET / HTTP/2.0"),
            Err(ReadError::Bad(505, _))
        ));
    }

    #[test]
    fn header_lines() {
        assert_eq!(
            parse_header(b"Content-Type:  application/json ").unwrap(),
            ("content-type".into(), "application/json".into())
        );
        for bad_line in [
            &b" folded"[..],
            b"No colon",
            b"Bad name: x",
            b": x",
            b"x: a\rb",
        ] {
            assert!(parse_header(bad_line).is_err(), "{bad_line:?}");
        }
    }
}
