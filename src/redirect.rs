//! Parsing the redirect Markifact sends the user's browser back to.
//!
//! Markifact keeps every query parameter already on the app's `redirect_url` and appends its own:
//! `status`, `connection_type`, `connection_id` (success), `external_id` (when one was given) and
//! `error` (error). When the app's URL already used one of those names, Markifact appends its value
//! as `markifact_<name>` instead. A reader therefore takes `markifact_<name>` when present,
//! otherwise `<name>`, name by name.
//!
//! The redirect is a user-experience hand-off, not proof: anyone can type these parameters. Confirm
//! a success server-side with the auth link status endpoint before trusting it.

use alloc::borrow::Cow;
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::mem;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result, Rule};
use crate::text::{concat, decimal, quote};

/// Longest redirect URL [`parse_redirect`] reads, in bytes of UTF-8 (16 KiB).
///
#[cfg_attr(
    not(feature = "full"),
    doc = "[`parse_redirect`]: https://docs.rs/markifact-connect/latest/markifact_connect/fn.parse_redirect.html"
)]
pub const MAX_REDIRECT_INPUT_BYTES: usize = 16 * 1024;

/// The prefix Markifact puts before a parameter name the app's own URL already uses.
pub const COLLISION_PREFIX: &str = "markifact_";

/// Options for [`parse_redirect`] (`ParseRedirectOptions` in JavaScript).
///
#[cfg_attr(
    not(feature = "full"),
    doc = "[`parse_redirect`]: https://docs.rs/markifact-connect/latest/markifact_connect/fn.parse_redirect.html"
)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "typescript",
    derive(ts_rs::TS),
    ts(rename = "ParseRedirectOptions", rename_all = "camelCase")
)]
pub struct ParseOptions<'a> {
    /// The `redirect_url` given when the auth link was created. With it the parse is exact: the
    /// app's parameters are exactly those of this URL, Markifact's are what was appended after them,
    /// and a redirect that does not extend this URL is rejected with
    /// [`ErrorCode::RedirectMismatch`].
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub redirect_url: Option<&'a str>,
}

/// What a redirect says, with the app's own query parameters kept apart.
///
/// In JavaScript this is a discriminated union on `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum RedirectResult {
    /// `status=success`: the user finished the flow (to be confirmed server-side).
    Success(RedirectSuccess),
    /// `status=error`: the user denied, or the provider failed. The link stays usable until it expires.
    Error(RedirectError),
}

/// The fields of a success redirect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RedirectSuccess {
    /// The connection type, e.g. `gads`.
    pub connection_type: String,
    /// Markifact's id of the new connection.
    pub connection_id: String,
    /// The `external_id` given at link creation, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub external_id: Option<String>,
    /// The app's own query parameters, decoded, in order.
    pub app_params: Vec<(String, String)>,
}

/// The fields of an error redirect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RedirectError {
    /// The connection type, when Markifact sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub connection_type: Option<String>,
    /// The `external_id` given at link creation, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub external_id: Option<String>,
    /// Markifact's human-readable message, decoded; for logs or a generic retry prompt, not for
    /// logic. Empty if Markifact sent none.
    pub error: String,
    /// The app's own query parameters, decoded, in order.
    pub app_params: Vec<(String, String)>,
}

impl RedirectResult {
    /// The app's own query parameters, whatever the status.
    pub fn app_params(&self) -> &[(String, String)] {
        match self {
            RedirectResult::Success(s) => &s.app_params,
            RedirectResult::Error(e) => &e.app_params,
        }
    }
}

/// Markifact's parameter names, as they appear unprefixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Param {
    Status,
    ConnectionType,
    ConnectionId,
    ExternalId,
    Error,
}

impl Param {
    const ALL: [Param; 5] = [
        Param::Status,
        Param::ConnectionType,
        Param::ConnectionId,
        Param::ExternalId,
        Param::Error,
    ];

