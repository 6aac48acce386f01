//! The client's settings: where requests go, with which key and headers, and how long each may take.

use std::fmt;

use crate::whatwg::{parenthesised, HttpUrl, NotHttpUrl};

use super::request::Request;
use super::retry::RetryPolicy;
use crate::error::{Error, ErrorCode, Result, Rule};
use crate::text::{concat, quote};

use super::DEFAULT_BASE_URL;

/// How long one attempt may take by default, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// Validated client settings. `Debug` never shows the API key.
#[derive(Clone)]
pub struct ClientConfig {
    api_key: Option<String>,
    base_url: String,
    timeout_ms: u64,
    retry: RetryPolicy,
    headers: Vec<(String, String)>,
    allow_insecure_localhost: bool,
}

/// What a caller may set; everything is optional.
#[derive(Debug, Clone, Default)]
pub struct ClientSettings {
    /// The secret API key. Leave it out when `base_url` is the app's own proxy that adds it.
    pub api_key: Option<String>,
    /// Defaults to [`DEFAULT_BASE_URL`]. An absolute `https:` URL, `http:` on loopback (the
    /// sandbox), or, without an API key, a path such as `/api/markifact` (the app's own proxy).
    pub base_url: Option<String>,
    /// Per attempt; defaults to [`DEFAULT_TIMEOUT_MS`].
    pub timeout_ms: Option<u64>,
    /// Automatic retries of GET requests; defaults to [`RetryPolicy::default`]'s.
    pub max_retries: Option<u32>,
    /// Extra headers for every request (they cannot replace `authorization` or `content-type`).
    pub headers: Vec<(String, String)>,
    /// Accept `http://localhost` redirect URLs (for the sandbox).
    pub allow_insecure_localhost: bool,
}

impl ClientConfig {
    /// Checks the settings.
    ///
    /// ```
    /// use markifact_connect::client::{ClientConfig, ClientSettings};
    ///
    /// let config = ClientConfig::new(ClientSettings { api_key: Some("sk_live_1".into()), ..Default::default() })?;
    /// assert!(!format!("{config:?}").contains("sk_live_1"));
    /// # Ok::<(), markifact_connect::Error>(())
    /// ```
    pub fn new(settings: ClientSettings) -> Result<Self> {
        let invalid = |field: &'static str, rule: Rule, message: String| {
            Error::new(ErrorCode::InvalidRequest, message)
                .with_field(field)
                .with_rule(rule)
        };
        if let Some(key) = &settings.api_key {
            if key.trim().is_empty() {
                return Err(invalid("api_key", Rule::Empty, "api_key is empty".into()));
            }
            if key
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
            {
                return Err(invalid(
                    "api_key",
                    Rule::WhitespaceOrControl,
                    "api_key must be printable ASCII without spaces (it goes in an HTTP header)"
                        .into(),
                ));
            }
        }
        let base_url = base_url(settings.base_url.as_deref(), settings.api_key.is_some())?;
        for (name, value) in &settings.headers {
            let token = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !token || value.chars().any(|c| c.is_control() || !c.is_ascii()) {
                return Err(invalid(
                    "headers",
                    Rule::WhitespaceOrControl,
                    concat(&[
                        "header ",
                        &quote(name),
                        " is not a valid HTTP header name and ASCII value",
                    ]),
                ));
            }
        }
        let mut retry = RetryPolicy::default();
        if let Some(max) = settings.max_retries {
            retry.max_retries = max;
        }
        Ok(ClientConfig {
            api_key: settings.api_key,
            base_url,
            timeout_ms: settings.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
            retry,
            headers: settings.headers,
            allow_insecure_localhost: settings.allow_insecure_localhost,
        })
    }

    pub(crate) fn api_key(&self) -> Option<&str> {
        self.api_key.as_deref()
    }

    /// Whether requests carry an API key.
    pub fn has_api_key(&self) -> bool {
        self.api_key.is_some()
    }

    /// The per-attempt timeout, in milliseconds.
    pub fn timeout_ms(&self) -> u64 {
        self.timeout_ms
    }

    /// The retry policy for GET requests.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Whether `http://localhost` redirect URLs are accepted.
    pub fn allow_insecure_localhost(&self) -> bool {
        self.allow_insecure_localhost
    }

    /// The full URL of a request.
    pub fn url(&self, request: &Request) -> String {
        concat(&[&self.base_url, &request.path_and_query])
    }

    /// Every header of a request: the caller's extra headers, then the client's own (which win).
    pub fn headers(&self, request: &Request) -> Vec<(String, String)> {
        let own = request.headers(self.api_key.as_deref());
        let mut all: Vec<(String, String)> = self
            .headers
            .iter()
            .filter(|(name, _)| {
                !own.iter()
                    .any(|(own_name, _)| own_name.eq_ignore_ascii_case(name))
            })
            .cloned()
            .collect();
        all.extend(
            own.into_iter()
                .map(|(name, value)| (name.to_owned(), value)),
        );
        all
    }

    /// Replaces the API key wherever it appears in an error, in case a server or a transport
    /// echoes it back: no error this client produces ever contains the key.
    pub fn redact(&self, error: Error) -> Error {
        match &self.api_key {
            Some(key) => error.redact(key),
            None => error,
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url)
            .field("timeout_ms", &self.timeout_ms)
            .field("retry", &self.retry)
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(name, _)| name)
                    .collect::<Vec<_>>(),
            )
            .field("allow_insecure_localhost", &self.allow_insecure_localhost)
            .finish()
    }
}

