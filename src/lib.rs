//! # markifact-connect
//!
//! Connect your users' ad and analytics accounts through the
//! [Markifact Connections API](https://api.markifact.com): this crate is the pure core shared by
//! the Rust crate and the `markifact-connect` npm package (the same code compiled to WebAssembly).
//!
//! - [`parse_redirect`] turns the URL Markifact sends the user's browser back to into a typed
//!   [`RedirectResult`], applying the `markifact_` collision rule.
//! - [`validate_redirect_url`] and [`validate_external_id`] check link-creation inputs before any
//!   network call; every rejection has a stable [`ErrorCode`] and names the [`Rule`] it broke.
//! - [`context_header`] builds the `X-Markifact-Context` header for the Markifact MCP server.
//! - [`models`] holds the API's objects (connections, auth links) with tolerant deserialisation.
//!
//! Nothing here performs I/O; the core builds and tests natively.
//!
//! Features: `full` (default) is everything above plus the [`client`]; without it the crate is the
//! redirect parser ([`parse_redirect_with`] over your own [`UrlParser`]), the errors and the
//! models. `typescript` derives the TypeScript declarations; `parser-abi` is internal to the npm
//! package's build (it makes the crate `no_std` on wasm32, with its own allocator).
//!
//! ```
//! use markifact_connect::{parse_redirect, ParseOptions, RedirectResult};
//!
//! let url = "https://app.example.com/cb?status=error&connection_type=ga4&error=access_denied";
//! match parse_redirect(url, ParseOptions::default())? {
//!     RedirectResult::Success(s) => println!("connected {} (confirm server-side!)", s.connection_id),
//!     RedirectResult::Error(e) => assert_eq!(e.error, "access_denied"),
//! }
//! # Ok::<(), markifact_connect::Error>(())
//! ```
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
