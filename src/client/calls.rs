//! The constructors of the calls: each validates its inputs, builds its request and says how the
//! answer is read.

use super::api::{CreateAuthLink, VerifyRedirect};
use super::call::{http_request, Call};
use super::exchange::{Exchange, Interpret};
use super::request::{self, LookupBy, Request};
use super::response::{self, ConnectionType};
use super::verify::{self, Lookup, VerifyExpectations, VerifyPlan};
use super::wait::Wait;
use super::warnings::{external_id_warnings, redirect_url_warnings};
use super::ClientConfig;
use crate::models::{AuthLink, AuthLinkStatus, Connection, CreateAuthLinkRequest};
use crate::{ParseOptions, RedirectResult, RedirectSuccess, RedirectUrlOptions, Result};

/// A call of one request (retried when it is a `GET`), read by `interpret`.
fn exchange<T: 'static>(
    config: &ClientConfig,
    request: &Request,
    interpret: Interpret<T>,
) -> Call<T> {
    let http = http_request(config, request, u64::MAX);
    Call::new(config, Exchange::new(http, *config.retry(), interpret))
}

impl Call<AuthLink> {
    /// `POST /v1/connections/auth-link`, after validating every input locally; the link carries
    /// warnings about inputs that did not stop the creation (a PII-like external id, an
    /// ambiguous redirect URL). Never retried: a failed POST may still have created a link.
    pub fn create_auth_link(config: &ClientConfig, link: &CreateAuthLink) -> Result<Self> {
        let body = CreateAuthLinkRequest {
            connection_type: link.connection_type.clone(),
            redirect_url: link.redirect_url.clone(),
            external_id: link.external_id.clone(),
            is_private: link.is_private,
        };
        let options = RedirectUrlOptions {
            allow_insecure_localhost: config.allow_insecure_localhost(),
        };
        let request = request::create_auth_link(&body, options)?;
        let mut warnings = body
            .external_id
            .as_deref()
            .map(external_id_warnings)
            .unwrap_or_default();
        warnings.extend(
            body.redirect_url
                .as_deref()
                .map(redirect_url_warnings)
                .unwrap_or_default(),
        );
        Ok(exchange(
            config,
            &request,
            Box::new(move |answer| {
                let created = response::create_auth_link(answer)?;
                Ok(AuthLink {
                    id: created.id,
                    url: created.url,
                    expires_at: created.expires_at,
                    warnings,
                })
            }),
        ))
    }
}

impl Call<AuthLinkStatus> {
    /// `GET /v1/connections/auth-links/{id}/status`.
    pub fn auth_link_status(config: &ClientConfig, auth_link_id: &str) -> Result<Self> {
        let request = request::auth_link_status(auth_link_id)?;
        Ok(exchange(
            config,
            &request,
            Box::new(response::auth_link_status),
        ))
    }

    /// Polls an auth link until it is `connected` or `expired` (backoff with jitter, honouring
    /// `Retry-After`), reporting each status read as [`Action::Progress`](super::Action); fails
    /// with `timeout` after `wait_ms`.
    pub fn wait_for_auth_link(
        config: &ClientConfig,
        auth_link_id: &str,
        wait_ms: u64,
    ) -> Result<Self> {
        let request = request::auth_link_status(auth_link_id)?;
        let http = http_request(config, &request, u64::MAX);
        Ok(Call::new(config, Wait::new(config, http, wait_ms)))
    }
}

impl Call<Vec<Connection>> {
    /// `GET /v1/connections`, optionally filtered (both filters: AND).
    pub fn list_connections(
        config: &ClientConfig,
        external_id: Option<&str>,
        connection_type: Option<&str>,
    ) -> Result<Self> {
        let request = request::list_connections(external_id, connection_type)?;
        Ok(exchange(
            config,
            &request,
            Box::new(response::list_connections),
        ))
    }

