//! # markifact-connect
//!
//! Connect your users' ad and analytics accounts through the
//! [Markifact Connections API](https://api.markifact.com): this crate is the pure core shared by
//! the Rust crate and the `markifact-connect` npm package (the same code compiled to WebAssembly).
//!
//! - [`parse_redirect`][parse_redirect] turns the URL Markifact sends the user's browser back to
//!   into a typed [`RedirectResult`], applying the `markifact_` collision rule.
//! - [`validate_redirect_url`][validate_redirect_url] and
//!   [`validate_external_id`][validate_external_id] check link-creation inputs before any
//!   network call; every rejection has a stable [`ErrorCode`] and names the [`Rule`] it broke.
//! - [`context_header`][context_header] builds the `X-Markifact-Context` header for the Markifact
//!   MCP server.
//! - [`models`] holds the API's objects (connections, auth links) with tolerant deserialisation.
//! - [`client::Client`][Client] calls the API (create an auth link, wait for it, list, get and
//!   delete connections, verify a redirect server-side) with retries, backoff and timeouts, over
//!   a [`client::Runtime`][Runtime] that performs the I/O: [`client::ReqwestRuntime`][Reqwest]
//!   (feature `reqwest`) is ready to use. Every call is a synchronous state machine
//!   ([`client::Call`][Call]): the core decides, the runtime only sends and sleeps.
//!
//! Features: `full` (default) is everything above but the ready runtimes; `tokio` adds
//! [`client::FnRuntime`][FnRuntime] (a runtime over any async function that sends a request),
//! `reqwest` adds [`client::ReqwestRuntime`][Reqwest]. Without `full` the crate is the redirect
//! parser ([`parse_redirect_with`] over your own [`UrlParser`]), the errors and the models.
//! `typescript` derives the TypeScript declarations; `parser-abi` is internal to the npm
//! package's build (it makes the crate `no_std` on wasm32, with its own allocator).
//!
//! # Quick start: connect an account (features `reqwest`, with tokio)
//!
//! Server-side, with your secret key: create a link for a user, wait until they have connected
//! the account, then confirm the redirect that brought their browser back (the redirect is a
//! claim; [`Client::verify_redirect`][verify_redirect] asks the API).
//!
#![cfg_attr(feature = "reqwest", doc = "```no_run")]
#![cfg_attr(not(feature = "reqwest"), doc = "```ignore")]
//! use markifact_connect::client::{
//!     Client, ClientConfig, ClientSettings, CreateAuthLink, ReqwestRuntime, VerifyRedirect,
//! };
//!
//! # async fn connect(returned_url: &str) -> Result<(), markifact_connect::Error> {
//! let client = Client::new(ClientConfig::new(ClientSettings {
//!     api_key: Some("sk_live_...".into()),
//!     ..Default::default()
//! })?);
//! let rt = ReqwestRuntime::new()?;
//! let redirect_url = "https://app.example.com/markifact/callback";
//! let link = client
//!     .create_auth_link(&rt, &CreateAuthLink {
//!         connection_type: "ga4".into(),
//!         redirect_url: Some(redirect_url.into()),
//!         external_id: Some("user_42".into()),
//!         ..Default::default()
//!     })
//!     .await?;
//! // Send the user's browser to `link.url`, then (ten minutes at most):
//! let status = client.wait_for_auth_link(&rt, &link.id, 600_000, |_| {}).await?;
//! // In the callback route, with the URL the browser came back to:
//! let check = VerifyRedirect {
//!     auth_link_id: Some(&link.id),
//!     redirect_url: Some(redirect_url),
//!     ..Default::default()
//! };
//! let connection = client.verify_redirect(&rt, returned_url, &check).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Parse a redirect
//!
#![cfg_attr(feature = "full", doc = "```")]
#![cfg_attr(not(feature = "full"), doc = "```ignore")]
//! use markifact_connect::{parse_redirect, ParseOptions, RedirectResult};
//!
//! let url = "https://app.example.com/cb?status=error&connection_type=ga4&error=access_denied";
//! match parse_redirect(url, ParseOptions::default())? {
//!     RedirectResult::Success(s) => println!("connected {} (confirm server-side!)", s.connection_id),
//!     RedirectResult::Error(e) => assert_eq!(e.error, "access_denied"),
//! }
//! # Ok::<(), markifact_connect::Error>(())
//! ```
//!
// The links to items of optional features: to this build's items when it has them, otherwise to
// docs.rs (so the docs build without broken links under every feature combination).
#![cfg_attr(feature = "full", doc = "[parse_redirect]: parse_redirect")]
#![cfg_attr(
    feature = "full",
    doc = "[validate_redirect_url]: validate_redirect_url"
)]
#![cfg_attr(feature = "full", doc = "[validate_external_id]: validate_external_id")]
#![cfg_attr(feature = "full", doc = "[context_header]: context_header")]
#![cfg_attr(feature = "full", doc = "[Client]: client::Client")]
#![cfg_attr(
    feature = "full",
    doc = "[verify_redirect]: client::Client::verify_redirect"
)]
#![cfg_attr(feature = "full", doc = "[Runtime]: client::Runtime")]
#![cfg_attr(feature = "full", doc = "[Call]: client::Call")]
#![cfg_attr(
    not(feature = "full"),
    doc = "[parse_redirect]: https://docs.rs/markifact-connect/latest/markifact_connect/fn.parse_redirect.html"
)]
#![cfg_attr(
    not(feature = "full"),
    doc = "[validate_redirect_url]: https://docs.rs/markifact-connect/latest/markifact_connect/fn.validate_redirect_url.html"
)]
#![cfg_attr(
    not(feature = "full"),
    doc = "[validate_external_id]: https://docs.rs/markifact-connect/latest/markifact_connect/fn.validate_external_id.html"
)]
#![cfg_attr(
    not(feature = "full"),
    doc = "[context_header]: https://docs.rs/markifact-connect/latest/markifact_connect/fn.context_header.html"
)]
#![cfg_attr(
    not(feature = "full"),
    doc = "[Client]: https://docs.rs/markifact-connect/latest/markifact_connect/client/struct.Client.html"
)]
#![cfg_attr(
    not(feature = "full"),
    doc = "[verify_redirect]: https://docs.rs/markifact-connect/latest/markifact_connect/client/struct.Client.html#method.verify_redirect"
)]
#![cfg_attr(
    not(feature = "full"),
    doc = "[Runtime]: https://docs.rs/markifact-connect/latest/markifact_connect/client/trait.Runtime.html"
)]
#![cfg_attr(
    not(feature = "full"),
    doc = "[Call]: https://docs.rs/markifact-connect/latest/markifact_connect/client/struct.Call.html"
)]
#![cfg_attr(feature = "tokio", doc = "[FnRuntime]: client::FnRuntime")]
#![cfg_attr(
    not(feature = "tokio"),
    doc = "[FnRuntime]: https://docs.rs/markifact-connect/latest/markifact_connect/client/struct.FnRuntime.html"
)]
#![cfg_attr(feature = "reqwest", doc = "[Reqwest]: client::ReqwestRuntime")]
#![cfg_attr(
    not(feature = "reqwest"),
    doc = "[Reqwest]: https://docs.rs/markifact-connect/latest/markifact_connect/client/struct.ReqwestRuntime.html"
)]
#![deny(missing_docs)]
// The npm package's parser wasm only: no `std`, so no panic and allocation-failure machinery
// (see the `parser-abi` feature in Cargo.toml).
#![cfg_attr(all(target_arch = "wasm32", feature = "parser-abi"), no_std)]

