//! Scripted tests of the calls' state machines (src/client/call.rs, exchange.rs, wait.rs).
//!
//! Each test builds a [`Call`], feeds it [`Event`]s with a chosen time and random number, and
//! checks the exact [`Action`]s it answers: no runtime, no sleeping, no async.

use core::fmt::Debug;

use super::{
    not_a_response, redirect_refused, response_too_large, Action, Call, ClientConfig,
    ClientSettings, ConnectionType, CreateAuthLink, Event, HttpRequest, LookupBy, Method,
    RawResponse, VerifyExpectations, VerifyRedirect, MAX_RESPONSE_BYTES,
};
use crate::models::{AuthLink, AuthLinkState, AuthLinkStatus, Connection};
use crate::{Error, ErrorCode, RedirectError, RedirectResult, RedirectSuccess};

const KEY: &str = "sk_test_secret";
const BASE: &str = "https://api.markifact.com";
/// 2025-12-31T00:00:00Z, in ms.
const T: u64 = 1_767_139_200_000;
/// When the links of these tests expire, unless a test says otherwise: a day after `T`.
const EXPIRES: u64 = T + 86_400_000;
const STATUS_PATH: &str = "/v1/connections/auth-links/link_1/status";
const CONNECTION: &str = r#"{"id":"c_1","type":"ga4","is_private":false,"display_name":"Main",
    "external_id":"user_42","created_at":1,"updated_at":2}"#;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn settings() -> ClientSettings {
    ClientSettings {
        api_key: Some(KEY.into()),
        ..Default::default()
    }
}

fn config() -> ClientConfig {
    ClientConfig::new(settings()).unwrap()
}

fn config_with(settings: ClientSettings) -> ClientConfig {
    ClientConfig::new(settings).unwrap()
}

fn with_retries(max_retries: u32) -> ClientConfig {
    config_with(ClientSettings {
        max_retries: Some(max_retries),
        ..settings()
    })
}

fn with_timeout(timeout_ms: u64) -> ClientConfig {
    config_with(ClientSettings {
        timeout_ms: Some(timeout_ms),
        ..settings()
    })
}

/// Feeds the events in order (each with its time and random number); the actions answered.
fn script<T: 'static>(
    call: &mut Call<T>,
    steps: impl IntoIterator<Item = (Event, u64, f64)>,
) -> Vec<Action<T>> {
    steps
        .into_iter()
        .map(|(event, now, random)| call.step(event, now, random))
        .collect()
}

fn response(status: u16, body: &str) -> Event {
    Event::Response(RawResponse {
        status,
        retry_after: None,
        body: body.into(),
    })
}

fn response_after(status: u16, retry_after: &str, body: &str) -> Event {
    Event::Response(RawResponse {
        status,
        retry_after: Some(retry_after.into()),
        body: body.into(),
    })
}

fn network() -> Event {
    Event::Failed(Error::network("connection reset by peer"))
}

fn aborted() -> Event {
    Event::Failed(Error::aborted("the caller cancelled"))
}

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

/// The request a default client sends for `GET {path}`.
fn get(path: &str) -> HttpRequest {
    HttpRequest {
        method: Method::Get,
        url: format!("{BASE}{path}"),
        headers: headers(&[
            ("authorization", "Bearer sk_test_secret"),
            ("accept", "application/json"),
        ]),
        body: None,
        timeout_ms: 30_000,
        max_body_bytes: 4 * 1024 * 1024,
    }
}

fn timed(mut request: HttpRequest, timeout_ms: u64) -> HttpRequest {
    request.timeout_ms = timeout_ms;
    request
}

fn status_request() -> HttpRequest {
    get(STATUS_PATH)
}

fn connection() -> Connection {
    Connection {
        id: Some("c_1".into()),
        connection_type: "ga4".into(),
        is_private: false,
        display_name: Some("Main".into()),
        external_id: Some("user_42".into()),
        created_at: Some(1),
        updated_at: Some(2),
    }
}

/// An auth link status body: `connected` links produced `c_1` (still there).
fn status_json(state: &str, expires_at: u64) -> String {
    let (connection_id, consumed_at, connections) = match state {
        "connected" => ("\"c_1\"", (T + 500).to_string(), format!("[{CONNECTION}]")),
        _ => ("null", "null".to_owned(), "[]".to_owned()),
    };
    format!(
        r#"{{"id":"link_1","status":"{state}","connection_type":"ga4","expires_at":{expires_at},
        "created_at":{T},"updated_at":{T},"connection_id":{connection_id},"external_id":"user_42",
        "consumed_at":{consumed_at},"connections":{connections}}}"#
    )
}

fn status_value(state: AuthLinkState, expires_at: u64) -> AuthLinkStatus {
    let connected = state == AuthLinkState::Connected;
    AuthLinkStatus {
        id: "link_1".into(),
        status: state,
        connection_type: "ga4".into(),
        expires_at: expires_at as i64,
        created_at: T as i64,
        updated_at: T as i64,
        connection_id: connected.then(|| "c_1".into()),
        external_id: Some("user_42".into()),
        consumed_at: connected.then_some((T + 500) as i64),
        connections: if connected {
            vec![connection()]
        } else {
            vec![]
        },
    }
}

fn pending() -> Event {
    response(200, &status_json("pending", EXPIRES))
}

fn connected() -> Event {
    response(200, &status_json("connected", EXPIRES))
}

fn pending_value() -> AuthLinkStatus {
    status_value(AuthLinkState::Pending, EXPIRES)
}

fn connected_value() -> AuthLinkStatus {
    status_value(AuthLinkState::Connected, EXPIRES)
}

/// The error of a `Done(Err)`.
#[track_caller]
fn error_of<T: Debug>(action: &Action<T>) -> &Error {
    match action {
        Action::Done(Err(error)) => error,
        other => panic!("expected Done(Err(_)), got {other:?}"),
    }
}

/// What retrying depends on: the code, the status, `retryable`, `retry_after_ms`.
fn summary(error: &Error) -> (ErrorCode, Option<u16>, bool, Option<u64>) {
    (
        error.code(),
        error.status(),
        error.retryable(),
        error.retry_after_ms(),
    )
}

/// Asserts the call is over: any further step is an internal error.
#[track_caller]
fn assert_finished<T: Debug + 'static>(call: &mut Call<T>) {
    for event in [Event::Continue, response(200, "[]"), network()] {
        let action = call.step(event, T + 1_000_000, 0.5);
        let error = error_of(&action);
        assert_eq!(error.code(), ErrorCode::Internal);
        assert_eq!(
            error.message(),
            "the call was stepped after it was done (a bug in its driver)"
        );
    }
}

fn success_redirect() -> RedirectResult {
    RedirectResult::Success(RedirectSuccess {
        connection_type: "ga4".into(),
        connection_id: "c_1".into(),
        external_id: Some("user_42".into()),
        app_params: vec![("tab".into(), "2".into())],
    })
}

// ---------------------------------------------------------------------------------------------
// Exchange: the request
// ---------------------------------------------------------------------------------------------

#[test]
fn exchange_first_step_sends_the_exact_request() {
    let mut call = Call::list_connection_types(&config());
    assert_eq!(
        call.step(Event::Continue, T, 0.5),
        Action::Send(HttpRequest {
            method: Method::Get,
            url: "https://api.markifact.com/v1/connections/types".into(),
            headers: headers(&[
                ("authorization", "Bearer sk_test_secret"),
                ("accept", "application/json"),
            ]),
            body: None,
            timeout_ms: 30_000,
            max_body_bytes: MAX_RESPONSE_BYTES,
        })
    );
    assert_eq!(MAX_RESPONSE_BYTES, 4_194_304);
}

#[test]
fn exchange_request_follows_the_config() {
    let config = config_with(ClientSettings {
        base_url: Some("https://proxy.example.com/markifact/".into()),
        timeout_ms: Some(1_234),
        headers: headers(&[
            ("X-Trace", "abc"),
            ("Authorization", "Bearer other"),
            ("Accept", "text/plain"),
        ]),
        ..settings()
    });
    let mut call = Call::list_connections(&config, Some("user 42"), Some("ga4")).unwrap();
    assert_eq!(
        call.step(Event::Continue, T, 0.5),
        Action::Send(HttpRequest {
            method: Method::Get,
            url:
                "https://proxy.example.com/markifact/v1/connections?external_id=user%2042&type=ga4"
                    .into(),
            headers: headers(&[
                ("X-Trace", "abc"),
                ("authorization", "Bearer sk_test_secret"),
                ("accept", "application/json"),
            ]),
            body: None,
            timeout_ms: 1_234,
            max_body_bytes: MAX_RESPONSE_BYTES,
        })
    );
}

#[test]
fn exchange_without_a_key_sends_no_authorization() {
    let config = config_with(ClientSettings {
        base_url: Some("/api/markifact/".into()),
        ..Default::default()
    });
    let mut call = Call::list_connection_types(&config);
    assert_eq!(
        call.step(Event::Continue, T, 0.5),
        Action::Send(HttpRequest {
            method: Method::Get,
            url: "/api/markifact/v1/connections/types".into(),
            headers: headers(&[("accept", "application/json")]),
            body: None,
            timeout_ms: 30_000,
            max_body_bytes: MAX_RESPONSE_BYTES,
        })
    );
}

