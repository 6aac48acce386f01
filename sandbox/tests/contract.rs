//! The sandbox against the contract (/work/shared/markifact-api.md), over real loopback HTTP.
//!
//! Each test starts its own sandbox on a free port, so tests run in parallel without sharing state.
//! The client is a few lines of std `TcpStream`, on purpose: no HTTP library is needed to test
//! an HTTP/1.1 server, and raw bytes let the malformed-request tests say exactly what is sent.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use markifact_connect::models::{
    AuthLinkState, AuthLinkStatus, Connection, CreateAuthLinkResponse,
};
use markifact_connect::{
    parse_redirect, validate_redirect_url, ParseOptions, RedirectResult, RedirectUrlOptions, Rule,
};
use markifact_sandbox::{Config, Sandbox, LINK_LIFETIME_MS};
use serde_json::{json, Value};

const KEY: &str = "sk_sandbox";
const OTHER_KEY: &str = "sk_other_user";
const APP_URL: &str = "https://example.com/cb?status=started&session_id=abc";

// ---- a minimal HTTP/1.1 client ----------------------------------------------------------------

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }

    fn json(&self) -> Value {
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self:?}"
        );
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text()))
    }

    fn location(&self) -> &str {
        assert_eq!(self.status, 303, "{}", self.text());
        self.header("location").expect("a Location header")
    }
}

/// Parses one response (the whole connection's output, read to EOF).
fn parse_reply(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of head in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..split]).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    assert!(status_line.starts_with("HTTP/1.1 "), "{status_line}");
    let status = status_line[9..12].parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').expect("header colon");
            (n.to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    let body = raw[split + 4..].to_vec();
    let reply = Reply {
        status,
        headers,
        body,
    };
    if let Some(length) = reply.header("content-length") {
        assert_eq!(
            length.parse::<usize>().unwrap(),
            reply.body.len(),
            "Content-Length"
        );
    }
    reply
}

