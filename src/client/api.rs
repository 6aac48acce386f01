//! The client's calls: the sans-IO pieces put together, over a [`Runtime`] that performs the I/O.
//!
//! This is the one implementation of the API calls: the npm package's `MarkifactClient` runs it
//! with a `fetch` runtime, a Rust program with any HTTP client it implements [`Runtime`] for.

use super::poll::{PollPolicy, PollStep};
use super::request::{self, LookupBy, Method, Request};
use super::response::{self, ConnectionType, HttpResponse, MAX_RESPONSE_BYTES};
use super::retry::Failure;
use super::verify::{self, Lookup, VerifyExpectations, VerifyPlan};
use super::warnings::{external_id_warnings, redirect_url_warnings};
use super::ClientConfig;
use crate::models::{AuthLink, AuthLinkStatus, Connection, CreateAuthLinkRequest};
use crate::{Error, ErrorCode, ParseOptions, RedirectResult, RedirectUrlOptions, Result};

/// One HTTP request, ready to send.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The method.
    pub method: Method,
    /// The absolute URL (or, for a proxy base URL, a path the runtime resolves).
    pub url: &'a str,
    /// Every header to send.
    pub headers: &'a [(String, String)],
    /// The JSON body, if any.
    pub body: Option<&'a str>,
    /// How long the whole exchange (response and body) may take, in milliseconds.
    pub timeout_ms: u64,
    /// The most body bytes to read: past them, stop reading and fail with
    /// [`response_too_large`] (the client checks again, whatever the runtime does).
    pub max_body_bytes: usize,
}

/// The error for a body over [`HttpRequest::max_body_bytes`]: `invalid_response`, not retried.
pub fn response_too_large(max_body_bytes: usize) -> Error {
    Error::new(
        ErrorCode::InvalidResponse,
        format!(
            "the response body is larger than {max_body_bytes} bytes, the most the client reads"
        ),
    )
}

/// A response, owned, as a runtime returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Retry-After` header, if present.
    pub retry_after: Option<String>,
    /// The body as text.
    pub body: String,
}

impl RawResponse {
    /// The borrowed view the response interpreters read.
    pub fn view(&self, now_ms: u64) -> HttpResponse<'_> {
        HttpResponse::new(self.status, &self.body)
            .with_retry_after(self.retry_after.as_deref())
            .with_now_ms(now_ms)
    }
}

/// The I/O a client call needs. Implement it once per platform (the npm package has one over
/// `fetch`); a runtime may carry per-call state such as an abort signal.
#[allow(async_fn_in_trait)] // single-threaded runtimes (wasm) are the point; no Send bound wanted
pub trait Runtime {
    /// Sends a request and reads the whole body within `request.timeout_ms`, at most
    /// `request.max_body_bytes` of it. Failures are [`Error::network`], [`Error::timeout`],
    /// [`Error::aborted`] or [`response_too_large`].
    async fn send(&self, request: &HttpRequest<'_>) -> Result<RawResponse>;
    /// Waits, or fails with [`Error::aborted`] when the call is cancelled.
    async fn sleep(&self, ms: u64) -> Result<()>;
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
    /// A uniform random number in `[0, 1)`, for jitter.
    fn random(&self) -> f64;
}

/// What [`Client::create_auth_link`] sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateAuthLink {
    /// The connection type, e.g. `gads`.
    pub connection_type: String,
    /// Where Markifact sends the browser afterwards.
    pub redirect_url: Option<String>,
    /// Your opaque id for the user or account.
    pub external_id: Option<String>,
    /// `true` for a connection only the key's user sees.
    pub is_private: Option<bool>,
}

/// What [`Client::verify_redirect`] checks the redirect against.
#[derive(Debug, Clone, Copy, Default)]
pub struct VerifyRedirect<'a> {
    /// The auth link the redirect belongs to: the strongest check.
    pub auth_link_id: Option<&'a str>,
    /// Your id for the user; required without `auth_link_id`.
    pub expected_external_id: Option<&'a str>,
    /// The connection type you asked for.
    pub expected_connection_type: Option<&'a str>,
    /// The `redirect_url` given at link creation, for an exact parse.
    pub redirect_url: Option<&'a str>,
}

/// A client for the Markifact Connections API, generic over the I/O [`Runtime`] passed to each call.
#[derive(Debug, Clone)]
pub struct Client {
    config: ClientConfig,
}

