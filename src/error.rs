//! One error type for the whole crate, with stable machine-readable codes.
//!
//! The same codes reach JavaScript as `MarkifactError.code`, so they are part of the public API:
//! a code is never renamed or reused for another failure.

use alloc::borrow::Cow;
use alloc::string::String;
use core::fmt;

use crate::text::concat;

// Sources exist natively only: the npm package's driver reports transport failures as events.
#[cfg(all(feature = "full", not(target_arch = "wasm32")))]
mod redacted;
#[cfg(any(test, all(target_arch = "wasm32", feature = "parser-abi")))]
use crate::text::{decimal, json_string};

/// The stable code of a failure. `as_str()` is the string both Rust and JavaScript users match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The redirect is not an absolute `http:` or `https:` URL.
    InvalidUrl,
    /// The redirect is longer than [`MAX_REDIRECT_INPUT_BYTES`](crate::MAX_REDIRECT_INPUT_BYTES).
    InputTooLong,
    /// The redirect carries no `status` (nor `markifact_status`).
    MissingStatus,
    /// `status` is present but is not exactly `success` or `error`.
    InvalidStatus,
    /// A success redirect lacks `connection_type` or `connection_id` (or it is empty).
    MissingParameter,
    /// A Markifact parameter the parser reads appears more than once.
    DuplicateParameter,
    /// The redirect does not extend the `redirect_url` it was parsed against.
    RedirectMismatch,
    /// A `redirect_url` breaks one of the rules in [`validate_redirect_url`].
    ///
    #[cfg_attr(
        feature = "full",
        doc = "[`validate_redirect_url`]: crate::validate_redirect_url"
    )]
    #[cfg_attr(
        not(feature = "full"),
        doc = "[`validate_redirect_url`]: https://docs.rs/markifact-connect/latest/markifact_connect/fn.validate_redirect_url.html"
    )]
    InvalidRedirectUrl,
    /// An `external_id` breaks one of the rules in [`validate_external_id`].
    ///
    #[cfg_attr(
        feature = "full",
        doc = "[`validate_external_id`]: crate::validate_external_id"
    )]
    #[cfg_attr(
        not(feature = "full"),
        doc = "[`validate_external_id`]: https://docs.rs/markifact-connect/latest/markifact_connect/fn.validate_external_id.html"
    )]
    InvalidExternalId,
    /// An argument has the wrong type or an empty value where one is required.
    InvalidArgument,
    /// A bug in markifact-connect itself (please report it); never caused by input.
    Internal,
    /// A client call was refused before any network I/O: an empty id or `connection_type`, an id
    /// that cannot be a path segment (`.` or `..`), or an empty filter value.
    InvalidRequest,
    /// The API answered `401`: a missing, invalid or revoked API key, or a plan without API
    /// access. [`Error::detail`] holds the API's message (e.g. `Invalid or revoked API key`).
    Unauthorized,
    /// The API answered `404`: no such auth link or connection, or not visible to the key's team.
    NotFound,
    /// The API answered `429`. Retryable; [`Error::retry_after_ms`] holds the wait the API asked
    /// for (from `Retry-After`, capped), when it gave one.
    RateLimited,
    /// The API answered another non-2xx status ([`Error::status`]); retryable for `408` and `5xx`.
    HttpError,
    /// The request did not complete within the caller's time limit (reported by the I/O layer).
    Timeout,
    /// The request never got an HTTP response: DNS, connection, TLS or CORS failure, or a dropped
    /// connection (reported by the I/O layer).
    Network,
    /// The caller cancelled the request (e.g. an `AbortSignal`); never retried.
    Aborted,
    /// A 2xx response whose body is not what the endpoint returns (not JSON, or the wrong shape).
    InvalidResponse,
    /// A redirect's claim could not be confirmed with the API (e.g. the auth link is not
    /// `connected`, or produced another connection than the redirect named).
    VerificationFailed,
    /// The redirect reports `status=error`: the user denied access, or the provider or Markifact
    /// could not complete the connection. [`Error::detail`] holds Markifact's message (for logs or
    /// a generic retry prompt, not for logic); the auth link stays usable until it expires.
    ConnectionFailed,
    /// An API key was about to be used from a web browser, where it would be exposed to every
    /// visitor; keys belong on a server.
    BrowserKeyRefused,
    /// The browser blocked the consent popup (`openAuthLink` was not called inside the user's
    /// click, or popups are disabled); `mode: "auto"` falls back to a full-page redirect instead.
    PopupBlocked,
    /// The npm package could not compile or instantiate one of its wasm modules: a
    /// Content-Security-Policy whose `script-src` lacks `'wasm-unsafe-eval'`, a runtime that
    /// forbids compiling wasm, or the package's JavaScript decoded with a charset other than
    /// UTF-8. The message names the module. Never raised by the Rust crate.
    WasmUnavailable,
}