fn connect(sandbox: &Sandbox) -> TcpStream {
    let stream = TcpStream::connect(sandbox.addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// Sends raw bytes on a new connection and returns everything the server sends until it closes.
fn exchange(sandbox: &Sandbox, raw: &[u8]) -> Vec<u8> {
    let mut stream = connect(sandbox);
    stream.write_all(raw).unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    out
}

fn request(
    sandbox: &Sandbox,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Reply {
    let mut raw = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        sandbox.addr()
    );
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        raw.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    raw.push_str("\r\n");
    let mut raw = raw.into_bytes();
    raw.extend_from_slice(body.unwrap_or_default());
    parse_reply(&exchange(sandbox, &raw))
}

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

fn get(sandbox: &Sandbox, target: &str, key: &str) -> Reply {
    request(
        sandbox,
        "GET",
        target,
        &[("Authorization", &bearer(key))],
        None,
    )
}

fn delete(sandbox: &Sandbox, target: &str, key: &str) -> Reply {
    request(
        sandbox,
        "DELETE",
        target,
        &[("Authorization", &bearer(key))],
        None,
    )
}

fn post_json(sandbox: &Sandbox, target: &str, key: Option<&str>, body: &Value) -> Reply {
    let auth = key.map(bearer);
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(auth) = &auth {
        headers.push(("Authorization", auth));
    }
    request(
        sandbox,
        "POST",
        target,
        &headers,
        Some(body.to_string().as_bytes()),
    )
}

/// Any response the server sends to a GET, without asserting on it (for the fault tests).
fn raw_get(sandbox: &Sandbox, target: &str) -> Vec<u8> {
    exchange(
        sandbox,
        format!(
            "GET {target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )
}

// ---- fixtures ---------------------------------------------------------------------------------

fn start() -> Sandbox {
    start_with(|_| {})
}

fn start_with(adjust: impl FnOnce(&mut Config)) -> Sandbox {
    let mut config = Config {
        port: 0,
        api_keys: vec![KEY.into(), OTHER_KEY.into()],
        ..Config::default()
    };
    adjust(&mut config);
    Sandbox::start(config).expect("start the sandbox")
}

fn create_link(sandbox: &Sandbox, key: &str, body: Value) -> CreateAuthLinkResponse {
    let reply = post_json(sandbox, "/v1/connections/auth-link", Some(key), &body);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let value = reply.json();
    let object = value.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["expires_at", "id", "url"]);
    serde_json::from_value(value).expect("the client's CreateAuthLinkResponse")
}

fn status_of(sandbox: &Sandbox, link_id: &str, key: &str) -> (Value, AuthLinkStatus) {
    let reply = get(
        sandbox,
        &format!("/v1/connections/auth-links/{link_id}/status"),
        key,
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let value = reply.json();
    let parsed = serde_json::from_value(value.clone()).expect("the client's AuthLinkStatus");
    (value, parsed)
}

fn connections(reply: &Reply) -> Vec<Connection> {
    assert_eq!(reply.status, 200, "{}", reply.text());
    let value = reply.json();
    assert!(value.is_array(), "{value}");
    serde_json::from_value(value).expect("the client's Connection list")
}

/// Approves a link with the test shortcut and returns the reply (a 303 when it has a redirect URL).
fn decide(sandbox: &Sandbox, link_id: &str, decision: &str) -> Reply {
    request(
        sandbox,
        "GET",
        &format!("/connect/{link_id}?decision={decision}"),
        &[],
        None,
    )
}

/// Creates a link with `body` and approves it; returns the new connection id.
fn connect_account(sandbox: &Sandbox, key: &str, body: Value) -> String {
    let link = create_link(sandbox, key, body);
    let reply = decide(sandbox, &link.id, "approve");
    assert!(matches!(reply.status, 200 | 303), "{}", reply.text());
    status_of(sandbox, &link.id, key)
        .1
        .connection_id
        .expect("a connection id")
}

fn query_pairs(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

// ---- the six endpoints ------------------------------------------------------------------------

#[test]
fn types_lists_objects_with_a_type() {
    let sandbox = start();
    let reply = get(&sandbox, "/v1/connections/types", KEY);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    let value = reply.json();
    let types: Vec<&str> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().expect("a type id"))
        .collect();
    assert_eq!(types, ["gads", "ga4", "meta_ads"]);
    assert_eq!(value[0], json!({"type": "gads", "name": "Google Ads"}));

    // Link creation accepts exactly the listed ids, the documents' ga4, gads and meta_ads, as
    // written: no old spelling, no other case, no padding.
    for listed in types {
        create_link(&sandbox, KEY, json!({"connection_type": listed}));
    }
    for refused in [
        "google_ads",
        "google_analytics",
        "facebook_ads",
        "meta",
        "GA4",
        "Gads",
        "ga4 ",
        " meta_ads",
        "",
    ] {
        let reply = post_json(
            &sandbox,
            "/v1/connections/auth-link",
            Some(KEY),
            &json!({"connection_type": refused}),
        );
        assert_eq!(reply.status, 422, "{refused:?}");
        let detail = &reply.json()["detail"][0];
        assert_eq!(detail["type"], "enum", "{refused:?}");
        assert_eq!(detail["loc"], json!(["body", "connection_type"]));
    }
}

#[test]
fn missing_or_wrong_key_is_401_with_the_documented_body() {
    let sandbox = start();
    let expected = json!({"detail": "Invalid or revoked API key"});
    for headers in [
        &[][..],
        &[("Authorization", "Bearer sk_wrong")],
        &[("Authorization", "Basic c2tfc2FuZGJveDo=")],
        &[("Authorization", "sk_sandbox")],
        &[("Authorization", "Bearer ")],
        &[("Authorization", "Bearer sk_sandbox2")],
    ] {
        for (method, target) in [
            ("GET", "/v1/connections/types"),
            ("GET", "/v1/connections"),
            ("GET", "/v1/connections/x"),
            ("DELETE", "/v1/connections/x"),
            ("GET", "/v1/connections/auth-links/x/status"),
        ] {
            let reply = request(&sandbox, method, target, headers, None);
            assert_eq!(reply.status, 401, "{method} {target} {headers:?}");
            assert_eq!(reply.json(), expected);
        }
        let reply = request(
            &sandbox,
            "POST",
            "/v1/connections/auth-link",
            headers,
            Some(br#"{"connection_type":"ga4"}"#),
        );
        assert_eq!(reply.status, 401);
        assert_eq!(reply.json(), expected);
    }
    // The scheme is case-insensitive, and every configured key works.
    for auth in ["bearer sk_sandbox", "BEARER sk_other_user"] {
        let reply = request(
            &sandbox,
            "GET",
            "/v1/connections",
            &[("Authorization", auth)],
            None,
        );
        assert_eq!(reply.status, 200, "{auth}");
    }
    // The sandbox controls need no key.
    let reply = request(&sandbox, "GET", "/_sandbox/clock", &[], None);
    assert_eq!(reply.status, 200);
}

#[test]
fn create_link_answers_id_url_expires_at_and_starts_pending() {
    let sandbox = start();
    let before = sandbox.now_ms();
    let link = create_link(
        &sandbox,
        KEY,
        json!({"connection_type": "gads", "redirect_url": APP_URL, "external_id": "u_42"}),
    );
    let after = sandbox.now_ms();
    assert_eq!(link.url, format!("{}/connect/{}", sandbox.url(), link.id));
    assert!(
        (before + LINK_LIFETIME_MS..=after + LINK_LIFETIME_MS).contains(&link.expires_at),
        "expires_at is 24 h after creation"
    );

    let (value, status) = status_of(&sandbox, &link.id, KEY);
    let keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [
            "connection_id",
            "connection_type",
            "connections",
            "consumed_at",
            "created_at",
            "expires_at",
            "external_id",
            "id",
            "status",
            "updated_at"
        ]
    );
    assert_eq!(value["connection_id"], Value::Null);
    assert_eq!(value["consumed_at"], Value::Null);
    assert_eq!(value["connections"], json!([]));
    assert!(value["created_at"].is_i64() && value["expires_at"].is_i64());
    assert_eq!(status.id, link.id);
    assert_eq!(status.status, AuthLinkState::Pending);
    assert_eq!(status.connection_type, "gads");
    assert_eq!(status.expires_at, link.expires_at);
    assert_eq!(status.expires_at - status.created_at, LINK_LIFETIME_MS);
    assert_eq!(status.updated_at, status.created_at);
    assert_eq!(status.external_id.as_deref(), Some("u_42"));

    // Minimal body: only connection_type; external_id null in the status.
    let bare = create_link(&sandbox, KEY, json!({"connection_type": "ga4"}));
    let (value, _) = status_of(&sandbox, &bare.id, KEY);
    assert_eq!(value["external_id"], Value::Null);
    assert_ne!(bare.id, link.id);
}

#[test]
fn create_link_rejects_invalid_input_with_fastapi_422() {
    let sandbox = start();
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({}), "connection_type", "missing"),
        (
            json!({"connection_type": "tiktok"}),
            "connection_type",
            "enum",
        ),
        (
            json!({"connection_type": 3}),
            "connection_type",
            "string_type",
        ),
        (
            json!({"connection_type": "ga4", "redirect_url": "http://example.com/cb"}),
            "redirect_url",
            "value_error",
        ),
        (
            json!({"connection_type": "ga4", "redirect_url": "http://localhost:3000/cb"}),
            "redirect_url",
            "value_error",
        ),
        (
            json!({"connection_type": "ga4", "redirect_url": "https://example.com/cb#x"}),
            "redirect_url",
            "value_error",
        ),
        (
            json!({"connection_type": "ga4", "redirect_url": "https://me@example.com/"}),
            "redirect_url",
            "value_error",
        ),
        (
            json!({"connection_type": "ga4", "redirect_url": "/relative"}),
            "redirect_url",
            "value_error",
        ),
        (
            json!({"connection_type": "ga4", "redirect_url": format!("https://example.com/{}", "a".repeat(2048))}),
            "redirect_url",
            "value_error",
        ),
        (
            json!({"connection_type": "ga4", "external_id": ""}),
            "external_id",
            "string_too_short",
        ),
        (
            json!({"connection_type": "ga4", "external_id": "x".repeat(256)}),
            "external_id",
            "string_too_long",
        ),
        (
            json!({"connection_type": "ga4", "external_id": 42}),
            "external_id",
            "string_type",
        ),
        (
            json!({"connection_type": "ga4", "is_private": "yes"}),
            "is_private",
            "bool_type",
        ),
    ];
    for (body, field, kind) in cases {
        let reply = post_json(&sandbox, "/v1/connections/auth-link", Some(KEY), &body);
        assert_eq!(reply.status, 422, "{body}");
        let detail = &reply.json()["detail"];
        assert_eq!(detail.as_array().unwrap().len(), 1, "{detail}");
        assert_eq!(detail[0]["loc"], json!(["body", field]), "{body}");
        assert_eq!(detail[0]["type"], kind, "{body}");
        assert!(!detail[0]["msg"].as_str().unwrap().is_empty(), "{detail}");
    }
    // All errors at once, like pydantic.
    let reply = post_json(
        &sandbox,
        "/v1/connections/auth-link",
        Some(KEY),
        &json!({"connection_type": "x", "redirect_url": "http://a", "external_id": "", "is_private": 1}),
    );
    assert_eq!(reply.status, 422);
    assert_eq!(reply.json()["detail"].as_array().unwrap().len(), 4);

    // Not JSON, not an object, empty.
    for body in [&b"{not json"[..], b"[1,2]", b""] {
        let reply = request(
            &sandbox,
            "POST",
            "/v1/connections/auth-link",
            &[("Authorization", "Bearer sk_sandbox")],
            Some(body),
        );
        assert_eq!(reply.status, 422, "{body:?}");
        assert_eq!(reply.json()["detail"][0]["loc"], json!(["body"]));
    }

    // Boundaries that pass: 255 characters (Unicode scalar values, not bytes), nulls, booleans.
    for body in [
        json!({"connection_type": "ga4", "external_id": "é".repeat(255)}),
        json!({"connection_type": "meta_ads", "redirect_url": null, "external_id": null, "is_private": null}),
        json!({"connection_type": "gads", "is_private": true, "unknown_field": 1}),
    ] {
        create_link(&sandbox, KEY, body);
    }
    // Nothing invalid was stored.
    assert_eq!(connections(&get(&sandbox, "/v1/connections", KEY)).len(), 0);
}

#[test]
fn allow_insecure_localhost_accepts_loopback_http_redirects_only() {
    let sandbox = start_with(|c| c.allow_insecure_localhost = true);
    for url in [
        "http://localhost:3000/cb",
        "http://127.0.0.1:5173/cb?x=1",
        "http://[::1]/cb",
    ] {
        let link = create_link(
            &sandbox,
            KEY,
            json!({"connection_type": "ga4", "redirect_url": url}),
        );
        let location = decide(&sandbox, &link.id, "approve").location().to_owned();
        assert!(location.starts_with("http://"), "{location}");
    }
    let reply = post_json(
        &sandbox,
        "/v1/connections/auth-link",
        Some(KEY),
        &json!({"connection_type": "ga4", "redirect_url": "http://example.com/cb"}),
    );
    assert_eq!(reply.status, 422);
}

/// Redirect URLs around the 2048-byte limit, raw and once normalised (WHATWG serialisation), each
/// with its raw length and the length it normalises to.
fn redirect_urls_near_the_limit() -> Vec<(String, usize, usize)> {
    let base = "https://example.com/"; // 20 bytes, already normalised
    let ascii = |n: usize| format!("{base}{}", "a".repeat(n - base.len()));
    let mut urls = vec![
        // `"` (1 byte) percent-encodes to `%22` (3 bytes) in a path: 2018 bytes sent as 6014.
        format!("{base}{}", "\"".repeat(1998)),
        // Exactly at the limit once normalised (20 + 3 x 676 = 2048), then one byte over.
        format!("{base}{}", "\"".repeat(676)),
        format!("{base}a{}", "\"".repeat(676)),
        // `é` (2 bytes) encodes to `%C3%A9` (6 bytes); in the query, `'` and `<` encode too.
        format!("{base}{}", "é".repeat(338)),
        format!("{base}a{}", "é".repeat(338)),
        format!("{base}cb?q={}x", "<".repeat(674)),
        format!("{base}cb?q={}xy", "'".repeat(674)),
        // Plain ASCII: the raw length is the normalised one.
        ascii(2048),
        ascii(2049),
        // Shrinks when normalised: over the limit raw (refused before parsing, by both), and under.
        format!("HTTPS://EXAMPLE.COM:443/{}", "a".repeat(2049 - 24)),
        format!("HTTPS://EXAMPLE.COM:443/x/../{}", "a".repeat(2048 - 29)),
    ];
    urls.push(urls[0].replace('"', "%22"));
    urls.into_iter()
        .map(|url| {
            let normalised = url::Url::parse(&url).unwrap().to_string().len();
            let raw = url.len();
            (url, raw, normalised)
        })
        .collect()
}

#[test]
fn redirect_url_limit_counts_the_normalised_url_like_the_client() {
    let sandbox = start();
    let urls = redirect_urls_near_the_limit();
    // The inputs do what they are meant to: the first is short raw and long once sent.
    assert_eq!((urls[0].1, urls[0].2), (2018, 6014));
    let mut accepted = 0;
    for (url, raw, normalised) in &urls {
        let context = format!("raw {raw} B, normalised {normalised} B: {url:.60}…");
        let client = validate_redirect_url(url, RedirectUrlOptions::default());
        let reply = post_json(
            &sandbox,
            "/v1/connections/auth-link",
            Some(KEY),
            &json!({"connection_type": "ga4", "redirect_url": url}),
        );
        // The rule: at most 2048 bytes raw AND once normalised.
        let within = *raw <= 2048 && *normalised <= 2048;
        assert_eq!(client.is_ok(), within, "the client, {context}");
        if within {
            accepted += 1;
            assert_eq!(reply.status, 200, "{context}: {}", reply.text());
            let link: CreateAuthLinkResponse = serde_json::from_value(reply.json()).unwrap();
            // The sandbox stored the same normalised URL the client would send.
            let location = decide(&sandbox, &link.id, "deny").location().to_owned();
            let sent = client.unwrap();
            assert_eq!(sent.len(), *normalised, "{context}");
            assert!(
                location.starts_with(&format!("{sent}?"))
                    || location.starts_with(&format!("{sent}&")),
                "{context}: {location:.80}"
            );
        } else {
            assert_eq!(client.unwrap_err().rule(), Some(Rule::TooLong), "{context}");
            assert_eq!(reply.status, 422, "the sandbox, {context}");
            let body = reply.json();
            let detail = body["detail"].as_array().unwrap();
            assert_eq!(detail.len(), 1, "{body}");
            assert_eq!(detail[0]["loc"], json!(["body", "redirect_url"]));
            assert_eq!(detail[0]["type"], "value_error");
            let msg = detail[0]["msg"].as_str().unwrap();
            assert!(msg.contains("2048 bytes"), "{msg}");
            if *raw <= 2048 {
                assert!(msg.contains("once normalised"), "{msg}");
                assert!(msg.contains(&normalised.to_string()), "{msg}");
            }
        }
    }
    assert_eq!(accepted, 5, "a mix of accepted and refused URLs");
}

#[test]
fn approve_redirects_with_the_collision_rule_and_connects_once() {
    let sandbox = start();
    let link = create_link(
        &sandbox,
        KEY,
        json!({"connection_type": "ga4", "redirect_url": APP_URL, "external_id": "u_42"}),
    );
    let reply = decide(&sandbox, &link.id, "approve");
    let location = reply.location().to_owned();
    let (_, status) = status_of(&sandbox, &link.id, KEY);
    let connection_id = status
        .connection_id
        .clone()
        .expect("connection_id once connected");
    assert_eq!(
        location,
        format!("{APP_URL}&markifact_status=success&connection_type=ga4&connection_id={connection_id}&external_id=u_42")
    );

    // The client's parser reads it back, exactly and by the prefix rule alone.
    for options in [
        ParseOptions {
            redirect_url: Some(APP_URL),
        },
        ParseOptions::default(),
    ] {
        let RedirectResult::Success(success) = parse_redirect(&location, options).unwrap() else {
            panic!("a success redirect");
        };
        assert_eq!(success.connection_type, "ga4");
        assert_eq!(success.connection_id, connection_id);
        assert_eq!(success.external_id.as_deref(), Some("u_42"));
        assert_eq!(
            success.app_params,
            pairs(&[("status", "started"), ("session_id", "abc")])
        );
    }

    // The status: connected, consumed, exactly that connection.
    assert_eq!(status.status, AuthLinkState::Connected);
    let consumed_at = status.consumed_at.expect("consumed_at");
    assert_eq!(status.updated_at, consumed_at);
    assert!(consumed_at >= status.created_at);
    assert_eq!(status.connections.len(), 1);
    let connection = &status.connections[0];
    assert_eq!(connection.id.as_deref(), Some(connection_id.as_str()));
    assert_eq!(connection.connection_type, "ga4");
    assert!(!connection.is_private);
    assert_eq!(connection.external_id.as_deref(), Some("u_42"));
    assert_eq!(
        connection.display_name.as_deref(),
        Some("Sandbox Google Analytics 4 account")
    );
    assert_eq!(connection.created_at, Some(consumed_at));

    // Single use: a second approval (or a denial) is refused and makes no second connection.
    for decision in ["approve", "deny"] {
        let again = decide(&sandbox, &link.id, decision);
        assert_eq!(again.status, 410);
        assert!(again
            .header("content-type")
            .unwrap()
            .starts_with("text/html"));
        assert!(again.text().contains("already used"), "{}", again.text());
    }
    let page = request(&sandbox, "GET", &format!("/connect/{}", link.id), &[], None);
    assert_eq!(page.status, 410);
    assert_eq!(connections(&get(&sandbox, "/v1/connections", KEY)).len(), 1);
    assert_eq!(status_of(&sandbox, &link.id, KEY).1, status);
}

#[test]
fn deny_redirects_with_an_error_and_leaves_the_link_pending() {
    let sandbox = start();
    let app_url = "https://example.com/cb?error=none&external_id=mine";
    let link = create_link(
        &sandbox,
        KEY,
        json!({"connection_type": "meta_ads", "redirect_url": app_url, "external_id": "team 7/ü&x=y"}),
    );
    let location = decide(&sandbox, &link.id, "deny").location().to_owned();
    assert_eq!(
        query_pairs(&location),
        pairs(&[
            ("error", "none"),
            ("external_id", "mine"),
            ("status", "error"),
            ("connection_type", "meta_ads"),
            ("markifact_external_id", "team 7/ü&x=y"),
            ("markifact_error", "The user denied access"),
        ])
    );
    // Values are percent-encoded as in the documents' example (`error=Authorization%20failed`):
    // a space is `%20`, not `+`.
    assert!(
        location.ends_with(
            "&markifact_external_id=team%207%2F%C3%BC%26x%3Dy&markifact_error=The%20user%20denied%20access"
        ),
        "{location}"
    );
    assert!(!location.contains('+'), "{location}");
    let RedirectResult::Error(error) = parse_redirect(
        &location,
        ParseOptions {
            redirect_url: Some(app_url),
        },
    )
    .unwrap() else {
        panic!("an error redirect");
    };
    assert_eq!(error.connection_type.as_deref(), Some("meta_ads"));
    assert_eq!(error.external_id.as_deref(), Some("team 7/ü&x=y"));
    assert_eq!(error.error, "The user denied access");
    assert_eq!(
        error.app_params,
        pairs(&[("error", "none"), ("external_id", "mine")])
    );

    // Still pending, nothing created; the user may retry the same link.
    let (value, status) = status_of(&sandbox, &link.id, KEY);
    assert_eq!(status.status, AuthLinkState::Pending);
    assert_eq!(value["connection_id"], Value::Null);
    assert_eq!(value["consumed_at"], Value::Null);
    assert_eq!(value["connections"], json!([]));
    assert!(connections(&get(&sandbox, "/v1/connections", KEY)).is_empty());
    let location = decide(&sandbox, &link.id, "approve").location().to_owned();
    assert!(matches!(
        parse_redirect(
            &location,
            ParseOptions {
                redirect_url: Some(app_url)
            }
        ),
        Ok(RedirectResult::Success(_))
    ));
}

#[test]
fn redirects_parse_back_with_the_client_for_many_app_urls() {
    let sandbox = start();
    let app_urls = [
        "https://example.com/cb",
        "https://example.com/cb?",
        "https://example.com/cb?a=1&",
        "https://example.com:8443/deep/path/?q=a%20b&r",
        "https://example.com/cb?status=started&session_id=abc",
        "https://example.com/cb?connection_type=x&connection_id=y&error=z&external_id=w",
        "https://example.com/cb?st%61tus=encoded-name",
        "https://example.com/cb?next=%2Fhome%3Fa%3D1&plus=a+b",
        "https://EXAMPLE.com/a/../cb?x=%E2%9C%93",
    ];
    let external_ids = [None, Some("u_1"), Some("a b+c&d=e%f/✓")];
    for app_url in app_urls {
        for external_id in external_ids {
            for decision in ["approve", "deny"] {
                let mut body = json!({"connection_type": "gads", "redirect_url": app_url});
                if let Some(external_id) = external_id {
                    body["external_id"] = json!(external_id);
                }
                let link = create_link(&sandbox, KEY, body);
                let location = decide(&sandbox, &link.id, decision).location().to_owned();
                let context = format!("{app_url} {external_id:?} {decision} -> {location}");
                let parsed = parse_redirect(
                    &location,
                    ParseOptions {
                        redirect_url: Some(app_url),
                    },
                )
                .unwrap_or_else(|e| panic!("{context}: {e}"));
                let app_params: Vec<(String, String)> = query_pairs(app_url);
                assert_eq!(parsed.app_params(), app_params.as_slice(), "{context}");
                match parsed {
                    RedirectResult::Success(success) => {
                        assert_eq!(decision, "approve", "{context}");
                        assert_eq!(success.connection_type, "gads");
                        assert_eq!(success.external_id.as_deref(), external_id, "{context}");
                        let status = status_of(&sandbox, &link.id, KEY).1;
                        assert_eq!(
                            Some(success.connection_id),
                            status.connection_id,
                            "{context}"
                        );
                    }
                    RedirectResult::Error(error) => {
                        assert_eq!(decision, "deny", "{context}");
                        assert_eq!(error.connection_type.as_deref(), Some("gads"));
                        assert_eq!(error.external_id.as_deref(), external_id, "{context}");
                        assert_eq!(error.error, "The user denied access");
                    }
                }
            }
        }
    }
}

#[test]
fn consent_page_is_a_plain_form_and_posting_it_decides() {
    let sandbox = start();
    let link = create_link(
        &sandbox,
        KEY,
        json!({"connection_type": "gads", "redirect_url": APP_URL, "external_id": "<b>x</b>"}),
    );
    let path = format!("/connect/{}", link.id);
    let page = request(&sandbox, "GET", &path, &[], None);
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'none'"));
    let html = page.text();
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<html lang=\"en\">"));
    assert!(
        html.contains("<h1 id=\"title\">Connect Google Ads</h1>"),
        "{html}"
    );
    assert!(html.contains(&format!("<form method=\"post\" action=\"{path}\"")));
    assert!(html
        .contains("<button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>"));
    assert!(html.contains("<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>"));
    assert!(
        html.contains("&lt;b&gt;x&lt;/b&gt;"),
        "external_id is escaped"
    );
    assert!(
        html.contains("https://example.com"),
        "names where the user returns"
    );
    assert!(!html.contains("<script"), "no script");
    assert!(!html.contains("src="), "no external resources");
    // Viewing the page changes nothing.
    assert_eq!(
        status_of(&sandbox, &link.id, KEY).1.status,
        AuthLinkState::Pending
    );

    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let denied = request(&sandbox, "POST", &path, &form, Some(b"decision=deny"));
    assert!(denied.location().contains("status=error"));
    let approved = request(&sandbox, "POST", &path, &form, Some(b"decision=approve"));
    assert!(approved.location().contains("markifact_status=success"));
    assert_eq!(
        status_of(&sandbox, &link.id, KEY).1.status,
        AuthLinkState::Connected
    );

    let other = create_link(&sandbox, KEY, json!({"connection_type": "ga4"}));
    let other_path = format!("/connect/{}", other.id);
    for body in [&b""[..], b"decision=maybe"] {
        let reply = request(&sandbox, "POST", &other_path, &form, Some(body));
        assert_eq!(reply.status, 400);
    }
    let reply = decide(&sandbox, &other.id, "later");
    assert_eq!(reply.status, 400);
    let reply = request(&sandbox, "PUT", &other_path, &[], Some(b""));
    assert_eq!(reply.status, 405);
    assert_eq!(
        status_of(&sandbox, &other.id, KEY).1.status,
        AuthLinkState::Pending
    );
}