#[cfg(all(feature = "parser-abi", feature = "full"))]
compile_error!("`parser-abi` is for the parser wasm, which is built without `full`");

extern crate alloc;

/// A sans-IO client for the Connections API: request builders, response interpretation, retries.
#[cfg(feature = "full")]
pub mod client;
#[cfg(feature = "full")]
mod context;
mod error;
#[cfg(feature = "full")]
mod host;
/// The option objects of the npm package's `MarkifactClient` (read by the binding layer, declared
/// for TypeScript from the same fields).
#[cfg(any(feature = "typescript", all(target_arch = "wasm32", feature = "full")))]
pub mod js_options;
#[cfg(feature = "full")]
mod json;
pub mod models;
mod redirect;
mod text;
#[cfg(feature = "full")]
mod validate;
#[cfg(feature = "full")]
mod whatwg;

/// The JavaScript API (wasm32 only): what the npm package exports, built on the core above.
#[cfg(all(target_arch = "wasm32", feature = "full"))]
pub mod wasm;

/// The parser wasm's exports (behind `parseRedirect` in every entry of the npm package): the
/// redirect parser behind a hand-written ABI.
#[cfg(all(target_arch = "wasm32", feature = "parser-abi"))]
mod parser_abi;

#[cfg(feature = "full")]
pub use context::{context_header, CONTEXT_HEADER_NAME};
pub use error::{Error, ErrorCode, Result, Rule};
#[cfg(feature = "full")]
pub use redirect::parse_redirect;
pub use redirect::{
    parse_redirect_with, ParseOptions, RedirectError, RedirectResult, RedirectSuccess, UrlParser,
    COLLISION_PREFIX, MAX_REDIRECT_INPUT_BYTES,
};
#[cfg(feature = "full")]
pub use validate::{
    validate_external_id, validate_redirect_url, RedirectUrlOptions, MAX_EXTERNAL_ID_CHARS,
    MAX_REDIRECT_URL_BYTES,
};