#[test]
fn each_constructor_sends_its_route() {
    let c = config();
    let first = |action: Action<Vec<Connection>>| match action {
        Action::Send(request) => request,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        first(
            Call::list_connections(&c, None, None)
                .unwrap()
                .step(Event::Continue, T, 0.5)
        ),
        get("/v1/connections")
    );
    assert_eq!(
        first(
            Call::list_connections(&c, None, Some("meta_ads"))
                .unwrap()
                .step(Event::Continue, T, 0.5)
        ),
        get("/v1/connections?type=meta_ads")
    );
    assert_eq!(
        first(
            Call::get_connection(&c, "c/1", LookupBy::Id)
                .unwrap()
                .step(Event::Continue, T, 0.5)
        ),
        get("/v1/connections/c%2F1")
    );
    assert_eq!(
        first(
            Call::get_connection(&c, "user_42", LookupBy::ExternalId)
                .unwrap()
                .step(Event::Continue, T, 0.5)
        ),
        get("/v1/connections/user_42?lookup_by=external_id")
    );
    assert_eq!(
        Call::auth_link_status(&c, "link_1")
            .unwrap()
            .step(Event::Continue, T, 0.5),
        Action::Send(status_request())
    );
    assert_eq!(
        Call::delete_connection(&c, "c_1")
            .unwrap()
            .step(Event::Continue, T, 0.5),
        Action::Send(HttpRequest {
            method: Method::Delete,
            ..get("/v1/connections/c_1")
        })
    );
}

#[test]
fn constructors_validate_before_any_io() {
    let c = config();
    let code = |e: Error| (e.code(), e.field().map(str::to_owned));
    assert_eq!(
        code(Call::auth_link_status(&c, "").unwrap_err()),
        (ErrorCode::InvalidRequest, Some("auth_link_id".into()))
    );
    assert_eq!(
        code(Call::wait_for_auth_link(&c, "..", 1_000).unwrap_err()),
        (ErrorCode::InvalidRequest, Some("auth_link_id".into()))
    );
    assert_eq!(
        code(Call::delete_connection(&c, "").unwrap_err()),
        (ErrorCode::InvalidRequest, Some("connection_id".into()))
    );
    assert_eq!(
        code(Call::get_connection(&c, ".", LookupBy::Id).unwrap_err()),
        (ErrorCode::InvalidRequest, Some("id".into()))
    );
    assert_eq!(
        code(Call::list_connections(&c, Some(""), None).unwrap_err()),
        (ErrorCode::InvalidRequest, Some("external_id".into()))
    );
    let link = |connection_type: &str, redirect_url: Option<&str>| CreateAuthLink {
        connection_type: connection_type.into(),
        redirect_url: redirect_url.map(str::to_owned),
        ..Default::default()
    };
    assert_eq!(
        code(Call::create_auth_link(&c, &link(" ", None)).unwrap_err()),
        (ErrorCode::InvalidRequest, Some("connection_type".into()))
    );
    assert_eq!(
        Call::create_auth_link(&c, &link("ga4", Some("http://app.example.com/cb")))
            .unwrap_err()
            .code(),
        ErrorCode::InvalidRedirectUrl
    );
}

#[test]
fn create_auth_link_posts_the_json_body_and_returns_the_link() {
    let link = CreateAuthLink {
        connection_type: "ga4".into(),
        redirect_url: Some("https://app.example.com/cb".into()),
        external_id: Some("user_42".into()),
        is_private: Some(true),
    };
    let mut call = Call::create_auth_link(&config(), &link).unwrap();
    let body = r#"{"id":"link_1","url":"https://connect.markifact.com/l/link_1","expires_at":1767225600000}"#;
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response(201, body), T + 80, 0.5),
        ],
    );
    assert_eq!(
        actions,
        [
            Action::Send(HttpRequest {
                method: Method::Post,
                url: "https://api.markifact.com/v1/connections/auth-link".into(),
                headers: headers(&[
                    ("authorization", "Bearer sk_test_secret"),
                    ("accept", "application/json"),
                    ("content-type", "application/json"),
                ]),
                body: Some(
                    r#"{"connection_type":"ga4","redirect_url":"https://app.example.com/cb","external_id":"user_42","is_private":true}"#
                        .into()
                ),
                timeout_ms: 30_000,
                max_body_bytes: MAX_RESPONSE_BYTES,
            }),
            Action::Done(Ok(AuthLink {
                id: "link_1".into(),
                url: "https://connect.markifact.com/l/link_1".into(),
                expires_at: 1_767_225_600_000,
                warnings: vec![],
            })),
        ]
    );
    assert_finished(&mut call);
}

#[test]
fn create_auth_link_carries_the_input_warnings() {
    let link = CreateAuthLink {
        connection_type: "ga4".into(),
        external_id: Some("jane@example.com".into()),
        ..Default::default()
    };
    let mut call = Call::create_auth_link(&config(), &link).unwrap();
    let body = r#"{"id":"link_1","url":"https://connect.markifact.com/l/link_1","expires_at":5}"#;
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (response(200, body), T, 0.5)],
    );
    let Action::Done(Ok(created)) = &actions[1] else {
        panic!("{actions:?}")
    };
    assert_eq!(created.warnings.len(), 1);
    assert!(created.warnings[0].starts_with("external_id looks like an email address"));
    assert!(!created.warnings[0].contains("jane@example.com"));
}

// ---------------------------------------------------------------------------------------------
// Exchange: success
// ---------------------------------------------------------------------------------------------

#[test]
fn exchange_decodes_each_endpoint() {
    let c = config();
    let list = format!("[{CONNECTION}]");

    let mut call = Call::list_connections(&c, None, None).unwrap();
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (response(200, &list), T, 0.5)],
    );
    assert_eq!(actions[1], Action::Done(Ok(vec![connection()])));

    let mut call = Call::get_connection(&c, "c_1", LookupBy::Id).unwrap();
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (response(200, &list), T, 0.5)],
    );
    assert_eq!(actions[1], Action::Done(Ok(vec![connection()])));

    let mut call = Call::delete_connection(&c, "c_1").unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response(200, CONNECTION), T, 0.5),
        ],
    );
    assert_eq!(actions[1], Action::Done(Ok(connection())));

    let mut call = Call::auth_link_status(&c, "link_1").unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response(200, &status_json("connected", EXPIRES)), T, 0.5),
        ],
    );
    assert_eq!(actions[1], Action::Done(Ok(connected_value())));

    let mut call = Call::list_connection_types(&c);
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (
                response(204, r#"["ga4",{"type":"gads","name":"Google Ads"}]"#),
                T,
                0.5,
            ),
        ],
    );
    assert_eq!(
        actions[1],
        Action::Done(Ok(vec![
            ConnectionType {
                id: "ga4".into(),
                name: None
            },
            ConnectionType {
                id: "gads".into(),
                name: Some("Google Ads".into())
            },
        ]))
    );
}

// ---------------------------------------------------------------------------------------------
// Exchange: retries
// ---------------------------------------------------------------------------------------------

#[test]
fn get_503_sleeps_with_full_jitter_then_sends_the_same_request_again() {
    let mut call = Call::list_connections(&config(), None, None).unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response(503, ""), T + 10, 0.5),
            (Event::Continue, T + 135, 0.9),
            (response(503, ""), T + 150, 0.5),
            (Event::Continue, T + 400, 0.1),
            (response(200, "[]"), T + 450, 0.5),
        ],
    );
    let request = get("/v1/connections");
    assert_eq!(
        actions,
        [
            Action::Send(request.clone()),
            // random × min(5000, 250 × 2^0)
            Action::Sleep(125),
            Action::Send(request.clone()),
            // random × min(5000, 250 × 2^1)
            Action::Sleep(250),
            Action::Send(request),
            Action::Done(Ok(vec![])),
        ]
    );
    assert_finished(&mut call);
}

#[test]
fn jitter_is_the_random_share_of_the_ceiling() {
    for (random, expected) in [
        (0.0, 0),
        (0.2, 50),
        (0.5, 125),
        (0.999_999, 249),
        (1.0, 249),
        (-1.0, 0),
        (f64::NAN, 0),
    ] {
        let mut call = Call::list_connection_types(&config());
        let actions = script(
            &mut call,
            [(Event::Continue, T, 0.5), (response(503, ""), T, random)],
        );
        assert_eq!(actions[1], Action::Sleep(expected), "random {random}");
    }
}