    const fn name(self) -> &'static str {
        match self {
            Param::Status => "status",
            Param::ConnectionType => "connection_type",
            Param::ConnectionId => "connection_id",
            Param::ExternalId => "external_id",
            Param::Error => "error",
        }
    }

    /// Which parameter `key` names, and whether it carries the collision prefix.
    fn classify(key: &str) -> Option<(Param, bool)> {
        let (rest, prefixed) = match key.strip_prefix(COLLISION_PREFIX) {
            Some(rest) => (rest, true),
            None => (key, false),
        };
        Param::ALL
            .into_iter()
            .find(|p| p.name() == rest)
            .map(|p| (p, prefixed))
    }

    /// The parameters Markifact appends for a given status (the others are the app's).
    fn read_for(success: bool) -> &'static [Param] {
        if success {
            &[
                Param::ConnectionType,
                Param::ConnectionId,
                Param::ExternalId,
            ]
        } else {
            &[Param::ConnectionType, Param::ExternalId, Param::Error]
        }
    }
}

pub(crate) type Pairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// The query's name-value pairs, as `form_urlencoded::parse` (`URLSearchParams`) reads them, in a
/// `Vec` allocated once, for as many pairs as there are `&`-separated sequences. Only `&`, `=`,
/// `+` and `%` matter to the reading, and [`for_each_special_byte`] finds them eight bytes at a
/// time. A name or a value without `+` or `%` decodes to itself, so it is borrowed as it is, with
/// no copy and no UTF-8 check: most redirects have little to decode.
pub(crate) fn collect_pairs(query: &str) -> Pairs<'_> {
    // Counted in u8 lanes, sixteen to a 128-bit register (a usize count widens each byte to 64
    // bits), over chunks short enough for a u8.
    let ampersands: usize = query
        .as_bytes()
        .chunks(255)
        .map(|chunk| usize::from(chunk.iter().fold(0u8, |n, &b| n + u8::from(b == b'&'))))
        .sum();
    let sequences = if query.is_empty() { 0 } else { ampersands + 1 };
    let mut pairs = Vec::with_capacity(sequences);
    let mut sequence = Sequence::default();
    for_each_special_byte(query.as_bytes(), |index, byte| match byte {
        b'&' => {
            sequence.push_to(&mut pairs, query, index);
            sequence = Sequence {
                start: index + 1,
                ..Sequence::default()
            };
        }
        b'=' if sequence.equals.is_none() => sequence.equals = Some(index),
        b'=' => {}
        // `+` or `%`, in the name until the first `=`, then in the value.
        _ => sequence.encoded[usize::from(sequence.equals.is_some())] = true,
    });
    sequence.push_to(&mut pairs, query, query.len());
    pairs
}

/// A `&`-separated sequence of the query, as [`collect_pairs`] scans it: where it starts, its first
/// `=`, and whether its name and its value have anything to decode.
#[derive(Default)]
struct Sequence {
    start: usize,
    equals: Option<usize>,
    encoded: [bool; 2],
}

impl Sequence {
    /// Pushes the sequence ending at `end` as a pair, unless it is empty.
    fn push_to<'a>(&self, pairs: &mut Pairs<'a>, query: &'a str, end: usize) {
        // The indices are those of ASCII bytes, so the slices are all there.
        let (name, value) = match self.equals {
            Some(equals) => (query.get(self.start..equals), query.get(equals + 1..end)),
            None => (query.get(self.start..end), Some("")),
        };
        let (Some(name), Some(value)) = (name, value) else {
            return;
        };
        if name.is_empty() && self.equals.is_none() {
            return;
        }
        let read = |text, encoded| match encoded {
            true => Cow::Owned(decode(text)),
            false => Cow::Borrowed(text),
        };
        pairs.push((read(name, self.encoded[0]), read(value, self.encoded[1])));
    }
}

/// Calls `f` with the index and the value of each `&`, `=`, `+` and `%` of `bytes`, in order. It
/// reads eight bytes at a time (SWAR, in `u64`s, which the wasm builds have too), so the bytes in
/// between, nearly all of them, cost a few instructions each and no branch.
fn for_each_special_byte(bytes: &[u8], mut f: impl FnMut(usize, u8)) {
    let mut scan = |word: u64, offset: usize| {
        let mut found = equal_bytes(word, b'&')
            | equal_bytes(word, b'=')
            | equal_bytes(word, b'+')
            | equal_bytes(word, b'%');
        while found != 0 {
            // The top bit of the byte found: the byte's index is its bit index over 8.
            let bit = found.trailing_zeros() as usize;
            f(offset + bit / 8, (word >> (bit - 7)) as u8);
            found &= found - 1;
        }
    };
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        scan(
            u64::from_le_bytes(word.try_into().unwrap_or_default()),
            offset,
        );
        offset += 8;
    }
    // The last bytes, in the same order, padded with zeros (not special).
    let last = words
        .remainder()
        .iter()
        .rev()
        .fold(0, |word, &byte| word << 8 | u64::from(byte));
    scan(last, offset);
}

