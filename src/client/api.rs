//! The Rust driver of the client's calls: [`Client`] performs each [`Call`]'s actions over a
//! [`Runtime`] that does the I/O.

use core::future::Future;

use super::call::{Action, Call, Event};
use super::request::{LookupBy, Method};
use super::response::{ConnectionType, HttpResponse};
use super::verify::VerifyExpectations;
use super::ClientConfig;
use crate::models::{AuthLink, AuthLinkStatus, Connection};
use crate::text::{concat, decimal};
use crate::{Error, ErrorCode, RedirectResult, Result};

/// One HTTP request, ready to send. `Debug` never shows the API key: it shows every header's
/// name but only the values of `accept` and `content-type` (the `authorization` header carries
/// the key, and the caller's extra headers may carry secrets of their own, which
/// [`ClientConfig`]'s `Debug` hides too).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The absolute URL (or, for a proxy base URL, a path the runtime resolves).
    pub url: String,
    /// Every header to send.
    pub headers: Vec<(String, String)>,
    /// The JSON body, if any.
    pub body: Option<String>,
    /// How long the whole exchange (response and body) may take, in milliseconds.
    pub timeout_ms: u64,
    /// The most body bytes to read: past them, stop reading and fail with
    /// [`response_too_large`] (the client checks again, whatever the runtime does).
    pub max_body_bytes: usize,
}

impl core::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        /// A header as `Debug` shows it: its value only when it cannot be a secret.
        struct Shown<'a>(&'a str, &'a str);
        impl core::fmt::Debug for Shown<'_> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                let Shown(name, value) = *self;
                let public = ["accept", "content-type"]
                    .iter()
                    .any(|public| name.eq_ignore_ascii_case(public));
                let value = if public { value } else { "[redacted]" };
                f.debug_tuple("").field(&name).field(&value).finish()
            }
        }
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(name, value)| Shown(name, value))
                    .collect::<Vec<_>>(),
            )
            .field("body", &self.body)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

/// The error for a body over [`HttpRequest::max_body_bytes`]: `invalid_response`, not retried.
pub fn response_too_large(max_body_bytes: usize) -> Error {
    Error::new(
        ErrorCode::InvalidResponse,
        concat(&[
            "the response body is larger than ",
            &decimal(max_body_bytes as u64),
            " bytes, the most the client reads",
        ]),
    )
}

/// The error for what a transport returned that is not an HTTP response (`what` says why):
/// `invalid_response`, not retried.
pub fn not_a_response(what: &str) -> Error {
    Error::new(
        ErrorCode::InvalidResponse,
        concat(&["fetch resolved to something that is not a Response: ", what]),
    )
}