impl ErrorCode {
    /// Every code, in declaration order (used by docs and tests).
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::InvalidUrl,
        ErrorCode::InputTooLong,
        ErrorCode::MissingStatus,
        ErrorCode::InvalidStatus,
        ErrorCode::MissingParameter,
        ErrorCode::DuplicateParameter,
        ErrorCode::RedirectMismatch,
        ErrorCode::InvalidRedirectUrl,
        ErrorCode::InvalidExternalId,
        ErrorCode::InvalidArgument,
        ErrorCode::Internal,
        ErrorCode::InvalidRequest,
        ErrorCode::Unauthorized,
        ErrorCode::NotFound,
        ErrorCode::RateLimited,
        ErrorCode::HttpError,
        ErrorCode::Timeout,
        ErrorCode::Network,
        ErrorCode::Aborted,
        ErrorCode::InvalidResponse,
        ErrorCode::VerificationFailed,
        ErrorCode::ConnectionFailed,
        ErrorCode::BrowserKeyRefused,
        ErrorCode::PopupBlocked,
        ErrorCode::WasmUnavailable,
    ];

    /// The stable string form, e.g. `"invalid_status"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidUrl => "invalid_url",
            ErrorCode::InputTooLong => "input_too_long",
            ErrorCode::MissingStatus => "missing_status",
            ErrorCode::InvalidStatus => "invalid_status",
            ErrorCode::MissingParameter => "missing_parameter",
            ErrorCode::DuplicateParameter => "duplicate_parameter",
            ErrorCode::RedirectMismatch => "redirect_mismatch",
            ErrorCode::InvalidRedirectUrl => "invalid_redirect_url",
            ErrorCode::InvalidExternalId => "invalid_external_id",
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::Internal => "internal",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::NotFound => "not_found",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::HttpError => "http_error",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Network => "network",
            ErrorCode::Aborted => "aborted",
            ErrorCode::InvalidResponse => "invalid_response",
            ErrorCode::VerificationFailed => "verification_failed",
            ErrorCode::ConnectionFailed => "connection_failed",
            ErrorCode::BrowserKeyRefused => "browser_key_refused",
            ErrorCode::PopupBlocked => "popup_blocked",
            ErrorCode::WasmUnavailable => "wasm_unavailable",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which rule of a validator an input broke. Stable strings, like [`ErrorCode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Rule {
    /// Longer than the limit for the field.
    TooLong,
    /// Empty where a value is required.
    Empty,
    /// Contains whitespace or a control character.
    WhitespaceOrControl,
    /// Not an absolute URL at all.
    NotAUrl,
    /// A scheme other than `https:` (or `http:` on loopback with the opt-in).
    NotHttps,
    /// A host with non-ASCII characters (use its `xn--` punycode form).
    NonAsciiHost,
    /// Credentials (`user@` or `user:pass@`) before the host.
    Userinfo,
    /// A `#fragment`.
    Fragment,
    /// A value of the wrong JavaScript type.
    WrongType,
    /// A JavaScript string with a lone UTF-16 surrogate, which is not Unicode text and would be
    /// altered (to U+FFFD) on its way to Markifact.
    InvalidUnicode,
}

