//! The ready runtimes (`ReqwestRuntime`, `FnRuntime`) driving `Client` against the sandbox, run
//! in-process, on tokio's multi-threaded runtime: the whole flow, spawned calls, timeouts, the
//! body cap, refused redirects, and errors that keep the transport's error as their source; and,
//! against a raw local server, what the sandbox does not serve: oversized, trickling, non-UTF-8
//! and empty bodies, `Retry-After` in every form, calls dropped mid-request or mid-sleep.
#![cfg(all(feature = "reqwest", not(target_arch = "wasm32")))]

use std::error::Error as _;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

use markifact_connect::client::{
    Client, ClientConfig, ClientSettings, CreateAuthLink, FnRuntime, HttpRequest, RawResponse,
    ReqwestRuntime, Runtime, VerifyRedirect,
};
use markifact_connect::models::AuthLinkState;
use markifact_connect::ErrorCode;

mod support;

use support::{Env, REDIRECT_URL};

fn client(base_url: &str, max_retries: u32, timeout_ms: u64) -> Client {
    Client::new(
        ClientConfig::new(ClientSettings {
            api_key: Some("sk_sandbox".into()),
            base_url: Some(base_url.into()),
            max_retries: Some(max_retries),
            timeout_ms: Some(timeout_ms),
            ..Default::default()
        })
        .unwrap(),
    )
}

fn link(external_id: &str) -> CreateAuthLink {
    CreateAuthLink {
        connection_type: "ga4".into(),
        redirect_url: Some(REDIRECT_URL.into()),
        external_id: Some(external_id.into()),
        is_private: None,
    }
}