    /// `GET /v1/connections/{id}`: by Markifact id or by your external id; always a list.
    pub fn get_connection(config: &ClientConfig, id: &str, lookup_by: LookupBy) -> Result<Self> {
        let request = request::get_connection(id, lookup_by)?;
        Ok(exchange(
            config,
            &request,
            Box::new(response::get_connection),
        ))
    }
}

impl Call<Connection> {
    /// `DELETE /v1/connections/{id}` (never retried); the deleted connection.
    pub fn delete_connection(config: &ClientConfig, connection_id: &str) -> Result<Self> {
        let request = request::delete_connection(connection_id)?;
        Ok(exchange(
            config,
            &request,
            Box::new(response::delete_connection),
        ))
    }

    /// The server-side truth check of a redirect URL: parses it (exactly, given the
    /// `redirect_url`), then confirms it with the API; see [`verify`](super::verify).
    pub fn verify_redirect(
        config: &ClientConfig,
        url: &str,
        check: &VerifyRedirect<'_>,
    ) -> Result<Self> {
        let redirect = crate::parse_redirect(
            url,
            ParseOptions {
                redirect_url: check.redirect_url,
            },
        )?;
        let expectations = VerifyExpectations {
            auth_link_id: check.auth_link_id,
            expected_external_id: check.expected_external_id,
            expected_connection_type: check.expected_connection_type,
        };
        Self::verify_parsed_redirect(config, &redirect, &expectations)
    }

    /// [`verify_redirect`](Self::verify_redirect) of a redirect already parsed (its app
    /// parameters play no part).
    pub fn verify_parsed_redirect(
        config: &ClientConfig,
        redirect: &RedirectResult,
        expectations: &VerifyExpectations<'_>,
    ) -> Result<Self> {
        let (request, lookup, success) = match verify::plan_verification(redirect, expectations)? {
            VerifyPlan::AuthLinkStatus { redirect, request } => {
                (request, Lookup::AuthLink, redirect)
            }
            VerifyPlan::ConnectionLookup { redirect, request } => {
                (request, Lookup::Connection, redirect)
            }
        };
        let success = RedirectSuccess {
            app_params: Vec::new(),
            ..success.clone()
        };
        let expected = OwnedExpectations::of(expectations);
        Ok(exchange(
            config,
            &request,
            Box::new(move |answer| {
                let expectations = expected.borrowed();
                let unknown = |e| verify::not_found_as_verification_failure(e, lookup);
                match lookup {
                    Lookup::AuthLink => {
                        let status = response::auth_link_status(answer).map_err(unknown)?;
                        verify::verify_with_status(&success, &status, &expectations)
                    }
                    Lookup::Connection => {
                        let found = response::get_connection(answer).map_err(unknown)?;
                        verify::verify_with_connections(&success, &found, &expectations)
                    }
                }
            }),
        ))
    }
}

impl Call<Vec<ConnectionType>> {
    /// `GET /v1/connections/types`.
    pub fn list_connection_types(config: &ClientConfig) -> Self {
        exchange(
            config,
            &request::list_connection_types(),
            Box::new(response::connection_types),
        )
    }
}

/// [`VerifyExpectations`], owned by the call.
struct OwnedExpectations {
    auth_link_id: Option<String>,
    expected_external_id: Option<String>,
    expected_connection_type: Option<String>,
}

impl OwnedExpectations {
    fn of(expectations: &VerifyExpectations<'_>) -> Self {
        OwnedExpectations {
            auth_link_id: expectations.auth_link_id.map(str::to_owned),
            expected_external_id: expectations.expected_external_id.map(str::to_owned),
            expected_connection_type: expectations.expected_connection_type.map(str::to_owned),
        }
    }

    fn borrowed(&self) -> VerifyExpectations<'_> {
        VerifyExpectations {
            auth_link_id: self.auth_link_id.as_deref(),
            expected_external_id: self.expected_external_id.as_deref(),
            expected_connection_type: self.expected_connection_type.as_deref(),
        }
    }
}