#[test]
fn backoff_doubles_per_retry_and_caps_at_max_delay() {
    let mut call = Call::list_connection_types(&with_retries(7));
    let mut actions = vec![call.step(Event::Continue, T, 0.5)];
    for i in 0..8u64 {
        actions.push(call.step(response(502, ""), T + i, 0.5));
        actions.push(call.step(Event::Continue, T + i, 0.5));
    }
    let request = get("/v1/connections/types");
    let sleeps: Vec<&Action<Vec<ConnectionType>>> = actions.iter().skip(1).step_by(2).collect();
    assert_eq!(
        sleeps[..7],
        [
            &Action::Sleep(125),
            &Action::Sleep(250),
            &Action::Sleep(500),
            &Action::Sleep(1_000),
            &Action::Sleep(2_000),
            &Action::Sleep(2_500),
            &Action::Sleep(2_500),
        ]
    );
    for send in actions.iter().step_by(2).take(8) {
        assert_eq!(send, &Action::Send(request.clone()));
    }
    // The 8th failure (after 7 retries) is the last.
    assert_eq!(
        summary(error_of(&actions[15])),
        (ErrorCode::HttpError, Some(502), true, None)
    );
    assert_eq!(
        actions[16],
        Action::Done(Err(Error::internal(
            "the call was stepped after it was done (a bug in its driver)"
        )))
    );
}

#[test]
fn transient_failures_of_a_get_are_retried() {
    let failures = [
        response(503, ""),
        response(500, "oops"),
        response(502, ""),
        response(504, ""),
        response(599, ""),
        response(429, r#"{"detail":"slow down"}"#),
        response(408, ""),
        network(),
        Event::Failed(Error::timeout("no answer within 30000 ms")),
    ];
    for failure in failures {
        let mut call = Call::auth_link_status(&config(), "link_1").unwrap();
        let actions = script(
            &mut call,
            [
                (Event::Continue, T, 0.5),
                (failure.clone(), T + 5, 0.5),
                (Event::Continue, T + 130, 0.5),
                (connected(), T + 140, 0.5),
            ],
        );
        assert_eq!(
            actions,
            [
                Action::Send(status_request()),
                Action::Sleep(125),
                Action::Send(status_request()),
                Action::Done(Ok(connected_value())),
            ],
            "{failure:?}"
        );
    }
}

#[test]
fn retry_after_is_honoured_exactly() {
    for (retry_after, expected) in [
        ("3", 3_000),
        (" 2 ", 2_000),
        ("0", 0),
        // Exactly the policy's most: still honoured.
        ("30", 30_000),
        // An HTTP-date, 7 s after the response's time.
        ("Wed, 31 Dec 2025 00:00:07 GMT", 7_000),
        // A date in the past: retry at once.
        ("Tue, 30 Dec 2025 23:00:00 GMT", 0),
        // Unreadable: the usual backoff.
        ("soon", 225),
    ] {
        let mut call = Call::list_connection_types(&config());
        let actions = script(
            &mut call,
            [
                (Event::Continue, T - 50, 0.9),
                (response_after(429, retry_after, ""), T, 0.9),
                (Event::Continue, T + expected, 0.9),
            ],
        );
        assert_eq!(
            actions[1..],
            [
                Action::Sleep(expected),
                Action::Send(get("/v1/connections/types"))
            ],
            "{retry_after:?}"
        );
    }
}

#[test]
fn retry_after_on_the_second_retry_is_still_exact() {
    let mut call = Call::list_connection_types(&config());
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response(503, ""), T, 0.5),
            (Event::Continue, T + 125, 0.5),
            (response_after(503, "4", ""), T + 200, 0.5),
            (Event::Continue, T + 4_200, 0.5),
            (response_after(503, "1", "still down"), T + 4_300, 0.5),
        ],
    );
    assert_eq!(actions[1], Action::Sleep(125));
    assert_eq!(actions[3], Action::Sleep(4_000));
    // Two retries made: the third failure is final, whatever its Retry-After.
    let error = error_of(&actions[5]);
    assert_eq!(
        summary(error),
        (ErrorCode::HttpError, Some(503), true, Some(1_000))
    );
    assert_eq!(
        error.message(),
        "the API answered 503 Service Unavailable: still down (retry after 1000 ms)"
    );
}

#[test]
fn retry_after_above_the_cap_gives_up_carrying_the_wait() {
    for (retry_after, carried) in [("31", 31_000), ("120", 60_000)] {
        let mut call = Call::list_connection_types(&config());
        let actions = script(
            &mut call,
            [
                (Event::Continue, T, 0.5),
                (response_after(429, retry_after, ""), T, 0.5),
            ],
        );
        let error = error_of(&actions[1]);
        assert_eq!(
            summary(error),
            (ErrorCode::RateLimited, Some(429), true, Some(carried))
        );
        assert_eq!(
            error.message(),
            format!("the API answered 429 Too Many Requests (retry after {carried} ms)")
        );
        assert_finished(&mut call);
    }
}

#[test]
fn gives_up_after_max_retries_with_the_last_error() {
    let mut call = Call::get_connection(&config(), "c_1", LookupBy::Id).unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response(503, ""), T, 0.5),
            (Event::Continue, T, 0.5),
            (network(), T, 0.5),
            (Event::Continue, T, 0.5),
            (response(502, r#"{"detail":"upstream gone"}"#), T, 0.5),
        ],
    );
    let request = get("/v1/connections/c_1");
    assert_eq!(
        actions[..5],
        [
            Action::Send(request.clone()),
            Action::Sleep(125),
            Action::Send(request.clone()),
            Action::Sleep(250),
            Action::Send(request),
        ]
    );
    let error = error_of(&actions[5]);
    assert_eq!(
        summary(error),
        (ErrorCode::HttpError, Some(502), true, None)
    );
    assert_eq!(
        error.message(),
        "the API answered 502 Bad Gateway: upstream gone"
    );
    assert_eq!(error.detail(), Some("upstream gone"));
}

#[test]
fn a_last_network_failure_is_the_error_given_back() {
    let mut call = Call::list_connection_types(&with_retries(1));
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response(503, ""), T, 0.5),
            (Event::Continue, T, 0.5),
            (Event::Failed(Error::timeout("no answer in 30 s")), T, 0.5),
        ],
    );
    assert_eq!(actions[1], Action::Sleep(125));
    assert_eq!(
        actions[3],
        Action::Done(Err(Error::timeout("no answer in 30 s")))
    );
}

#[test]
fn max_retries_zero_never_retries() {
    for failure in [response(503, ""), response_after(429, "1", ""), network()] {
        let mut call = Call::list_connection_types(&with_retries(0));
        let actions = script(
            &mut call,
            [(Event::Continue, T, 0.5), (failure.clone(), T, 0.5)],
        );
        assert!(
            matches!(&actions[1], Action::Done(Err(e)) if e.retryable()),
            "{failure:?} -> {actions:?}"
        );
        assert_finished(&mut call);
    }
}

#[test]
fn post_is_never_retried() {
    let link = CreateAuthLink {
        connection_type: "ga4".into(),
        ..Default::default()
    };
    for (failure, expected) in [
        (
            response(503, ""),
            (ErrorCode::HttpError, Some(503), true, None),
        ),
        (
            response_after(429, "1", ""),
            (ErrorCode::RateLimited, Some(429), true, Some(1_000)),
        ),
        (network(), (ErrorCode::Network, None, true, None)),
        (
            Event::Failed(Error::timeout("slow")),
            (ErrorCode::Timeout, None, true, None),
        ),
    ] {
        let mut call = Call::create_auth_link(&config(), &link).unwrap();
        let actions = script(
            &mut call,
            [(Event::Continue, T, 0.5), (failure.clone(), T, 0.5)],
        );
        assert!(matches!(&actions[0], Action::Send(r) if r.method == Method::Post));
        assert_eq!(summary(error_of(&actions[1])), expected, "{failure:?}");
        assert_finished(&mut call);
    }
}

#[test]
fn delete_is_never_retried() {
    for (failure, expected) in [
        (
            response(503, ""),
            (ErrorCode::HttpError, Some(503), true, None),
        ),
        (
            response(500, ""),
            (ErrorCode::HttpError, Some(500), true, None),
        ),
        (network(), (ErrorCode::Network, None, true, None)),
    ] {
        let mut call = Call::delete_connection(&config(), "c_1").unwrap();
        let actions = script(
            &mut call,
            [(Event::Continue, T, 0.5), (failure.clone(), T, 0.5)],
        );
        assert!(matches!(&actions[0], Action::Send(r) if r.method == Method::Delete));
        assert_eq!(summary(error_of(&actions[1])), expected, "{failure:?}");
        assert_finished(&mut call);
    }
}

