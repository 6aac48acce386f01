//! The sans-IO client core against the sandbox, run in-process, with the tiny blocking HTTP/1.1
//! executor of `tests/support`: it is all the I/O a real binding has to add.
#![cfg(not(target_arch = "wasm32"))]

use markifact_connect::client::{
    request, response, Failure, LookupBy, Method, Request, RetryPolicy,
};
use markifact_connect::models::{AuthLinkState, CreateAuthLinkRequest};
use markifact_connect::{
    parse_redirect, ErrorCode, ParseOptions, RedirectResult, RedirectUrlOptions,
};
use std::time::Duration;

mod support;

use support::{send, Env, REDIRECT_URL};

impl Env {
    /// Creates a link and approves it on the consent page; returns (link id, connection id).
    fn connect(&self, connection_type: &str, external_id: &str) -> (String, String) {
        let body = CreateAuthLinkRequest {
            connection_type: connection_type.into(),
            redirect_url: Some(REDIRECT_URL.into()),
            external_id: Some(external_id.into()),
            is_private: None,
        };
        let req = request::create_auth_link(&body, RedirectUrlOptions::default()).unwrap();
        let link = response::create_auth_link(&self.execute(&req).view()).unwrap();

        let status = self.status(&link.id);
        assert_eq!(status.status, AuthLinkState::Pending);
        assert!(status.connections.is_empty());

        let consent_path = link
            .url
            .strip_prefix(self.sandbox.url())
            .expect("the consent URL is on the sandbox");
        let raw = send(
            self.sandbox.addr(),
            "GET",
            &format!("{consent_path}?decision=approve"),
            &[],
            None,
        );
        assert_eq!(raw.status, 303);
        let location = raw.header("location").expect("a Location header");
        let RedirectResult::Success(success) = parse_redirect(
            location,
            ParseOptions {
                redirect_url: Some(REDIRECT_URL),
            },
        )
        .unwrap() else {
            panic!("expected a success redirect: {location}");
        };
        assert_eq!(success.connection_type, connection_type);
        assert_eq!(success.external_id.as_deref(), Some(external_id));
        assert_eq!(
            success.app_params,
            [("session_id".to_owned(), "abc".to_owned())]
        );

        // The redirect is a hint; the status endpoint is the proof.
        let status = self.status(&link.id);
        assert_eq!(status.status, AuthLinkState::Connected);
        assert_eq!(
            status.connection_id.as_deref(),
            Some(success.connection_id.as_str())
        );
        assert_eq!(status.connections.len(), 1);
        assert_eq!(
            status.connections[0].id.as_deref(),
            Some(success.connection_id.as_str())
        );
        (link.id, success.connection_id)
    }

    fn status(&self, link_id: &str) -> markifact_connect::models::AuthLinkStatus {
        let req = request::auth_link_status(link_id).unwrap();
        response::auth_link_status(&self.execute(&req).view()).unwrap()
    }
}

#[test]
fn connection_types_are_listed() {
    let env = Env::new();
    let raw = env.execute(&request::list_connection_types());
    let types = response::connection_types(&raw.view()).unwrap();
    assert!(types
        .iter()
        .any(|t| t.id == "gads" && t.name.as_deref() == Some("Google Ads")));
    assert!(types.iter().any(|t| t.id == "ga4"));
}

