//! A sans-IO client for the Markifact Connections API.
//!
//! Nothing here touches the network. Each API call is a [`Call`](crate::client::Call): a
//! synchronous state machine that, given what happened (a response, a failure, the time, a
//! random number), says what to do next: send this request, sleep this long, report progress, or
//! done. Every decision lives there, once: the retries of a `GET` with backoff, jitter and
//! `Retry-After` ([`RetryPolicy`](crate::client::RetryPolicy)), the wait's schedule, deadline and
//! the link's expiry ([`PollPolicy`](crate::client::PollPolicy)), what a response means
//! ([`response`](crate::client::response)), verification ([`verify`](crate::client::verify)).
//!
//! A driver performs the actions: [`Client`](crate::client::Client) over a
//! [`Runtime`](crate::client::Runtime) you implement once with your HTTP client, or the npm
//! package's `MarkifactClient`, a short JavaScript loop over `fetch` and timers. The machines can
//! also be stepped by hand (see [`Call`](crate::client::Call)), which is how they are tested.
//!
//! The building blocks are public too: [`request`](crate::client::request) builds the six
//! endpoints' requests after validating their inputs, [`response`](crate::client::response)
//! interprets an answer:
//!
//! ```
//! use markifact_connect::client::{request, response, HttpResponse};
//!
//! let req = request::auth_link_status("link_1")?;
//! assert_eq!(req.path_and_query, "/v1/connections/auth-links/link_1/status");
//! let err = response::auth_link_status(&HttpResponse::new(503, "")).unwrap_err();
//! assert_eq!(err.code().as_str(), "http_error");
//! assert!(err.retryable());
//! # Ok::<(), markifact_connect::Error>(())
//! ```
//!
//! A runtime that answers from memory shows the shape of [`Client`](crate::client::Client):
//!
//! ```
//! use markifact_connect::client::{Client, ClientConfig, ClientSettings, HttpRequest, RawResponse, Runtime};
//! use markifact_connect::models::AuthLinkState;
//!
//! struct Canned;
//!
//! impl Runtime for Canned {
//!     async fn send(&self, request: &HttpRequest) -> markifact_connect::Result<RawResponse> {
//!         assert_eq!(request.url, "https://api.markifact.com/v1/connections/auth-links/link_1/status");
//!         let body = r#"{"id":"link_1","status":"pending","connection_type":"ga4",
//!             "expires_at":1767225600000,"created_at":1767139200000,"updated_at":1767139200000}"#;
//!         Ok(RawResponse { status: 200, retry_after: None, body: body.into() })
//!     }
//!     async fn sleep(&self, _ms: u64) -> markifact_connect::Result<()> { Ok(()) }
//!     fn now_ms(&self) -> u64 { 1_767_139_200_000 }
//!     fn random(&self) -> f64 { 0.5 }
//! }
//!
//! let settings = ClientSettings { api_key: Some("sk_live_...".into()), ..Default::default() };
//! let client = Client::new(ClientConfig::new(settings)?);
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     let mut f = std::pin::pin!(f);
//! #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
//! #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
//! # }
//! // With an async runtime: `client.get_auth_link_status(&Canned, "link_1").await?`
//! let status = block_on(client.get_auth_link_status(&Canned, "link_1"))?;
//! assert_eq!(status.status, AuthLinkState::Pending);
//! # Ok::<(), markifact_connect::Error>(())
//! ```

mod api;
mod call;
#[cfg(test)]
mod call_tests;
mod calls;
mod config;
pub(crate) mod decode;
mod exchange;
mod poll;
pub mod request;
pub mod response;
mod retry;
#[cfg(all(feature = "tokio", not(target_arch = "wasm32")))]
mod runtime;
pub mod verify;
mod wait;
mod warnings;

pub use api::{
    drive, not_a_response, redirect_refused, response_too_large, Client, CreateAuthLink,
    HttpRequest, MaybeSend, RawResponse, Runtime, VerifyRedirect,
};
pub use call::{Action, Call, Event};
pub use config::{ClientConfig, ClientSettings, DEFAULT_TIMEOUT_MS};
pub use poll::{PollPolicy, PollStep};
pub use request::{LookupBy, Method, Request};
pub use response::{
    ConnectionType, HttpResponse, MAX_DETAIL_BYTES, MAX_RESPONSE_BYTES, MAX_RETRY_AFTER_MS,
};
pub use retry::{Failure, RetryPolicy};
#[cfg(all(feature = "tokio", not(target_arch = "wasm32")))]
pub use runtime::FnRuntime;
#[cfg(all(feature = "reqwest", not(target_arch = "wasm32")))]
pub use runtime::ReqwestRuntime;
pub use verify::{
    not_found_as_verification_failure, plan_verification, verify_with_connections,
    verify_with_status, Lookup, VerifyExpectations, VerifyPlan,
};
pub use warnings::{external_id_warnings, redirect_url_warnings};

/// The base URL of the real API; paths built by [`request`] go after it.
pub const DEFAULT_BASE_URL: &str = "https://api.markifact.com";