/// Creates, approves, waits for and verifies a connection over `rt`.
async fn whole_flow(env: &Env, rt: &impl Runtime) {
    let client = client(env.sandbox.url(), 2, 5_000);
    let created = client.create_auth_link(rt, &link("user_42")).await.unwrap();
    let location = tokio::task::block_in_place(|| env.decide_url(&created.url, true));
    let mut polled = Vec::new();
    let status = client
        .wait_for_auth_link(rt, &created.id, 10_000, |s| polled.push(s.status))
        .await
        .unwrap();
    assert_eq!(status.status, AuthLinkState::Connected);
    assert_eq!(polled.last(), Some(&AuthLinkState::Connected));
    let check = VerifyRedirect {
        auth_link_id: Some(&created.id),
        redirect_url: Some(REDIRECT_URL),
        ..Default::default()
    };
    let connection = client.verify_redirect(rt, &location, &check).await.unwrap();
    assert_eq!(connection.id, status.connection_id);
    assert_eq!(connection.external_id.as_deref(), Some("user_42"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqwest_runtime_runs_the_whole_flow() {
    let env = Env::new();
    whole_flow(&env, &ReqwestRuntime::new().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fn_runtime_over_reqwest_runs_the_whole_flow() {
    let env = Env::new();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The few lines an app writes for a transport of its own.
    let rt = FnRuntime::new(move |request: HttpRequest| {
        let http = http.clone();
        async move {
            let method = reqwest::Method::from_bytes(request.method.as_str().as_bytes()).unwrap();
            let mut outgoing = http.request(method, &request.url);
            for (name, value) in &request.headers {
                outgoing = outgoing.header(name, value);
            }
            if let Some(body) = request.body {
                outgoing = outgoing.body(body);
            }
            let response = outgoing.send().await?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response.text().await?;
            Ok::<_, reqwest::Error>(RawResponse {
                status,
                retry_after,
                body,
            })
        }
    });
    whole_flow(&env, &rt).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_can_be_spawned_on_a_multi_threaded_runtime() {
    let env = Env::new();
    let client = Arc::new(client(env.sandbox.url(), 2, 5_000));
    let rt = Arc::new(ReqwestRuntime::new().unwrap());
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let (client, rt) = (client.clone(), rt.clone());
            tokio::spawn(async move {
                client
                    .create_auth_link(rt.as_ref(), &link(&format!("user_{i}")))
                    .await
            })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap().unwrap().url.contains("/connect/"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_coded_and_keep_their_cause() {
    let rt = ReqwestRuntime::new().unwrap();
    // Nothing listens there: a network error whose source is reqwest's.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let error = client(&format!("http://127.0.0.1:{port}"), 0, 5_000)
        .list_connection_types(&rt)
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::Network, "{error}");
    let source = error.source().expect("the transport's error");
    assert!(
        source.downcast_ref::<reqwest::Error>().is_some(),
        "{source:?}"
    );

    let env = Env::new();
    env.faults(r#"[{"delay_ms": 2000}]"#);
    let error = client(env.sandbox.url(), 0, 300)
        .list_connection_types(&rt)
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::Timeout, "{error}");
    assert!(error.source().is_some());

    env.faults(r#"[{"huge_body_bytes": 5242880}]"#);
    let error = client(env.sandbox.url(), 0, 5_000)
        .list_connections(&rt, None, None)
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidResponse, "{error}");
    assert!(
        error.message().contains("larger than 4194304 bytes"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_not_followed() {
    // A stand-in API answering 307 to a second server, which must never be asked.
    let elsewhere = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!(
        "http://{}/v1/connections/types",
        elsewhere.local_addr().unwrap()
    );
    elsewhere.set_nonblocking(true).unwrap();
    let redirecting = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", redirecting.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (mut stream, _) = redirecting.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request).unwrap();
        let answer = format!(
            "HTTP/1.1 307 Temporary Redirect\r\nlocation: {target}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        );
        stream.write_all(answer.as_bytes()).unwrap();
    });
    let error = client(&base, 0, 5_000)
        .list_connection_types(&ReqwestRuntime::new().unwrap())
        .await
        .unwrap_err();
    server.join().unwrap();
    assert_eq!(error.code(), ErrorCode::InvalidResponse, "{error}");
    assert_eq!(error.status(), Some(307));
    assert!(elsewhere.accept().is_err(), "the redirect was followed");
}

/// A stand-in API on a local port that answers every request with `answer` (given the request's
/// number, from 0), written raw: malformed, trickling or oversized responses the sandbox does not
/// serve. Returns the base URL and the number of requests seen so far.
fn raw_server(
    answer: impl Fn(usize, &mut std::net::TcpStream) + Send + 'static,
) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            // The request head (the tests only send bodiless GETs and DELETEs).
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                match stream.read(&mut byte) {
                    Ok(1) => head.push(byte[0]),
                    _ => break,
                }
            }
            let n = count.fetch_add(1, Ordering::SeqCst);
            answer(n, &mut stream);
        }
    });
    (base, seen)
}

fn respond(stream: &mut std::net::TcpStream, head: &str, body: &[u8]) {
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_cap_are_refused_with_or_without_a_length() {
    const CAP: usize = 4 * 1024 * 1024;
    // A Content-Length over the cap: refused from the head.
    let (base, _) = raw_server(|_, s| {
        respond(
            s,
            &format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                CAP + 1
            ),
            b"[",
        )
    });
    let error = client(&base, 0, 5_000)
        .list_connection_types(&ReqwestRuntime::new().unwrap())
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidResponse, "{error}");
    assert!(error.message().contains("larger than"), "{error}");
    // Chunked, no length: refused once the chunks pass the cap.
    let (base, _) = raw_server(|_, s| {
        respond(
            s,
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
            b"",
        );
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..(CAP / chunk.len() + 2) {
            let mut piece = format!("{:x}\r\n", chunk.len()).into_bytes();
            piece.extend_from_slice(&chunk);
            piece.extend_from_slice(b"\r\n");
            if s.write_all(&piece).is_err() {
                return;
            }
        }
        let _ = s.write_all(b"0\r\n\r\n");
    });
    let error = client(&base, 0, 5_000)
        .list_connection_types(&ReqwestRuntime::new().unwrap())
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidResponse, "{error}");
    assert!(error.message().contains("larger than"), "{error}");
    // Exactly the cap is read (then it is not JSON: invalid_response, but not "larger than").
    let (base, _) = raw_server(|_, s| {
        respond(
            s,
            &format!("HTTP/1.1 200 OK\r\ncontent-length: {CAP}\r\nconnection: close\r\n\r\n"),
            &vec![b'x'; CAP],
        )
    });
    let error = client(&base, 0, 5_000)
        .list_connection_types(&ReqwestRuntime::new().unwrap())
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidResponse, "{error}");
    assert!(!error.message().contains("larger than"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickling_body_times_out() {
    let (base, _) = raw_server(|_, s| {
        respond(
            s,
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n1\r\n[\r\n",
            b"",
        );
        for _ in 0..50 {
            std::thread::sleep(std::time::Duration::from_millis(100));
            if s.write_all(b"1\r\n \r\n").is_err() {
                return;
            }
        }
    });
    let started = std::time::Instant::now();
    let error = client(&base, 0, 400)
        .list_connection_types(&ReqwestRuntime::new().unwrap())
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::Timeout, "{error}");
    let took = started.elapsed();
    assert!(
        took >= std::time::Duration::from_millis(380) && took < std::time::Duration::from_secs(3),
        "{took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_bodies_and_statuses() {
    // Invalid UTF-8 in a JSON string: replaced, as fetch's text() does.
    let (base, _) = raw_server(|_, s| {
        let body = b"[]\xff";
        respond(
            s,
            &format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            ),
            body,
        )
    });
    let error = client(&base, 0, 5_000)
        .list_connection_types(&ReqwestRuntime::new().unwrap())
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidResponse, "{error}");
    // 204, no body, where a connection is expected: invalid_response, not a panic.
    let (base, _) = raw_server(|_, s| {
        respond(
            s,
            "HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n",
            b"",
        )
    });
    let error = client(&base, 0, 5_000)
        .delete_connection(&ReqwestRuntime::new().unwrap(), "conn_1")
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidResponse, "{error}");
    // A 302 with a Location: refused, never followed.
    let (base, seen) = raw_server(|_, s| {
        respond(
            s,
            "HTTP/1.1 302 Found\r\nlocation: /v1/connections/types?again\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            b"",
        )
    });
    let error = client(&base, 2, 5_000)
        .list_connection_types(&ReqwestRuntime::new().unwrap())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(302), "{error}");
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_seconds_dates_garbage_and_huge() {
    use std::sync::atomic::Ordering;
    let serve = |retry_after: &'static str| {
        raw_server(move |n, s| {
            if n == 0 {
                respond(
                    s,
                    &format!("HTTP/1.1 503 Unavailable\r\nretry-after: {retry_after}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"),
                    b"",
                )
            } else {
                respond(
                    s,
                    "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n",
                    b"[]",
                )
            }
        })
    };
    let rt = ReqwestRuntime::new().unwrap();
    for (retry_after, at_least_ms) in [
        ("1", 950),
        ("Sun, 06 Nov 1994 08:49:37 GMT", 0),
        ("soon", 0),
        ("-5", 0),
    ] {
        let (base, seen) = serve(retry_after);
        let started = std::time::Instant::now();
        let types = client(&base, 2, 5_000)
            .list_connection_types(&rt)
            .await
            .unwrap_or_else(|e| panic!("{retry_after}: {e}"));
        assert!(types.is_empty());
        assert_eq!(seen.load(Ordering::SeqCst), 2, "{retry_after}");
        assert!(
            started.elapsed() >= std::time::Duration::from_millis(at_least_ms),
            "{retry_after}"
        );
    }
    // Longer than the policy accepts: no retry, the wait in the error.
    let (base, seen) = serve("99999999999999999999999");
    let error = client(&base, 2, 5_000)
        .list_connection_types(&rt)
        .await
        .unwrap_err();
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    assert_eq!(error.status(), Some(503), "{error}");
    assert!(error.retry_after_ms().is_some(), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_and_zero_timeouts() {
    let env = Env::new();
    let rt = ReqwestRuntime::new().unwrap();
    // u64::MAX ms: no overflow anywhere (tokio's deadline, the wait's deadline).
    let huge = client(env.sandbox.url(), 2, u64::MAX);
    huge.list_connection_types(&rt).await.unwrap();
    let created = huge.create_auth_link(&rt, &link("user_t")).await.unwrap();
    let _ = tokio::task::block_in_place(|| env.decide_url(&created.url, true));
    let status = huge
        .wait_for_auth_link(&rt, &created.id, u64::MAX, |_| {})
        .await
        .unwrap();
    assert_eq!(status.status, AuthLinkState::Connected);
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(50), rt.sleep(u64::MAX))
            .await
            .is_err()
    );
    let fn_rt = FnRuntime::new(|_request: HttpRequest| async {
        Ok::<_, std::io::Error>(RawResponse {
            status: 200,
            retry_after: None,
            body: "[]".into(),
        })
    });
    huge.list_connection_types(&fn_rt).await.unwrap();
    // 0 ms: an attempt times out at the timer's next tick, unless the loopback answer was
    // quicker (no hang, no panic).
    let result = client(env.sandbox.url(), 0, 0)
        .list_connection_types(&rt)
        .await;
    assert!(
        result
            .as_ref()
            .map_or_else(|e| e.code() == ErrorCode::Timeout, |_| true),
        "{result:?}"
    );
    // A wait of 0 ms: one short poll at most, then the link's state (no hang, no panic).
    let pending = huge.create_auth_link(&rt, &link("user_z")).await.unwrap();
    let started = std::time::Instant::now();
    let error = huge
        .wait_for_auth_link(&rt, &pending.id, 0, |_| {})
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::Timeout, "{error}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    // A server that never answers: a timeout after 0 ms.
    let (base, _) = raw_server(|_, s| {
        let mut rest = [0u8; 16];
        let _ = s.read(&mut rest);
    });
    let error = client(&base, 0, 0)
        .list_connection_types(&rt)
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::Timeout, "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_call_mid_request_or_mid_sleep_is_clean() {
    use std::sync::atomic::Ordering;
    // Mid-request: the server never answers; the dropped call closes its connection.
    let (closed_tx, closed_rx) = std::sync::mpsc::channel();
    let (base, _) = raw_server(move |_, s| {
        let mut rest = [0u8; 16];
        // Blocks until the client closes the connection.
        let _ = s.read(&mut rest);
        let _ = closed_tx.send(());
    });
    let rt = ReqwestRuntime::new().unwrap();
    let slow = client(&base, 2, 60_000);
    assert!(tokio::time::timeout(
        std::time::Duration::from_millis(200),
        slow.list_connection_types(&rt)
    )
    .await
    .is_err());
    tokio::task::block_in_place(|| {
        closed_rx
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("the connection closed")
    });
    // Mid-sleep: a 503 asking for a long wait; dropping the call ends it, no second request.
    let (base, seen) = raw_server(|_, s| {
        respond(
            s,
            "HTTP/1.1 503 Unavailable\r\nretry-after: 20\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            b"",
        )
    });
    let waiting = client(&base, 2, 5_000);
    assert!(tokio::time::timeout(
        std::time::Duration::from_millis(300),
        waiting.list_connection_types(&rt)
    )
    .await
    .is_err());
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_reqwest_cannot_build_is_no_network_failure() {
    // A proxy path is for the npm package in a browser; reqwest has no page to resolve it
    // against. Nothing was sent: not a network error, and not retried.
    let proxied = Client::new(
        ClientConfig::new(ClientSettings {
            base_url: Some("/api/markifact".into()),
            max_retries: Some(2),
            ..Default::default()
        })
        .unwrap(),
    );
    let started = std::time::Instant::now();
    let error = proxied
        .list_connection_types(&ReqwestRuntime::new().unwrap())
        .await
        .unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_millis(200));
    assert_ne!(error.code(), ErrorCode::Network, "{error}");
    assert!(!error.retryable(), "{error:?}");
    assert!(error.message().contains("/api/markifact"), "{error}");
    assert!(error.source().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transport_error_echoing_the_key_does_not_leak_it() {
    // A transport whose error shows the request's headers, as an app's own error type might.
    #[derive(Debug)]
    struct Failed(Vec<(String, String)>);
    impl std::fmt::Display for Failed {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "could not send with headers {:?}", self.0)
        }
    }
    impl std::error::Error for Failed {}
    let rt = FnRuntime::new(|request: HttpRequest| async move {
        Err::<RawResponse, _>(Failed(request.headers))
    });
    let error = client("https://api.example.com", 0, 5_000)
        .list_connection_types(&rt)
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::Network, "{error}");
    let mut shown = vec![
        error.to_string(),
        format!("{error:?}"),
        format!("{error:#?}"),
    ];
    let mut source = error.source();
    while let Some(cause) = source {
        shown.push(cause.to_string());
        shown.push(format!("{cause:?}"));
        source = cause.source();
    }
    assert!(shown.len() > 3, "the cause is kept");
    for text in shown {
        assert!(!text.contains("sk_sandbox"), "{text}");
    }
    assert!(error.to_string().contains("could not send with headers"));
    // An error that does not show the key stays the transport's own, for downcasting.
    let rt = FnRuntime::new(|_: HttpRequest| async {
        Err::<RawResponse, _>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset",
        ))
    });
    let error = client("https://api.example.com", 0, 5_000)
        .list_connection_types(&rt)
        .await
        .unwrap_err();
    let source = error.source().unwrap();
    assert_eq!(
        source.downcast_ref::<std::io::Error>().map(|e| e.kind()),
        Some(std::io::ErrorKind::ConnectionReset)
    );
}

#[test]
fn the_calls_futures_are_send_over_either_runtime() {
    fn send<T: Send>(_: &T) {}
    let client = client("https://api.example.com", 0, 5_000);
    let fn_rt = FnRuntime::new(|_: HttpRequest| async {
        Ok::<_, std::io::Error>(RawResponse {
            status: 200,
            retry_after: None,
            body: "[]".into(),
        })
    });
    send(&client.list_connection_types(&fn_rt));
    send(&client.wait_for_auth_link(&fn_rt, "link_1", 1, |_| {}));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reqwest_rt = rt.block_on(async { ReqwestRuntime::new().unwrap() });
    send(&client.verify_redirect(
        &reqwest_rt,
        "https://x.example/?status=success",
        &VerifyRedirect::default(),
    ));
    send(&client);
    send(&fn_rt);
    send(&reqwest_rt);
}