#[test]
fn non_retryable_statuses_finish_at_once() {
    for (status, body, code, message, detail) in [
        (
            400,
            r#"{"detail":[{"loc":["body","connection_type"],"msg":"field required"}]}"#,
            ErrorCode::HttpError,
            "the API answered 400 Bad Request: body.connection_type: field required",
            Some("body.connection_type: field required"),
        ),
        (
            401,
            r#"{"detail":"Invalid or revoked API key"}"#,
            ErrorCode::Unauthorized,
            "the API answered 401 Unauthorized: Invalid or revoked API key",
            Some("Invalid or revoked API key"),
        ),
        (
            403,
            "",
            ErrorCode::HttpError,
            "the API answered 403 Forbidden",
            None,
        ),
        (
            404,
            r#"{"detail":"Connection not found"}"#,
            ErrorCode::NotFound,
            "the API answered 404 Not Found: Connection not found",
            Some("Connection not found"),
        ),
        (
            409,
            "conflict",
            ErrorCode::HttpError,
            "the API answered 409 Conflict: conflict",
            Some("conflict"),
        ),
        (100, "", ErrorCode::HttpError, "the API answered 100", None),
    ] {
        let mut call = Call::get_connection(&config(), "c_1", LookupBy::Id).unwrap();
        // Even a Retry-After does not make these retryable.
        let actions = script(
            &mut call,
            [(Event::Continue, T, 0.5), (response(status, body), T, 0.5)],
        );
        let error = error_of(&actions[1]);
        assert_eq!(
            summary(error),
            (code, Some(status), false, None),
            "{status}"
        );
        assert_eq!(error.message(), message);
        assert_eq!(error.detail(), detail);
        assert_finished(&mut call);
    }
    let mut call = Call::list_connection_types(&config());
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response_after(400, "1", ""), T, 0.5),
        ],
    );
    assert_eq!(
        summary(error_of(&actions[1])),
        (ErrorCode::HttpError, Some(400), false, Some(1_000))
    );
}

#[test]
fn aborted_during_the_sleep_ends_without_another_send() {
    let mut call = Call::list_connection_types(&config());
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response(503, ""), T, 0.5),
            (aborted(), T + 50, 0.5),
        ],
    );
    assert_eq!(
        actions,
        [
            Action::Send(get("/v1/connections/types")),
            Action::Sleep(125),
            Action::Done(Err(Error::aborted("the caller cancelled"))),
        ]
    );
    assert_finished(&mut call);
}

#[test]
fn aborted_while_sending_is_not_retried() {
    let mut call = Call::list_connection_types(&config());
    let actions = script(&mut call, [(Event::Continue, T, 0.5), (aborted(), T, 0.5)]);
    assert_eq!(
        actions[1],
        Action::Done(Err(Error::aborted("the caller cancelled")))
    );
    assert_finished(&mut call);
}

#[test]
fn redirects_are_refused_and_never_retried() {
    for status in [300, 301, 302, 303, 307, 308, 399] {
        let mut call = Call::list_connection_types(&config());
        let actions = script(
            &mut call,
            [
                (Event::Continue, T, 0.5),
                (response_after(status, "1", "moved"), T, 0.5),
            ],
        );
        let error = error_of(&actions[1]);
        assert_eq!(
            summary(error),
            (ErrorCode::InvalidResponse, Some(status), false, None)
        );
        assert_eq!(error, &redirect_refused(Some(status)));
        assert_eq!(
            error.message(),
            format!("the API answered with a redirect (HTTP {status}), which the client does not follow (it could carry the API key elsewhere); check base_url")
        );
        assert_finished(&mut call);
    }
}

#[test]
fn a_status_below_100_is_not_a_response() {
    for status in [0, 1, 99] {
        let mut call = Call::list_connection_types(&config());
        let actions = script(
            &mut call,
            [(Event::Continue, T, 0.5), (response(status, "[]"), T, 0.5)],
        );
        let error = error_of(&actions[1]);
        assert_eq!(
            summary(error),
            (ErrorCode::InvalidResponse, None, false, None)
        );
        assert_eq!(
            error.message(),
            "fetch resolved to something that is not a Response: its HTTP status is below 100"
        );
        assert_eq!(
            error,
            &not_a_response("its HTTP status is below 100"),
            "{status}"
        );
    }
}

#[test]
fn a_body_over_the_limit_is_invalid_response() {
    let huge = " ".repeat(MAX_RESPONSE_BYTES + 1);
    for status in [200, 503] {
        let mut call = Call::list_connection_types(&config());
        let actions = script(
            &mut call,
            [(Event::Continue, T, 0.5), (response(status, &huge), T, 0.5)],
        );
        let error = error_of(&actions[1]);
        assert_eq!(
            summary(error),
            (ErrorCode::InvalidResponse, None, false, None),
            "{status}"
        );
        assert_eq!(
            error.message(),
            "the response body is larger than 4194304 bytes, the most the client reads"
        );
        assert_finished(&mut call);
    }
    // Exactly the limit is read.
    let mut exact = String::from("[");
    exact.push_str(&" ".repeat(MAX_RESPONSE_BYTES - 2));
    exact.push(']');
    let mut call = Call::list_connection_types(&config());
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (response(200, &exact), T, 0.5)],
    );
    assert_eq!(actions[1], Action::Done(Ok(vec![])));
    // The runtime's own report of it is not retried either.
    let mut call = Call::list_connection_types(&config());
    let too_large = Event::Failed(response_too_large(MAX_RESPONSE_BYTES));
    let actions = script(&mut call, [(Event::Continue, T, 0.5), (too_large, T, 0.5)]);
    assert_eq!(
        actions[1],
        Action::Done(Err(response_too_large(MAX_RESPONSE_BYTES)))
    );
}

#[test]
fn a_transport_answer_that_is_not_a_response_is_not_retried() {
    let mut call = Call::list_connection_types(&config());
    let failed = Event::Failed(not_a_response("it is undefined"));
    let actions = script(&mut call, [(Event::Continue, T, 0.5), (failed, T, 0.5)]);
    assert_eq!(
        actions[1],
        Action::Done(Err(not_a_response("it is undefined")))
    );
    let mut call = Call::list_connection_types(&config());
    let failed = Event::Failed(redirect_refused(None));
    let actions = script(&mut call, [(Event::Continue, T, 0.5), (failed, T, 0.5)]);
    assert_eq!(actions[1], Action::Done(Err(redirect_refused(None))));
}

#[test]
fn an_invalid_2xx_body_is_invalid_response_and_not_retried() {
    for body in ["not json", "{\"id\":1}", ""] {
        let mut call = Call::list_connections(&config(), None, None).unwrap();
        let actions = script(
            &mut call,
            [(Event::Continue, T, 0.5), (response(200, body), T, 0.5)],
        );
        let error = error_of(&actions[1]);
        assert_eq!(
            summary(error),
            (ErrorCode::InvalidResponse, Some(200), false, None),
            "{body:?}"
        );
        assert!(
            error
                .message()
                .starts_with("expected a JSON array of connections from GET /v1/connections; "),
            "{}",
            error.message()
        );
        assert_finished(&mut call);
    }
}

// ---------------------------------------------------------------------------------------------
// Redaction
// ---------------------------------------------------------------------------------------------

#[test]
fn a_401_echoing_the_key_is_redacted() {
    let mut call = Call::list_connection_types(&config());
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (
                response(401, r#"{"detail":"bad key sk_test_secret"}"#),
                T,
                0.5,
            ),
        ],
    );
    let error = error_of(&actions[1]);
    assert_eq!(
        summary(error),
        (ErrorCode::Unauthorized, Some(401), false, None)
    );
    assert_eq!(
        error.message(),
        "the API answered 401 Unauthorized: bad key [redacted]"
    );
    assert_eq!(error.detail(), Some("bad key [redacted]"));
}

#[test]
fn a_raw_error_body_echoing_the_key_twice_is_redacted() {
    let mut call = Call::delete_connection(&config(), "c_1").unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (
                response(500, "Bearer sk_test_secret; key=sk_test_secret"),
                T,
                0.5,
            ),
        ],
    );
    let error = error_of(&actions[1]);
    assert_eq!(
        error.message(),
        "the API answered 500 Internal Server Error: Bearer [redacted]; key=[redacted]"
    );
    assert_eq!(error.detail(), Some("Bearer [redacted]; key=[redacted]"));
}

#[test]
fn network_errors_echoing_the_key_are_redacted() {
    let echo = || {
        Event::Failed(Error::network(
            "could not reach https://api.markifact.com with Bearer sk_test_secret",
        ))
    };
    // At once, without retries.
    let mut call = Call::list_connection_types(&with_retries(0));
    let actions = script(&mut call, [(Event::Continue, T, 0.5), (echo(), T, 0.5)]);
    assert_eq!(
        actions[1],
        Action::Done(Err(Error::network(
            "could not reach https://api.markifact.com with Bearer [redacted]"
        )))
    );
    // After the retries, on a POST, and when aborted.
    let mut call = Call::list_connection_types(&config());
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (echo(), T, 0.5),
            (Event::Continue, T, 0.5),
            (echo(), T, 0.5),
            (Event::Continue, T, 0.5),
            (echo(), T, 0.5),
        ],
    );
    assert_eq!(
        actions[5],
        Action::Done(Err(Error::network(
            "could not reach https://api.markifact.com with Bearer [redacted]"
        )))
    );
    let link = CreateAuthLink {
        connection_type: "ga4".into(),
        ..Default::default()
    };
    let mut call = Call::create_auth_link(&config(), &link).unwrap();
    let actions = script(&mut call, [(Event::Continue, T, 0.5), (echo(), T, 0.5)]);
    assert_eq!(
        actions[1],
        Action::Done(Err(Error::network(
            "could not reach https://api.markifact.com with Bearer [redacted]"
        )))
    );
    let mut call = Call::list_connection_types(&config());
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (network(), T, 0.5),
            (
                Event::Failed(Error::aborted("sk_test_secret cancelled")),
                T,
                0.5,
            ),
        ],
    );
    assert_eq!(
        actions[2],
        Action::Done(Err(Error::aborted("[redacted] cancelled")))
    );
}