/// The top bit of each byte of `word` that is `byte`, every other bit clear. Exact, with no carry
/// from one byte into the next: each byte's low seven bits plus 0x7f is at most 0xfe.
const fn equal_bytes(word: u64, byte: u8) -> u64 {
    const LOW_SEVEN: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let diff = word ^ (0x0101_0101_0101_0101 * byte as u64);
    !(((diff & LOW_SEVEN) + LOW_SEVEN) | diff | LOW_SEVEN)
}

/// A name or a value decoded as `form_urlencoded` decodes it: `+` is a space, `%` and two hex
/// digits the byte they spell (any other `%` stays), and bytes that are not UTF-8 become U+FFFD.
/// In one pass into one buffer, where `form_urlencoded` copies for the `+`s, again for the `%`s,
/// and then checks the UTF-8 with `from_utf8_lossy`.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        index += 1;
        out.push(match byte {
            b'+' => b' ',
            b'%' => match (hex_digit(bytes.get(index)), hex_digit(bytes.get(index + 1))) {
                (Some(high), Some(low)) => {
                    index += 2;
                    high << 4 | low
                }
                _ => b'%',
            },
            _ => byte,
        });
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn hex_digit(byte: Option<&u8>) -> Option<u8> {
    match byte? {
        digit @ b'0'..=b'9' => Some(digit - b'0'),
        letter @ b'a'..=b'f' => Some(letter - b'a' + 10),
        letter @ b'A'..=b'F' => Some(letter - b'A' + 10),
        _ => None,
    }
}

/// Parses the URL Markifact redirected the user's browser to.
///
/// The URL must be an absolute `http:` or `https:` URL of at most [`MAX_REDIRECT_INPUT_BYTES`].
/// Values are decoded as `application/x-www-form-urlencoded` (like `URLSearchParams`: `+` is a
/// space, invalid UTF-8 becomes U+FFFD).
///
/// Without [`ParseOptions::redirect_url`], each Markifact parameter is read as `markifact_<name>`
/// when present (the last one, as Markifact appends), otherwise `<name>`; an unprefixed name the
/// parser reads must appear once. Everything not read is returned as `app_params`. With it, the
/// parse is exact (see [`ParseOptions`]).
///
/// ```
/// use markifact_connect::{parse_redirect, ParseOptions, RedirectResult};
///
/// let url = "https://example.com/cb?status=started&session_id=abc\
///            &markifact_status=success&connection_type=ga4&connection_id=c_1&external_id=u_42";
/// let RedirectResult::Success(success) = parse_redirect(url, ParseOptions::default())? else {
///     panic!("expected a success redirect");
/// };
/// assert_eq!(success.connection_type, "ga4");
/// assert_eq!(success.connection_id, "c_1");
/// assert_eq!(success.external_id.as_deref(), Some("u_42"));
/// assert_eq!(success.app_params, [("status".into(), "started".into()), ("session_id".into(), "abc".into())]);
/// # Ok::<(), markifact_connect::Error>(())
/// ```
#[cfg(feature = "full")]
pub fn parse_redirect(input: &str, options: ParseOptions<'_>) -> Result<RedirectResult> {
    parse_redirect_with(&crate::whatwg::Whatwg, input, options.redirect_url)
}

