//! Confirming redirects with the API ("the redirect is not proof"), against the sandbox run
//! in-process: real approvals verify in both modes; forged and failed redirects get the right codes.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use markifact_connect::client::{
    not_found_as_verification_failure, plan_verification, request, response,
    verify_with_connections, verify_with_status, Lookup, VerifyExpectations, VerifyPlan,
};
use markifact_connect::models::{AuthLinkState, Connection};
use markifact_connect::{parse_redirect, Error, ErrorCode, ParseOptions, Result};
use std::time::Duration;
use support::{Env, REDIRECT_URL};

/// The whole server-side check, as a binding does it: parse, plan, send, decode, verify.
fn verify(env: &Env, location: &str, expectations: &VerifyExpectations<'_>) -> Result<Connection> {
    let redirect = parse_redirect(
        location,
        ParseOptions {
            redirect_url: Some(REDIRECT_URL),
        },
    )?;
    match plan_verification(&redirect, expectations)? {
        VerifyPlan::AuthLinkStatus { redirect, request } => {
            let status = response::auth_link_status(&env.execute(&request).view())
                .map_err(|e| not_found_as_verification_failure(e, Lookup::AuthLink))?;
            verify_with_status(redirect, &status, expectations)
        }
        VerifyPlan::ConnectionLookup { redirect, request } => {
            let found = response::get_connection(&env.execute(&request).view())
                .map_err(|e| not_found_as_verification_failure(e, Lookup::Connection))?;
            verify_with_connections(redirect, &found, expectations)
        }
    }
}

/// A success redirect typed by hand.
fn forged(connection_type: &str, connection_id: &str, external_id: Option<&str>) -> String {
    let mut url = format!(
        "{REDIRECT_URL}&status=success&connection_type={connection_type}&connection_id={connection_id}"
    );
    if let Some(external_id) = external_id {
        url.push_str(&format!("&external_id={external_id}"));
    }
    url
}

#[track_caller]
fn assert_code(result: Result<Connection>, code: ErrorCode, field: &str) -> Error {
    let e = result.unwrap_err();
    assert_eq!((e.code(), e.field()), (code, Some(field)), "{e:?}");
    e
}

/// The connection id a success redirect names.
fn connection_id(location: &str) -> String {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "connection_id")
        .unwrap()
        .1
        .into_owned()
}

#[test]
fn an_approved_link_verifies_in_both_modes() {
    let env = Env::new();
    let link = env.create_link("ga4", Some("user_42"));
    let location = env.decide(&link, true);

    let all = VerifyExpectations {
        auth_link_id: Some(&link.id),
        expected_external_id: Some("user_42"),
        expected_connection_type: Some("ga4"),
    };
    for expectations in [
        VerifyExpectations::auth_link(&link.id),
        VerifyExpectations::external_id("user_42"),
        all,
        VerifyExpectations {
            expected_external_id: Some("user_42"),
            expected_connection_type: Some("ga4"),
            ..Default::default()
        },
    ] {
        let connection = verify(&env, &location, &expectations).unwrap();
        assert_eq!(
            connection.id.as_deref(),
            Some(connection_id(&location).as_str())
        );
        assert_eq!(connection.connection_type, "ga4");
        assert_eq!(connection.external_id.as_deref(), Some("user_42"));
    }

    // Without an external id, only the link id can verify.
    let link = env.create_link("meta_ads", None);
    let location = env.decide(&link, true);
    let connection = verify(&env, &location, &VerifyExpectations::auth_link(&link.id)).unwrap();
    assert_eq!(connection.external_id, None);
    assert_code(
        verify(&env, &location, &VerifyExpectations::default()),
        ErrorCode::InvalidRequest,
        "expected_external_id",
    );
    assert_code(
        verify(&env, &location, &VerifyExpectations::external_id("user_42")),
        ErrorCode::VerificationFailed,
        "expected_external_id",
    );
}