#[test]
fn waits_and_verifications_are_redacted_too() {
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 60_000).unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response(401, r#"{"detail":"sk_test_secret"}"#), T, 0.5),
        ],
    );
    let error = error_of(&actions[1]);
    assert_eq!(
        (error.message(), error.detail()),
        (
            "the API answered 401 Unauthorized: [redacted]",
            Some("[redacted]")
        )
    );

    let mut call = Call::verify_parsed_redirect(
        &config(),
        &success_redirect(),
        &VerifyExpectations::auth_link("link_1"),
    )
    .unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response(404, "no link for sk_test_secret"), T, 0.5),
        ],
    );
    let error = error_of(&actions[1]);
    assert_eq!(error.code(), ErrorCode::VerificationFailed);
    assert_eq!(error.detail(), Some("no link for [redacted]"));
    assert!(!format!("{error:?}").contains(KEY));
}

#[test]
fn without_a_key_nothing_is_redacted() {
    let config = config_with(ClientSettings {
        base_url: Some("/api/markifact".into()),
        ..Default::default()
    });
    let mut call = Call::list_connection_types(&config);
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (
                response(401, r#"{"detail":"bad key sk_test_secret"}"#),
                T,
                0.5,
            ),
        ],
    );
    assert_eq!(
        error_of(&actions[1]).detail(),
        Some("bad key sk_test_secret")
    );
}

/// A detail over [`MAX_DETAIL_BYTES`](super::MAX_DETAIL_BYTES) is cut before the key is
/// redacted, so a key straddling the cut survives as everything but its tail.
#[test]
fn a_key_cut_by_the_detail_truncation_leaks_no_prefix() {
    let prefix = &KEY[..KEY.len() - 1];
    for pad in 1_950..2_048 {
        let body = format!("{}{KEY}{}", "x".repeat(pad), "y".repeat(1_000));
        let mut call = Call::list_connection_types(&config());
        let actions = script(
            &mut call,
            [(Event::Continue, T, 0.5), (response(401, &body), T, 0.5)],
        );
        let error = error_of(&actions[1]);
        assert!(
            !error.message().contains(prefix) && !error.detail().unwrap().contains(prefix),
            "with {pad} bytes before the key, the error keeps {prefix:?}: ...{}",
            error
                .message()
                .chars()
                .rev()
                .take(60)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<String>()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Out-of-order events
// ---------------------------------------------------------------------------------------------

#[track_caller]
fn assert_internal<T: Debug>(action: &Action<T>, message: &str) {
    let error = error_of(action);
    assert_eq!(
        (error.code(), error.message()),
        (ErrorCode::Internal, message)
    );
}

#[test]
fn exchange_out_of_order_events_are_internal_errors() {
    // A response before the call started.
    let mut call = Call::list_connection_types(&config());
    assert_internal(
        &call.step(response(200, "[]"), T, 0.5),
        "the call got a response while not started (a bug in its driver)",
    );
    assert_finished(&mut call);
    // A failure before the call started.
    let mut call = Call::list_connection_types(&config());
    assert_internal(
        &call.step(network(), T, 0.5),
        "the call got a failure while not started (a bug in its driver)",
    );
    assert_finished(&mut call);
    // Continue while waiting for a response.
    let mut call = Call::list_connection_types(&config());
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (Event::Continue, T, 0.5)],
    );
    assert_internal(
        &actions[1],
        "the call got Continue while waiting for a response (a bug in its driver)",
    );
    assert_finished(&mut call);
    // A response while sleeping.
    let mut call = Call::list_connection_types(&config());
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response(503, ""), T, 0.5),
            (response(200, "[]"), T, 0.5),
        ],
    );
    assert_eq!(actions[1], Action::Sleep(125));
    assert_internal(
        &actions[2],
        "the call got a response while sleeping (a bug in its driver)",
    );
    assert_finished(&mut call);
    // Stepping after Done, a success or a failure alike.
    let mut call = Call::list_connection_types(&config());
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (response(200, "[]"), T, 0.5)],
    );
    assert_eq!(actions[1], Action::Done(Ok(vec![])));
    assert_finished(&mut call);
    let mut call = Call::list_connection_types(&config());
    script(
        &mut call,
        [(Event::Continue, T, 0.5), (response(404, ""), T, 0.5)],
    );
    assert_finished(&mut call);
}

#[test]
fn wait_out_of_order_events_are_internal_errors() {
    let wait = || Call::wait_for_auth_link(&config(), "link_1", 60_000).unwrap();
    let mut call = wait();
    assert_internal(
        &call.step(pending(), T, 0.5),
        "the call got a response while not started (a bug in its driver)",
    );
    assert_finished(&mut call);

    let mut call = wait();
    assert_internal(
        &call.step(aborted(), T, 0.5),
        "the call got a failure while not started (a bug in its driver)",
    );
    assert_finished(&mut call);

    let mut call = wait();
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (Event::Continue, T, 0.5)],
    );
    assert_internal(
        &actions[1],
        "the call got Continue while waiting for a response (a bug in its driver)",
    );
    assert_finished(&mut call);

    // A response right after a progress report (before its Continue).
    let mut call = wait();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (pending(), T, 0.5),
            (pending(), T, 0.5),
        ],
    );
    assert_eq!(actions[1], Action::Progress(pending_value()));
    assert_internal(
        &actions[2],
        "the call got a response while sleeping (a bug in its driver)",
    );
    assert_finished(&mut call);

    // A response while sleeping.
    let mut call = wait();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (pending(), T, 0.5),
            (Event::Continue, T, 0.5),
            (pending(), T, 0.5),
        ],
    );
    assert_eq!(actions[2], Action::Sleep(1_000));
    assert_internal(
        &actions[3],
        "the call got a response while sleeping (a bug in its driver)",
    );
    assert_finished(&mut call);

    // Stepping after Done.
    let mut call = wait();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (connected(), T, 0.5),
            (Event::Continue, T, 0.5),
        ],
    );
    assert_eq!(actions[2], Action::Done(Ok(connected_value())));
    assert_finished(&mut call);
}

// ---------------------------------------------------------------------------------------------
// wait_for_auth_link
// ---------------------------------------------------------------------------------------------

#[test]
fn wait_first_poll_sets_the_deadline_and_the_timeout() {
    // The client's timeout when the wait is longer...
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 60_000).unwrap();
    assert_eq!(
        call.step(Event::Continue, T, 0.5),
        Action::Send(status_request())
    );
    // ...the wait when it is shorter.
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 10_000).unwrap();
    assert_eq!(
        call.step(Event::Continue, T, 0.5),
        Action::Send(timed(status_request(), 10_000))
    );
    let mut call = Call::wait_for_auth_link(&with_timeout(2_500), "link_1", 10_000).unwrap();
    assert_eq!(
        call.step(Event::Continue, T, 0.5),
        Action::Send(timed(status_request(), 2_500))
    );
}

#[test]
fn wait_reports_each_pending_status_and_backs_off_by_half() {
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 600_000).unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (pending(), T + 100, 0.5),
            (Event::Continue, T + 100, 0.0),
            (Event::Continue, T + 1_100, 0.0),
            (pending(), T + 1_200, 0.5),
            (Event::Continue, T + 1_200, 0.5),
            (Event::Continue, T + 2_700, 0.5),
            (pending(), T + 2_800, 0.5),
            (Event::Continue, T + 2_800, 0.5),
            (Event::Continue, T + 5_050, 0.5),
            (connected(), T + 5_100, 0.5),
            (Event::Continue, T + 5_100, 0.5),
        ],
    );
    let request = status_request();
    assert_eq!(
        actions,
        [
            Action::Send(request.clone()),
            Action::Progress(pending_value()),
            // The sleep was decided with the response's random number.
            Action::Sleep(1_000),
            Action::Send(request.clone()),
            Action::Progress(pending_value()),
            Action::Sleep(1_500),
            Action::Send(request.clone()),
            Action::Progress(pending_value()),
            Action::Sleep(2_250),
            Action::Send(request),
            Action::Progress(connected_value()),
            Action::Done(Ok(connected_value())),
        ]
    );
    assert_finished(&mut call);
}

#[test]
fn wait_sleeps_are_jittered_by_twenty_percent() {
    for (random, expected) in [(0.0, 800), (0.25, 900), (0.5, 1_000), (0.999_999, 1_200)] {
        let mut call = Call::wait_for_auth_link(&config(), "link_1", 600_000).unwrap();
        let actions = script(
            &mut call,
            [
                (Event::Continue, T, 0.5),
                (pending(), T, random),
                (Event::Continue, T, 0.5),
            ],
        );
        assert_eq!(actions[2], Action::Sleep(expected), "random {random}");
    }
}

