//! Shared by the sandbox tests: the sandbox run in-process, and a tiny blocking HTTP/1.1
//! executor for the core's requests: all the I/O a real binding has to add.
#![allow(dead_code)]

use markifact_connect::client::{
    request, response, HttpRequest, HttpResponse, RawResponse, Request, Runtime,
};
use markifact_connect::models::{CreateAuthLinkRequest, CreateAuthLinkResponse};
use markifact_connect::{Error, RedirectUrlOptions};
use markifact_sandbox::{Config, Sandbox, DEFAULT_API_KEY};
use std::future::Future;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const REDIRECT_URL: &str = "https://app.example.com/cb?session_id=abc";

/// A response as the executor read it.
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn view(&self) -> HttpResponse<'_> {
        HttpResponse::new(self.status, &self.body).with_retry_after(self.header("retry-after"))
    }
}

/// One request on a fresh connection (`Connection: close`), read to the end.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Option<&str>,
) -> Raw {
    try_send(addr, method, path, headers, body, Duration::from_secs(10))
        .expect("an HTTP exchange with the sandbox")
}

/// [`send`] that reports I/O failures (a read past `timeout` fails with `WouldBlock`/`TimedOut`).
pub fn try_send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Option<&str>,
    timeout: Duration,
) -> io::Result<Raw> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(timeout))?;
    let body = body.unwrap_or("");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let text = String::from_utf8(raw).map_err(|_| invalid("a response that is not UTF-8"))?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| invalid("no response head"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(body.len());
    if length > body.len() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "the connection closed after {} of {length} body bytes",
                body.len()
            ),
        ));
    }
    Ok(Raw {
        status,
        headers,
        body: body[..length].to_owned(),
    })
}

/// Drives a future to completion on this thread. The runtimes in these tests block inside
/// their futures, so every poll makes progress and no waker is ever needed.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

/// The core [`Runtime`] over blocking `TcpStream`s: what a minimal native integration writes.
pub struct StdRuntime;

impl Runtime for StdRuntime {
    async fn send(&self, request: &HttpRequest) -> markifact_connect::Result<RawResponse> {
        let url = url::Url::parse(&request.url).map_err(|e| Error::network(e.to_string()))?;
        let addr = url
            .socket_addrs(|| None)
            .ok()
            .and_then(|addrs| addrs.into_iter().next())
            .ok_or_else(|| Error::network(format!("cannot resolve {}", request.url)))?;
        let path = &request.url[url.origin().ascii_serialization().len()..];
        let headers: Vec<(&str, String)> = request
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.clone()))
            .collect();
        let timeout = Duration::from_millis(request.timeout_ms.max(1));
        match try_send(
            addr,
            request.method.as_str(),
            path,
            &headers,
            request.body.as_deref(),
            timeout,
        ) {
            Ok(raw) => Ok(RawResponse {
                status: raw.status,
                retry_after: raw.header("retry-after").map(str::to_owned),
                body: raw.body,
            }),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Err(Error::timeout(format!(
                    "no response within {} ms",
                    request.timeout_ms
                )))
            }
            Err(e) => Err(Error::network(e.to_string())),
        }
    }

    async fn sleep(&self, ms: u64) -> markifact_connect::Result<()> {
        std::thread::sleep(Duration::from_millis(ms));
        Ok(())
    }

    fn now_ms(&self) -> u64 {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX)
    }

    fn random(&self) -> f64 {
        0.5
    }
}

pub struct Env {
    pub sandbox: Sandbox,
}

impl Env {
    pub fn new() -> Env {
        let sandbox = Sandbox::start(Config {
            port: 0,
            ..Config::default()
        })
        .expect("start the sandbox");
        Env { sandbox }
    }

    /// Executes a core [`Request`] with the sandbox key.
    pub fn execute(&self, request: &Request) -> Raw {
        self.execute_with_key(request, Some(DEFAULT_API_KEY))
    }

    pub fn execute_with_key(&self, request: &Request, key: Option<&str>) -> Raw {
        send(
            self.sandbox.addr(),
            request.method.as_str(),
            &request.path_and_query,
            &request.headers(key),
            request.body.as_deref(),
        )
    }

    pub fn faults(&self, faults: &str) {
        let raw = send(
            self.sandbox.addr(),
            "POST",
            "/_sandbox/faults",
            &[("content-type", "application/json".to_owned())],
            Some(&format!(r#"{{"faults":{faults}}}"#)),
        );
        assert_eq!(raw.status, 200, "{}", raw.body);
    }

    /// Creates an auth link for [`REDIRECT_URL`].
    pub fn create_link(
        &self,
        connection_type: &str,
        external_id: Option<&str>,
    ) -> CreateAuthLinkResponse {
        let body = CreateAuthLinkRequest {
            connection_type: connection_type.into(),
            redirect_url: Some(REDIRECT_URL.into()),
            external_id: external_id.map(Into::into),
            is_private: None,
        };
        let req = request::create_auth_link(&body, RedirectUrlOptions::default()).unwrap();
        response::create_auth_link(&self.execute(&req).view()).unwrap()
    }

    /// Approves or denies a link on the sandbox's consent page; returns the redirect (`Location`).
    pub fn decide(&self, link: &CreateAuthLinkResponse, approve: bool) -> String {
        self.decide_url(&link.url, approve)
    }

    /// [`Env::decide`] for a consent page URL.
    pub fn decide_url(&self, consent_url: &str, approve: bool) -> String {
        let consent_path = consent_url
            .strip_prefix(self.sandbox.url())
            .expect("the consent URL is on the sandbox");
        let decision = if approve { "approve" } else { "deny" };
        let raw = send(
            self.sandbox.addr(),
            "GET",
            &format!("{consent_path}?decision={decision}"),
            &[],
            None,
        );
        assert_eq!(raw.status, 303, "{}", raw.body);
        raw.header("location")
            .expect("a Location header")
            .to_owned()
    }
}