#[test]
fn forged_redirects_do_not_verify() {
    let env = Env::new();
    let link = env.create_link("ga4", Some("user_42"));
    let real = connection_id(&env.decide(&link, true));
    // Another existing connection of the team, for another user.
    let other_link = env.create_link("ga4", Some("user_7"));
    let other = connection_id(&env.decide(&other_link, true));

    // Wrong connection id: another real one, or a random one.
    let url = forged("ga4", &other, Some("user_42"));
    assert_code(
        verify(&env, &url, &VerifyExpectations::auth_link(&link.id)),
        ErrorCode::VerificationFailed,
        "connection_id",
    );
    assert_code(
        verify(&env, &url, &VerifyExpectations::external_id("user_42")),
        ErrorCode::VerificationFailed,
        "external_id",
    );
    let url = forged("ga4", &other, Some("user_7"));
    assert_code(
        verify(&env, &url, &VerifyExpectations::external_id("user_42")),
        ErrorCode::VerificationFailed,
        "expected_external_id",
    );
    let url = forged("ga4", "c_made_up", Some("user_42"));
    assert_code(
        verify(&env, &url, &VerifyExpectations::auth_link(&link.id)),
        ErrorCode::VerificationFailed,
        "connection_id",
    );
    let e = assert_code(
        verify(&env, &url, &VerifyExpectations::external_id("user_42")),
        ErrorCode::VerificationFailed,
        "connection_id",
    );
    assert_eq!(e.status(), Some(404));

    // Wrong type.
    let url = forged("meta_ads", &real, Some("user_42"));
    assert_code(
        verify(&env, &url, &VerifyExpectations::auth_link(&link.id)),
        ErrorCode::VerificationFailed,
        "connection_type",
    );
    assert_code(
        verify(&env, &url, &VerifyExpectations::external_id("user_42")),
        ErrorCode::VerificationFailed,
        "connection_type",
    );

    // Wrong or missing external id.
    for external_id in [Some("user_7"), None] {
        let url = forged("ga4", &real, external_id);
        assert_code(
            verify(&env, &url, &VerifyExpectations::auth_link(&link.id)),
            ErrorCode::VerificationFailed,
            "external_id",
        );
        assert_code(
            verify(&env, &url, &VerifyExpectations::external_id("user_42")),
            ErrorCode::VerificationFailed,
            "external_id",
        );
    }

    // Another link's id: the redirect of one user checked against another user's link.
    let url = forged("ga4", &real, Some("user_42"));
    assert_code(
        verify(&env, &url, &VerifyExpectations::auth_link(&other_link.id)),
        ErrorCode::VerificationFailed,
        "connection_id",
    );
    // An auth link id the API does not know (its 404) confirms nothing.
    let e = verify(&env, &url, &VerifyExpectations::auth_link("no_such_link")).unwrap_err();
    assert_eq!(
        (e.code(), e.status(), e.field()),
        (
            ErrorCode::VerificationFailed,
            Some(404),
            Some("auth_link_id")
        )
    );
}

#[test]
fn pending_expired_and_denied_links_do_not_verify() {
    let env = Env::new();
    let existing = env.create_link("ga4", Some("user_42"));
    let real = connection_id(&env.decide(&existing, true));

    // A pending link, with a success URL typed naming a real connection.
    let pending = env.create_link("ga4", Some("user_42"));
    let url = forged("ga4", &real, Some("user_42"));
    let e = assert_code(
        verify(&env, &url, &VerifyExpectations::auth_link(&pending.id)),
        ErrorCode::VerificationFailed,
        "status",
    );
    assert!(e.message().contains("pending"), "{}", e.message());

    // A denied link: the error redirect is connection_failed with Markifact's message, and a
    // success typed afterwards is still refused (the link stays pending).
    let denied = env.create_link("ga4", Some("user_42"));
    let location = env.decide(&denied, false);
    for expectations in [
        VerifyExpectations::auth_link(&denied.id),
        VerifyExpectations::external_id("user_42"),
    ] {
        let e = assert_code(
            verify(&env, &location, &expectations),
            ErrorCode::ConnectionFailed,
            "error",
        );
        let detail = e.detail().expect("Markifact's message");
        assert!(!detail.is_empty());
        assert!(e.message().contains(&format!("\"{detail}\"")), "{e:?}");
    }
    assert_code(
        verify(&env, &url, &VerifyExpectations::auth_link(&denied.id)),
        ErrorCode::VerificationFailed,
        "status",
    );

    // An expired link.
    env.sandbox.advance_clock(Duration::from_secs(25 * 3600));
    let e = assert_code(
        verify(&env, &url, &VerifyExpectations::auth_link(&pending.id)),
        ErrorCode::VerificationFailed,
        "status",
    );
    assert!(e.message().contains("expired"), "{}", e.message());
    let status = response::auth_link_status(
        &env.execute(&request::auth_link_status(&pending.id).unwrap())
            .view(),
    )
    .unwrap();
    assert_eq!(status.status, AuthLinkState::Expired);
}

#[test]
fn a_deleted_connection_no_longer_verifies() {
    let env = Env::new();
    let link = env.create_link("ga4", Some("user_42"));
    let location = env.decide(&link, true);
    assert!(verify(&env, &location, &VerifyExpectations::auth_link(&link.id)).is_ok());

    let delete = request::delete_connection(&connection_id(&location)).unwrap();
    response::delete_connection(&env.execute(&delete).view()).unwrap();

    let e = assert_code(
        verify(&env, &location, &VerifyExpectations::auth_link(&link.id)),
        ErrorCode::VerificationFailed,
        "connections",
    );
    assert!(e.message().contains("deleted since"), "{}", e.message());
    let e = assert_code(
        verify(&env, &location, &VerifyExpectations::external_id("user_42")),
        ErrorCode::VerificationFailed,
        "connection_id",
    );
    assert_eq!(e.status(), Some(404));
}
