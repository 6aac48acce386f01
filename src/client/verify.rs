//! Confirming a redirect with the API: the redirect is not proof.
//!
//! Anyone can type `?status=success&connection_type=ga4&connection_id=...` into a browser, so a
//! success redirect only says what to check. The check is server-side, with the API key:
//!
//! 1. [`plan_verification`] turns the parsed redirect and what the app knows
//!    ([`VerifyExpectations`]) into one request: the auth link's status when the app kept the
//!    link id (best), otherwise a lookup of the named connection;
//! 2. the I/O layer sends it and decodes the answer with
//!    [`response::auth_link_status`](super::response::auth_link_status) or
//!    [`response::get_connection`](super::response::get_connection) (mapping a `404` of the
//!    lookup with [`not_found_as_verification_failure`]);
//! 3. [`verify_with_status`] or [`verify_with_connections`] compares the API's truth with the
//!    redirect's claim and returns the confirmed [`Connection`], or an
//!    [`ErrorCode::VerificationFailed`] naming the first mismatch.
//!
//! ```
//! use markifact_connect::client::verify::{plan_verification, VerifyExpectations, VerifyPlan};
//! use markifact_connect::{parse_redirect, ParseOptions};
//!
//! let redirect = parse_redirect(
//!     "https://app.example.com/cb?status=success&connection_type=ga4&connection_id=c_1",
//!     ParseOptions::default(),
//! )?;
//! let expectations = VerifyExpectations::auth_link("link_1");
//! let VerifyPlan::AuthLinkStatus { request, .. } = plan_verification(&redirect, &expectations)? else {
//!     unreachable!("an auth link id plans a status request");
//! };
//! assert_eq!(request.path_and_query, "/v1/connections/auth-links/link_1/status");
//! # Ok::<(), markifact_connect::Error>(())
//! ```

use super::request::{self, LookupBy, Request};
use crate::error::{Error, ErrorCode, Result};
use crate::models::{AuthLinkState, AuthLinkStatus, Connection};
use crate::redirect::{RedirectResult, RedirectSuccess};
use crate::text::{concat, quote};

/// What the app knows independently of the redirect, to hold the redirect's claim against.
///
/// At least one of [`auth_link_id`](Self::auth_link_id) and
/// [`expected_external_id`](Self::expected_external_id) is required: without them, a hand-typed
/// URL naming any existing connection of the team would verify.
#[derive(Debug, Clone, Copy, Default)]
pub struct VerifyExpectations<'a> {
    /// The id of the auth link the app created for this user (kept, e.g., in the session). With
    /// it the check uses the link's status: the link must be `connected` and have produced
    /// exactly the redirect's connection.
    pub auth_link_id: Option<&'a str>,
    /// The `external_id` the app gave at link creation for this user. Required without
    /// [`auth_link_id`](Self::auth_link_id); checked against the API's record when given.
    pub expected_external_id: Option<&'a str>,
    /// The connection type the app asked for; checked against the API's record when given.
    pub expected_connection_type: Option<&'a str>,
}

impl<'a> VerifyExpectations<'a> {
    /// Verify against this auth link's status (the strongest check).
    pub fn auth_link(auth_link_id: &'a str) -> Self {
        VerifyExpectations {
            auth_link_id: Some(auth_link_id),
            ..Default::default()
        }
    }

    /// Verify by looking the redirect's connection up, expecting this external id.
    pub fn external_id(expected_external_id: &'a str) -> Self {
        VerifyExpectations {
            expected_external_id: Some(expected_external_id),
            ..Default::default()
        }
    }
}

/// What to ask the API to confirm a redirect.
#[derive(Debug, Clone)]
pub enum VerifyPlan<'r> {
    /// Fetch the auth link status (this request), then call [`verify_with_status`].
    AuthLinkStatus {
        /// The success redirect being confirmed.
        redirect: &'r RedirectSuccess,
        /// `GET /v1/connections/auth-links/{auth_link_id}/status`.
        request: Request,
    },
    /// Fetch the connection by id (this request), then call [`verify_with_connections`].
    ConnectionLookup {
        /// The success redirect being confirmed.
        redirect: &'r RedirectSuccess,
        /// `GET /v1/connections/{connection_id}` (by Markifact id).
        request: Request,
    },
}

