//! Validation of link-creation inputs, before any network call.
//!
//! The rules are the project's reading of the Markifact contract (see the README's "Validation
//! rules"); each rejection carries the [`Rule`] it broke.

use crate::error::{Error, ErrorCode, Result, Rule};
use crate::host::{has_non_ascii_host, raw_authority};
use crate::text::{concat, decimal, escape_unicode, quote};
use crate::whatwg::{parenthesised, HttpUrl, NotHttpUrl};

/// Longest accepted `redirect_url`, in bytes of UTF-8.
pub const MAX_REDIRECT_URL_BYTES: usize = 2048;

/// Longest accepted `external_id`, in Unicode scalar values (Rust `char`s).
pub const MAX_EXTERNAL_ID_CHARS: usize = 255;

/// Options for [`validate_redirect_url`] (`ValidateRedirectUrlOptions` in JavaScript).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "typescript",
    derive(ts_rs::TS),
    ts(rename = "ValidateRedirectUrlOptions", rename_all = "camelCase")
)]
pub struct RedirectUrlOptions {
    /// Also accept `http://localhost`, `http://127.0.0.1` and `http://[::1]` (any port), for local
    /// development against the sandbox. The real Markifact API refuses these.
    #[cfg_attr(feature = "typescript", ts(as = "Option<bool>", optional))]
    pub allow_insecure_localhost: bool,
}

