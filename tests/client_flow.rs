//! The Rust `Client` (the same code the npm package runs over `fetch`) against the sandbox, with a
//! blocking std runtime: the whole connect flow, retries, timeouts and redaction of the key.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use markifact_connect::client::{
    Client, ClientConfig, ClientSettings, CreateAuthLink, LookupBy, VerifyRedirect,
};
use markifact_connect::models::AuthLinkState;
use markifact_connect::ErrorCode;
use support::{Env, StdRuntime};

fn client(env: &Env, key: &str, settings: ClientSettings) -> Client {
    Client::new(
        ClientConfig::new(ClientSettings {
            api_key: Some(key.into()),
            base_url: Some(env.sandbox.url().to_owned()),
            ..settings
        })
        .unwrap(),
    )
}

#[test]
fn connect_flow_end_to_end() {
    let env = Env::new();
    let client = client(&env, "sk_sandbox", ClientSettings::default());
    let rt = StdRuntime;
    let link = support::block_on(client.create_auth_link(
        &rt,
        &CreateAuthLink {
            connection_type: "ga4".into(),
            redirect_url: Some(support::REDIRECT_URL.into()),
            external_id: Some("user_42".into()),
            is_private: None,
        },
    ))
    .unwrap();
    assert!(link.warnings.is_empty());
    let status = support::block_on(client.get_auth_link_status(&rt, &link.id)).unwrap();
    assert_eq!(status.status, AuthLinkState::Pending);

    let location = env.decide_url(&link.url, true);
    let check = VerifyRedirect {
        auth_link_id: Some(&link.id),
        redirect_url: Some(support::REDIRECT_URL),
        ..Default::default()
    };
    let connection = support::block_on(client.verify_redirect(&rt, &location, &check)).unwrap();
    assert_eq!(connection.connection_type, "ga4");

    let mut polls = 0;
    let done =
        support::block_on(client.wait_for_auth_link(&rt, &link.id, 5_000, |_| polls += 1)).unwrap();
    assert_eq!((done.status, polls), (AuthLinkState::Connected, 1));

    let id = connection.id.clone().unwrap();
    let by_external =
        support::block_on(client.get_connection(&rt, "user_42", LookupBy::ExternalId)).unwrap();
    assert_eq!(by_external.len(), 1);
    let deleted = support::block_on(client.delete_connection(&rt, &id)).unwrap();
    assert_eq!(deleted.id.as_deref(), Some(id.as_str()));
    let gone = support::block_on(client.get_connection(&rt, &id, LookupBy::Id)).unwrap_err();
    assert_eq!(gone.code(), ErrorCode::NotFound);
}

#[test]
fn get_requests_are_retried_and_posts_are_not() {
    let env = Env::new();
    let client = client(&env, "sk_sandbox", ClientSettings::default());
    env.faults(r#"[{"status":503},{"reset":true}]"#);
    assert!(support::block_on(client.list_connections(&StdRuntime, None, None)).is_ok());
    env.faults(r#"[{"status":503}]"#);
    let link = CreateAuthLink {
        connection_type: "ga4".into(),
        ..Default::default()
    };
    let err = support::block_on(client.create_auth_link(&StdRuntime, &link)).unwrap_err();
    assert_eq!(
        (err.code(), err.status(), err.retryable()),
        (ErrorCode::HttpError, Some(503), true)
    );
}

#[test]
fn timeouts_are_coded_and_keys_never_leak() {
    let env = Env::new();
    let slow = client(
        &env,
        "sk_sandbox",
        ClientSettings {
            timeout_ms: Some(200),
            max_retries: Some(0),
            ..Default::default()
        },
    );
    env.faults(r#"[{"delay_ms":1500}]"#);
    let err = support::block_on(slow.list_connection_types(&StdRuntime)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout);

    let wrong = client(&env, "sk_wrong_secret_123", ClientSettings::default());
    let err = support::block_on(wrong.list_connections(&StdRuntime, None, None)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unauthorized);
    let shown = format!("{err} {err:?} {:?}", wrong.config());
    assert!(!shown.contains("sk_wrong_secret_123"), "{shown}");
}

#[test]
fn a_waited_link_that_expires_reports_expired() {
    let env = Env::new();
    let client = client(&env, "sk_sandbox", ClientSettings::default());
    let link = support::block_on(client.create_auth_link(
        &StdRuntime,
        &CreateAuthLink {
            connection_type: "ga4".into(),
            ..Default::default()
        },
    ))
    .unwrap();
    env.sandbox
        .advance_clock(Duration::from_millis(24 * 3600 * 1000 + 1));
    let status =
        support::block_on(client.wait_for_auth_link(&StdRuntime, &link.id, 5_000, |_| {})).unwrap();
    assert_eq!(status.status, AuthLinkState::Expired);
}

#[test]
fn a_hanging_poll_does_not_outlive_the_wait() {
    let env = Env::new();
    let client = client(&env, "sk_sandbox", ClientSettings::default());
    let link = CreateAuthLink {
        connection_type: "ga4".into(),
        ..Default::default()
    };
    let link = support::block_on(client.create_auth_link(&StdRuntime, &link)).unwrap();
    // The client's own timeout (30 s) would let this poll hang for the whole delay.
    env.faults(r#"[{"delay_ms":5000}]"#);
    let started = std::time::Instant::now();
    let err = support::block_on(client.wait_for_auth_link(&StdRuntime, &link.id, 300, |_| {}))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout);
    assert!(
        started.elapsed() < Duration::from_millis(4_000),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn body_faults_are_coded_and_only_gets_are_retried() {
    let env = Env::new();
    let client = client(&env, "sk_sandbox", ClientSettings::default());
    env.faults(r#"[{"huge_body_bytes":5000000}]"#);
    let err = support::block_on(client.list_connections(&StdRuntime, None, None)).unwrap_err();
    assert_eq!(
        (err.code(), err.retryable()),
        (ErrorCode::InvalidResponse, false)
    );

    env.faults(r#"[{"reset_mid_body":true}]"#);
    assert!(support::block_on(client.list_connections(&StdRuntime, None, None)).is_ok());
    env.faults(r#"[{"reset_mid_body":true}]"#);
    let link = CreateAuthLink {
        connection_type: "ga4".into(),
        ..Default::default()
    };
    let err = support::block_on(client.create_auth_link(&StdRuntime, &link)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Network);
}