/// Decides how to confirm a parsed redirect.
///
/// - An error redirect fails at once with [`ErrorCode::ConnectionFailed`]: field `error`,
///   [`Error::detail`] Markifact's decoded message (`None` when it sent none), quoted in the
///   message.
/// - A success redirect needs [`VerifyExpectations::auth_link_id`] or
///   [`VerifyExpectations::expected_external_id`], else [`ErrorCode::InvalidRequest`]; an empty
///   expectation is refused the same way.
/// - With an auth link id the plan is [`VerifyPlan::AuthLinkStatus`], otherwise
///   [`VerifyPlan::ConnectionLookup`]. A redirect `connection_id` that cannot be an id in a path
///   (`.` or `..`) fails with [`ErrorCode::VerificationFailed`].
pub fn plan_verification<'r>(
    redirect: &'r RedirectResult,
    expectations: &VerifyExpectations<'_>,
) -> Result<VerifyPlan<'r>> {
    let success = match redirect {
        RedirectResult::Success(success) => success,
        RedirectResult::Error(e) => return Err(connection_failed(e)),
    };
    check_expectations(expectations)?;
    match expectations.auth_link_id {
        Some(link_id) => Ok(VerifyPlan::AuthLinkStatus {
            redirect: success,
            request: request::auth_link_status(link_id)?,
        }),
        None => {
            let request =
                request::get_connection(&success.connection_id, LookupBy::Id).map_err(|_| {
                    mismatch(
                        "connection_id",
                        concat(&[
                            "the redirect's connection_id ",
                            &quote(&success.connection_id),
                            " cannot be a Markifact connection id",
                        ]),
                    )
                })?;
            Ok(VerifyPlan::ConnectionLookup {
                redirect: success,
                request,
            })
        }
    }
}

/// Confirms a success redirect with the status of the auth link the app created.
///
/// Requires [`VerifyExpectations::auth_link_id`] ([`ErrorCode::InvalidRequest`] without it). Every
/// other failure is [`ErrorCode::VerificationFailed`], with [`Error::field`] naming what did not
/// match, checked in this order:
///
/// - `auth_link_id`: `status` is not the status of that link;
/// - `status`: the link is `pending` or `expired`, not `connected`;
/// - `connection_id`: the link produced another connection than the redirect names;
/// - `connection_type`: the link's type is not the redirect's;
/// - `external_id`: the link's `external_id` is not the redirect's (both absent, or equal);
/// - `expected_external_id`, `expected_connection_type`: the link's are not the app's;
/// - `connections`: the connection is not (or no longer) in `status.connections`: it was deleted
///   since.
///
/// Returns the confirmed connection, from `status.connections`.
pub fn verify_with_status(
    redirect: &RedirectSuccess,
    status: &AuthLinkStatus,
    expectations: &VerifyExpectations<'_>,
) -> Result<Connection> {
    check_expectations(expectations)?;
    let Some(link_id) = expectations.auth_link_id else {
        return Err(Error::new(
            ErrorCode::InvalidRequest,
            "verify_with_status needs the auth_link_id the app created, to know the status is \
             the one of this user's link",
        )
        .with_field("auth_link_id"));
    };
    if status.id != link_id {
        return Err(mismatch(
            "auth_link_id",
            concat(&[
                "the status is of auth link ",
                &quote(&status.id),
                ", not of the expected ",
                &quote(link_id),
            ]),
        ));
    }
    match status.status {
        AuthLinkState::Connected => {}
        AuthLinkState::Pending => {
            return Err(mismatch(
                "status",
                "the auth link is still pending: the flow has not produced a connection, so the \
                 success redirect is not confirmed",
            ))
        }
        AuthLinkState::Expired => {
            return Err(mismatch(
                "status",
                "the auth link expired without producing a connection, so the success redirect \
                 is not confirmed",
            ))
        }
    }
    if status.connection_id.as_deref() != Some(redirect.connection_id.as_str()) {
        return Err(mismatch(
            "connection_id",
            concat(&[
                "the redirect names connection ",
                &quote(&redirect.connection_id),
                ", but the auth link produced ",
                &quote_opt(status.connection_id.as_deref()),
            ]),
        ));
    }
    check_same(
        "connection_type",
        "the redirect's connection_type",
        Some(&redirect.connection_type),
        "the auth link's",
        Some(&status.connection_type),
    )?;
    check_same(
        "external_id",
        "the redirect's external_id",
        redirect.external_id.as_deref(),
        "the auth link's",
        status.external_id.as_deref(),
    )?;
    check_expected(
        expectations,
        &status.connection_type,
        status.external_id.as_deref(),
        "auth link",
    )?;
    status
        .connections
        .iter()
        .find(|c| c.id.as_deref() == Some(redirect.connection_id.as_str()))
        .cloned()
        .ok_or_else(|| {
            mismatch(
                "connections",
                concat(&[
                    "the auth link produced connection ",
                    &quote(&redirect.connection_id),
                    ", but the connection was deleted since",
                ]),
            )
        })
}