#[test]
fn without_a_redirect_url_the_result_is_a_page() {
    let sandbox = start();
    let link = create_link(&sandbox, KEY, json!({"connection_type": "meta_ads"}));
    let denied = decide(&sandbox, &link.id, "deny");
    assert_eq!(denied.status, 200);
    assert!(denied.header("location").is_none());
    assert!(denied.text().contains("<h1>Access denied</h1>"));
    let approved = decide(&sandbox, &link.id, "approve");
    assert_eq!(approved.status, 200);
    assert!(approved.header("location").is_none());
    let html = approved.text();
    assert!(html.contains("<h1>Connected</h1>"));
    let connection_id = status_of(&sandbox, &link.id, KEY).1.connection_id.unwrap();
    assert!(html.contains(&connection_id));
}

#[test]
fn unknown_links_are_404() {
    let sandbox = start();
    for target in [
        "/connect/nope",
        "/connect/nope?decision=approve",
        "/connect",
        "/connect/a/b",
    ] {
        let reply = request(&sandbox, "GET", target, &[], None);
        assert_eq!(reply.status, 404, "{target}");
        assert!(reply
            .header("content-type")
            .unwrap()
            .starts_with("text/html"));
        assert!(reply.text().contains("Link not found"));
    }
    let reply = get(&sandbox, "/v1/connections/auth-links/nope/status", KEY);
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json(), json!({"detail": "Not found"}));
}

