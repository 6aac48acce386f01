//! The option objects of the npm package's `MarkifactClient`, as Rust types: the binding layer
//! (src/wasm/client.rs) reads JavaScript objects into them, and ts-rs declares them for
//! TypeScript (tests/typescript_types.rs), both from the same field names (which are therefore
//! the JavaScript ones), so the names read and the names declared cannot drift.
//!
//! Values only JavaScript has (functions, signals) are of the binding's value type `V`; the
//! declarations spell out their TypeScript types.
#![allow(non_snake_case)] // the fields are the JavaScript option names

use alloc::string::String;
use alloc::vec::Vec;

/// Reads one option of an options object (`key` is the field's name) into a field's type; the
/// binding layer implements it over its value type. An absent (`undefined` or `null`) option
/// is `None`; a present one of another type is an `invalid_argument` naming it, as a value of
/// the binding (small, where an [`Error`](crate::Error) moved through every field would not be).
pub trait FromOption<V>: Sized {
    /// The option `key` of `options`.
    fn from_option(options: &V, key: &'static str) -> Result<Self, V>;
}

/// A string that must reach Markifact unchanged (an id): a lone UTF-16 surrogate, which would
/// silently become U+FFFD, is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

/// A non-negative integer (milliseconds, a count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count(pub u64);

/// A JavaScript function.
#[derive(Debug, Clone)]
pub struct Function<V>(pub V);

/// An `AbortSignal`, or any object with `aborted` and `addEventListener`.
#[derive(Debug, Clone)]
pub struct Signal<V>(pub V);

/// Extra HTTP headers: an object of strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<(String, String)>);

/// How `getConnection` looks a connection up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupBy {
    /// By Markifact's connection id.
    Id,
    /// By your `external_id`.
    ExternalId,
}