/// Confirms a success redirect with the connections the API returned for
/// `GET /v1/connections/{connection_id}`, when the app did not keep the auth link id.
///
/// Requires [`VerifyExpectations::expected_external_id`] ([`ErrorCode::InvalidRequest`] without
/// it). Every other failure is [`ErrorCode::VerificationFailed`], with [`Error::field`]:
///
/// - `connection_id`: no item has the redirect's connection id;
/// - `connection_type`: its type is not the redirect's;
/// - `external_id`: its `external_id` is not the redirect's (both absent, or equal);
/// - `expected_external_id`, `expected_connection_type`: its are not the app's.
///
/// Returns the confirmed connection.
pub fn verify_with_connections(
    redirect: &RedirectSuccess,
    found: &[Connection],
    expectations: &VerifyExpectations<'_>,
) -> Result<Connection> {
    check_expectations(expectations)?;
    if expectations.expected_external_id.is_none() {
        return Err(no_expectation());
    }
    let connection = found
        .iter()
        .find(|c| c.id.as_deref() == Some(redirect.connection_id.as_str()))
        .ok_or_else(|| {
            mismatch(
                "connection_id",
                concat(&[
                    "the API knows no connection ",
                    &quote(&redirect.connection_id),
                    " for this key",
                ]),
            )
        })?;
    check_same(
        "connection_type",
        "the redirect's connection_type",
        Some(&redirect.connection_type),
        "the connection's",
        Some(&connection.connection_type),
    )?;
    check_same(
        "external_id",
        "the redirect's external_id",
        redirect.external_id.as_deref(),
        "the connection's",
        connection.external_id.as_deref(),
    )?;
    check_expected(
        expectations,
        &connection.connection_type,
        connection.external_id.as_deref(),
        "connection",
    )?;
    Ok(connection.clone())
}

/// What a verification asked the API about, for [`not_found_as_verification_failure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The auth link status of [`VerifyPlan::AuthLinkStatus`].
    AuthLink,
    /// The connection lookup of [`VerifyPlan::ConnectionLookup`].
    Connection,
}

/// Maps a [`ErrorCode::NotFound`] from the API call of a [`VerifyPlan`] to
/// [`ErrorCode::VerificationFailed`] (field `auth_link_id` or `connection_id`, keeping the status
/// and detail): a redirect the API knows nothing about is not confirmed. Other errors are
/// returned unchanged.
pub fn not_found_as_verification_failure(error: Error, lookup: Lookup) -> Error {
    if error.code() != ErrorCode::NotFound {
        return error;
    }
    let (field, message) = match lookup {
        Lookup::AuthLink => (
            "auth_link_id",
            "the API knows no auth link with this auth_link_id for this key (it answered 404), so \
             the redirect is not confirmed",
        ),
        Lookup::Connection => (
            "connection_id",
            "the API knows no connection with the redirect's connection_id for this key (it \
             answered 404), so the redirect is not confirmed",
        ),
    };
    let status = error.status();
    let detail = error.detail().map(str::to_owned);
    let mut mapped = mismatch(field, message).with_detail(detail);
    if let Some(status) = status {
        mapped = mapped.with_status(status);
    }
    mapped
}