#[test]
fn links_expire_after_24_hours_by_the_sandbox_clock() {
    let sandbox = start();
    let link = create_link(
        &sandbox,
        KEY,
        json!({"connection_type": "ga4", "redirect_url": APP_URL}),
    );
    let created_at = status_of(&sandbox, &link.id, KEY).1.created_at;

    // Move the clock to just before the expiry: still pending.
    let reply = post_json(&sandbox, "/_sandbox/clock", None, &json!({"advance_ms": 0}));
    let now = reply.json()["now"].as_i64().unwrap();
    let almost = link.expires_at - now - 1_000;
    let reply = post_json(
        &sandbox,
        "/_sandbox/clock",
        None,
        &json!({"advance_ms": almost}),
    );
    assert_eq!(reply.status, 200);
    assert!(reply.json()["now"].as_i64().unwrap() < link.expires_at);
    assert_eq!(
        status_of(&sandbox, &link.id, KEY).1.status,
        AuthLinkState::Pending
    );

    // 24 h + 1 ms after creation: expired, whatever time has passed for real.
    let target = created_at + LINK_LIFETIME_MS + 1;
    let now = sandbox.now_ms();
    let reply = post_json(
        &sandbox,
        "/_sandbox/clock",
        None,
        &json!({"advance_ms": (target - now).max(0)}),
    );
    assert!(reply.json()["now"].as_i64().unwrap() >= target);
    let (value, status) = status_of(&sandbox, &link.id, KEY);
    assert_eq!(status.status, AuthLinkState::Expired);
    assert_eq!(value["connections"], json!([]));
    assert_eq!(value["connection_id"], Value::Null);
    assert_eq!(status.updated_at, created_at);

    for decision in ["approve", "deny"] {
        let reply = decide(&sandbox, &link.id, decision);
        assert_eq!(reply.status, 410);
        assert!(reply.text().contains("expired"));
        assert!(reply.header("location").is_none());
    }
    assert_eq!(
        request(&sandbox, "GET", &format!("/connect/{}", link.id), &[], None).status,
        410
    );
    assert!(connections(&get(&sandbox, "/v1/connections", KEY)).is_empty());

    // A new link works; expires_at follows the moved clock.
    let fresh = create_link(&sandbox, KEY, json!({"connection_type": "ga4"}));
    assert!(fresh.expires_at >= target + LINK_LIFETIME_MS);

    // The clock only moves forward, by an integer.
    for body in [
        json!({"advance_ms": -1}),
        json!({"advance_ms": 1.5}),
        json!({}),
    ] {
        let reply = post_json(&sandbox, "/_sandbox/clock", None, &body);
        assert_eq!(reply.status, 422, "{body}");
    }
}

