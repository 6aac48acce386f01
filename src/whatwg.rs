//! The WHATWG URL parser behind validation, the client's base URL and `parse_redirect`: the `url`
//! crate natively, the platform's `URL` on wasm32 (which the binding layer, src/wasm/url.rs, hands
//! the core through [`install_platform_url`]), so the npm package's wasm carries no URL parser of
//! its own. Both implement the same standard and
//! agree on every input the crate lets through: non-ASCII hosts, where IDNA backends differ, are
//! refused before parsing (see host.rs).
//!
//! Everything after parsing reads the URL's serialisation, whose shape the standard fixes; the
//! `url` crate says where its parts are, and on wasm32 one pass over it finds them.

use alloc::borrow::Cow;
use alloc::string::String;

use crate::redirect::UrlParser;
use crate::text::quote;

/// The platform's WHATWG URL serialiser: `input` parsed as an absolute URL and serialised, or the
/// parser's reason (if it gives one) for refusing it.
#[cfg(target_arch = "wasm32")]
pub(crate) type PlatformUrl = fn(&str) -> Result<String, Option<String>>;

#[cfg(target_arch = "wasm32")]
static PLATFORM_URL: std::sync::OnceLock<PlatformUrl> = std::sync::OnceLock::new();

/// The seam through which the platform's URL parser reaches the core on wasm32: the binding layer
/// installs it before anything parses a URL (installing again changes nothing).
#[cfg(target_arch = "wasm32")]
pub(crate) fn install_platform_url(serialize: PlatformUrl) {
    let _ = PLATFORM_URL.set(serialize);
}

/// Why [`HttpUrl::parse`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotHttpUrl {
    /// Not an absolute URL; the parser's reason when it gives one.
    NotAUrl(Option<String>),
    /// An absolute URL of this other scheme (lower case, as serialised).
    OtherScheme(String),
}

/// ` (reason)` for a message, or nothing when the parser gave no reason.
pub(crate) fn parenthesised(reason: Option<String>) -> String {
    reason
        .map(|r| crate::text::concat(&[" (", &r, ")"]))
        .unwrap_or_default()
}

/// An absolute `http:` or `https:` URL's serialisation, with the positions of its parts:
/// `scheme://[user[:password]@]host[:port]/path[?query][#fragment]`. In this form `?` and `#`
/// appear only as delimiters (the serialiser percent-encodes them elsewhere) and the path always
/// starts with `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpUrl {
    href: String,
    /// Where the authority starts (after `://`).
    authority_start: usize,
    /// Where the path starts (the `/` after the authority).
    path_start: usize,
    /// Where the query starts (its `?`), or the fragment, or the end.
    query_start: usize,
    /// Where the fragment starts (its `#`), or the end.
    fragment_start: usize,
}

impl HttpUrl {
    /// Parses `input` as an absolute `http:` or `https:` URL, with the `url` crate, which also
    /// says where the parts are.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn parse(input: &str) -> Result<HttpUrl, NotHttpUrl> {
        use url::Position;
        let url = url::Url::parse(input).map_err(|e| NotHttpUrl::NotAUrl(Some(e.to_string())))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(NotHttpUrl::OtherScheme(url.scheme().into()));
        }
        Ok(HttpUrl {
            authority_start: url[..Position::BeforeUsername].len(),
            path_start: url[..Position::BeforePath].len(),
            query_start: url[..Position::AfterPath].len(),
            fragment_start: url[..Position::AfterQuery].len(),
            href: url.into(),
        })
    }

    /// Parses `input` as an absolute `http:` or `https:` URL, with the platform's `URL`.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn parse(input: &str) -> Result<HttpUrl, NotHttpUrl> {
        let serialize = PLATFORM_URL.get().ok_or_else(|| {
            NotHttpUrl::NotAUrl(Some(
                "no URL parser was installed (install_platform_url)".into(),
            ))
        })?;
        HttpUrl::from_href(serialize(input).map_err(NotHttpUrl::NotAUrl)?)
    }

    /// Finds the parts in a serialisation, in one pass up to the fragment.
    #[cfg(any(test, target_arch = "wasm32"))]
    fn from_href(href: String) -> Result<HttpUrl, NotHttpUrl> {
        let authority_start = if href.starts_with("https://") {
            8
        } else if href.starts_with("http://") {
            7
        } else {
            let scheme = href.split_once(':').map_or("", |(scheme, _)| scheme);
            return Err(NotHttpUrl::OtherScheme(scheme.into()));
        };
        let bytes = href.as_bytes();
        let next = |from: usize, delimiters: &[u8]| {
            bytes[from..]
                .iter()
                .position(|b| delimiters.contains(b))
                .map_or(bytes.len(), |i| from + i)
        };
        let path_start = next(authority_start, b"/?#");
        let query_start = next(path_start, b"?#");
        let fragment_start = next(query_start, b"#");
        Ok(HttpUrl {
            authority_start,
            path_start,
            query_start,
            fragment_start,
            href,
        })
    }

    /// `http` or `https`.
    pub(crate) fn scheme(&self) -> &str {
        &self.href[..self.authority_start - 3]
    }

    fn authority(&self) -> &str {
        &self.href[self.authority_start..self.path_start]
    }

    /// Whether a user name or password precedes the host.
    pub(crate) fn has_credentials(&self) -> bool {
        self.authority().contains('@')
    }

    /// The authority without any credentials: `host[:port]`.
    fn host_and_port(&self) -> &str {
        let authority = self.authority();
        authority
            .rsplit_once('@')
            .map_or(authority, |(_, rest)| rest)
    }

    /// The host, serialised (`[::1]` for IPv6), without any port.
    pub(crate) fn host(&self) -> &str {
        let host = self.host_and_port();
        match host.find(']') {
            Some(end) => &host[..=end],
            None => host.split_once(':').map_or(host, |(host, _)| host),
        }
    }

    /// Whether the host is `localhost`, `127.0.0.1` or `[::1]`.
    pub(crate) fn is_loopback(&self) -> bool {
        matches!(self.host(), "localhost" | "127.0.0.1" | "[::1]")
    }

    /// `scheme://host[:port]`.
    pub(crate) fn origin(&self) -> Cow<'_, str> {
        if self.has_credentials() {
            Cow::Owned(crate::text::concat(&[
                self.scheme(),
                "://",
                self.host_and_port(),
            ]))
        } else {
            Cow::Borrowed(&self.href[..self.path_start])
        }
    }

    pub(crate) fn path(&self) -> &str {
        &self.href[self.path_start..self.query_start]
    }

    /// Whether there is a `?`, even with nothing after it.
    pub(crate) fn has_query(&self) -> bool {
        self.query_start < self.fragment_start
    }

    /// The query without its `?`; empty when there is none.
    pub(crate) fn query(&self) -> &str {
        self.href
            .get(self.query_start + 1..self.fragment_start)
            .unwrap_or("")
    }

    /// Whether there is a `#`, even with nothing after it.
    pub(crate) fn has_fragment(&self) -> bool {
        self.fragment_start < self.href.len()
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.href
    }

    pub(crate) fn into_string(self) -> String {
        self.href
    }
}