/// How [`parse_redirect_with`] reads URLs: by the WHATWG URL standard, whose implementation the
/// caller picks. [`parse_redirect`] uses the `url` crate natively and the platform's `URL` on
/// wasm32, as the npm package's parser wasm does. Both are the same parser.
///
#[cfg_attr(
    not(feature = "full"),
    doc = "[`parse_redirect`]: https://docs.rs/markifact-connect/latest/markifact_connect/fn.parse_redirect.html"
)]
pub trait UrlParser {
    /// The input as the caller holds it (`str` natively; what the glue prepared in the npm package).
    type Input: ?Sized;
    /// A parsed absolute `http:` or `https:` URL.
    type Url;
    /// The input's length in bytes of UTF-8 when it is over `limit` bytes; `None` otherwise.
    fn length_over(&self, input: &Self::Input, limit: usize) -> Option<usize>;
    /// The input, escaped and shortened, for an error message.
    fn describe(&self, input: &Self::Input) -> String;
    /// Whether the host, read as a URL parser reads it, has non-ASCII characters (such hosts are
    /// refused before parsing, the same way in every build: see `host.rs`).
    fn has_non_ascii_host(&self, input: &Self::Input) -> bool;
    /// The parsed URL, or `None` unless `input` is an absolute `http:` or `https:` URL.
    fn parse_http(&self, input: &Self::Input) -> Option<Self::Url>;
    /// The URL's query, serialised (percent-encoded) and without `?`; empty when it has none.
    fn query<'u>(&self, url: &'u Self::Url) -> Cow<'u, str>;
    /// The URL's origin, serialised (`https://host[:port]`, the default port left out).
    fn origin<'u>(&self, url: &'u Self::Url) -> Cow<'u, str>;
    /// The URL's path, serialised.
    fn path<'u>(&self, url: &'u Self::Url) -> Cow<'u, str>;
}

/// [`parse_redirect`] over any [`UrlParser`], with the `redirect_url` of exact mode in the
/// parser's input type: the one implementation of the parsing rules.
///
#[cfg_attr(
    not(feature = "full"),
    doc = "[`parse_redirect`]: https://docs.rs/markifact-connect/latest/markifact_connect/fn.parse_redirect.html"
)]
pub fn parse_redirect_with<P: UrlParser>(
    parser: &P,
    input: &P::Input,
    redirect_url: Option<&P::Input>,
) -> Result<RedirectResult> {
    if let Some(length) = parser.length_over(input, MAX_REDIRECT_INPUT_BYTES) {
        return Err(Error::new(
            ErrorCode::InputTooLong,
            concat(&[
                "the redirect URL is ",
                &decimal(length as u64),
                " bytes long; the limit is ",
                &decimal(MAX_REDIRECT_INPUT_BYTES as u64),
                " bytes",
            ]),
        )
        .with_field("url"));
    }
    if parser.has_non_ascii_host(input) {
        return Err(Error::new(
            ErrorCode::InvalidUrl,
            concat(&[
                "the redirect's host must be ASCII, in its punycode (xn--) form as browsers give it in location.href; got ",
                &parser.describe(input),
            ]),
        )
        .with_field("url"));
    }
    let url = parser.parse_http(input).ok_or_else(|| {
        Error::new(
            ErrorCode::InvalidUrl,
            concat(&[
                "the redirect must be an absolute http(s) URL; got ",
                &parser.describe(input),
            ]),
        )
        .with_field("url")
    })?;
    let query = parser.query(&url);
    let pairs = collect_pairs(&query);
    match redirect_url {
        None => read_by_prefix_rule(pairs),
        Some(redirect_url) => read_against_redirect_url(parser, &url, pairs, redirect_url),
    }
}

/// Where each Markifact parameter was found: its index among the pairs.
#[derive(Default)]
struct Found {
    slots: [Option<usize>; 5],
}

impl Found {
    fn get<'p>(&self, param: Param, pairs: &'p Pairs<'_>) -> Option<&'p str> {
        self.slots[param as usize]
            .and_then(|index| pairs.get(index))
            .map(|(_, value)| value.as_ref())
    }
}