#[test]
fn list_get_and_delete_connections() {
    let sandbox = start();
    let a = connect_account(
        &sandbox,
        KEY,
        json!({"connection_type": "ga4", "external_id": "u_1"}),
    );
    let b = connect_account(
        &sandbox,
        KEY,
        json!({"connection_type": "gads", "external_id": "u_1"}),
    );
    let c = connect_account(
        &sandbox,
        KEY,
        json!({"connection_type": "ga4", "external_id": "u_2"}),
    );
    let d = connect_account(&sandbox, KEY, json!({"connection_type": "meta_ads"}));
    let (a, b, c, d) = (a.as_str(), b.as_str(), c.as_str(), d.as_str());

    let ids = |reply: Reply| -> Vec<String> {
        connections(&reply)
            .into_iter()
            .map(|c| c.id.unwrap())
            .collect()
    };
    assert_eq!(ids(get(&sandbox, "/v1/connections", KEY)), [a, b, c, d]);
    assert_eq!(
        ids(get(&sandbox, "/v1/connections?external_id=u_1", KEY)),
        [a, b]
    );
    assert_eq!(ids(get(&sandbox, "/v1/connections?type=ga4", KEY)), [a, c]);
    assert_eq!(
        ids(get(
            &sandbox,
            "/v1/connections?external_id=u_1&type=ga4",
            KEY
        )),
        [a]
    );
    assert!(ids(get(&sandbox, "/v1/connections?external_id=u_3", KEY)).is_empty());
    assert!(ids(get(&sandbox, "/v1/connections?type=unknown", KEY)).is_empty());

    // Full object shape.
    let value = get(&sandbox, "/v1/connections?type=meta_ads", KEY).json();
    let object = value[0].as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "display_name",
            "external_id",
            "id",
            "is_private",
            "type",
            "updated_at"
        ]
    );
    assert_eq!(object["external_id"], Value::Null);
    assert_eq!(object["is_private"], false);

    // Get: always an array.
    assert_eq!(
        ids(get(&sandbox, &format!("/v1/connections/{a}"), KEY)),
        [a]
    );
    assert_eq!(
        ids(get(
            &sandbox,
            &format!("/v1/connections/{a}?lookup_by=id"),
            KEY
        )),
        [a]
    );
    assert_eq!(
        ids(get(
            &sandbox,
            "/v1/connections/u_1?lookup_by=external_id",
            KEY
        )),
        [a, b]
    );
    for target in [
        "/v1/connections/u_1".to_owned(),
        "/v1/connections/nope?lookup_by=external_id".to_owned(),
        format!("/v1/connections/{a}?lookup_by=external_id"),
    ] {
        let reply = get(&sandbox, &target, KEY);
        assert_eq!(reply.status, 404, "{target}");
        assert_eq!(reply.json(), json!({"detail": "Not found"}));
    }
    let reply = get(&sandbox, "/v1/connections/u_1?lookup_by=name", KEY);
    assert_eq!(reply.status, 422);
    assert_eq!(
        reply.json()["detail"][0]["loc"],
        json!(["query", "lookup_by"])
    );

    // Delete: the deleted object; then gone everywhere; never by external_id.
    let link = create_link(
        &sandbox,
        KEY,
        json!({"connection_type": "ga4", "external_id": "u_9"}),
    );
    decide(&sandbox, &link.id, "approve");
    let e = status_of(&sandbox, &link.id, KEY).1.connection_id.unwrap();
    assert_eq!(delete(&sandbox, "/v1/connections/u_9", KEY).status, 404);
    let reply = delete(&sandbox, &format!("/v1/connections/{e}"), KEY);
    assert_eq!(reply.status, 200);
    let value = reply.json();
    assert!(value.is_object(), "an object, not a list");
    let deleted: Connection = serde_json::from_value(value).unwrap();
    assert_eq!(deleted.id.as_deref(), Some(e.as_str()));
    assert_eq!(deleted.external_id.as_deref(), Some("u_9"));
    assert_eq!(
        get(&sandbox, &format!("/v1/connections/{e}"), KEY).status,
        404
    );
    assert_eq!(
        delete(&sandbox, &format!("/v1/connections/{e}"), KEY).status,
        404
    );
    assert_eq!(ids(get(&sandbox, "/v1/connections", KEY)).len(), 4);

    // The link stays connected with its connection_id, but connections is now [].
    let (value, status) = status_of(&sandbox, &link.id, KEY);
    assert_eq!(status.status, AuthLinkState::Connected);
    assert_eq!(status.connection_id.as_deref(), Some(e.as_str()));
    assert_eq!(value["connections"], json!([]));
}