#[test]
fn wait_backoff_caps_at_ten_seconds() {
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 10_000_000).unwrap();
    let mut now = T;
    let mut sleeps = Vec::new();
    assert_eq!(
        call.step(Event::Continue, now, 0.5),
        Action::Send(status_request())
    );
    for _ in 0..9 {
        assert_eq!(
            call.step(pending(), now, 0.5),
            Action::Progress(pending_value())
        );
        let Action::Sleep(ms) = call.step(Event::Continue, now, 0.5) else {
            panic!("expected a sleep")
        };
        sleeps.push(ms);
        now += ms;
        assert_eq!(
            call.step(Event::Continue, now, 0.5),
            Action::Send(status_request())
        );
    }
    assert_eq!(
        sleeps,
        [1_000, 1_500, 2_250, 3_375, 5_063, 7_594, 10_000, 10_000, 10_000]
    );
}

#[test]
fn wait_connected_on_the_first_poll() {
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 60_000).unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (connected(), T + 30, 0.5),
            (Event::Continue, T + 30, 0.5),
        ],
    );
    assert_eq!(
        actions,
        [
            Action::Send(status_request()),
            Action::Progress(connected_value()),
            Action::Done(Ok(connected_value())),
        ]
    );
    assert_finished(&mut call);
}

#[test]
fn wait_expired_is_done_with_the_status() {
    let expired = status_value(AuthLinkState::Expired, T - 10);
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 60_000).unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (pending(), T, 0.5),
            (Event::Continue, T, 0.5),
            (Event::Continue, T + 1_000, 0.5),
            (
                response(200, &status_json("expired", T - 10)),
                T + 1_000,
                0.5,
            ),
            (Event::Continue, T + 1_000, 0.5),
        ],
    );
    assert_eq!(
        actions[3..],
        [
            Action::Send(status_request()),
            Action::Progress(expired.clone()),
            Action::Done(Ok(expired)),
        ]
    );
}

#[test]
fn wait_transient_failures_sleep_without_progress() {
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 600_000).unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            // Poll 1: 503 → the first backoff.
            (response(503, ""), T, 0.5),
            (Event::Continue, T + 1_000, 0.5),
            // Poll 2: a network failure → ×1.5.
            (network(), T + 1_000, 0.5),
            (Event::Continue, T + 2_500, 0.5),
            // Poll 3: 429 asking for 5 s, more than the 2250 ms backoff → 5 s.
            (response_after(429, "5", ""), T + 2_500, 0.5),
            (Event::Continue, T + 7_500, 0.5),
            // Poll 4: 500 asking for 1 s, less than the 3375 ms backoff → the backoff.
            (response_after(500, "1", ""), T + 7_500, 0.5),
            (Event::Continue, T + 10_875, 0.5),
            // Poll 5: a timeout → the backoff (5063 ms).
            (Event::Failed(Error::timeout("slow")), T + 10_875, 0.5),
            (Event::Continue, T + 15_938, 0.5),
            (connected(), T + 16_000, 0.5),
            (Event::Continue, T + 16_000, 0.5),
        ],
    );
    let request = status_request();
    assert_eq!(
        actions,
        [
            Action::Send(request.clone()),
            Action::Sleep(1_000),
            Action::Send(request.clone()),
            Action::Sleep(1_500),
            Action::Send(request.clone()),
            Action::Sleep(5_000),
            Action::Send(request.clone()),
            Action::Sleep(3_375),
            Action::Send(request.clone()),
            Action::Sleep(5_063),
            Action::Send(request),
            Action::Progress(connected_value()),
            Action::Done(Ok(connected_value())),
        ]
    );
}

#[test]
fn wait_retry_after_may_exceed_the_backoff_cap_but_not_the_deadline() {
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 600_000).unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response_after(503, "45", ""), T, 0.5),
        ],
    );
    assert_eq!(actions[1], Action::Sleep(45_000));
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 20_000).unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response_after(429, "45", ""), T + 500, 0.5),
            (Event::Continue, T + 20_000, 0.5),
        ],
    );
    assert_eq!(
        actions,
        [
            Action::Send(timed(status_request(), 20_000)),
            Action::Sleep(19_500),
            Action::Send(timed(status_request(), 1)),
        ]
    );
}

#[test]
fn wait_non_retryable_errors_end_at_once() {
    let cases: [(Event, ErrorCode, Option<u16>); 8] = [
        (response(401, ""), ErrorCode::Unauthorized, Some(401)),
        (response(404, ""), ErrorCode::NotFound, Some(404)),
        (response(400, ""), ErrorCode::HttpError, Some(400)),
        (response(302, ""), ErrorCode::InvalidResponse, Some(302)),
        (response(42, ""), ErrorCode::InvalidResponse, None),
        (
            response(200, "pending"),
            ErrorCode::InvalidResponse,
            Some(200),
        ),
        (
            response(200, r#"{"id":"link_1","status":"waiting"}"#),
            ErrorCode::InvalidResponse,
            Some(200),
        ),
        (
            Event::Failed(response_too_large(MAX_RESPONSE_BYTES)),
            ErrorCode::InvalidResponse,
            None,
        ),
    ];
    for (failure, code, status) in cases {
        // On the first poll, and after a pending one.
        let mut call = Call::wait_for_auth_link(&config(), "link_1", 60_000).unwrap();
        let actions = script(
            &mut call,
            [(Event::Continue, T, 0.5), (failure.clone(), T, 0.5)],
        );
        assert_eq!(
            summary(error_of(&actions[1])),
            (code, status, false, None),
            "{failure:?}"
        );
        assert_finished(&mut call);
        let mut call = Call::wait_for_auth_link(&config(), "link_1", 60_000).unwrap();
        let actions = script(
            &mut call,
            [
                (Event::Continue, T, 0.5),
                (pending(), T, 0.5),
                (Event::Continue, T, 0.5),
                (Event::Continue, T + 1_000, 0.5),
                (failure.clone(), T + 1_000, 0.5),
            ],
        );
        assert_eq!(
            summary(error_of(&actions[4])),
            (code, status, false, None),
            "{failure:?}"
        );
    }
}

#[test]
fn wait_deadline_cuts_the_last_sleep_then_times_out() {
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 2_000).unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (pending(), T + 100, 0.5),
            (Event::Continue, T + 100, 0.5),
            (Event::Continue, T + 1_100, 0.5),
            (pending(), T + 1_200, 0.5),
            (Event::Continue, T + 1_200, 0.5),
            (Event::Continue, T + 2_000, 0.5),
            (pending(), T + 2_050, 0.5),
            (Event::Continue, T + 2_050, 0.5),
        ],
    );
    let request = status_request();
    assert_eq!(
        actions[..8],
        [
            Action::Send(timed(request.clone(), 2_000)),
            Action::Progress(pending_value()),
            Action::Sleep(1_000),
            // 900 ms left.
            Action::Send(timed(request.clone(), 900)),
            Action::Progress(pending_value()),
            // The 1500 ms backoff, cut to the 800 ms left.
            Action::Sleep(800),
            // The last poll, at the deadline.
            Action::Send(timed(request, 1)),
            Action::Progress(pending_value()),
        ]
    );
    let error = error_of(&actions[8]);
    assert_eq!(summary(error), (ErrorCode::Timeout, None, true, None));
    assert_eq!(
        error.message(),
        "wait_for_auth_link gave up after 2000 ms; the link is still pending"
    );
    assert_finished(&mut call);
}

#[test]
fn wait_last_poll_at_the_deadline_may_still_connect() {
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 1_000).unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (pending(), T + 200, 0.5),
            (Event::Continue, T + 200, 0.5),
            (Event::Continue, T + 1_000, 0.5),
            (connected(), T + 1_300, 0.5),
            (Event::Continue, T + 1_300, 0.5),
        ],
    );
    assert_eq!(
        actions,
        [
            Action::Send(timed(status_request(), 1_000)),
            Action::Progress(pending_value()),
            Action::Sleep(800),
            Action::Send(timed(status_request(), 1)),
            Action::Progress(connected_value()),
            Action::Done(Ok(connected_value())),
        ]
    );
}

#[test]
fn wait_retryable_failure_at_the_deadline_times_out() {
    // After a pending status: "still pending".
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 1_000).unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (pending(), T, 0.5),
            (Event::Continue, T, 0.5),
            (Event::Continue, T + 1_000, 0.5),
            (response(503, ""), T + 1_000, 0.5),
        ],
    );
    assert_eq!(actions[2], Action::Sleep(1_000));
    let error = error_of(&actions[4]);
    assert_eq!(summary(error), (ErrorCode::Timeout, None, true, None));
    assert_eq!(
        error.message(),
        "wait_for_auth_link gave up after 1000 ms; the link is still pending"
    );
    // Without any status read.
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 1_000).unwrap();
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (network(), T + 1_000, 0.5)],
    );
    assert_eq!(
        actions[1],
        Action::Done(Err(Error::timeout(
            "wait_for_auth_link gave up after 1000 ms; the link is still unknown"
        )))
    );
}