fn connection_failed(e: &crate::redirect::RedirectError) -> Error {
    let what = match &e.connection_type {
        Some(t) => concat(&["the ", &quote(t), " connection was not made"]),
        None => "the connection was not made".to_owned(),
    };
    let message = if e.error.is_empty() {
        concat(&[&what, ": the redirect reports an error, without a message"])
    } else {
        concat(&[&what, ": Markifact reported ", &quote(&e.error)])
    };
    Error::new(ErrorCode::ConnectionFailed, message)
        .with_field("error")
        .with_detail((!e.error.is_empty()).then(|| e.error.clone()))
}

fn check_expectations(expectations: &VerifyExpectations<'_>) -> Result<()> {
    for (field, value) in [
        ("auth_link_id", expectations.auth_link_id),
        ("expected_external_id", expectations.expected_external_id),
        (
            "expected_connection_type",
            expectations.expected_connection_type,
        ),
    ] {
        if value == Some("") {
            return Err(Error::new(
                ErrorCode::InvalidRequest,
                concat(&[field, " must not be empty; pass None to leave it out"]),
            )
            .with_field(field)
            .with_rule(crate::error::Rule::Empty));
        }
    }
    if expectations.auth_link_id.is_none() && expectations.expected_external_id.is_none() {
        return Err(no_expectation());
    }
    Ok(())
}

fn no_expectation() -> Error {
    Error::new(
        ErrorCode::InvalidRequest,
        "verifying a redirect needs the auth_link_id the app created or the expected_external_id \
         it gave: without them, a hand-typed URL naming any existing connection of the team \
         would verify",
    )
    .with_field("expected_external_id")
}

fn check_expected(
    expectations: &VerifyExpectations<'_>,
    connection_type: &str,
    external_id: Option<&str>,
    whose: &str,
) -> Result<()> {
    if let Some(expected) = expectations.expected_external_id {
        if external_id != Some(expected) {
            return Err(mismatch(
                "expected_external_id",
                concat(&[
                    "the ",
                    whose,
                    "'s external_id is ",
                    &quote_opt(external_id),
                    ", not the expected ",
                    &quote(expected),
                ]),
            ));
        }
    }
    if let Some(expected) = expectations.expected_connection_type {
        if connection_type != expected {
            return Err(mismatch(
                "expected_connection_type",
                concat(&[
                    "the ",
                    whose,
                    "'s connection_type is ",
                    &quote(connection_type),
                    ", not the expected ",
                    &quote(expected),
                ]),
            ));
        }
    }
    Ok(())
}

fn check_same(
    field: &'static str,
    claim_name: &str,
    claim: Option<&str>,
    truth_name: &str,
    truth: Option<&str>,
) -> Result<()> {
    if claim == truth {
        return Ok(());
    }
    Err(mismatch(
        field,
        concat(&[
            claim_name,
            " is ",
            &quote_opt(claim),
            ", but ",
            truth_name,
            " is ",
            &quote_opt(truth),
        ]),
    ))
}

fn quote_opt(value: Option<&str>) -> String {
    value.map_or_else(|| "absent".to_owned(), quote)
}