#[test]
fn ids_with_reserved_characters_are_percent_decoded() {
    let sandbox = start();
    let external_id = "team/7 ü?&#";
    let id = connect_account(
        &sandbox,
        KEY,
        json!({"connection_type": "ga4", "external_id": external_id}),
    );
    let encoded: String = form_urlencoded::byte_serialize(external_id.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let found = connections(&get(
        &sandbox,
        &format!("/v1/connections/{encoded}?lookup_by=external_id"),
        KEY,
    ));
    assert_eq!(found[0].id.as_deref(), Some(id.as_str()));
    let listed = connections(&get(
        &sandbox,
        &format!("/v1/connections?external_id={encoded}"),
        KEY,
    ));
    assert_eq!(listed.len(), 1);
}

#[test]
fn private_connections_are_visible_only_to_the_creating_key() {
    let sandbox = start();
    let private_link = create_link(
        &sandbox,
        KEY,
        json!({"connection_type": "ga4", "is_private": true, "external_id": "u_1"}),
    );
    decide(&sandbox, &private_link.id, "approve");
    let private = status_of(&sandbox, &private_link.id, KEY).1;
    let private_id = private.connection_id.clone().unwrap();
    assert!(private.connections[0].is_private);
    let shared_id = connect_account(
        &sandbox,
        OTHER_KEY,
        json!({"connection_type": "ga4", "external_id": "u_1"}),
    );
    let (private_id, shared_id) = (private_id.as_str(), shared_id.as_str());

    let ids = |key: &str, target: &str| -> Vec<String> {
        let reply = get(&sandbox, target, key);
        if reply.status == 404 {
            return Vec::new();
        }
        connections(&reply)
            .into_iter()
            .map(|c| c.id.unwrap())
            .collect()
    };
    assert_eq!(ids(KEY, "/v1/connections"), [private_id, shared_id]);
    assert_eq!(ids(OTHER_KEY, "/v1/connections"), [shared_id]);
    assert_eq!(
        ids(OTHER_KEY, "/v1/connections/u_1?lookup_by=external_id"),
        [shared_id]
    );
    assert!(ids(OTHER_KEY, &format!("/v1/connections/{private_id}")).is_empty());
    assert_eq!(
        ids(KEY, &format!("/v1/connections/{shared_id}")),
        [shared_id]
    );

    // The private link's status is the creator's too.
    let reply = get(
        &sandbox,
        &format!("/v1/connections/auth-links/{}/status", private_link.id),
        OTHER_KEY,
    );
    assert_eq!(reply.status, 404);

    // Another key cannot delete it; the creator can; shared ones any key can.
    assert_eq!(
        delete(
            &sandbox,
            &format!("/v1/connections/{private_id}"),
            OTHER_KEY
        )
        .status,
        404
    );
    assert_eq!(
        delete(&sandbox, &format!("/v1/connections/{shared_id}"), KEY).status,
        200
    );
    assert_eq!(
        delete(&sandbox, &format!("/v1/connections/{private_id}"), KEY).status,
        200
    );
}

#[test]
fn fault_429_with_retry_after() {
    let sandbox = start();
    let reply = post_json(
        &sandbox,
        "/_sandbox/faults",
        None,
        &json!({"faults": [{"status": 429, "retry_after_s": 1}]}),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({"faults": [{"status": 429, "retry_after_s": 1}]})
    );
    let reply = get(&sandbox, "/v1/connections", KEY);
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert_eq!(
        reply.header("access-control-expose-headers"),
        Some("retry-after")
    );
    assert!(reply.json()["detail"].is_string());
    // One request only.
    assert_eq!(get(&sandbox, "/v1/connections", KEY).status, 200);
}

#[test]
fn faults_apply_in_order_then_requests_are_normal() {
    let sandbox = start();
    post_json(
        &sandbox,
        "/_sandbox/faults",
        None,
        &json!({"faults": [{"status": 503}, {"status": 200, "body": "not json"}, {"status": 500, "body": "{\"detail\":\"boom\"}"}]}),
    );
    // /_sandbox and OPTIONS requests do not consume faults.
    let queued = request(&sandbox, "GET", "/_sandbox/faults", &[], None).json();
    assert_eq!(queued["faults"].as_array().unwrap().len(), 3);
    assert_eq!(
        request(&sandbox, "OPTIONS", "/v1/connections", &[], None).status,
        204
    );

    // The fault comes before authentication and routing.
    let reply = request(&sandbox, "GET", "/v1/nowhere", &[], None);
    assert_eq!(reply.status, 503);
    assert!(reply.json()["detail"].is_string());
    assert!(reply.header("retry-after").is_none());

    let reply = get(&sandbox, "/v1/connections", KEY);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.body, b"not json");

    let reply = get(&sandbox, "/v1/connections", KEY);
    assert_eq!(reply.status, 500);
    assert_eq!(reply.text(), r#"{"detail":"boom"}"#);

    assert_eq!(get(&sandbox, "/v1/connections", KEY).body, b"[]");
    let queued = request(&sandbox, "GET", "/_sandbox/faults", &[], None).json();
    assert_eq!(queued, json!({"faults": []}));
}

#[test]
fn fault_delay_then_normal_handling() {
    let sandbox = start();
    post_json(
        &sandbox,
        "/_sandbox/faults",
        None,
        &json!({"faults": [{"delay_ms": 300}]}),
    );
    let started = Instant::now();
    let reply = get(&sandbox, "/v1/connections/types", KEY);
    let elapsed = started.elapsed();
    assert_eq!(reply.status, 200);
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    // A delay does not block other connections: the server has a thread per connection.
    post_json(
        &sandbox,
        "/_sandbox/faults",
        None,
        &json!({"faults": [{"delay_ms": 1200}]}),
    );
    let slow = {
        let addr = sandbox.addr();
        std::thread::spawn(move || {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream
                .write_all(b"GET /v1/connections HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_sandbox\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut out = Vec::new();
            stream.read_to_end(&mut out).unwrap();
            parse_reply(&out).status
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    assert_eq!(get(&sandbox, "/v1/connections", KEY).status, 200);
    assert!(started.elapsed() < Duration::from_millis(1000));
    assert_eq!(slow.join().unwrap(), 200);
}

#[test]
fn fault_reset_drops_the_connection_without_a_response() {
    let sandbox = start();
    post_json(
        &sandbox,
        "/_sandbox/faults",
        None,
        &json!({"faults": [{"reset": true}, {"delay_ms": 50, "reset": true}]}),
    );
    assert!(raw_get(&sandbox, "/v1/connections").is_empty());
    assert!(raw_get(&sandbox, "/v1/connections").is_empty());
    assert_eq!(get(&sandbox, "/v1/connections", KEY).status, 200);
}

#[test]
fn body_faults_send_a_huge_a_slow_or_a_cut_off_body() {
    let sandbox = start();
    post_json(
        &sandbox,
        "/_sandbox/faults",
        None,
        &json!({"faults": [{"huge_body_bytes": 3_000_000}, {"body_delay_ms": 400}, {"reset_mid_body": true}]}),
    );
    let huge = get(&sandbox, "/v1/connections", KEY);
    assert_eq!((huge.status, huge.body.len()), (200, 3_000_000));
    assert_eq!(
        serde_json::from_slice::<Value>(&huge.body).unwrap(),
        json!([])
    );

    let started = Instant::now();
    let slow = get(&sandbox, "/v1/connections/types", KEY);
    assert_eq!(slow.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert!(serde_json::from_slice::<Value>(&slow.body)
        .unwrap()
        .is_array());

    // The head promises the whole body; half of it arrives before the connection closes.
    let cut = raw_get(&sandbox, "/v1/connections/types");
    let text = String::from_utf8_lossy(&cut);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let promised: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(body.len(), promised / 2);
    assert_eq!(get(&sandbox, "/v1/connections", KEY).status, 200);
}

#[test]
fn invalid_faults_are_422_and_do_not_replace_the_queue() {
    let sandbox = start();
    post_json(
        &sandbox,
        "/_sandbox/faults",
        None,
        &json!({"faults": [{"status": 503}]}),
    );
    for body in [
        json!({}),
        json!({"faults": {}}),
        json!({"faults": [{}]}),
        json!({"faults": [{"status": 42}]}),
        json!({"faults": [{"status": 429, "retry_after": 1}]}),
        json!({"faults": [{"status": 503, "reset": true}]}),
        json!({"faults": [{"body": "x"}]}),
        json!({"faults": [{"status": "429"}]}),
        json!({"faults": [{"delay_ms": -1}]}),
        json!({"faults": [{"huge_body_bytes": 1}]}),
        json!({"faults": [{"huge_body_bytes": 10, "status": 200}]}),
        json!({"faults": [{"reset": true, "reset_mid_body": true}]}),
        json!({"faults": [{"body_delay_ms": 700_000}]}),
    ] {
        let reply = post_json(&sandbox, "/_sandbox/faults", None, &body);
        assert_eq!(reply.status, 422, "{body}");
    }
    let reply = post_json(
        &sandbox,
        "/_sandbox/faults",
        None,
        &json!({"faults": [{"status": 503}, {"status": 7}]}),
    );
    assert_eq!(
        reply.json()["detail"][0]["loc"],
        json!(["body", "faults", 1])
    );
    assert_eq!(get(&sandbox, "/v1/connections", KEY).status, 503);
    // An empty list clears the queue.
    post_json(
        &sandbox,
        "/_sandbox/faults",
        None,
        &json!({"faults": [{"status": 503}]}),
    );
    post_json(&sandbox, "/_sandbox/faults", None, &json!({"faults": []}));
    assert_eq!(get(&sandbox, "/v1/connections", KEY).status, 200);
}

#[test]
fn sandbox_reset_clears_everything() {
    let sandbox = start();
    let connected = create_link(&sandbox, KEY, json!({"connection_type": "ga4"}));
    decide(&sandbox, &connected.id, "approve");
    let pending = create_link(&sandbox, KEY, json!({"connection_type": "ga4"}));
    post_json(
        &sandbox,
        "/_sandbox/clock",
        None,
        &json!({"advance_ms": 3_600_000}),
    );
    post_json(
        &sandbox,
        "/_sandbox/faults",
        None,
        &json!({"faults": [{"status": 503}]}),
    );
    let before = sandbox.now_ms();

    let reply = request(
        &sandbox,
        "POST",
        "/_sandbox/reset",
        &[("Content-Type", "application/json")],
        Some(b""),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["reset"], true);
    assert!(
        sandbox.now_ms() < before - 3_000_000,
        "the clock is back to real time"
    );
    assert_eq!(
        get(&sandbox, "/v1/connections", KEY).body,
        b"[]",
        "no fault, no connection"
    );
    for link in [&connected, &pending] {
        let reply = get(
            &sandbox,
            &format!("/v1/connections/auth-links/{}/status", link.id),
            KEY,
        );
        assert_eq!(reply.status, 404);
        assert_eq!(decide(&sandbox, &link.id, "approve").status, 404);
    }
    // The library API does the same.
    create_link(&sandbox, KEY, json!({"connection_type": "ga4"}));
    sandbox.advance_clock(Duration::from_secs(60));
    sandbox.reset();
    assert!(sandbox.now_ms() < before);
}

#[test]
fn cors_preflight_and_headers() {
    let sandbox = start();
    let reply = request(
        &sandbox,
        "OPTIONS",
        "/v1/connections/auth-link",
        &[
            ("Origin", "http://127.0.0.1:5173"),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "authorization,content-type,x-markifact-context",
            ),
        ],
        None,
    );
    assert_eq!(reply.status, 204);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    let methods = reply.header("access-control-allow-methods").unwrap();
    for method in ["GET", "POST", "DELETE"] {
        assert!(methods.contains(method), "{methods}");
    }
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("authorization, content-type, x-markifact-context")
    );
    assert!(reply.header("content-length").is_none() && reply.body.is_empty());

    // Errors carry CORS headers too, so a page can read a 401 or 404.
    for reply in [
        get(&sandbox, "/v1/connections", "sk_wrong"),
        get(&sandbox, "/v1/connections/x", KEY),
    ] {
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
        assert_eq!(
            reply.header("access-control-expose-headers"),
            Some("retry-after")
        );
    }
}

/// Asserts a response carries no `Access-Control-*` header (so a page on another origin can
/// neither read it nor pass a preflight with it).
fn assert_no_cors(reply: &Reply, context: &str) {
    let cors: Vec<_> = reply
        .headers
        .iter()
        .filter(|(name, _)| name.starts_with("access-control-"))
        .collect();
    assert!(cors.is_empty(), "{context}: {cors:?}");
}

#[test]
fn sandbox_controls_refuse_what_a_web_page_can_send() {
    let sandbox = start();
    let link = create_link(&sandbox, KEY, json!({"connection_type": "ga4"}));
    let origin = ("Origin", "https://evil.example");
    let now = |sandbox: &Sandbox| {
        request(sandbox, "GET", "/_sandbox/clock", &[], None).json()["now"]
            .as_i64()
            .unwrap()
    };
    let before = now(&sandbox);

    // What a cross-origin page can send without a preflight (a CORS "simple request", or an HTML
    // form): text/plain, form-urlencoded or multipart bodies, or no Content-Type at all. Each is a
    // 415 that changes nothing, and its answer is unreadable to the page.
    let bodies = [
        ("/_sandbox/reset", "{}"),
        (
            "/_sandbox/faults",
            r#"{"faults":[{"status":503},{"reset":true}]}"#,
        ),
        ("/_sandbox/clock", r#"{"advance_ms":86400000}"#),
    ];
    for content_type in [
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonx"),
        Some("text/json"),
        None,
    ] {
        for (path, body) in bodies {
            let mut headers = vec![origin];
            if let Some(content_type) = content_type {
                headers.push(("Content-Type", content_type));
            }
            let reply = request(&sandbox, "POST", path, &headers, Some(body.as_bytes()));
            let context = format!("POST {path} with {content_type:?}");
            assert_eq!(reply.status, 415, "{context}: {}", reply.text());
            let detail = reply.json()["detail"].as_str().unwrap().to_owned();
            assert!(
                detail.contains("Content-Type: application/json"),
                "{detail}"
            );
            assert_eq!(reply.header("accept-post"), Some("application/json"));
            assert_no_cors(&reply, &context);
        }
    }
    // Nothing changed: the link is there, no fault is queued, the clock did not jump.
    assert_eq!(
        status_of(&sandbox, &link.id, KEY).1.status,
        AuthLinkState::Pending
    );
    assert_eq!(
        request(&sandbox, "GET", "/_sandbox/faults", &[], None).json(),
        json!({"faults": []})
    );
    assert_eq!(get(&sandbox, "/v1/connections", KEY).status, 200);
    assert!(
        now(&sandbox) - before < 60_000,
        "the clock did not move a day"
    );

    // The preflight a page must pass before sending JSON gets no permissive answer.
    for path in [
        "/_sandbox/reset",
        "/_sandbox/faults",
        "/_sandbox/clock",
        "/_sandbox/health",
    ] {
        let reply = request(
            &sandbox,
            "OPTIONS",
            path,
            &[
                origin,
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type"),
                ("Access-Control-Request-Private-Network", "true"),
            ],
            None,
        );
        assert!(
            !(200..300).contains(&reply.status),
            "OPTIONS {path}: {}",
            reply.status
        );
        assert_no_cors(&reply, &format!("OPTIONS {path}"));
    }

    // No /_sandbox answer carries CORS headers: successes, errors, unknown paths, malformed
    // requests, and the same paths percent-encoded.
    let json_type = ("Content-Type", "application/json");
    let replies = [
        (
            "GET health",
            request(&sandbox, "GET", "/_sandbox/health", &[origin], None),
        ),
        (
            "GET clock",
            request(&sandbox, "GET", "/_sandbox/clock", &[origin], None),
        ),
        (
            "GET faults",
            request(&sandbox, "GET", "/_sandbox/faults", &[origin], None),
        ),
        (
            "POST faults",
            request(
                &sandbox,
                "POST",
                "/_sandbox/faults",
                &[origin, json_type],
                Some(br#"{"faults":[]}"#),
            ),
        ),
        (
            "POST clock 422",
            request(
                &sandbox,
                "POST",
                "/_sandbox/clock",
                &[origin, json_type],
                Some(b"{}"),
            ),
        ),
        (
            "GET reset 405",
            request(&sandbox, "GET", "/_sandbox/reset", &[origin], None),
        ),
        (
            "GET unknown",
            request(&sandbox, "GET", "/_sandbox/nothing", &[origin], None),
        ),
        (
            "GET /_sandbox",
            request(&sandbox, "GET", "/_sandbox", &[origin], None),
        ),
        (
            "bad UTF-8",
            request(&sandbox, "GET", "/_sandbox/%FF", &[origin], None),
        ),
        (
            "encoded",
            request(
                &sandbox,
                "POST",
                "/%5Fsandbox/reset",
                &[origin, ("Content-Type", "text/plain")],
                Some(b"{}"),
            ),
        ),
        (
            "413",
            request(
                &sandbox,
                "POST",
                "/_sandbox/faults",
                &[origin, json_type],
                Some(&vec![b' '; 70_000]),
            ),
        ),
    ];
    for (what, reply) in &replies {
        assert_no_cors(reply, what);
    }
    assert_eq!(replies[9].1.status, 415, "/%5Fsandbox is /_sandbox");
    assert_eq!(replies[10].1.status, 413);
    assert_eq!(
        status_of(&sandbox, &link.id, KEY).1.status,
        AuthLinkState::Pending
    );

    // JSON, as scripts and the test helpers send it, works (media type case-insensitive,
    // parameters allowed).
    for content_type in ["application/json", "Application/JSON; charset=utf-8"] {
        let reply = request(
            &sandbox,
            "POST",
            "/_sandbox/reset",
            &[("Content-Type", content_type)],
            Some(b"{}"),
        );
        assert_eq!(reply.status, 200, "{content_type}: {}", reply.text());
        assert_no_cors(&reply, content_type);
    }
    assert_eq!(
        get(
            &sandbox,
            &format!("/v1/connections/auth-links/{}/status", link.id),
            KEY
        )
        .status,
        404,
        "the JSON reset did reset"
    );
    // The API itself keeps its CORS headers.
    let reply = get(&sandbox, "/v1/connections", KEY);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
}

#[test]
fn unknown_routes_and_wrong_methods() {
    let sandbox = start();
    for target in [
        "/",
        "/v2/connections",
        "/v1",
        "/v1/connections/",
        "/v1/connections/auth-links/x",
    ] {
        let reply = get(&sandbox, target, KEY);
        assert_eq!(reply.status, 404, "{target}");
        assert_eq!(reply.json(), json!({"detail": "Not found"}));
    }
    for (method, target, allow) in [
        ("POST", "/v1/connections", "GET"),
        ("PUT", "/v1/connections/x", "GET, DELETE"),
        ("GET", "/v1/connections/auth-links/x/status/", "-"),
        ("POST", "/v1/connections/auth-links/x/status", "GET"),
        ("GET", "/_sandbox/reset", "POST"),
    ] {
        let reply = request(
            &sandbox,
            method,
            target,
            &[("Authorization", "Bearer sk_sandbox")],
            Some(b""),
        );
        if allow == "-" {
            assert_eq!(reply.status, 404, "{method} {target}");
        } else {
            assert_eq!(reply.status, 405, "{method} {target}");
            assert_eq!(reply.header("allow"), Some(allow));
        }
    }
    // HEAD is not served, and its 405 carries no body (the connection stays usable).
    let mut stream = connect(&sandbox);
    stream
        .write_all(b"HEAD /v1/connections HTTP/1.1\r\nHost: x\r\n\r\nGET /_sandbox/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 405 "), "{head}");
    assert!(rest.starts_with("HTTP/1.1 200 OK\r\n"), "{rest}");
    assert!(rest.ends_with(r#"{"ok":true}"#), "{rest}");

    // GET on the creation path is a connection lookup (FastAPI route order), hence 404.
    assert_eq!(get(&sandbox, "/v1/connections/auth-link", KEY).status, 404);
}

#[test]
fn malformed_requests_get_400_and_the_server_survives() {
    let sandbox = start();
    let cases: &[(&[u8], u16)] = &[
        (b"garbage\r\n\r\n", 400),
        (b"GET\r\n\r\n", 400),
        (b"GET /v1/connections\r\n\r\n", 400),
        (b"GET /v1/connections HTTP/1.1 x\r\nHost: x\r\n\r\n", 400),
        (b"GET v1/connections HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /v1/connections HTTP/1.1\r\n\r\n", 400),
        (b"GET /v1/connections HTTP/1.1\r\nHost x\r\n\r\n", 400),
        (b"GET /v1/connections HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
        (b"GET /v1/connections HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n", 400),
        (b"POST /v1/connections/auth-link HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
        (b"POST /v1/connections/auth-link HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
        (b"POST /v1/connections/auth-link HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
        (b"POST /v1/connections/auth-link HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\nab", 400),
        (b"POST /v1/connections/auth-link HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"POST /v1/connections/auth-link HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        (b"GET /v1/%FF HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /v1/connections HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        (b"GET /v1/connections HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n", 417),
        (b"\x00\x01\x02\xff\r\n\r\n", 400),
    ];
    for (raw, status) in cases {
        let out = exchange(&sandbox, raw);
        let reply = parse_reply(&out);
        assert_eq!(reply.status, *status, "{:?}", String::from_utf8_lossy(raw));
        assert_eq!(reply.header("connection"), Some("close"));
        assert!(reply.json()["detail"].is_string());
    }
    // Oversized parts.
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(9000));
    assert_eq!(
        parse_reply(&exchange(&sandbox, long_target.as_bytes())).status,
        414
    );
    let big_header = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(17_000)
    );
    assert_eq!(
        parse_reply(&exchange(&sandbox, big_header.as_bytes())).status,
        431
    );
    let many_headers = format!(
        "GET / HTTP/1.1\r\nHost: x\r\n{}\r\n",
        "X-A: 1\r\n".repeat(101)
    );
    assert_eq!(
        parse_reply(&exchange(&sandbox, many_headers.as_bytes())).status,
        431
    );
    let too_big = format!(
        "POST /v1/connections/auth-link HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{}",
        64 * 1024 + 1,
        "a".repeat(64 * 1024 + 1)
    );
    assert_eq!(
        parse_reply(&exchange(&sandbox, too_big.as_bytes())).status,
        413
    );

    // Still serving.
    assert_eq!(get(&sandbox, "/v1/connections", KEY).status, 200);
}

#[test]
fn chunked_bodies_expect_continue_and_keep_alive() {
    let sandbox = start();
    // A chunked body.
    let raw = b"POST /v1/connections/auth-link HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_sandbox\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
                7\r\n{\"conne\r\n12;ext=1\r\nction_type\":\"ga4\"}\r\n0\r\nTrailer: x\r\n\r\n";
    let reply = parse_reply(&exchange(&sandbox, raw));
    assert_eq!(reply.status, 200, "{}", reply.text());

    // Expect: 100-continue gets the interim response before the body is sent.
    let mut stream = connect(&sandbox);
    let body = br#"{"connection_type":"ga4"}"#;
    stream
        .write_all(
            format!(
                "POST /v1/connections/auth-link HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_sandbox\r\nExpect: 100-continue\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .unwrap();
    let mut interim = [0u8; 25];
    stream.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(body).unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).unwrap();
    assert_eq!(parse_reply(&out).status, 200);

    // Two requests on one kept-alive connection, the second with Connection: close.
    let mut stream = connect(&sandbox);
    stream
        .write_all(b"GET /v1/connections/types HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_sandbox\r\n\r\n")
        .unwrap();
    let mut first = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&first).contains("meta_ads") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the connection stayed open");
        first.extend_from_slice(&buf[..n]);
    }
    let first = parse_reply(&first);
    assert_eq!(first.status, 200);
    assert_eq!(first.header("keep-alive"), Some("timeout=15"));
    stream
        .write_all(b"GET /_sandbox/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut second = Vec::new();
    stream.read_to_end(&mut second).unwrap();
    assert_eq!(parse_reply(&second).json(), json!({"ok": true}));
}

#[test]
fn slow_clients_time_out_without_blocking_others() {
    let sandbox = start_with(|c| {
        c.request_timeout = Duration::from_millis(300);
        c.idle_timeout = Duration::from_millis(300);
    });
    // A request that never finishes: 408, then closed.
    let mut slow = connect(&sandbox);
    slow.write_all(b"GET /v1/connections HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // Others are served meanwhile.
    assert_eq!(get(&sandbox, "/v1/connections", KEY).status, 200);
    let started = Instant::now();
    let mut out = Vec::new();
    slow.read_to_end(&mut out).unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(parse_reply(&out).status, 408);

    // A connection that sends nothing is closed quietly after the idle timeout.
    let mut idle = connect(&sandbox);
    let mut out = Vec::new();
    idle.read_to_end(&mut out).unwrap();
    assert!(out.is_empty());

    // A body that trickles in too slowly is cut off too.
    let mut trickle = connect(&sandbox);
    trickle
        .write_all(
            b"POST /v1/connections/auth-link HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
        )
        .unwrap();
    let mut out = Vec::new();
    trickle.read_to_end(&mut out).unwrap();
    assert_eq!(parse_reply(&out).status, 408);
}

#[test]
fn dropping_the_sandbox_stops_it_and_closes_connections() {
    let sandbox = start();
    let addr: SocketAddr = sandbox.addr();
    let mut open = connect(&sandbox);
    open.write_all(b"GET /_sandbox/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 1024];
    assert!(open.read(&mut buf).unwrap() > 0);
    let started = Instant::now();
    drop(sandbox);
    assert!(started.elapsed() < Duration::from_secs(2));
    let mut rest = Vec::new();
    let _ = open.read_to_end(&mut rest);
    assert!(rest.is_empty(), "the kept-alive connection was closed");
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err());
}

#[test]
fn sandboxes_are_independent_and_keys_are_validated() {
    let a = start();
    let b = start();
    assert_ne!(a.url(), b.url());
    create_link(&a, KEY, json!({"connection_type": "ga4"}));
    post_json(
        &a,
        "/_sandbox/faults",
        None,
        &json!({"faults": [{"status": 503}]}),
    );
    assert_eq!(get(&b, "/v1/connections", KEY).status, 200);
    assert!(Sandbox::start(Config {
        port: 0,
        api_keys: vec![String::new()],
        ..Config::default()
    })
    .is_err());
    // The default configuration accepts only sk_sandbox.
    let default = Sandbox::start(Config {
        port: 0,
        ..Config::default()
    })
    .unwrap();
    assert_eq!(get(&default, "/v1/connections", KEY).status, 200);
    assert_eq!(get(&default, "/v1/connections", OTHER_KEY).status, 401);
}