/// The base URL without a trailing slash. The key only travels over HTTPS (or to loopback).
fn base_url(input: Option<&str>, has_key: bool) -> Result<String> {
    let input = input.unwrap_or(DEFAULT_BASE_URL);
    let reject = |message: String| {
        Error::new(ErrorCode::InvalidRequest, message)
            .with_field("base_url")
            .with_rule(Rule::NotAUrl)
    };
    if input.starts_with('/') && !input.starts_with("//") {
        if has_key {
            return Err(reject(
                "a relative base_url is for the app's own proxy, which adds the key itself; give an absolute https URL with an api_key".into(),
            ));
        }
        return Ok(input.trim_end_matches('/').to_owned());
    }
    let url = match HttpUrl::parse(input) {
        Ok(url) => url,
        Err(NotHttpUrl::OtherScheme(scheme)) => {
            return Err(reject(concat(&[
                "base_url must be http(s), not ",
                &quote(&scheme),
            ])))
        }
        Err(NotHttpUrl::NotAUrl(reason)) => {
            let reason = parenthesised(reason);
            return Err(reject(concat(&[
                "base_url must be an absolute http(s) URL; ",
                &quote(input),
                " is not",
                &reason,
            ])));
        }
    };
    if url.scheme() == "http" && has_key && !url.is_loopback() {
        return Err(reject(
            "base_url must use https when an api_key is set, so the key is never sent in clear text (http is accepted on loopback, for the sandbox)".into(),
        ));
    }
    if url.has_query() || url.has_fragment() || url.has_credentials() {
        return Err(reject(
            "base_url must not carry a query, a fragment or credentials".into(),
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::request;

    fn config(base: &str, key: Option<&str>) -> Result<ClientConfig> {
        ClientConfig::new(ClientSettings {
            api_key: key.map(str::to_owned),
            base_url: Some(base.to_owned()),
            ..Default::default()
        })
    }

    #[test]
    fn joins_base_and_path() {
        let c = config("https://api.markifact.com/", Some("sk_1")).unwrap();
        assert_eq!(
            c.url(&request::list_connection_types()),
            "https://api.markifact.com/v1/connections/types"
        );
        let proxy = config("/api/markifact/", None).unwrap();
        assert_eq!(
            proxy.url(&request::list_connection_types()),
            "/api/markifact/v1/connections/types"
        );
        let sandbox = config("http://127.0.0.1:8787", Some("sk_sandbox")).unwrap();
        assert!(sandbox
            .url(&request::list_connection_types())
            .starts_with("http://127.0.0.1:8787/v1/"));
    }

    #[test]
    fn the_key_only_travels_over_https_or_loopback() {
        assert_eq!(
            config("http://api.example.com", Some("sk_1"))
                .unwrap_err()
                .code(),
            ErrorCode::InvalidRequest
        );
        assert!(config("http://api.example.com", None).is_ok());
        assert!(config("/proxy", Some("sk_1")).is_err());
        assert!(config("//evil.example/x", None).is_err());
        assert!(config("https://api.example.com?x=1", None).is_err());
        assert!(config("ftp://api.example.com", None).is_err());
    }

    #[test]
    fn keys_and_headers_are_checked_and_never_shown() {
        assert!(config("https://a.example", Some(" ")).is_err());
        assert!(config("https://a.example", Some("sk 1")).is_err());
        let c = ClientConfig::new(ClientSettings {
            api_key: Some("sk_secret".into()),
            headers: vec![
                ("X-Trace".into(), "1".into()),
                ("Authorization".into(), "Bearer other".into()),
            ],
            ..Default::default()
        })
        .unwrap();
        assert!(!format!("{c:?}").contains("sk_secret"));
        let headers = c.headers(&request::list_connection_types());
        assert_eq!(
            headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("authorization"))
                .count(),
            1
        );
        assert!(headers.contains(&("authorization".into(), "Bearer sk_secret".into())));
        assert!(headers.contains(&("X-Trace".into(), "1".into())));
        let bad = ClientSettings {
            headers: vec![("Bad Name".into(), "x".into())],
            ..Default::default()
        };
        assert!(ClientConfig::new(bad).is_err());
        let leaked = Error::new(ErrorCode::HttpError, "echo sk_secret")
            .with_detail(Some("got sk_secret".into()));
        let clean = c.redact(leaked);
        assert!(
            !clean.message().contains("sk_secret")
                && !clean.detail().unwrap().contains("sk_secret")
        );
    }
}