/// [`crate::parse_redirect`]'s URL parser: the one above.
pub(crate) struct Whatwg;

impl UrlParser for Whatwg {
    type Input = str;
    type Url = HttpUrl;

    fn length_over(&self, input: &str, limit: usize) -> Option<usize> {
        (input.len() > limit).then_some(input.len())
    }

    fn describe(&self, input: &str) -> String {
        quote(input)
    }

    fn has_non_ascii_host(&self, input: &str) -> bool {
        crate::host::has_non_ascii_host(input)
    }

    fn parse_http(&self, input: &str) -> Option<HttpUrl> {
        HttpUrl::parse(input).ok()
    }

    fn query<'u>(&self, url: &'u HttpUrl) -> Cow<'u, str> {
        Cow::Borrowed(url.query())
    }

    fn origin<'u>(&self, url: &'u HttpUrl) -> Cow<'u, str> {
        url.origin()
    }

    fn path<'u>(&self, url: &'u HttpUrl) -> Cow<'u, str> {
        Cow::Borrowed(url.path())
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// Every part against the `url` crate's own accessors.
    #[test]
    fn parts_match_the_url_crate() {
        for input in [
            "https://app.example.com/cb?x=1#f",
            "HTTP://User:Pw@Example.COM:8080/a/b?q?r#s?t#u",
            "https://[::1]:3000",
            "http://127.0.0.1/?",
            "https://a/#",
            "https://@host/p",
            "https://user:@host/",
            "https://h/p%3F?q%23#",
            "https:\\\\host\\path?x",
            "https://h:443/",
            "https://xn--bcher-kva.example/%F0%9F%98%80",
        ] {
            let reference = url::Url::parse(input).unwrap();
            let ours = HttpUrl::parse(input).unwrap();
            // The wasm32 build finds the parts in the serialisation.
            assert_eq!(
                HttpUrl::from_href(reference.to_string()).as_ref(),
                Ok(&ours),
                "{input}"
            );
            assert_eq!(ours.as_str(), reference.as_str(), "{input}");
            assert_eq!(ours.scheme(), reference.scheme(), "{input}");
            assert_eq!(Some(ours.host()), reference.host_str(), "{input}");
            assert_eq!(ours.path(), reference.path(), "{input}");
            assert_eq!(ours.has_query(), reference.query().is_some(), "{input}");
            assert_eq!(ours.query(), reference.query().unwrap_or(""), "{input}");
            assert_eq!(
                ours.has_fragment(),
                reference.fragment().is_some(),
                "{input}"
            );
            assert_eq!(
                ours.origin(),
                reference.origin().ascii_serialization(),
                "{input}"
            );
            assert_eq!(
                ours.has_credentials(),
                !reference.username().is_empty() || reference.password().is_some(),
                "{input}"
            );
        }
    }

    #[test]
    fn other_schemes_and_non_urls() {
        let scheme = |s: &str| NotHttpUrl::OtherScheme(s.into());
        assert_eq!(HttpUrl::parse("mailto:a@b.c"), Err(scheme("mailto")));
        assert_eq!(HttpUrl::parse("FTP://host/"), Err(scheme("ftp")));
        assert_eq!(HttpUrl::from_href("ftp://host/".into()), Err(scheme("ftp")));
        assert!(matches!(
            HttpUrl::parse("/relative"),
            Err(NotHttpUrl::NotAUrl(Some(_)))
        ));
    }
}