/// Declares option structs and their readers from one list of fields.
macro_rules! options {
    ($(
        $(#[$meta:meta])*
        pub struct $name:ident $(<$v:ident>)? {
            $( $(#[$field_meta:meta])* pub $field:ident: $ty:ty, )*
        }
    )*) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone)]
        #[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
        $( #[cfg_attr(feature = "typescript", ts(concrete($v = ())))] )?
        pub struct $name $(<$v>)? {
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        impl $(<$v>)? $name $(<$v>)? {
            /// Reads the options object `options`, field by field.
            pub fn read<S>(options: &S) -> Result<Self, S>
            where
                $( $ty: FromOption<S>, )*
            {
                Ok($name { $( $field: FromOption::from_option(options, stringify!($field))?, )* })
            }
        }
    )*};
}

options! {
    /// Options of `new MarkifactClient()`.
    pub struct MarkifactClientOptions<V> {
        /// The secret API key (server-side only). Leave it out when `baseUrl` is your own proxy.
        #[cfg_attr(feature = "typescript", ts(optional))]
        pub apiKey: Option<String>,
        /// Default `https://api.markifact.com`; `http://127.0.0.1:8787` for the sandbox; a path
        /// such as `/api/markifact` for your own proxy (no `apiKey` then).
        #[cfg_attr(feature = "typescript", ts(optional))]
        pub baseUrl: Option<String>,
        /// Per attempt, in ms (default 30000).
        #[cfg_attr(feature = "typescript", ts(optional, as = "Option<u32>"))]
        pub timeoutMs: Option<Count>,
        /// Automatic retries of GET requests (default 2). POST and DELETE are never retried.
        #[cfg_attr(feature = "typescript", ts(optional, as = "Option<u32>"))]
        pub maxRetries: Option<Count>,
        /// The `fetch` to use (default: the global one).
        #[cfg_attr(feature = "typescript", ts(optional, type = "(input: string, init: FetchInit) => PromiseLike<FetchResponse>"))]
        pub fetch: Option<Function<V>>,
        /// Extra headers for every request (they cannot replace `authorization` or
        /// `content-type`).
        #[cfg_attr(feature = "typescript", ts(optional, type = "Record<string, string>"))]
        pub headers: Option<Headers>,
        /// Construct with `apiKey` in a browser anyway. The key is then visible to every user of
        /// the page.
        #[cfg_attr(feature = "typescript", ts(optional))]
        pub dangerouslyAllowBrowser: Option<bool>,
        /// Accept `http://localhost` redirect URLs (for the sandbox).
        #[cfg_attr(feature = "typescript", ts(optional))]
        pub allowInsecureLocalhost: Option<bool>,
        /// Called with each warning about link-creation inputs (also returned in `warnings`).
        #[cfg_attr(feature = "typescript", ts(optional, type = "(warning: string) => void"))]
        pub onWarning: Option<Function<V>>,
    }

    /// Options every method takes.
    pub struct CallOptions<V> {
        /// Cancels the call: it rejects with `aborted`.
        #[cfg_attr(feature = "typescript", ts(optional, type = "AbortSignalLike"))]
        pub signal: Option<Signal<V>>,
    }

    /// What `createAuthLink` creates.
    pub struct CreateAuthLinkParams {
        /// The connection type, e.g. `gads` (see `listConnectionTypes`).
        #[cfg_attr(feature = "typescript", ts(as = "String"))]
        pub connectionType: Text,
        /// Where Markifact sends the browser afterwards.
        #[cfg_attr(feature = "typescript", ts(optional, as = "Option<String>"))]
        pub redirectUrl: Option<Text>,
        /// Your opaque id for the user or account.
        #[cfg_attr(feature = "typescript", ts(optional, as = "Option<String>"))]
        pub externalId: Option<Text>,
        /// `true` for a connection only the key's user sees.
        #[cfg_attr(feature = "typescript", ts(optional))]
        pub isPrivate: Option<bool>,
    }

    /// Options of `waitForAuthLink`.
    pub struct WaitForAuthLinkOptions<V> {
        /// Cancels the call: it rejects with `aborted`.
        #[cfg_attr(feature = "typescript", ts(optional, type = "AbortSignalLike"))]
        pub signal: Option<Signal<V>>,
        /// Give up after this many ms (default 600000), with a `timeout` error.
        #[cfg_attr(feature = "typescript", ts(optional, as = "Option<u32>"))]
        pub timeoutMs: Option<Count>,
        /// Called with each status read while waiting.
        #[cfg_attr(feature = "typescript", ts(optional, type = "(status: AuthLinkStatus) => void"))]
        pub onPoll: Option<Function<V>>,
    }

    /// Options of `listConnections`: both filters combine (AND).
    pub struct ListConnectionsOptions<V> {
        /// Cancels the call: it rejects with `aborted`.
        #[cfg_attr(feature = "typescript", ts(optional, type = "AbortSignalLike"))]
        pub signal: Option<Signal<V>>,
        /// Only the connections created with this `externalId`.
        #[cfg_attr(feature = "typescript", ts(optional))]
        pub externalId: Option<String>,
        /// Only the connections of this type.
        #[cfg_attr(feature = "typescript", ts(optional))]
        pub r#type: Option<String>,
    }

    /// Options of `getConnection`.
    pub struct GetConnectionOptions<V> {
        /// Cancels the call: it rejects with `aborted`.
        #[cfg_attr(feature = "typescript", ts(optional, type = "AbortSignalLike"))]
        pub signal: Option<Signal<V>>,
        /// Whether the id is Markifact's (default) or your `externalId`.
        #[cfg_attr(feature = "typescript", ts(optional, type = "\"id\" | \"externalId\""))]
        pub lookupBy: Option<LookupBy>,
    }

    /// What `verifyRedirect` checks the redirect against.
    pub struct VerifyRedirectOptions<V> {
        /// Cancels the call: it rejects with `aborted`.
        #[cfg_attr(feature = "typescript", ts(optional, type = "AbortSignalLike"))]
        pub signal: Option<Signal<V>>,
        /// The auth link the redirect belongs to: the strongest check.
        #[cfg_attr(feature = "typescript", ts(optional))]
        pub authLinkId: Option<String>,
        /// Your id for the user; required without `authLinkId`.
        #[cfg_attr(feature = "typescript", ts(optional))]
        pub expectedExternalId: Option<String>,
        /// The connection type you asked for.
        #[cfg_attr(feature = "typescript", ts(optional))]
        pub expectedConnectionType: Option<String>,
        /// The `redirectUrl` given at link creation, for an exact parse.
        #[cfg_attr(feature = "typescript", ts(optional))]
        pub redirectUrl: Option<String>,
    }
}