impl Rule {
    /// Every rule, in declaration order.
    pub const ALL: &'static [Rule] = &[
        Rule::TooLong,
        Rule::Empty,
        Rule::WhitespaceOrControl,
        Rule::NotAUrl,
        Rule::NotHttps,
        Rule::NonAsciiHost,
        Rule::Userinfo,
        Rule::Fragment,
        Rule::WrongType,
        Rule::InvalidUnicode,
    ];

    /// The stable string form, e.g. `"not_https"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Rule::TooLong => "too_long",
            Rule::Empty => "empty",
            Rule::WhitespaceOrControl => "whitespace_or_control",
            Rule::NotAUrl => "not_a_url",
            Rule::NotHttps => "not_https",
            Rule::NonAsciiHost => "non_ascii_host",
            Rule::Userinfo => "userinfo",
            Rule::Fragment => "fragment",
            Rule::WrongType => "wrong_type",
            Rule::InvalidUnicode => "invalid_unicode",
        }
    }
}

/// A failure with a stable [`code`](Error::code), the [`field`](Error::field) it concerns when there
/// is one, the [`rule`](Error::rule) it broke for validators, and a human-readable message.
///
/// Errors from the API (see [`client`]) also carry the HTTP [`status`](Error::status),
/// the API's [`detail`](Error::detail), whether the failure is [`retryable`](Error::retryable), and
/// the [`retry_after_ms`](Error::retry_after_ms) the API asked for.
///
/// Messages quote offending input only in escaped, shortened form, so an error can be logged.
///
#[cfg_attr(feature = "full", doc = "[`client`]: crate::client")]
#[cfg_attr(
    not(feature = "full"),
    doc = "[`client`]: https://docs.rs/markifact-connect/latest/markifact_connect/client/index.html"
)]
#[derive(Clone)]
pub struct Error {
    code: ErrorCode,
    field: Option<Cow<'static, str>>,
    rule: Option<Rule>,
    message: String,
    status: Option<u16>,
    retryable: bool,
    retry_after_ms: Option<u64>,
    detail: Option<String>,
    /// The transport's error behind a `network` or `timeout` failure (see [`Error::source`]).
    #[cfg(feature = "full")]
    source: Option<std::sync::Arc<dyn core::error::Error + Send + Sync>>,
}

/// Equal when everything but the [`source`](core::error::Error::source) is: a cause is for
/// reading, not comparing.
impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
            && self.field == other.field
            && self.rule == other.rule
            && self.message == other.message
            && self.status == other.status
            && self.retryable == other.retryable
            && self.retry_after_ms == other.retry_after_ms
            && self.detail == other.detail
    }
}

impl Eq for Error {}