/// The error for a redirect (with its status, when the transport shows it): the API never
/// redirects, and following one could carry the API key elsewhere. `invalid_response`.
pub fn redirect_refused(status: Option<u16>) -> Error {
    let error = |what: &str| {
        Error::new(
            ErrorCode::InvalidResponse,
            concat(&["the API answered with a redirect", what, ", which the client does not follow (it could carry the API key elsewhere); check base_url"]),
        )
    };
    match status {
        Some(status) => {
            error(&concat(&[" (HTTP ", &decimal(status.into()), ")"])).with_status(status)
        }
        None => error(""),
    }
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

/// `Send` natively, so that a client call can be spawned on a multi-threaded executor; nothing on
/// wasm32, where futures hold JavaScript values and there is one thread.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send> MaybeSend for T {}
/// `Send` natively, so that a client call can be spawned on a multi-threaded executor; nothing on
/// wasm32, where futures hold JavaScript values and there is one thread.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T> MaybeSend for T {}

/// The I/O a client call needs. Implement it once per platform, or take a ready one:
/// `ReqwestRuntime` (feature `reqwest`) or `FnRuntime` over any async function that sends a
/// request (feature `tokio`). A runtime may carry per-call state such as a cancellation signal.
///
/// Natively the futures are `Send` ([`MaybeSend`]): a call of a client over a `Runtime + Sync`
/// can be spawned on a multi-threaded executor. Implement the methods with `async fn`.
pub trait Runtime {
    /// Sends a request and reads the whole body within `request.timeout_ms`, at most
    /// `request.max_body_bytes` of it, without following redirects. Failures are
    /// [`Error::network`], [`Error::timeout`], [`Error::aborted`] or [`response_too_large`]
    /// (or [`ErrorCode::InvalidRequest`], not retried, for a request the transport cannot even
    /// build), with the transport's error as their [`source`](Error::with_source). The client
    /// redacts the API key from its errors, their sources included.
    fn send(&self, request: &HttpRequest) -> impl Future<Output = Result<RawResponse>> + MaybeSend;
    /// Waits, or fails with [`Error::aborted`] when the call is cancelled.
    fn sleep(&self, ms: u64) -> impl Future<Output = Result<()>> + MaybeSend;
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

/// Performs a call's actions over `rt` until it is done, handing each progress to `on_progress`.
pub async fn drive<T: 'static>(
    rt: &impl Runtime,
    mut call: Call<T>,
    mut on_progress: impl FnMut(&T),
) -> Result<T> {
    let mut event = Event::Continue;
    loop {
        event = match call.step(event, rt.now_ms(), rt.random()) {
            Action::Send(request) => match rt.send(&request).await {
                Ok(response) => Event::Response(response),
                Err(error) => Event::Failed(error),
            },
            Action::Sleep(ms) => match rt.sleep(ms).await {
                Ok(()) => Event::Continue,
                Err(error) => Event::Failed(error),
            },
            Action::Progress(value) => {
                on_progress(&value);
                Event::Continue
            }
            Action::Done(result) => return result,
        }
    }
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

    /// Creates an auth link: [`Call::create_auth_link`].
    pub async fn create_auth_link(
        &self,
        rt: &impl Runtime,
        link: &CreateAuthLink,
    ) -> Result<AuthLink> {
        drive(rt, Call::create_auth_link(&self.config, link)?, |_| {}).await
    }

    /// Reads an auth link's status: [`Call::auth_link_status`].
    pub async fn get_auth_link_status(
        &self,
        rt: &impl Runtime,
        auth_link_id: &str,
    ) -> Result<AuthLinkStatus> {
        drive(
            rt,
            Call::auth_link_status(&self.config, auth_link_id)?,
            |_| {},
        )
        .await
    }

    /// Polls an auth link until it is `connected` or `expired`, calling `on_poll` with each
    /// status read: [`Call::wait_for_auth_link`].
    pub async fn wait_for_auth_link(
        &self,
        rt: &impl Runtime,
        auth_link_id: &str,
        timeout_ms: u64,
        on_poll: impl FnMut(&AuthLinkStatus),
    ) -> Result<AuthLinkStatus> {
        drive(
            rt,
            Call::wait_for_auth_link(&self.config, auth_link_id, timeout_ms)?,
            on_poll,
        )
        .await
    }

    /// Lists the connections the key can see: [`Call::list_connections`].
    pub async fn list_connections(
        &self,
        rt: &impl Runtime,
        external_id: Option<&str>,
        connection_type: Option<&str>,
    ) -> Result<Vec<Connection>> {
        let call = Call::list_connections(&self.config, external_id, connection_type)?;
        drive(rt, call, |_| {}).await
    }

    /// Looks connections up by Markifact id or by your external id: [`Call::get_connection`].
    pub async fn get_connection(
        &self,
        rt: &impl Runtime,
        id: &str,
        lookup_by: LookupBy,
    ) -> Result<Vec<Connection>> {
        drive(
            rt,
            Call::get_connection(&self.config, id, lookup_by)?,
            |_| {},
        )
        .await
    }

    /// Deletes a connection by Markifact id: [`Call::delete_connection`].
    pub async fn delete_connection(
        &self,
        rt: &impl Runtime,
        connection_id: &str,
    ) -> Result<Connection> {
        drive(
            rt,
            Call::delete_connection(&self.config, connection_id)?,
            |_| {},
        )
        .await
    }

    /// The connection types Markifact offers: [`Call::list_connection_types`].
    pub async fn list_connection_types(&self, rt: &impl Runtime) -> Result<Vec<ConnectionType>> {
        drive(rt, Call::list_connection_types(&self.config), |_| {}).await
    }

    /// Parses a redirect and confirms it with the API: [`Call::verify_redirect`].
    pub async fn verify_redirect(
        &self,
        rt: &impl Runtime,
        url: &str,
        check: &VerifyRedirect<'_>,
    ) -> Result<Connection> {
        drive(rt, Call::verify_redirect(&self.config, url, check)?, |_| {}).await
    }

    /// Confirms a redirect already parsed: [`Call::verify_parsed_redirect`].
    pub async fn verify_parsed_redirect(
        &self,
        rt: &impl Runtime,
        redirect: &RedirectResult,
        expectations: &VerifyExpectations<'_>,
    ) -> Result<Connection> {
        drive(
            rt,
            Call::verify_parsed_redirect(&self.config, redirect, expectations)?,
            |_| {},
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ClientSettings;

    fn config() -> ClientConfig {
        ClientConfig::new(ClientSettings {
            api_key: Some("sk_live_secret".into()),
            headers: vec![("X-Trace".into(), "t1".into())],
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let client = Client::new(config());
        assert!(!format!("{client:?}").contains("sk_live_secret"));
        let mut call = Call::list_connection_types(client.config());
        let action = call.step(Event::Continue, 0, 0.5);
        let Action::Send(request) = &action else {
            panic!("{action:?}")
        };
        for shown in [
            format!("{request:?}"),
            format!("{request:#?}"),
            format!("{action:?}"),
        ] {
            assert!(!shown.contains("sk_live_secret"), "{shown}");
            // The rest stays visible for debugging.
            assert!(shown.contains("/v1/connections/types"), "{shown}");
            assert!(shown.contains("authorization"), "{shown}");
            assert!(shown.contains("X-Trace"), "{shown}");
            assert!(!shown.contains("t1"), "{shown}");
            assert!(shown.contains("application/json"), "{shown}");
        }
        // The request itself still carries the key, for the runtime to send.
        assert!(request
            .headers
            .contains(&("authorization".into(), "Bearer sk_live_secret".into())));
    }
}