/// Checks a `redirect_url` for link creation and returns its normalised form (the WHATWG URL
/// serialisation: lower-case scheme and host, default port dropped, `/` for an empty path).
///
/// Rules, checked in this order, each reported as [`ErrorCode::InvalidRedirectUrl`] with a [`Rule`]:
/// at most [`MAX_REDIRECT_URL_BYTES`] bytes ([`Rule::TooLong`]); no whitespace or control character
/// anywhere ([`Rule::WhitespaceOrControl`]); an ASCII host ([`Rule::NonAsciiHost`]: give
/// internationalised names in their `xn--` form; a non-ASCII host on another scheme reports
/// [`Rule::NotHttps`]); an absolute URL ([`Rule::NotAUrl`]); scheme `https` ([`Rule::NotHttps`],
/// see [`RedirectUrlOptions`] for the loopback opt-in); no `user@` credentials ([`Rule::Userinfo`]);
/// no `#fragment` ([`Rule::Fragment`]). An `https:` URL always has a host under the URL standard.
///
/// The URL standard reads `\` like `/` in `https:` URLs, as browsers do; send Markifact the
/// returned normalised URL, not the input, so that no other parser reads it differently.
///
/// ```
/// use markifact_connect::{validate_redirect_url, RedirectUrlOptions, Rule};
///
/// let url = validate_redirect_url("HTTPS://App.Example.com:443/cb?x=1", RedirectUrlOptions::default())?;
/// assert_eq!(url, "https://app.example.com/cb?x=1");
///
/// let err = validate_redirect_url("http://app.example.com/cb", RedirectUrlOptions::default()).unwrap_err();
/// assert_eq!(err.code().as_str(), "invalid_redirect_url");
/// assert_eq!(err.rule(), Some(Rule::NotHttps));
/// # Ok::<(), markifact_connect::Error>(())
/// ```
pub fn validate_redirect_url(input: &str, options: RedirectUrlOptions) -> Result<String> {
    let reject = |rule: Rule, message: String| {
        Error::new(ErrorCode::InvalidRedirectUrl, message)
            .with_field("redirect_url")
            .with_rule(rule)
    };
    let not_https = |scheme: &str| {
        reject(
            Rule::NotHttps,
            concat(&["redirect_url must use https, not ", &quote(scheme)]),
        )
    };

    if input.len() > MAX_REDIRECT_URL_BYTES {
        return Err(reject(
            Rule::TooLong,
            concat(&[
                "redirect_url is ",
                &decimal(input.len() as u64),
                " bytes long; the limit is ",
                &decimal(MAX_REDIRECT_URL_BYTES as u64),
                " bytes",
            ]),
        ));
    }
    if let Some((index, c)) = input
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || c.is_control())
    {
        return Err(reject(
            Rule::WhitespaceOrControl,
            concat(&[
                "redirect_url must not contain whitespace or control characters; found ",
                &escape_unicode(c),
                " at byte ",
                &decimal(index as u64),
            ]),
        ));
    }
    let authority = raw_authority(input);
    // Refused before parsing, the same way in every build (host.rs): the `url` crate here has no
    // Unicode IDNA and would only say "not a URL", the platform's `URL` would map it to punycode.
    // Name the rule instead, after the scheme rule it also breaks.
    if has_non_ascii_host(input) {
        let scheme = &input[..input.find(':').unwrap_or(0)];
        return Err(if scheme.eq_ignore_ascii_case("https") {
            reject(
                Rule::NonAsciiHost,
                "redirect_url must have an ASCII host; write an internationalised domain name in its punycode (xn--) form".into(),
            )
        } else {
            not_https(scheme)
        });
    }
    let url = match HttpUrl::parse(input) {
        Ok(url) => url,
        Err(NotHttpUrl::OtherScheme(scheme)) => return Err(not_https(&scheme)),
        Err(NotHttpUrl::NotAUrl(reason)) => {
            let reason = parenthesised(reason);
            return Err(reject(
                Rule::NotAUrl,
                concat(&[
                    "redirect_url must be an absolute https URL; ",
                    &quote(input),
                    " is not",
                    &reason,
                ]),
            ));
        }
    };

    match url.scheme() {
        "https" => {}
        "http" if options.allow_insecure_localhost && url.is_loopback() => {}
        "http" if url.is_loopback() => {
            return Err(reject(
                Rule::NotHttps,
                "redirect_url must use https; http on localhost is only accepted with the allow_insecure_localhost opt-in, for the sandbox".into(),
            ))
        }
        other => return Err(not_https(other)),
    }
    // `https://@host/` has an empty user name that the serialisation drops, so look at the raw
    // authority too.
    if url.has_credentials() || authority.is_some_and(|a| a.contains('@')) {
        return Err(reject(
            Rule::Userinfo,
            "redirect_url must not contain credentials (user@ or user:password@) before the host"
                .into(),
        ));
    }
    if url.has_fragment() {
        return Err(reject(
            Rule::Fragment,
            "redirect_url must not contain a #fragment (Markifact appends query parameters; browsers do not send fragments)".into(),
        ));
    }
    // The limit holds for what is sent: percent-encoding can triple a character's bytes.
    let normalised = url.into_string();
    if normalised.len() > MAX_REDIRECT_URL_BYTES {
        return Err(reject(
            Rule::TooLong,
            concat(&[
                "redirect_url is ",
                &decimal(normalised.len() as u64),
                " bytes long once normalised (percent-encoded); the limit is ",
                &decimal(MAX_REDIRECT_URL_BYTES as u64),
                " bytes",
            ]),
        ));
    }
    Ok(normalised)
}

