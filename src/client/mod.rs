//! A sans-IO client for the Markifact Connections API.
//!
//! Nothing here touches the network. The core does everything but the I/O:
//!
//! 1. [`request`](crate::client::request) builds a [`Request`](crate::client::Request) (method, path and query, JSON body) for one of the six
//!    endpoints, validating the inputs first, and [`Request::headers`](crate::client::Request::headers) lists its headers;
//! 2. the caller's I/O layer (the wasm `fetch` layer, or any Rust HTTP client) sends it to the base
//!    URL (`https://api.markifact.com`) and hands back the status, the `Retry-After` header and the
//!    body text as an [`HttpResponse`](crate::client::HttpResponse);
//! 3. [`response`](crate::client::response) turns that into the endpoint's typed result or an [`Error`](crate::Error) with a
//!    stable code, the status, the API's detail and whether it is retryable;
//! 4. on failure, [`RetryPolicy::next_delay`](crate::client::RetryPolicy::next_delay) says whether and when to send the request again.
//!
//! ```
//! use markifact_connect::client::{request, response, HttpResponse, RetryPolicy};
//!
//! let req = request::auth_link_status("link_1")?;
//! assert_eq!(req.path_and_query, "/v1/connections/auth-links/link_1/status");
//!
//! // ... send it, then:
//! let err = response::auth_link_status(&HttpResponse::new(503, "")).unwrap_err();
//! assert_eq!(err.code().as_str(), "http_error");
//! assert!(err.retryable());
//! # Ok::<(), markifact_connect::Error>(())
//! ```

mod config;
mod poll;
pub mod request;
pub mod response;
mod retry;
pub mod verify;
mod warnings;

pub use config::{ClientConfig, ClientSettings, DEFAULT_TIMEOUT_MS};
pub use poll::{PollPolicy, PollStep};
pub use request::{LookupBy, Method, Request};
pub use response::{ConnectionType, HttpResponse, MAX_DETAIL_BYTES, MAX_RETRY_AFTER_MS};
pub use retry::{Failure, RetryPolicy};
pub use verify::{
    not_found_as_verification_failure, plan_verification, verify_with_connections,
    verify_with_status, VerifyExpectations, VerifyPlan,
};
pub use warnings::{external_id_warnings, redirect_url_warnings};

/// The base URL of the real API; paths built by [`request`] go after it.
pub const DEFAULT_BASE_URL: &str = "https://api.markifact.com";