#[test]
fn full_lifecycle_link_connect_lookup_delete() {
    let env = Env::new();
    let (link_id, connection_id) = env.connect("ga4", "team/7");
    env.connect("meta_ads", "team/7");

    // List, filtered.
    let list = |external_id, connection_type| {
        let req = request::list_connections(external_id, connection_type).unwrap();
        response::list_connections(&env.execute(&req).view()).unwrap()
    };
    assert_eq!(list(None, None).len(), 2);
    assert_eq!(list(Some("team/7"), None).len(), 2);
    let ga4 = list(Some("team/7"), Some("ga4"));
    assert_eq!(ga4.len(), 1);
    assert_eq!(ga4[0].id.as_deref(), Some(connection_id.as_str()));
    assert!(list(Some("other"), None).is_empty());

    // Get by id and by external id (with a `/` in it, percent-encoded into one segment).
    let get = |key: &str, by| {
        let req = request::get_connection(key, by).unwrap();
        response::get_connection(&env.execute(&req).view())
    };
    let by_id = get(&connection_id, LookupBy::Id).unwrap();
    assert_eq!(by_id.len(), 1);
    assert_eq!(by_id[0].external_id.as_deref(), Some("team/7"));
    assert_eq!(get("team/7", LookupBy::ExternalId).unwrap().len(), 2);
    // An id that tries to escape its segment just is not found.
    let e = get("../types", LookupBy::Id).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);

    // Delete, then it is gone.
    let req = request::delete_connection(&connection_id).unwrap();
    let deleted = response::delete_connection(&env.execute(&req).view()).unwrap();
    assert_eq!(deleted.id.as_deref(), Some(connection_id.as_str()));
    let e = get(&connection_id, LookupBy::Id).unwrap_err();
    assert_eq!((e.code(), e.status()), (ErrorCode::NotFound, Some(404)));
    assert!(!e.retryable());
    let e = response::delete_connection(&env.execute(&req).view()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);

    // The link keeps its connection_id, but the connection list is empty now.
    let status = env.status(&link_id);
    assert_eq!(
        status.connection_id.as_deref(),
        Some(connection_id.as_str())
    );
    assert!(status.connections.is_empty());
}

#[test]
fn bad_keys_are_unauthorized() {
    let env = Env::new();
    let req = request::list_connections(None, None).unwrap();
    for key in [None, Some("sk_wrong")] {
        let e = response::list_connections(&env.execute_with_key(&req, key).view()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Unauthorized);
        assert_eq!(e.status(), Some(401));
        assert_eq!(e.detail(), Some("Invalid or revoked API key"));
        assert!(!e.retryable());
        assert!(!e.to_string().contains("sk_wrong"));
    }
}

#[test]
fn api_validation_errors_keep_the_fastapi_detail() {
    // The core refuses what it can check; an unknown type only the API can refuse.
    let env = Env::new();
    let body = CreateAuthLinkRequest {
        connection_type: "no_such_type".into(),
        redirect_url: None,
        external_id: None,
        is_private: None,
    };
    let req = request::create_auth_link(&body, RedirectUrlOptions::default()).unwrap();
    let e = response::create_auth_link(&env.execute(&req).view()).unwrap_err();
    assert_eq!((e.code(), e.status()), (ErrorCode::HttpError, Some(422)));
    let detail = e.detail().unwrap();
    assert!(detail.starts_with("body.connection_type: "), "{detail}");
}

