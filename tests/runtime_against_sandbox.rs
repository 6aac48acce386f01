//! The ready runtimes (`ReqwestRuntime`, `FnRuntime`) driving `Client` against the sandbox, run
//! in-process, on tokio's multi-threaded runtime: the whole flow, spawned calls, timeouts, the
//! body cap, refused redirects, and errors that keep the transport's error as their source.
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