/// Checks an `external_id`: 1 to [`MAX_EXTERNAL_ID_CHARS`] Unicode scalar values (Rust `char`s;
/// an emoji such as 👍 counts once, even though JavaScript's `length` counts it twice).
///
/// The contract sets no other rule. Markifact echoes the id in the redirect's query string, so it
/// should be an opaque id from your own system, never an email, name or token.
///
/// ```
/// use markifact_connect::{validate_external_id, Rule};
///
/// assert!(validate_external_id("user_42").is_ok());
/// assert_eq!(validate_external_id("").unwrap_err().rule(), Some(Rule::Empty));
/// assert_eq!(validate_external_id(&"é".repeat(256)).unwrap_err().rule(), Some(Rule::TooLong));
/// ```
pub fn validate_external_id(input: &str) -> Result<()> {
    let reject = |rule: Rule, message: String| {
        Error::new(ErrorCode::InvalidExternalId, message)
            .with_field("external_id")
            .with_rule(rule)
    };
    if input.is_empty() {
        return Err(reject(Rule::Empty, "external_id must not be empty".into()));
    }
    // Bytes bound chars from above, so most inputs never need counting.
    if input.len() > MAX_EXTERNAL_ID_CHARS {
        let chars = input.chars().count();
        if chars > MAX_EXTERNAL_ID_CHARS {
            return Err(reject(
                Rule::TooLong,
                concat(&[
                    "external_id is ",
                    &decimal(chars as u64),
                    " characters long (Unicode scalar values); the limit is ",
                    &decimal(MAX_EXTERNAL_ID_CHARS as u64),
                ]),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_of(input: &str, allow: bool) -> Option<Rule> {
        validate_redirect_url(
            input,
            RedirectUrlOptions {
                allow_insecure_localhost: allow,
            },
        )
        .err()
        .map(|e| {
            assert_eq!(e.code(), ErrorCode::InvalidRedirectUrl);
            assert_eq!(e.field(), Some("redirect_url"));
            e.rule().expect("every rejection names its rule")
        })
    }

    #[test]
    fn accepts_and_normalises_https() {
        assert_eq!(
            validate_redirect_url("https://EXAMPLE.com", RedirectUrlOptions::default()).unwrap(),
            "https://example.com/"
        );
        assert_eq!(
            validate_redirect_url(
                "https://example.com:8443/a/../cb?q=a%20b&r",
                RedirectUrlOptions::default()
            )
            .unwrap(),
            "https://example.com:8443/cb?q=a%20b&r"
        );
    }

    #[test]
    fn each_rule() {
        assert_eq!(
            rule_of(&format!("https://a.example/{}", "x".repeat(2048)), false),
            Some(Rule::TooLong)
        );
        assert_eq!(
            rule_of("https://a.example/ cb", false),
            Some(Rule::WhitespaceOrControl)
        );
        assert_eq!(
            rule_of(" https://a.example/", false),
            Some(Rule::WhitespaceOrControl)
        );
        assert_eq!(
            rule_of("https://a.example/\u{7f}", false),
            Some(Rule::WhitespaceOrControl)
        );
        assert_eq!(
            rule_of("https://a.example/\u{a0}", false),
            Some(Rule::WhitespaceOrControl)
        );
        assert_eq!(rule_of("/relative/cb", false), Some(Rule::NotAUrl));
        assert_eq!(rule_of("http://a.example/cb", false), Some(Rule::NotHttps));
        assert_eq!(rule_of("javascript:alert(1)", false), Some(Rule::NotHttps));
        assert_eq!(
            rule_of("https://bücher.example/cb", false),
            Some(Rule::NonAsciiHost)
        );
        assert_eq!(
            rule_of("https://user@a.example/", false),
            Some(Rule::Userinfo)
        );
        assert_eq!(
            rule_of("https://user:pw@a.example/", false),
            Some(Rule::Userinfo)
        );
        assert_eq!(rule_of("https://@a.example/", false), Some(Rule::Userinfo));
        assert_eq!(
            rule_of("https://a.example/cb#x", false),
            Some(Rule::Fragment)
        );
        assert_eq!(
            rule_of("https://a.example/cb#", false),
            Some(Rule::Fragment)
        );
    }

    #[test]
    fn exactly_2048_bytes_is_accepted() {
        let base = "https://a.example/";
        let url = format!("{base}{}", "x".repeat(MAX_REDIRECT_URL_BYTES - base.len()));
        assert_eq!(url.len(), MAX_REDIRECT_URL_BYTES);
        assert_eq!(rule_of(&url, false), None);
    }

    #[test]
    fn loopback_http_needs_the_opt_in() {
        for url in [
            "http://localhost:3000/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:8080/cb",
        ] {
            assert_eq!(rule_of(url, false), Some(Rule::NotHttps), "{url}");
            assert_eq!(rule_of(url, true), None, "{url}");
        }
        for url in [
            "http://127.0.0.2/cb",
            "http://localhost.evil.example/cb",
            "http://10.0.0.1/",
        ] {
            assert_eq!(rule_of(url, true), Some(Rule::NotHttps), "{url}");
        }
    }

    #[test]
    fn external_id_counts_scalar_values() {
        assert!(validate_external_id(&"👍".repeat(255)).is_ok());
        let err = validate_external_id(&"👍".repeat(256)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidExternalId);
        assert_eq!(err.field(), Some("external_id"));
        assert!(err.message().contains("256"), "{}", err.message());
        assert!(validate_external_id(&"a".repeat(255)).is_ok());
    }
}