#[test]
fn wait_of_zero_ms_polls_once() {
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 0).unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (pending(), T + 40, 0.5),
            (Event::Continue, T + 40, 0.5),
        ],
    );
    assert_eq!(
        actions,
        [
            Action::Send(timed(status_request(), 1)),
            Action::Progress(pending_value()),
            Action::Done(Err(Error::timeout(
                "wait_for_auth_link gave up after 0 ms; the link is still pending"
            ))),
        ]
    );
}

#[test]
fn wait_poll_timeout_never_exceeds_the_time_left() {
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 45_000).unwrap();
    assert_eq!(
        call.step(Event::Continue, T, 0.5),
        Action::Send(timed(status_request(), 30_000))
    );
    let mut sent_at = T;
    for (now, timeout) in [
        (T + 10_000, 30_000),
        (T + 20_000, 25_000),
        (T + 44_000, 1_000),
        (T + 44_999, 1),
    ] {
        // A network failure before the deadline sleeps; the sleep's length is not the point.
        let action = call.step(network(), sent_at, 0.5);
        assert!(matches!(action, Action::Sleep(_)), "{action:?}");
        assert_eq!(
            call.step(Event::Continue, now, 0.5),
            Action::Send(timed(status_request(), timeout)),
            "at T+{}",
            now - T
        );
        sent_at = now;
    }
    // 1 ms before the deadline: a 1 ms sleep; a driver that overslept still gets a positive
    // timeout, and the poll after the deadline is the last.
    let actions = script(
        &mut call,
        [
            (network(), T + 44_999, 0.5),
            (Event::Continue, T + 50_000, 0.5),
            (pending(), T + 50_010, 0.5),
            (Event::Continue, T + 50_010, 0.5),
        ],
    );
    assert_eq!(
        actions,
        [
            Action::Sleep(1),
            Action::Send(timed(status_request(), 1)),
            Action::Progress(pending_value()),
            Action::Done(Err(Error::timeout(
                "wait_for_auth_link gave up after 45000 ms; the link is still pending"
            ))),
        ]
    );
}

#[test]
fn wait_past_the_links_expiry_polls_at_most_every_second() {
    let lapsed = |now| (response(200, &status_json("pending", T)), now, 0.5);
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 600_000).unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            lapsed(T),
            (Event::Continue, T, 0.5),
            (Event::Continue, T + 1_000, 0.5),
            // Exactly expiry + 1 s: not yet past it.
            lapsed(T + 1_000),
            (Event::Continue, T + 1_000, 0.5),
            (Event::Continue, T + 2_500, 0.5),
            // Past it: the 2250 ms backoff is cut to 1 s.
            lapsed(T + 2_500),
            (Event::Continue, T + 2_500, 0.5),
            (Event::Continue, T + 3_500, 0.5),
            // A failure past it: still at most 1 s (the last status's expiry holds).
            (response(503, ""), T + 3_500, 0.5),
            (Event::Continue, T + 4_500, 0.5),
            // A Retry-After is still a minimum.
            (response_after(503, "3", ""), T + 4_500, 0.5),
            (Event::Continue, T + 7_500, 0.5),
            (response(200, &status_json("expired", T)), T + 7_600, 0.5),
            (Event::Continue, T + 7_600, 0.5),
        ],
    );
    let pending_lapsed = status_value(AuthLinkState::Pending, T);
    let expired = status_value(AuthLinkState::Expired, T);
    let request = status_request();
    assert_eq!(
        actions,
        [
            Action::Send(request.clone()),
            Action::Progress(pending_lapsed.clone()),
            Action::Sleep(1_000),
            Action::Send(request.clone()),
            Action::Progress(pending_lapsed.clone()),
            Action::Sleep(1_500),
            Action::Send(request.clone()),
            Action::Progress(pending_lapsed),
            Action::Sleep(1_000),
            Action::Send(request.clone()),
            Action::Sleep(1_000),
            Action::Send(request.clone()),
            Action::Sleep(3_000),
            Action::Send(request),
            Action::Progress(expired.clone()),
            Action::Done(Ok(expired)),
        ]
    );
}

#[test]
fn wait_aborted_ends_the_wait() {
    // During a sleep.
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 60_000).unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (pending(), T, 0.5),
            (Event::Continue, T, 0.5),
            (aborted(), T + 300, 0.5),
        ],
    );
    assert_eq!(
        actions,
        [
            Action::Send(status_request()),
            Action::Progress(pending_value()),
            Action::Sleep(1_000),
            Action::Done(Err(Error::aborted("the caller cancelled"))),
        ]
    );
    assert_finished(&mut call);
    // During a sleep after a transient failure.
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 60_000).unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response(503, ""), T, 0.5),
            (aborted(), T, 0.5),
        ],
    );
    assert_eq!(
        actions[1..],
        [
            Action::Sleep(1_000),
            Action::Done(Err(Error::aborted("the caller cancelled"))),
        ]
    );
    // After a progress report, instead of its Continue.
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 60_000).unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (pending(), T, 0.5),
            (aborted(), T, 0.5),
        ],
    );
    assert_eq!(
        actions[1..],
        [
            Action::Progress(pending_value()),
            Action::Done(Err(Error::aborted("the caller cancelled"))),
        ]
    );
    assert_finished(&mut call);
    // While polling: never retried.
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 60_000).unwrap();
    let actions = script(&mut call, [(Event::Continue, T, 0.5), (aborted(), T, 0.5)]);
    assert_eq!(
        actions[1],
        Action::Done(Err(Error::aborted("the caller cancelled")))
    );
    assert_finished(&mut call);
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

#[test]
fn verify_with_the_auth_link_id_confirms_with_its_status() {
    let mut call = Call::verify_parsed_redirect(
        &config(),
        &success_redirect(),
        &VerifyExpectations {
            auth_link_id: Some("link_1"),
            expected_external_id: Some("user_42"),
            expected_connection_type: Some("ga4"),
        },
    )
    .unwrap();
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (connected(), T + 60, 0.5)],
    );
    assert_eq!(
        actions,
        [
            Action::Send(status_request()),
            Action::Done(Ok(connection()))
        ]
    );
    assert_finished(&mut call);
}

#[test]
fn verify_retries_a_transient_failure() {
    let mut call = Call::verify_parsed_redirect(
        &config(),
        &success_redirect(),
        &VerifyExpectations::auth_link("link_1"),
    )
    .unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response(503, ""), T, 0.5),
            (Event::Continue, T + 125, 0.5),
            (connected(), T + 200, 0.5),
        ],
    );
    assert_eq!(
        actions,
        [
            Action::Send(status_request()),
            Action::Sleep(125),
            Action::Send(status_request()),
            Action::Done(Ok(connection())),
        ]
    );
}

#[test]
fn verify_with_the_auth_link_id_reports_each_mismatch() {
    let other_connection = status_json("connected", EXPIRES).replace("\"c_1\"", "\"c_2\"");
    let other_link = status_json("connected", EXPIRES).replace("link_1", "link_2");
    let deleted = status_json("connected", EXPIRES).replace(CONNECTION, "");
    for (body, field) in [
        (status_json("pending", EXPIRES), "status"),
        (status_json("expired", EXPIRES), "status"),
        (other_connection, "connection_id"),
        (other_link, "auth_link_id"),
        (deleted, "connections"),
    ] {
        let mut call = Call::verify_parsed_redirect(
            &config(),
            &success_redirect(),
            &VerifyExpectations::auth_link("link_1"),
        )
        .unwrap();
        let actions = script(
            &mut call,
            [(Event::Continue, T, 0.5), (response(200, &body), T, 0.5)],
        );
        let error = error_of(&actions[1]);
        assert_eq!(
            (error.code(), error.field()),
            (ErrorCode::VerificationFailed, Some(field)),
            "{body}"
        );
        assert_finished(&mut call);
    }
    let mut call = Call::verify_parsed_redirect(
        &config(),
        &success_redirect(),
        &VerifyExpectations {
            auth_link_id: Some("link_1"),
            expected_connection_type: Some("gads"),
            ..Default::default()
        },
    )
    .unwrap();
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (connected(), T, 0.5)],
    );
    assert_eq!(
        error_of(&actions[1]).field(),
        Some("expected_connection_type")
    );
}

#[test]
fn verify_a_404_of_the_link_is_a_verification_failure() {
    let mut call = Call::verify_parsed_redirect(
        &config(),
        &success_redirect(),
        &VerifyExpectations::auth_link("link_1"),
    )
    .unwrap();
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response(404, r#"{"detail":"Auth link not found"}"#), T, 0.5),
        ],
    );
    let error = error_of(&actions[1]);
    assert_eq!(
        summary(error),
        (ErrorCode::VerificationFailed, Some(404), false, None)
    );
    assert_eq!(error.field(), Some("auth_link_id"));
    assert_eq!(error.detail(), Some("Auth link not found"));
    assert_finished(&mut call);
    // Other errors are kept as they are.
    let mut call = Call::verify_parsed_redirect(
        &config(),
        &success_redirect(),
        &VerifyExpectations::auth_link("link_1"),
    )
    .unwrap();
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (response(401, ""), T, 0.5)],
    );
    assert_eq!(
        summary(error_of(&actions[1])),
        (ErrorCode::Unauthorized, Some(401), false, None)
    );
}