impl Error {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            field: None,
            rule: None,
            message: message.into(),
            status: None,
            retryable: false,
            retry_after_ms: None,
            detail: None,
            #[cfg(feature = "full")]
            source: None,
        }
    }

    /// The same error caused by `source` (the transport's error, say), which
    /// [`source()`](core::error::Error::source) returns: the cause chain survives as errors,
    /// not as text.
    ///
    /// ```
    /// use markifact_connect::Error;
    /// use std::error::Error as _;
    ///
    /// let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
    /// let error = Error::network("the connection was reset").with_source(io);
    /// assert_eq!(error.source().unwrap().to_string(), "reset by peer");
    /// ```
    #[cfg(feature = "full")]
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn core::error::Error + Send + Sync>>,
    ) -> Self {
        self.source = Some(std::sync::Arc::from(source.into()));
        self
    }

    #[cfg_attr(not(feature = "full"), allow(dead_code))]
    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub(crate) fn with_retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    #[cfg_attr(not(feature = "full"), allow(dead_code))]
    pub(crate) fn with_retry_after_ms(mut self, retry_after_ms: Option<u64>) -> Self {
        self.retry_after_ms = retry_after_ms;
        self
    }

    #[cfg_attr(not(feature = "full"), allow(dead_code))]
    pub(crate) fn with_detail(mut self, detail: Option<String>) -> Self {
        self.detail = detail;
        self
    }

    /// A failure to get any HTTP response (connection refused, DNS, TLS, CORS, connection reset),
    /// for the I/O layer to report. Code [`ErrorCode::Network`]; retryable.
    pub fn network(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Network, message).with_retryable(true)
    }

    /// The request exceeded the caller's time limit, for the I/O layer to report. Code
    /// [`ErrorCode::Timeout`]; retryable.
    pub fn timeout(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Timeout, message).with_retryable(true)
    }

    /// The caller cancelled the request, for the I/O layer to report. Code
    /// [`ErrorCode::Aborted`]; never retryable.
    pub fn aborted(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Aborted, message)
    }

    pub(crate) fn with_field(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub(crate) fn with_rule(mut self, rule: Rule) -> Self {
        self.rule = Some(rule);
        self
    }

    /// A wrong-type or empty argument, for bindings that receive untyped values.
    pub fn invalid_argument(
        field: impl Into<Cow<'static, str>>,
        rule: Rule,
        message: impl Into<String>,
    ) -> Self {
        Error::new(ErrorCode::InvalidArgument, message)
            .with_field(field)
            .with_rule(rule)
    }

    /// An argument of the wrong JavaScript type: "`field` must be `expected`" (e.g. "a string").
    #[cfg(any(
        test,
        all(target_arch = "wasm32", any(feature = "full", feature = "parser-abi"))
    ))]
    pub(crate) fn wrong_type(field: &str, expected: &str) -> Self {
        Error::invalid_argument(
            String::from(field),
            Rule::WrongType,
            concat(&[field, " must be ", expected]),
        )
    }

    /// The error as JSON in the shape of a JavaScript `MarkifactError`'s own fields (`code`,
    /// `message`, and those of `field`, `rule`, `status`, `retryable`, `retryAfterMs` and
    /// `detail` that are set), for bindings that pass errors as text.
    #[cfg(any(test, all(target_arch = "wasm32", feature = "parser-abi")))]
    pub(crate) fn to_js_json(&self) -> String {
        let mut out = String::from("{\"code\":\"");
        out.push_str(self.code.as_str());
        out.push_str("\",\"message\":");
        json_string(&mut out, &self.message);
        let mut field = |name: &str, json: &str| {
            out.push_str(",\"");
            out.push_str(name);
            out.push_str("\":");
            out.push_str(json);
        };
        if let Some(value) = &self.field {
            let mut json = String::new();
            json_string(&mut json, value);
            field("field", &json);
        }
        if let Some(rule) = self.rule {
            field("rule", &concat(&["\"", rule.as_str(), "\""]));
        }
        if let Some(status) = self.status {
            field("status", &decimal(status.into()));
        }
        if self.retryable {
            field("retryable", "true");
        }
        if let Some(ms) = self.retry_after_ms {
            field("retryAfterMs", &decimal(ms));
        }
        if let Some(detail) = &self.detail {
            let mut json = String::new();
            json_string(&mut json, detail);
            field("detail", &json);
        }
        out.push('}');
        out
    }

    /// Renames the field when it starts with `from` (`connection_ids[2]` -> `connectionIds[2]`), for
    /// bindings whose argument names differ from the Rust ones.
    pub fn rename_field(mut self, from: &str, to: &str) -> Self {
        if let Some(rest) = self.field.as_deref().and_then(|f| f.strip_prefix(from)) {
            if rest.is_empty() || rest.starts_with('[') {
                self.field = Some(concat(&[to, rest]).into());
            }
        }
        self
    }

    /// The error in another API's names: the field (as [`rename_field`](Self::rename_field)) and
    /// every whole-word occurrence of `from` in the message, unless the message carries the API's
    /// own text (a [`detail`](Self::detail)), which is left as the API wrote it. For bindings
    /// whose names differ from Rust's (`allow_insecure_localhost` -> `allowInsecureLocalhost`).
    pub fn rename(self, from: &str, to: &str) -> Self {
        let mut error = self.rename_field(from, to);
        if error.detail.is_none() && error.message.contains(from) {
            error.message = replace_word(&error.message, from, to);
        }
        error
    }

    /// Replaces every occurrence of `secret` in the message and the detail with `[redacted]`, and
    /// a source whose texts (or its causes') show it with a stand-in that shows them redacted.
    pub fn redact(mut self, secret: &str) -> Self {
        if !secret.is_empty() {
            self.message = self.message.replace(secret, "[redacted]");
            self.detail = self.detail.map(|d| d.replace(secret, "[redacted]"));
            #[cfg(all(feature = "full", not(target_arch = "wasm32")))]
            {
                self.source = self
                    .source
                    .map(|source| redacted::redact_source(source, secret));
            }
        }
        self
    }

    /// A failure of this crate's own invariants, for bindings that must report rather than panic.
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Internal, message)
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The input field or parameter the error is about, e.g. `"external_id"` or `"connection_ids[2]"`.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// The validation rule that was broken, for `invalid_redirect_url`, `invalid_external_id` and
    /// `invalid_argument`.
    pub fn rule(&self) -> Option<Rule> {
        self.rule
    }

    /// The human-readable message (without the code).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status of the API response this error comes from, if any.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// Whether trying the same request again later may succeed: network failures, timeouts,
    /// `408`, `429` and `5xx`. (Whether it is *safe* to repeat is the method's business: see
    /// [`RetryPolicy`], which only repeats `GET`s.)
    ///
    #[cfg_attr(feature = "full", doc = "[`RetryPolicy`]: crate::client::RetryPolicy")]
    #[cfg_attr(
        not(feature = "full"),
        doc = "[`RetryPolicy`]: https://docs.rs/markifact-connect/latest/markifact_connect/client/struct.RetryPolicy.html"
    )]
    pub fn retryable(&self) -> bool {
        self.retryable
    }

    /// How long the API asked to wait before trying again (`Retry-After`), in milliseconds,
    /// capped at [`MAX_RETRY_AFTER_MS`].
    ///
    #[cfg_attr(
        feature = "full",
        doc = "[`MAX_RETRY_AFTER_MS`]: crate::client::MAX_RETRY_AFTER_MS"
    )]
    #[cfg_attr(
        not(feature = "full"),
        doc = "[`MAX_RETRY_AFTER_MS`]: https://docs.rs/markifact-connect/latest/markifact_connect/client/constant.MAX_RETRY_AFTER_MS.html"
    )]
    pub fn retry_after_ms(&self) -> Option<u64> {
        self.retry_after_ms
    }

    /// The API's explanation from the error body: `{"detail": "..."}`, FastAPI validation items
    /// joined, or otherwise the raw body (shortened, with the cut stated).
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Error");
        s.field("code", &self.code.as_str());
        if let Some(field) = &self.field {
            s.field("field", field);
        }
        if let Some(rule) = self.rule {
            s.field("rule", &rule.as_str());
        }
        if let Some(status) = self.status {
            s.field("status", &status);
        }
        if self.retryable {
            s.field("retryable", &true);
        }
        if let Some(ms) = self.retry_after_ms {
            s.field("retry_after_ms", &ms);
        }
        if let Some(detail) = &self.detail {
            s.field("detail", detail);
        }
        #[cfg(feature = "full")]
        if let Some(source) = &self.source {
            s.field("source", source);
        }
        s.field("message", &self.message).finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl core::error::Error for Error {
    #[cfg(feature = "full")]
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn core::error::Error + 'static))
    }
}

