//! Shared by the sandbox tests: the sandbox run in-process, and a tiny blocking HTTP/1.1
//! executor for the core's requests: all the I/O a real binding has to add.
#![allow(dead_code)]

use markifact_connect::client::{request, response, HttpResponse, Request};
use markifact_connect::models::{CreateAuthLinkRequest, CreateAuthLinkResponse};
use markifact_connect::RedirectUrlOptions;
use markifact_sandbox::{Config, Sandbox, DEFAULT_API_KEY};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

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
    let mut stream = TcpStream::connect(addr).expect("connect to the sandbox");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let body = body.unwrap_or("");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).expect("UTF-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(body.len(), |(_, v)| v.parse().unwrap());
    Raw {
        status,
        headers,
        body: body[..length].to_owned(),
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
        let consent_path = link
            .url
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