fn mismatch(field: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::VerificationFailed, message).with_field(field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redirect::RedirectError;
    use crate::{parse_redirect, ParseOptions};

    fn success(connection_id: &str, external_id: Option<&str>) -> RedirectSuccess {
        RedirectSuccess {
            connection_type: "ga4".into(),
            connection_id: connection_id.into(),
            external_id: external_id.map(Into::into),
            app_params: vec![],
        }
    }

    fn connection(id: &str, connection_type: &str, external_id: Option<&str>) -> Connection {
        Connection {
            id: Some(id.into()),
            connection_type: connection_type.into(),
            is_private: false,
            display_name: Some("Acme".into()),
            external_id: external_id.map(Into::into),
            created_at: Some(1),
            updated_at: Some(1),
        }
    }

    fn connected(link_id: &str, connection_id: &str, external_id: Option<&str>) -> AuthLinkStatus {
        AuthLinkStatus {
            id: link_id.into(),
            status: AuthLinkState::Connected,
            connection_type: "ga4".into(),
            expires_at: 10,
            created_at: 0,
            updated_at: 5,
            connection_id: Some(connection_id.into()),
            external_id: external_id.map(Into::into),
            consumed_at: Some(5),
            connections: vec![connection(connection_id, "ga4", external_id)],
        }
    }

    #[track_caller]
    fn assert_fails(result: Result<Connection>, field: &str) -> Error {
        let e = result.unwrap_err();
        assert_eq!(e.code(), ErrorCode::VerificationFailed, "{e:?}");
        assert_eq!(e.field(), Some(field), "{e:?}");
        e
    }

    #[test]
    fn an_error_redirect_is_connection_failed() {
        let redirect = parse_redirect(
            "https://a.example/cb?status=error&connection_type=ga4&error=User+denied%0Aaccess",
            ParseOptions::default(),
        )
        .unwrap();
        let e = plan_verification(&redirect, &VerifyExpectations::auth_link("l1")).unwrap_err();
        assert_eq!(e.code(), ErrorCode::ConnectionFailed);
        assert_eq!(e.code().as_str(), "connection_failed");
        assert_eq!(e.field(), Some("error"));
        assert_eq!(e.detail(), Some("User denied\naccess"));
        assert!(
            e.message().contains(r#""User denied\naccess""#),
            "{}",
            e.message()
        );
        // Whatever the expectations, even none.
        let e = plan_verification(&redirect, &VerifyExpectations::default()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::ConnectionFailed);

        let empty = RedirectResult::Error(RedirectError {
            connection_type: None,
            external_id: None,
            error: String::new(),
            app_params: vec![],
        });
        let e = plan_verification(&empty, &VerifyExpectations::auth_link("l1")).unwrap_err();
        assert_eq!((e.code(), e.detail()), (ErrorCode::ConnectionFailed, None));
        assert!(e.message().contains("without a message"));

        let long = RedirectResult::Error(RedirectError {
            connection_type: Some("ga4".into()),
            external_id: None,
            error: "x".repeat(500),
            app_params: vec![],
        });
        let e = plan_verification(&long, &VerifyExpectations::auth_link("l1")).unwrap_err();
        assert!(e.message().len() < 200, "{}", e.message());
        assert_eq!(e.detail().map(str::len), Some(500));
    }

    #[test]
    fn a_success_needs_a_link_id_or_an_expected_external_id() {
        let redirect = RedirectResult::Success(success("c1", None));
        let e = plan_verification(&redirect, &VerifyExpectations::default()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidRequest);
        assert!(e.message().contains("hand-typed URL"), "{}", e.message());
        let only_type = VerifyExpectations {
            expected_connection_type: Some("ga4"),
            ..Default::default()
        };
        assert_eq!(
            plan_verification(&redirect, &only_type).unwrap_err().code(),
            ErrorCode::InvalidRequest
        );
        for empty in [
            VerifyExpectations {
                auth_link_id: Some(""),
                expected_external_id: Some("u1"),
                ..Default::default()
            },
            VerifyExpectations {
                auth_link_id: Some("l1"),
                expected_external_id: Some(""),
                ..Default::default()
            },
            VerifyExpectations {
                auth_link_id: Some("l1"),
                expected_connection_type: Some(""),
                ..Default::default()
            },
        ] {
            let e = plan_verification(&redirect, &empty).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidRequest, "{empty:?}");
        }
        // The verify functions refuse the same way.
        let s = success("c1", None);
        let e = verify_with_status(
            &s,
            &connected("l1", "c1", None),
            &VerifyExpectations::default(),
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidRequest);
        let e = verify_with_status(
            &s,
            &connected("l1", "c1", Some("u1")),
            &VerifyExpectations::external_id("u1"),
        )
        .unwrap_err();
        assert_eq!(
            (e.code(), e.field()),
            (ErrorCode::InvalidRequest, Some("auth_link_id"))
        );
        let found = [connection("c1", "ga4", None)];
        let e = verify_with_connections(&s, &found, &VerifyExpectations::default()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidRequest);
        let e =
            verify_with_connections(&s, &found, &VerifyExpectations::auth_link("l1")).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidRequest);
    }

    #[test]
    fn plans_pick_the_request() {
        let redirect = RedirectResult::Success(success("c/1", Some("u1")));
        match plan_verification(&redirect, &VerifyExpectations::auth_link("l 1")).unwrap() {
            VerifyPlan::AuthLinkStatus {
                redirect: r,
                request,
            } => {
                assert_eq!(r.connection_id, "c/1");
                assert_eq!(request, request::auth_link_status("l 1").unwrap());
            }
            other => panic!("{other:?}"),
        }
        // The link id wins when both are given.
        let both = VerifyExpectations {
            auth_link_id: Some("l1"),
            expected_external_id: Some("u1"),
            ..Default::default()
        };
        assert!(matches!(
            plan_verification(&redirect, &both).unwrap(),
            VerifyPlan::AuthLinkStatus { .. }
        ));
        match plan_verification(&redirect, &VerifyExpectations::external_id("u1")).unwrap() {
            VerifyPlan::ConnectionLookup { request, .. } => {
                assert_eq!(request.path_and_query, "/v1/connections/c%2F1");
                assert_eq!(request.method, request::Method::Get);
            }
            other => panic!("{other:?}"),
        }
        // A connection id that cannot be a path segment is a forged redirect, not a bad call.
        let dots = RedirectResult::Success(success("..", Some("u1")));
        let e = plan_verification(&dots, &VerifyExpectations::external_id("u1")).unwrap_err();
        assert_eq!(
            (e.code(), e.field()),
            (ErrorCode::VerificationFailed, Some("connection_id"))
        );
    }

    #[test]
    fn status_mode_confirms_the_produced_connection() {
        let status = connected("l1", "c1", Some("u1"));
        let got = verify_with_status(
            &success("c1", Some("u1")),
            &status,
            &VerifyExpectations::auth_link("l1"),
        )
        .unwrap();
        assert_eq!(got, status.connections[0]);
        let all = VerifyExpectations {
            auth_link_id: Some("l1"),
            expected_external_id: Some("u1"),
            expected_connection_type: Some("ga4"),
        };
        assert!(verify_with_status(&success("c1", Some("u1")), &status, &all).is_ok());
        // No external id anywhere is consistent too.
        let status = connected("l1", "c1", None);
        assert!(verify_with_status(
            &success("c1", None),
            &status,
            &VerifyExpectations::auth_link("l1")
        )
        .is_ok());
    }

    #[test]
    fn status_mode_rejects_every_mismatch() {
        let ok = success("c1", Some("u1"));
        let status = connected("l1", "c1", Some("u1"));

        // Another link's status.
        assert_fails(
            verify_with_status(&ok, &status, &VerifyExpectations::auth_link("l2")),
            "auth_link_id",
        );

        // Not connected.
        for state in [AuthLinkState::Pending, AuthLinkState::Expired] {
            let mut s = status.clone();
            s.status = state;
            s.connection_id = None;
            s.connections.clear();
            let e = assert_fails(
                verify_with_status(&ok, &s, &VerifyExpectations::auth_link("l1")),
                "status",
            );
            let name = if state == AuthLinkState::Pending {
                "pending"
            } else {
                "expired"
            };
            assert!(e.message().contains(name), "{}", e.message());
        }

        // Another connection than the link produced.
        let e = assert_fails(
            verify_with_status(
                &success("c2", Some("u1")),
                &status,
                &VerifyExpectations::auth_link("l1"),
            ),
            "connection_id",
        );
        assert!(e.message().contains("\"c2\"") && e.message().contains("\"c1\""));
        let mut no_id = status.clone();
        no_id.connection_id = None;
        assert_fails(
            verify_with_status(&ok, &no_id, &VerifyExpectations::auth_link("l1")),
            "connection_id",
        );

        // Another type.
        let mut meta = ok.clone();
        meta.connection_type = "meta_ads".into();
        assert_fails(
            verify_with_status(&meta, &status, &VerifyExpectations::auth_link("l1")),
            "connection_type",
        );

        // External ids: different, missing on either side.
        for claim in [Some("u2"), None] {
            assert_fails(
                verify_with_status(
                    &success("c1", claim),
                    &status,
                    &VerifyExpectations::auth_link("l1"),
                ),
                "external_id",
            );
        }
        let none = connected("l1", "c1", None);
        assert_fails(
            verify_with_status(&ok, &none, &VerifyExpectations::auth_link("l1")),
            "external_id",
        );

        // The app's own expectations.
        let wrong_user = VerifyExpectations {
            auth_link_id: Some("l1"),
            expected_external_id: Some("u2"),
            ..Default::default()
        };
        assert_fails(
            verify_with_status(&ok, &status, &wrong_user),
            "expected_external_id",
        );
        let e = assert_fails(
            verify_with_status(&success("c1", None), &none, &wrong_user),
            "expected_external_id",
        );
        assert!(e.message().contains("absent"), "{}", e.message());
        let wrong_type = VerifyExpectations {
            auth_link_id: Some("l1"),
            expected_connection_type: Some("gads"),
            ..Default::default()
        };
        assert_fails(
            verify_with_status(&ok, &status, &wrong_type),
            "expected_connection_type",
        );

        // Deleted since: connection_id set, connections empty (or holding something else).
        let mut deleted = status.clone();
        deleted.connections.clear();
        let e = assert_fails(
            verify_with_status(&ok, &deleted, &VerifyExpectations::auth_link("l1")),
            "connections",
        );
        assert!(e.message().contains("deleted since"), "{}", e.message());
        let mut other = status.clone();
        other.connections = vec![connection("c9", "ga4", Some("u1"))];
        assert_fails(
            verify_with_status(&ok, &other, &VerifyExpectations::auth_link("l1")),
            "connections",
        );
    }

    #[test]
    fn lookup_mode_confirms_the_connection() {
        let found = [
            connection("c0", "ga4", Some("u1")),
            connection("c1", "ga4", Some("u1")),
        ];
        let got = verify_with_connections(
            &success("c1", Some("u1")),
            &found,
            &VerifyExpectations::external_id("u1"),
        )
        .unwrap();
        assert_eq!(got, found[1]);
        let all = VerifyExpectations {
            expected_external_id: Some("u1"),
            expected_connection_type: Some("ga4"),
            ..Default::default()
        };
        assert!(verify_with_connections(&success("c1", Some("u1")), &found, &all).is_ok());
    }

    #[test]
    fn lookup_mode_rejects_every_mismatch() {
        let ok = success("c1", Some("u1"));
        let found = [connection("c1", "ga4", Some("u1"))];
        let exp = VerifyExpectations::external_id("u1");

        assert_fails(
            verify_with_connections(&success("c2", Some("u1")), &found, &exp),
            "connection_id",
        );
        assert_fails(verify_with_connections(&ok, &[], &exp), "connection_id");
        let mut null_id = found[0].clone();
        null_id.id = None;
        assert_fails(
            verify_with_connections(&ok, &[null_id], &exp),
            "connection_id",
        );

        let mut meta = ok.clone();
        meta.connection_type = "meta_ads".into();
        assert_fails(
            verify_with_connections(&meta, &found, &exp),
            "connection_type",
        );

        assert_fails(
            verify_with_connections(&success("c1", Some("u2")), &found, &exp),
            "external_id",
        );
        assert_fails(
            verify_with_connections(&success("c1", None), &found, &exp),
            "external_id",
        );
        let anonymous = [connection("c1", "ga4", None)];
        assert_fails(
            verify_with_connections(&ok, &anonymous, &exp),
            "external_id",
        );

        // The redirect and the record agree, but it is another user's connection.
        let other_user = [connection("c1", "ga4", Some("u2"))];
        assert_fails(
            verify_with_connections(&success("c1", Some("u2")), &other_user, &exp),
            "expected_external_id",
        );
        // A connection made without external_id never passes this mode.
        assert_fails(
            verify_with_connections(&success("c1", None), &anonymous, &exp),
            "expected_external_id",
        );
        let wrong_type = VerifyExpectations {
            expected_external_id: Some("u1"),
            expected_connection_type: Some("gads"),
            ..Default::default()
        };
        assert_fails(
            verify_with_connections(&ok, &found, &wrong_type),
            "expected_connection_type",
        );
    }

    #[test]
    fn hand_typed_success_urls_never_verify() {
        // The API's truth: link l1 made c1 for user u1.
        let status = connected("l1", "c1", Some("u1"));
        let found = [connection("c1", "ga4", Some("u1"))];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut random_id = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            format!("{:x}-{:x}", seed, seed.rotate_left(17))
        };
        for _ in 0..200 {
            let connection_id = random_id();
            let external_id = random_id();
            let url = format!(
                "https://app.example.com/cb?status=success&connection_type=ga4\
                 &connection_id={connection_id}&external_id={external_id}"
            );
            let redirect = parse_redirect(&url, ParseOptions::default()).unwrap();
            for exp in [
                VerifyExpectations::auth_link("l1"),
                VerifyExpectations::external_id("u1"),
                VerifyExpectations::external_id(&external_id),
            ] {
                let plan = plan_verification(&redirect, &exp).unwrap();
                let result = match plan {
                    VerifyPlan::AuthLinkStatus { redirect, .. } => {
                        verify_with_status(redirect, &status, &exp)
                    }
                    VerifyPlan::ConnectionLookup { redirect, .. } => {
                        // The API would 404 the unknown id; even if it returned c1, no match.
                        verify_with_connections(redirect, &found, &exp)
                    }
                };
                let e = result.unwrap_err();
                assert_eq!(e.code(), ErrorCode::VerificationFailed, "{url}: {e:?}");
            }
            // Even with the real connection id but a typed external id.
            let forged = success("c1", Some(&external_id));
            assert!(
                verify_with_status(&forged, &status, &VerifyExpectations::auth_link("l1")).is_err()
            );
            assert!(verify_with_connections(
                &forged,
                &found,
                &VerifyExpectations::external_id("u1")
            )
            .is_err());
        }
    }

    #[test]
    fn messages_quote_and_shorten_hostile_values() {
        let hostile = format!("\u{1b}[31m{}", "A".repeat(300));
        let status = connected("l1", "c1", Some("u1"));
        let e = verify_with_status(
            &success(&hostile, Some("u1")),
            &status,
            &VerifyExpectations::auth_link("l1"),
        )
        .unwrap_err();
        assert!(!e.message().contains('\u{1b}'), "{}", e.message());
        assert!(e.message().len() < 250, "{}", e.message());
        let e = verify_with_connections(
            &success("c1", Some(&hostile)),
            &[connection("c1", "ga4", Some("u1"))],
            &VerifyExpectations::external_id("u1"),
        )
        .unwrap_err();
        assert!(!e.message().contains('\u{1b}'));
        assert!(e.message().len() < 250, "{}", e.message());
    }

    #[test]
    fn not_found_becomes_a_verification_failure() {
        use crate::client::{response, HttpResponse};
        let e = response::get_connection(&HttpResponse::new(404, r#"{"detail":"Not found"}"#))
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotFound);
        let by_link = not_found_as_verification_failure(e.clone(), Lookup::AuthLink);
        assert_eq!(by_link.field(), Some("auth_link_id"));
        let mapped = not_found_as_verification_failure(e, Lookup::Connection);
        assert_eq!(mapped.code(), ErrorCode::VerificationFailed);
        assert_eq!(mapped.field(), Some("connection_id"));
        assert_eq!(mapped.status(), Some(404));
        assert_eq!(mapped.detail(), Some("Not found"));
        assert!(!mapped.retryable());

        for other in [
            response::get_connection(&HttpResponse::new(503, "")).unwrap_err(),
            response::get_connection(&HttpResponse::new(401, "")).unwrap_err(),
            Error::network("reset"),
        ] {
            assert_eq!(
                not_found_as_verification_failure(other.clone(), Lookup::Connection),
                other
            );
        }
    }
}