impl Client {
    /// A client with these (validated) settings.
    pub fn new(config: ClientConfig) -> Self {
        Client { config }
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Creates an auth link after validating every input locally; the result carries warnings
    /// about inputs that did not stop the creation (PII-like external id, ambiguous redirect URL).
    pub async fn create_auth_link(
        &self,
        rt: &impl Runtime,
        link: &CreateAuthLink,
    ) -> Result<AuthLink> {
        let body = CreateAuthLinkRequest {
            connection_type: link.connection_type.clone(),
            redirect_url: link.redirect_url.clone(),
            external_id: link.external_id.clone(),
            is_private: link.is_private,
        };
        let options = RedirectUrlOptions {
            allow_insecure_localhost: self.config.allow_insecure_localhost(),
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
        let raw = self.execute(rt, &request).await?;
        let created = self.redact(response::create_auth_link(&raw.view(rt.now_ms())))?;
        Ok(AuthLink {
            id: created.id,
            url: created.url,
            expires_at: created.expires_at,
            warnings,
        })
    }

    /// Reads an auth link's status.
    pub async fn get_auth_link_status(
        &self,
        rt: &impl Runtime,
        auth_link_id: &str,
    ) -> Result<AuthLinkStatus> {
        let raw = self
            .execute(rt, &request::auth_link_status(auth_link_id)?)
            .await?;
        self.redact(response::auth_link_status(&raw.view(rt.now_ms())))
    }

    /// Polls an auth link until it is `connected` or `expired` (backoff with jitter, honouring
    /// `Retry-After`), calling `on_poll` with each status read; fails with `timeout` after
    /// `timeout_ms`. Transient failures (429, 5xx, network) only slow the polling down.
    pub async fn wait_for_auth_link(
        &self,
        rt: &impl Runtime,
        auth_link_id: &str,
        timeout_ms: u64,
        mut on_poll: impl FnMut(&AuthLinkStatus),
    ) -> Result<AuthLinkStatus> {
        let policy = PollPolicy::default();
        let request = request::auth_link_status(auth_link_id)?;
        let deadline = rt.now_ms().saturating_add(timeout_ms);
        let (mut attempt, mut last): (u32, Option<AuthLinkStatus>) = (0, None);
        loop {
            attempt += 1;
            // A poll never outlives the wait: its timeout is what is left of the deadline.
            let time_left = deadline.saturating_sub(rt.now_ms()).max(1);
            let polled = match self.send_once(rt, &request, time_left).await {
                Ok(raw) => response::auth_link_status(&raw.view(rt.now_ms())),
                Err(error) => Err(error),
            };
            let retry_after = match polled {
                Ok(status) => {
                    on_poll(&status);
                    last = Some(status);
                    None
                }
                Err(error) if error.retryable() => error.retry_after_ms(),
                Err(error) => return Err(self.config.redact(error)),
            };
            let state = last.as_ref().map(|s| s.status);
            let expires_at = last.as_ref().and_then(|s| u64::try_from(s.expires_at).ok());
            let step = policy.next(
                state,
                retry_after,
                attempt,
                rt.now_ms(),
                deadline,
                expires_at,
                rt.random(),
            );
            match (step, last.take()) {
                (PollStep::Done, Some(status)) => return Ok(status),
                (PollStep::Wait(ms), status) => {
                    last = status;
                    rt.sleep(ms).await?;
                }
                (PollStep::TimedOut | PollStep::Done, status) => {
                    let state = status.map_or("unknown", |s| s.status.as_str());
                    return Err(Error::timeout(format!(
                        "wait_for_auth_link gave up after {timeout_ms} ms; the link is still {state}"
                    )));
                }
            }
        }
    }

    /// Lists the connections the key can see, optionally filtered (both filters: AND).
    pub async fn list_connections(
        &self,
        rt: &impl Runtime,
        external_id: Option<&str>,
        connection_type: Option<&str>,
    ) -> Result<Vec<Connection>> {
        let raw = self
            .execute(
                rt,
                &request::list_connections(external_id, connection_type)?,
            )
            .await?;
        self.redact(response::list_connections(&raw.view(rt.now_ms())))
    }

    /// Looks connections up by Markifact id or by your external id; always a list.
    pub async fn get_connection(
        &self,
        rt: &impl Runtime,
        id: &str,
        lookup_by: LookupBy,
    ) -> Result<Vec<Connection>> {
        let raw = self
            .execute(rt, &request::get_connection(id, lookup_by)?)
            .await?;
        self.redact(response::get_connection(&raw.view(rt.now_ms())))
    }

    /// Deletes a connection by Markifact id (never retried) and returns the deleted connection.
    pub async fn delete_connection(
        &self,
        rt: &impl Runtime,
        connection_id: &str,
    ) -> Result<Connection> {
        let raw = self
            .execute(rt, &request::delete_connection(connection_id)?)
            .await?;
        self.redact(response::delete_connection(&raw.view(rt.now_ms())))
    }

    /// The connection types Markifact offers.
    pub async fn list_connection_types(&self, rt: &impl Runtime) -> Result<Vec<ConnectionType>> {
        let raw = self.execute(rt, &request::list_connection_types()).await?;
        self.redact(response::connection_types(&raw.view(rt.now_ms())))
    }

    /// The server-side truth check of a redirect: parses it, then confirms with the API that the
    /// link is connected and that connection, type and external id all match. Returns the
    /// verified connection; otherwise `verification_failed` (`connection_failed` for an error
    /// redirect). A hand-typed `status=success` URL never verifies.
    pub async fn verify_redirect(
        &self,
        rt: &impl Runtime,
        url: &str,
        check: &VerifyRedirect<'_>,
    ) -> Result<Connection> {
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
        self.verify_parsed_redirect(rt, &redirect, &expectations)
            .await
    }

    /// [`verify_redirect`](Self::verify_redirect) of a redirect already parsed (its app
    /// parameters play no part).
    pub async fn verify_parsed_redirect(
        &self,
        rt: &impl Runtime,
        redirect: &RedirectResult,
        expectations: &VerifyExpectations<'_>,
    ) -> Result<Connection> {
        let verified = match verify::plan_verification(redirect, expectations)? {
            VerifyPlan::AuthLinkStatus { redirect, request } => {
                let raw = self.execute(rt, &request).await?;
                let status = response::auth_link_status(&raw.view(rt.now_ms()))
                    .map_err(|e| verify::not_found_as_verification_failure(e, Lookup::AuthLink))?;
                verify::verify_with_status(redirect, &status, expectations)
            }
            VerifyPlan::ConnectionLookup { redirect, request } => {
                let raw = self.execute(rt, &request).await?;
                let found = response::get_connection(&raw.view(rt.now_ms())).map_err(|e| {
                    verify::not_found_as_verification_failure(e, Lookup::Connection)
                })?;
                verify::verify_with_connections(redirect, &found, expectations)
            }
        };
        self.redact(verified)
    }

    fn redact<T>(&self, result: Result<T>) -> Result<T> {
        result.map_err(|e| self.config.redact(e))
    }

    async fn send_once(
        &self,
        rt: &impl Runtime,
        request: &Request,
        time_left_ms: u64,
    ) -> Result<RawResponse> {
        let url = self.config.url(request);
        let headers = self.config.headers(request);
        let http = HttpRequest {
            method: request.method,
            url: &url,
            headers: &headers,
            body: request.body.as_deref(),
            timeout_ms: self.config.timeout_ms().min(time_left_ms),
            max_body_bytes: MAX_RESPONSE_BYTES,
        };
        let raw = rt.send(&http).await.map_err(|e| self.config.redact(e))?;
        if raw.body.len() > MAX_RESPONSE_BYTES {
            return Err(response_too_large(MAX_RESPONSE_BYTES));
        }
        Ok(raw)
    }

    /// Sends a request, repeating GETs that failed transiently as the retry policy says. The
    /// response may still carry an error status, for the endpoint's interpreter to report.
    async fn execute(&self, rt: &impl Runtime, request: &Request) -> Result<RawResponse> {
        let mut attempt = 0;
        loop {
            let outcome = self.send_once(rt, request, u64::MAX).await;
            let failure = match &outcome {
                Ok(raw) if raw.view(rt.now_ms()).is_success() => None,
                Ok(raw) => Failure::from_error(&response::error(&raw.view(rt.now_ms()))),
                Err(error) => Failure::from_error(error),
            };
            let delay = failure.and_then(|f| {
                self.config
                    .retry()
                    .next_delay(attempt, request.method, &f, rt.random())
            });
            match delay {
                None => return outcome,
                Some(ms) => rt.sleep(ms).await?,
            }
            attempt += 1;
        }
    }
}