#[test]
fn injected_faults_map_to_codes() {
    let env = Env::new();
    let req = request::list_connections(None, None).unwrap();

    env.faults(r#"[{"status":429,"retry_after_s":1}]"#);
    let e = response::list_connections(&env.execute(&req).view()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::RateLimited);
    assert!(e.retryable());
    assert_eq!(e.retry_after_ms(), Some(1000));
    assert_eq!(e.detail(), Some("Rate limit exceeded (a sandbox fault)"));

    env.faults(r#"[{"status":503}]"#);
    let e = response::list_connections(&env.execute(&req).view()).unwrap_err();
    assert_eq!((e.code(), e.status()), (ErrorCode::HttpError, Some(503)));
    assert!(e.retryable());
    assert_eq!(e.retry_after_ms(), None);

    env.faults(r#"[{"status":200,"body":"not json"}]"#);
    let e = response::list_connections(&env.execute(&req).view()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidResponse);
    assert!(!e.retryable());

    // The queue is empty again.
    assert!(response::list_connections(&env.execute(&req).view()).is_ok());
}

/// A GET retried by [`RetryPolicy`] with a fixed random value; returns the result and the delays.
fn get_with_retries(
    env: &Env,
    req: &Request,
    policy: &RetryPolicy,
) -> (
    markifact_connect::Result<Vec<markifact_connect::models::Connection>>,
    Vec<u64>,
) {
    let mut delays = Vec::new();
    let mut attempt = 0;
    loop {
        let result = response::list_connections(&env.execute(req).view());
        let Err(error) = &result else {
            return (result, delays);
        };
        let Some(failure) = Failure::from_error(error) else {
            return (result, delays);
        };
        match policy.next_delay(attempt, req.method, &failure, 0.5) {
            Some(ms) => {
                delays.push(ms);
                std::thread::sleep(Duration::from_millis(ms));
                attempt += 1;
            }
            None => return (result, delays),
        }
    }
}

#[test]
fn a_get_recovers_from_one_503() {
    let env = Env::new();
    let policy = RetryPolicy {
        max_retries: 2,
        base_delay_ms: 20,
        max_delay_ms: 100,
        max_retry_after_ms: 1_000,
    };
    let req = request::list_connections(None, None).unwrap();
    assert_eq!(req.method, Method::Get);

    env.faults(r#"[{"status":503}]"#);
    let (result, delays) = get_with_retries(&env, &req, &policy);
    assert_eq!(result.unwrap(), vec![]);
    assert_eq!(delays, [10]);

    // Three 503s exhaust two retries: the last error comes back.
    env.faults(r#"[{"status":503},{"status":503},{"status":503}]"#);
    let (result, delays) = get_with_retries(&env, &req, &policy);
    assert_eq!(result.unwrap_err().status(), Some(503));
    assert_eq!(delays, [10, 20]);

    // A POST is never retried, even on a retryable status.
    env.faults(r#"[{"status":503}]"#);
    let body = CreateAuthLinkRequest {
        connection_type: "ga4".into(),
        redirect_url: None,
        external_id: None,
        is_private: None,
    };
    let post = request::create_auth_link(&body, RedirectUrlOptions::default()).unwrap();
    let e = response::create_auth_link(&env.execute(&post).view()).unwrap_err();
    assert!(e.retryable());
    let failure = Failure::from_error(&e).unwrap();
    assert_eq!(policy.next_delay(0, post.method, &failure, 0.5), None);
}

#[test]
fn the_redirect_url_limit_is_the_same_on_both_sides() {
    // 2048 bytes once normalised (each `"` is sent as `%22`), then one more: the client sends the
    // first (normalised) and refuses the second before any request; the sandbox, sent the raw
    // second by another client, refuses it with a 422 too.
    let env = Env::new();
    let at_limit = format!("https://app.example.com/cb{}", "\"".repeat(674));
    let over = format!("https://app.example.com/cbx{}", "\"".repeat(674));
    let body = |redirect_url: &str| CreateAuthLinkRequest {
        connection_type: "ga4".into(),
        redirect_url: Some(redirect_url.into()),
        external_id: Some("team 7".into()),
        is_private: None,
    };

    let req = request::create_auth_link(&body(&at_limit), RedirectUrlOptions::default()).unwrap();
    let link = response::create_auth_link(&env.execute(&req).view()).unwrap();
    let sent = at_limit.replace('"', "%22");
    assert_eq!(sent.len(), 2048);
    // A denial comes back to exactly that URL, its values percent-encoded (`%20` for a space).
    let location = env.decide(&link, false);
    assert_eq!(
        location,
        format!("{sent}?status=error&connection_type=ga4&external_id=team%207&error=The%20user%20denied%20access")
    );
    let RedirectResult::Error(error) = parse_redirect(
        &location,
        ParseOptions {
            redirect_url: Some(&at_limit),
        },
    )
    .unwrap() else {
        panic!("an error redirect: {location}");
    };
    assert_eq!(error.error, "The user denied access");
    assert_eq!(error.external_id.as_deref(), Some("team 7"));

    let e = request::create_auth_link(&body(&over), RedirectUrlOptions::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRedirectUrl);
    assert_eq!(e.rule(), Some(markifact_connect::Rule::TooLong));
    let raw = send(
        env.sandbox.addr(),
        "POST",
        "/v1/connections/auth-link",
        &[
            ("authorization", "Bearer sk_sandbox".to_owned()),
            ("content-type", "application/json".to_owned()),
        ],
        Some(&serde_json::json!({"connection_type": "ga4", "redirect_url": over}).to_string()),
    );
    let e = response::create_auth_link(&raw.view()).unwrap_err();
    assert_eq!((e.code(), e.status()), (ErrorCode::HttpError, Some(422)));
    let detail = e.detail().unwrap();
    assert!(
        detail.starts_with("body.redirect_url: ") && detail.contains("2049 bytes once normalised"),
        "{detail}"
    );
}