/// The reading without the original `redirect_url`: `markifact_<name>` wins over `<name>`.
fn read_by_prefix_rule(mut pairs: Pairs<'_>) -> Result<RedirectResult> {
    // For each parameter: the last prefixed index, and the unprefixed indices (at most two kept).
    let mut prefixed: [Option<usize>; 5] = [None; 5];
    let mut plain: [(Option<usize>, bool); 5] = [(None, false); 5];
    for (index, (key, _)) in pairs.iter().enumerate() {
        if let Some((param, is_prefixed)) = Param::classify(key) {
            let slot = param as usize;
            if is_prefixed {
                prefixed[slot] = Some(index);
            } else if plain[slot].0.is_some() {
                plain[slot].1 = true;
            } else {
                plain[slot].0 = Some(index);
            }
        }
    }
    let locate = |param: Param| -> Result<Option<usize>> {
        let slot = param as usize;
        match (prefixed[slot], plain[slot]) {
            (Some(index), _) => Ok(Some(index)),
            (None, (_, true)) => Err(duplicate(param, param.name())),
            (None, (found, false)) => Ok(found),
        }
    };
    let mut found = Found::default();
    found.slots[Param::Status as usize] = locate(Param::Status)?;
    let success = read_status(&found, &pairs)?;
    for &param in Param::read_for(success) {
        found.slots[param as usize] = locate(param)?;
    }
    // Sized exactly, and the app's pairs moved out (a decoded one is not copied again); `build`
    // reads only the taken ones, which stay.
    let taken = |index: usize| found.slots.contains(&Some(index));
    let mut app_params = Vec::with_capacity(pairs.len() - found.slots.iter().flatten().count());
    for (index, (key, value)) in pairs.iter_mut().enumerate() {
        if !taken(index) {
            app_params.push((mem::take(key).into_owned(), mem::take(value).into_owned()));
        }
    }
    build(success, &found, &pairs, app_params)
}

/// The exact reading: the app's parameters are those of `redirect_url`, Markifact's follow them.
fn read_against_redirect_url<P: UrlParser>(
    parser: &P,
    url: &P::Url,
    pairs: Pairs<'_>,
    redirect_url: &P::Input,
) -> Result<RedirectResult> {
    let ascii_host = !parser.has_non_ascii_host(redirect_url);
    let base = ascii_host
        .then(|| parser.parse_http(redirect_url))
        .flatten()
        .ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidRedirectUrl,
                concat(&[
                    "options.redirect_url must be an absolute http(s) URL; got ",
                    &parser.describe(redirect_url),
                ]),
            )
            .with_field("redirect_url")
            .with_rule(Rule::NotAUrl)
        })?;
    let mismatch = |what: &[&str]| {
        let mut message = String::from("the redirect does not extend redirect_url: ");
        message.push_str(&concat(what));
        Error::new(ErrorCode::RedirectMismatch, message).with_field("url")
    };
    // For http(s), equal origins are equal schemes, hosts and ports (the default one omitted).
    let (origin, base_origin) = (parser.origin(url), parser.origin(&base));
    if origin != base_origin {
        return Err(mismatch(&[
            "it goes to ",
            &quote(&origin),
            " instead of ",
            &quote(&base_origin),
        ]));
    }
    let (path, base_path) = (parser.path(url), parser.path(&base));
    if path != base_path {
        return Err(mismatch(&[
            "its path is ",
            &quote(&path),
            " instead of ",
            &quote(&base_path),
        ]));
    }
    let base_query = parser.query(&base);
    let app = collect_pairs(&base_query);
    let changed = app
        .iter()
        .zip(&pairs)
        .enumerate()
        .find(|(_, (a, p))| a != p);
    if let Some((position, ((key, _), _))) = changed {
        return Err(mismatch(&[
            "the app's parameter ",
            &quote(key),
            " (position ",
            &decimal(position as u64 + 1),
            ") was changed",
        ]));
    }
    if let Some((key, _)) = app.get(pairs.len()) {
        return Err(mismatch(&[
            "the app's parameter ",
            &quote(key),
            " is missing",
        ]));
    }
    let key_for = |param: Param| -> &'static str {
        if app.iter().any(|(k, _)| k == param.name()) {
            prefixed_name(param)
        } else {
            param.name()
        }
    };
    let appended = pairs.get(app.len()..).unwrap_or_default();
    let locate = |param: Param| -> Result<Option<usize>> {
        let key = key_for(param);
        let mut hits = appended.iter().enumerate().filter(|(_, (k, _))| k == key);
        let first = hits.next();
        if first.is_some() && hits.next().is_some() {
            return Err(duplicate(param, key));
        }
        Ok(first.map(|(i, _)| app.len() + i))
    };
    let mut found = Found::default();
    found.slots[Param::Status as usize] = locate(Param::Status)?;
    let success = read_status(&found, &pairs)?;
    for &param in Param::read_for(success) {
        found.slots[param as usize] = locate(param)?;
    }
    let app_params = app
        .into_iter()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    build(success, &found, &pairs, app_params)
}