/// `text` with every occurrence of the identifier `word` (not part of a longer identifier)
/// replaced by `with`.
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let identifier = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let (before, after) = (&rest[..at], &rest[at + word.len()..]);
        out.push_str(before);
        let whole = !identifier(before.chars().next_back()) && !identifier(after.chars().next());
        out.push_str(if whole { with } else { word });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_match_serde() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            assert_eq!(serde_json::to_string(code).unwrap(), format!("\"{s}\""));
        }
    }

    #[test]
    fn rules_are_unique_and_match_serde() {
        let mut seen = std::collections::HashSet::new();
        for rule in Rule::ALL {
            assert!(seen.insert(rule.as_str()));
            assert_eq!(
                serde_json::to_string(rule).unwrap(),
                format!("\"{}\"", rule.as_str())
            );
        }
    }

    #[test]
    fn the_js_json_has_every_field_that_is_set() {
        let plain = Error::new(ErrorCode::MissingStatus, "no \"status\"");
        assert_eq!(
            plain.to_js_json(),
            r#"{"code":"missing_status","message":"no \"status\""}"#
        );
        let full = Error::new(ErrorCode::RateLimited, "slow down")
            .with_field("url")
            .with_rule(Rule::TooLong)
            .with_status(429)
            .with_retryable(true)
            .with_retry_after_ms(Some(1500))
            .with_detail(Some("a\nb".into()));
        let value: serde_json::Value = serde_json::from_str(&full.to_js_json()).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"code": "rate_limited", "message": "slow down", "field": "url",
                "rule": "too_long", "status": 429, "retryable": true, "retryAfterMs": 1500,
                "detail": "a\nb"})
        );
    }

    #[test]
    fn rename_changes_whole_names_in_field_and_message_but_not_the_apis_text() {
        let own = Error::new(
            ErrorCode::InvalidRedirectUrl,
            "redirect_url must use https; the allow_insecure_localhost opt-in (not my_redirect_url_x)",
        )
        .with_field("redirect_url")
        .rename("redirect_url", "redirectUrl")
        .rename("allow_insecure_localhost", "allowInsecureLocalhost");
        assert_eq!(own.field(), Some("redirectUrl"));
        assert_eq!(
            own.message(),
            "redirectUrl must use https; the allowInsecureLocalhost opt-in (not my_redirect_url_x)"
        );
        let api = Error::new(
            ErrorCode::HttpError,
            "the API answered 422: body.redirect_url: bad",
        )
        .with_detail(Some("body.redirect_url: bad".into()))
        .rename("redirect_url", "redirectUrl");
        assert_eq!(
            api.message(),
            "the API answered 422: body.redirect_url: bad"
        );
    }

    #[cfg(feature = "full")]
    #[test]
    fn a_source_is_kept_and_ignored_by_equality() {
        use core::error::Error as _;
        let io = std::io::Error::other("reset by peer");
        let with = Error::network("the connection was reset").with_source(io);
        assert_eq!(
            with.source().map(|s| s.to_string()).as_deref(),
            Some("reset by peer")
        );
        assert_eq!(with.clone(), Error::network("the connection was reset"));
        assert!(format!("{with:?}").contains("reset by peer"));
    }

    #[cfg(feature = "full")]
    #[test]
    fn redact_covers_the_source_chain_and_keeps_a_clean_one() {
        use core::error::Error as _;
        /// A transport error whose cause shows the request's headers.
        #[derive(Debug)]
        struct Sent(std::io::Error);
        impl fmt::Display for Sent {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("sending failed")
            }
        }
        impl core::error::Error for Sent {
            fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let leaking = Sent(std::io::Error::other("authorization: Bearer sk_live_1"));
        let error = Error::network("the request failed")
            .with_source(leaking)
            .redact("sk_live_1");
        for text in [format!("{error:?}"), format!("{error:#?}")] {
            assert!(
                !text.contains("sk_live_1") && text.contains("[redacted]"),
                "{text}"
            );
        }
        let mut cause = error.source();
        let mut texts = Vec::new();
        while let Some(shown) = cause {
            texts.push(shown.to_string());
            cause = shown.source();
        }
        assert_eq!(
            texts,
            ["sending failed", "authorization: Bearer [redacted]"]
        );
        // A source that shows no key stays itself (it can still be downcast).
        let clean = Error::network("reset")
            .with_source(std::io::Error::other("reset by peer"))
            .redact("sk_live_1");
        assert!(clean
            .source()
            .unwrap()
            .downcast_ref::<std::io::Error>()
            .is_some());
    }

    #[test]
    fn wrong_type_names_the_field_and_the_type() {
        let e = Error::wrong_type("url", "a string");
        assert_eq!(
            (e.code(), e.field(), e.rule()),
            (
                ErrorCode::InvalidArgument,
                Some("url"),
                Some(Rule::WrongType)
            )
        );
        assert_eq!(e.message(), "url must be a string");
    }
}