#[test]
fn verify_without_the_link_id_looks_the_connection_up() {
    let verify = |expected_external_id| {
        Call::verify_parsed_redirect(
            &config(),
            &success_redirect(),
            &VerifyExpectations::external_id(expected_external_id),
        )
        .unwrap()
    };
    let list = format!("[{CONNECTION}]");
    let mut call = verify("user_42");
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (response(200, &list), T, 0.5)],
    );
    assert_eq!(
        actions,
        [
            Action::Send(get("/v1/connections/c_1")),
            Action::Done(Ok(connection()))
        ]
    );
    // Another user's connection.
    let mut call = verify("user_43");
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (response(200, &list), T, 0.5)],
    );
    let error = error_of(&actions[1]);
    assert_eq!(
        (error.code(), error.field()),
        (ErrorCode::VerificationFailed, Some("expected_external_id"))
    );
    // Not found.
    let mut call = verify("user_42");
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (response(404, ""), T, 0.5)],
    );
    let error = error_of(&actions[1]);
    assert_eq!(
        (error.code(), error.field(), error.status()),
        (
            ErrorCode::VerificationFailed,
            Some("connection_id"),
            Some(404)
        )
    );
    // An empty list.
    let mut call = verify("user_42");
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (response(200, "[]"), T, 0.5)],
    );
    assert_eq!(error_of(&actions[1]).field(), Some("connection_id"));
}

#[test]
fn verify_an_error_redirect_fails_at_construction() {
    let redirect = RedirectResult::Error(RedirectError {
        connection_type: Some("ga4".into()),
        external_id: None,
        error: "access_denied".into(),
        app_params: vec![],
    });
    let error = Call::verify_parsed_redirect(
        &config(),
        &redirect,
        &VerifyExpectations::auth_link("link_1"),
    )
    .unwrap_err();
    assert_eq!(
        (error.code(), error.field(), error.detail()),
        (
            ErrorCode::ConnectionFailed,
            Some("error"),
            Some("access_denied")
        )
    );
}

#[test]
fn verify_needs_an_expectation() {
    let error = Call::verify_parsed_redirect(
        &config(),
        &success_redirect(),
        &VerifyExpectations::default(),
    )
    .unwrap_err();
    assert_eq!(
        (error.code(), error.field()),
        (ErrorCode::InvalidRequest, Some("expected_external_id"))
    );
    let error = Call::verify_parsed_redirect(
        &config(),
        &success_redirect(),
        &VerifyExpectations::auth_link(""),
    )
    .unwrap_err();
    assert_eq!(
        (error.code(), error.field()),
        (ErrorCode::InvalidRequest, Some("auth_link_id"))
    );
    let redirect = RedirectResult::Success(RedirectSuccess {
        connection_id: "..".into(),
        ..match success_redirect() {
            RedirectResult::Success(s) => s,
            RedirectResult::Error(_) => unreachable!(),
        }
    });
    let error = Call::verify_parsed_redirect(
        &config(),
        &redirect,
        &VerifyExpectations::external_id("user_42"),
    )
    .unwrap_err();
    assert_eq!(
        (error.code(), error.field()),
        (ErrorCode::VerificationFailed, Some("connection_id"))
    );
}

#[test]
fn verify_redirect_parses_the_url_then_confirms_it() {
    let url = "https://app.example.com/cb?tab=2&status=success&connection_type=ga4&connection_id=c_1&external_id=user_42";
    let check = VerifyRedirect {
        auth_link_id: Some("link_1"),
        redirect_url: Some("https://app.example.com/cb?tab=2"),
        ..Default::default()
    };
    let mut call = Call::verify_redirect(&config(), url, &check).unwrap();
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (connected(), T, 0.5)],
    );
    assert_eq!(
        actions,
        [
            Action::Send(status_request()),
            Action::Done(Ok(connection()))
        ]
    );
    // Without the link id, the lookup.
    let check = VerifyRedirect {
        expected_external_id: Some("user_42"),
        ..Default::default()
    };
    let mut call = Call::verify_redirect(&config(), url, &check).unwrap();
    assert_eq!(
        call.step(Event::Continue, T, 0.5),
        Action::Send(get("/v1/connections/c_1"))
    );
}

#[test]
fn verify_redirect_fails_at_construction_on_bad_redirects() {
    let check = VerifyRedirect {
        auth_link_id: Some("link_1"),
        ..Default::default()
    };
    let code = |url: &str, check: &VerifyRedirect<'_>| {
        Call::verify_redirect(&config(), url, check)
            .unwrap_err()
            .code()
    };
    assert_eq!(
        code(
            "https://app.example.com/cb?status=error&connection_type=ga4&error=access_denied",
            &check
        ),
        ErrorCode::ConnectionFailed
    );
    assert_eq!(code("not a url", &check), ErrorCode::InvalidUrl);
    assert_eq!(
        code("https://app.example.com/cb?connection_id=c_1", &check),
        ErrorCode::MissingStatus
    );
    let exact = VerifyRedirect {
        redirect_url: Some("https://app.example.com/other"),
        ..check
    };
    assert_eq!(
        code(
            "https://app.example.com/cb?status=success&connection_type=ga4&connection_id=c_1",
            &exact
        ),
        ErrorCode::RedirectMismatch
    );
    assert_eq!(
        code(
            "https://app.example.com/cb?status=success&connection_type=ga4&connection_id=c_1",
            &VerifyRedirect::default()
        ),
        ErrorCode::InvalidRequest
    );
}

// ---------------------------------------------------------------------------------------------
// Call::map
// ---------------------------------------------------------------------------------------------

#[test]
fn map_converts_the_final_value() {
    let mut call = Call::list_connection_types(&config()).map(|types| Ok(types.len()));
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (response(503, ""), T, 0.5),
            (Event::Continue, T, 0.5),
            (response(200, r#"["ga4","gads","meta_ads"]"#), T, 0.5),
        ],
    );
    assert_eq!(
        actions,
        [
            Action::Send(get("/v1/connections/types")),
            Action::Sleep(125),
            Action::Send(get("/v1/connections/types")),
            Action::Done(Ok(3)),
        ]
    );
    assert_finished(&mut call);
    // Errors pass through unconverted.
    let mut call = Call::list_connection_types(&config()).map(|types| Ok(types.len()));
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (response(404, ""), T, 0.5)],
    );
    assert_eq!(
        summary(error_of(&actions[1])),
        (ErrorCode::NotFound, Some(404), false, None)
    );
}

#[test]
fn map_converts_each_progress() {
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 60_000)
        .unwrap()
        .map(|status| Ok(status.status.as_str().to_owned()));
    let actions = script(
        &mut call,
        [
            (Event::Continue, T, 0.5),
            (pending(), T, 0.5),
            (Event::Continue, T, 0.5),
            (Event::Continue, T + 1_000, 0.5),
            (connected(), T + 1_000, 0.5),
            (Event::Continue, T + 1_000, 0.5),
        ],
    );
    assert_eq!(
        actions,
        [
            Action::Send(status_request()),
            Action::Progress("pending".to_owned()),
            Action::Sleep(1_000),
            Action::Send(status_request()),
            Action::Progress("connected".to_owned()),
            Action::Done(Ok("connected".to_owned())),
        ]
    );
}

#[test]
fn map_a_failed_conversion_ends_the_call() {
    fn refuse(_: AuthLinkStatus) -> crate::Result<u8> {
        Err(Error::internal("cannot convert with sk_test_secret"))
    }
    // At a progress.
    let mut call = Call::wait_for_auth_link(&config(), "link_1", 60_000)
        .unwrap()
        .map(refuse);
    let actions = script(&mut call, [(Event::Continue, T, 0.5), (pending(), T, 0.5)]);
    assert_eq!(
        actions[1],
        Action::Done(Err(Error::internal("cannot convert with [redacted]")))
    );
    assert_finished(&mut call);
    // At the end.
    let mut call = Call::auth_link_status(&config(), "link_1")
        .unwrap()
        .map(refuse);
    let actions = script(
        &mut call,
        [(Event::Continue, T, 0.5), (connected(), T, 0.5)],
    );
    assert_eq!(
        actions[1],
        Action::Done(Err(Error::internal("cannot convert with [redacted]")))
    );
    assert_finished(&mut call);
}

#[test]
fn map_of_a_finished_call_stays_finished() {
    let mut call = Call::list_connection_types(&config());
    script(
        &mut call,
        [(Event::Continue, T, 0.5), (response(200, "[]"), T, 0.5)],
    );
    let mut mapped = call.map(|types| Ok(types.is_empty()));
    assert_finished(&mut mapped);
}