fn prefixed_name(param: Param) -> &'static str {
    match param {
        Param::Status => "markifact_status",
        Param::ConnectionType => "markifact_connection_type",
        Param::ConnectionId => "markifact_connection_id",
        Param::ExternalId => "markifact_external_id",
        Param::Error => "markifact_error",
    }
}

fn duplicate(param: Param, key: &str) -> Error {
    Error::new(
        ErrorCode::DuplicateParameter,
        concat(&[
            "the redirect carries ",
            key,
            " more than once, so its value is ambiguous",
        ]),
    )
    .with_field(param.name())
}

/// `true` for success, `false` for error.
fn read_status(found: &Found, pairs: &Pairs<'_>) -> Result<bool> {
    match found.get(Param::Status, pairs) {
        None => Err(Error::new(
            ErrorCode::MissingStatus,
            "the redirect has no status parameter (nor markifact_status); is this Markifact's redirect?",
        )
        .with_field("status")),
        Some("success") => Ok(true),
        Some("error") => Ok(false),
        Some(other) => Err(Error::new(
            ErrorCode::InvalidStatus,
            concat(&["status must be exactly \"success\" or \"error\"; got ", &quote(other)]),
        )
        .with_field("status")),
    }
}

fn build(
    success: bool,
    found: &Found,
    pairs: &Pairs<'_>,
    app_params: Vec<(String, String)>,
) -> Result<RedirectResult> {
    let text = |param: Param| found.get(param, pairs).map(str::to_owned);
    if success {
        let required = |param: Param| -> Result<String> {
            match found.get(param, pairs) {
                Some(value) if !value.is_empty() => Ok(value.to_owned()),
                got => Err(Error::new(
                    ErrorCode::MissingParameter,
                    concat(&[
                        "a success redirect needs a non-empty ",
                        param.name(),
                        "; it is ",
                        if got.is_some() { "empty" } else { "missing" },
                    ]),
                )
                .with_field(param.name())),
            }
        };
        Ok(RedirectResult::Success(RedirectSuccess {
            connection_type: required(Param::ConnectionType)?,
            connection_id: required(Param::ConnectionId)?,
            external_id: text(Param::ExternalId),
            app_params,
        }))
    } else {
        Ok(RedirectResult::Error(RedirectError {
            connection_type: text(Param::ConnectionType),
            external_id: text(Param::ExternalId),
            error: text(Param::Error).unwrap_or_default(),
            app_params,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_discriminants_index_the_slots() {
        for (index, param) in Param::ALL.into_iter().enumerate() {
            assert_eq!(param as usize, index, "{param:?}");
        }
    }

    #[test]
    fn prefixed_names_are_the_prefix_then_the_name() {
        for param in Param::ALL {
            assert_eq!(
                prefixed_name(param),
                format!("{COLLISION_PREFIX}{}", param.name())
            );
            assert_eq!(Param::classify(param.name()), Some((param, false)));
            assert_eq!(Param::classify(prefixed_name(param)), Some((param, true)));
        }
    }

    #[test]
    fn pairs_read_as_form_urlencoded_does() {
        // Every query of up to 5 of these: separators, escapes valid and not (upper and lower
        // case), and `%C3` alone or before `%a9`, which decode to invalid UTF-8 or to `é`.
        let pieces = ["a", "=", "&", "+", "%", "2", "%2B", "%C3", "%a9", "é"];
        let mut queries = vec![String::new()];
        let mut start = 0;
        for _ in 0..5 {
            let end = queries.len();
            for index in start..end {
                for piece in pieces {
                    queries.push(format!("{}{piece}", queries[index]));
                }
            }
            start = end;
        }
        // Those of up to 4 pieces also after 1 to 7 bytes, at every position in an 8-byte word.
        let shifted: Vec<String> = (1..8)
            .flat_map(|pad| {
                let pad = "b".repeat(pad);
                queries[..start].iter().map(move |q| format!("{pad}{q}"))
            })
            .collect();
        for query in queries.iter().chain(&shifted) {
            let expected: Pairs<'_> = form_urlencoded::parse(query.as_bytes()).collect();
            assert_eq!(collect_pairs(query), expected, "{query:?}");
        }
    }

    #[test]
    fn equal_bytes_marks_exactly_the_equal_bytes() {
        for target in [b'&', b'=', b'+', b'%'] {
            for byte in 0..=u8::MAX {
                for others in [0, 0x7f, 0x80, 0xff, target, target ^ 1] {
                    for lane in 0..8 {
                        let mut word = [others; 8];
                        word[lane] = byte;
                        let expected = word.map(|b| if b == target { 0x80 } else { 0 });
                        assert_eq!(
                            equal_bytes(u64::from_le_bytes(word), target),
                            u64::from_le_bytes(expected),
                            "{target} {byte} {others} {lane}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn classify_matches_exact_names_only() {
        for key in [
            "",
            "markifact_",
            "Status",
            "STATUS",
            "markifact_Status",
            "Markifact_status",
            "markifact_markifact_status",
            "markifactstatus",
            "status ",
            " status",
            "statuses",
            "connection",
            "markifact_foo",
        ] {
            assert_eq!(Param::classify(key), None, "{key:?}");
        }
    }

    #[test]
    fn each_status_reads_the_contract_parameters() {
        let names = |success| {
            Param::read_for(success)
                .iter()
                .map(|p| p.name())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(true),
            ["connection_type", "connection_id", "external_id"]
        );
        assert_eq!(names(false), ["connection_type", "external_id", "error"]);
    }

    #[test]
    fn the_result_reads_back_from_its_js_shape() {
        for json in [
            r#"{"status":"success","connectionType":"ga4","connectionId":"c_1","externalId":"u_42","appParams":[["a","b"]]}"#,
            r#"{"status":"success","connectionType":"ga4","connectionId":"c_1","appParams":[]}"#,
            r#"{"status":"error","connectionType":"ga4","error":"denied","appParams":[["status","x"]]}"#,
            r#"{"status":"error","error":"","appParams":[]}"#,
        ] {
            let result: RedirectResult = serde_json::from_str(json).unwrap();
            assert_eq!(serde_json::to_string(&result).unwrap(), json);
        }
    }

    #[test]
    fn app_params_is_the_same_for_both_statuses() {
        let url = "https://a.example/cb?x=1&status=error&y=2";
        let result = parse_redirect(url, ParseOptions::default()).unwrap();
        assert_eq!(
            result.app_params(),
            [("x".into(), "1".into()), ("y".into(), "2".into())]
        );
    }

    #[test]
    fn a_duplicate_names_the_key_it_saw_and_the_parameter() {
        let url = "https://a.example/cb?connection_id=a&status=success&connection_type=ga4\
                   &markifact_connection_id=c_1&markifact_connection_id=c_2";
        let options = ParseOptions {
            redirect_url: Some("https://a.example/cb?connection_id=a"),
        };
        let err = parse_redirect(url, options).unwrap_err();
        assert_eq!(err.code(), ErrorCode::DuplicateParameter);
        assert_eq!(err.field(), Some("connection_id"));
        assert!(
            err.message().contains("markifact_connection_id"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn messages_escape_and_shorten_hostile_input() {
        let hostile = format!("javascript:\u{1b}[31m\r\nalert(1)//{}", "x".repeat(500));
        let err = parse_redirect(&hostile, ParseOptions::default()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidUrl);
        let message = err.message();
        assert!(!message.chars().any(char::is_control), "{message:?}");
        assert!(message.len() < 300, "{message:?}");
    }

    #[test]
    fn the_length_limit_comes_before_parsing_and_counts_bytes() {
        let base = "https://a.example/";
        let tail = "?status=error";
        let fill = MAX_REDIRECT_INPUT_BYTES - base.len() - tail.len();
        let at_limit = format!("{base}{}{tail}", "x".repeat(fill));
        assert!(parse_redirect(&at_limit, ParseOptions::default()).is_ok());
        // One 2-byte character more than the limit in bytes, far fewer characters.
        let over = format!("{base}{}{tail}", "é".repeat(fill / 2 + 1));
        assert!(over.chars().count() < MAX_REDIRECT_INPUT_BYTES);
        let err = parse_redirect(&over, ParseOptions::default()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InputTooLong);
    }
}
