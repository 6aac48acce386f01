//! Interpreting responses: a 2xx body becomes the endpoint's typed result, anything else an
//! [`Error`] with a stable code, the status, the API's detail, and retry hints.

use super::decode::FromJson;
use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, Value};
use crate::models::{AuthLinkStatus, Connection, CreateAuthLinkResponse};
use crate::text::{concat, decimal};

/// The longest [`Error::detail`] kept from an error body, in bytes; longer text is cut, with a
/// note saying so, to fit.
pub const MAX_DETAIL_BYTES: usize = 2048;

/// The largest response body the client reads (4 MiB, some 16 000 connections in a list); a
/// longer one is an [`ErrorCode::InvalidResponse`], reported without reading the rest.
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// The longest wait taken from a `Retry-After` header, in milliseconds (60 s); longer waits are
/// reported as this.
pub const MAX_RETRY_AFTER_MS: u64 = 60_000;

/// What the I/O layer got back: the status, the `Retry-After` header if any, the body as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpResponse<'a> {
    /// The HTTP status code.
    pub status: u16,
    /// The raw `Retry-After` header value: delay-seconds or an HTTP-date.
    pub retry_after: Option<&'a str>,
    /// The body, decoded as UTF-8 text (lossily if need be).
    pub body: &'a str,
    /// The current time in milliseconds since the Unix epoch, only needed to turn an HTTP-date
    /// `Retry-After` into a wait; without it such a header is ignored.
    pub now_ms: Option<u64>,
}

impl<'a> HttpResponse<'a> {
    /// A response with this status and body and no `Retry-After`.
    pub fn new(status: u16, body: &'a str) -> Self {
        HttpResponse {
            status,
            retry_after: None,
            body,
            now_ms: None,
        }
    }

    /// The same response with a `Retry-After` header value.
    pub fn with_retry_after(mut self, retry_after: Option<&'a str>) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// The same response with the current time (ms since the epoch), for HTTP-date `Retry-After`.
    pub fn with_now_ms(mut self, now_ms: u64) -> Self {
        self.now_ms = Some(now_ms);
        self
    }

    /// `true` for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// One entry of `GET /v1/connections/types`, whose shape the API does not document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct ConnectionType {
    /// The type id to pass as `connection_type`, e.g. `gads`.
    pub id: String,
    /// A display name, when the API gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", ts(optional))]
    pub name: Option<String>,
}

/// `GET /v1/connections/types`: a JSON array of strings, or of objects with a string `type` (or
/// `id`) and optionally a `name` (or `display_name`).
pub fn connection_types(response: &HttpResponse<'_>) -> Result<Vec<ConnectionType>> {
    const EXPECTED: &str = "a JSON array of connection type names, or of objects with a \"type\" or \"id\" string, from GET /v1/connections/types";
    let Value::Array(items) = body(response, EXPECTED)? else {
        return Err(shape_error(response, EXPECTED, "it is not an array"));
    };
    let mut types = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        types.push(connection_type(item).ok_or_else(|| {
            invalid_response(concat(&[
                "expected ",
                EXPECTED,
                "; item ",
                &decimal(index as u64),
                " is neither",
            ]))
        })?);
    }
    Ok(types)
}

fn connection_type(item: Value) -> Option<ConnectionType> {
    let non_empty = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    match item {
        Value::String(id) if !id.is_empty() => Some(ConnectionType { id, name: None }),
        object @ Value::Object(_) => Some(ConnectionType {
            id: non_empty(object.get("type")).or_else(|| non_empty(object.get("id")))?,
            name: non_empty(object.get("name")).or_else(|| non_empty(object.get("display_name"))),
        }),
        _ => None,
    }
}

/// `POST /v1/connections/auth-link`: `{id, url, expires_at}`.
pub fn create_auth_link(response: &HttpResponse<'_>) -> Result<CreateAuthLinkResponse> {
    decode(
        response,
        "an auth link object {id, url, expires_at} from POST /v1/connections/auth-link",
    )
}

/// `GET /v1/connections/auth-links/{id}/status`: an [`AuthLinkStatus`].
pub fn auth_link_status(response: &HttpResponse<'_>) -> Result<AuthLinkStatus> {
    decode(
        response,
        "an auth link status object from GET /v1/connections/auth-links/{id}/status",
    )
}

/// `GET /v1/connections`: an array of [`Connection`], possibly empty.
pub fn list_connections(response: &HttpResponse<'_>) -> Result<Vec<Connection>> {
    decode(
        response,
        "a JSON array of connections from GET /v1/connections",
    )
}

/// `GET /v1/connections/{id}`: always an array (one item by id, possibly several by
/// `external_id`); nothing found is a `404`, so [`ErrorCode::NotFound`].
pub fn get_connection(response: &HttpResponse<'_>) -> Result<Vec<Connection>> {
    decode(
        response,
        "a JSON array of connections from GET /v1/connections/{id}",
    )
}

/// `DELETE /v1/connections/{id}`: the deleted [`Connection`] (an object, not a list).
pub fn delete_connection(response: &HttpResponse<'_>) -> Result<Connection> {
    decode(
        response,
        "the deleted connection object from DELETE /v1/connections/{id}",
    )
}

/// Decodes a 2xx JSON body into `T`, or returns [`error`] for any other status. `expected` says
/// what the body should have been, for the [`ErrorCode::InvalidResponse`] message.
fn decode<T: FromJson>(response: &HttpResponse<'_>, expected: &str) -> Result<T> {
    T::from_json(body(response, expected)?).map_err(|e| shape_error(response, expected, &e.text()))
}

/// The 2xx body as a JSON tree.
fn body(response: &HttpResponse<'_>, expected: &str) -> Result<Value> {
    if !response.is_success() {
        return Err(error(response));
    }
    json::parse(response.body)
        .map_err(|e| bad_body(response, expected, "the body is not JSON", &e.text()))
}

fn shape_error(response: &HttpResponse<'_>, expected: &str, why: &str) -> Error {
    bad_body(response, expected, "the JSON has another shape", why)
}

fn bad_body(response: &HttpResponse<'_>, expected: &str, what: &str, why: &str) -> Error {
    invalid_response(concat(&[
        "expected ",
        expected,
        "; ",
        what,
        " (status ",
        &decimal(response.status.into()),
        ", ",
        &decimal(response.body.len() as u64),
        " bytes: ",
        why,
        ")",
    ]))
    .with_status(response.status)
}

fn invalid_response(message: String) -> Error {
    Error::new(ErrorCode::InvalidResponse, message)
}

/// The [`Error`] for a non-2xx response: [`ErrorCode::Unauthorized`] (401),
/// [`ErrorCode::NotFound`] (404), [`ErrorCode::RateLimited`] (429) or [`ErrorCode::HttpError`],
/// with the status, the detail from the body, `retryable` for 408, 429 and 5xx, and the
/// `Retry-After` wait (capped at [`MAX_RETRY_AFTER_MS`]).
pub fn error(response: &HttpResponse<'_>) -> Error {
    let status = response.status;
    let code = match status {
        401 => ErrorCode::Unauthorized,
        404 => ErrorCode::NotFound,
        429 => ErrorCode::RateLimited,
        _ => ErrorCode::HttpError,
    };
    let retryable = is_retryable_status(status);
    let retry_after_ms = response
        .retry_after
        .and_then(|value| parse_retry_after(value, response.now_ms));
    let detail = detail(response.body);
    let mut message = concat(&["the API answered ", &decimal(status.into())]);
    if let Some(reason) = reason(status) {
        message.push(' ');
        message.push_str(reason);
    }
    if let Some(detail) = &detail {
        message.push_str(": ");
        message.push_str(detail);
    }
    if let Some(ms) = retry_after_ms {
        message.push_str(" (retry after ");
        message.push_str(&decimal(ms));
        message.push_str(" ms)");
    }
    Error::new(code, message)
        .with_status(status)
        .with_retryable(retryable)
        .with_retry_after_ms(retry_after_ms)
        .with_detail(detail)
}

/// `true` for the statuses worth trying again later: 408, 429 and 5xx.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500..=599)
}

fn reason(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

/// The explanation in an error body: `{"detail": "text"}`, FastAPI's `{"detail": [{loc, msg}]}`
/// joined with `; `, otherwise the raw text. Empty bodies give `None`; long ones are shortened.
fn detail(body: &str) -> Option<String> {
    if body.trim().is_empty() {
        return None;
    }
    let from_json = match json::parse(body) {
        Ok(object @ Value::Object(_)) => match object.get("detail") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Array(items)) if !items.is_empty() => {
                let mut joined = String::new();
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        joined.push_str("; ");
                    }
                    joined.push_str(&validation_item(item));
                }
                Some(joined)
            }
            _ => None,
        },
        _ => None,
    };
    Some(truncate(from_json.as_deref().unwrap_or(body)))
}

fn validation_item(item: &Value) -> String {
    let Some(msg) = item.get("msg").and_then(Value::as_str) else {
        return item.to_json();
    };
    let loc = match item.get("loc") {
        Some(Value::Array(loc)) if !loc.is_empty() => loc,
        _ => return msg.to_owned(),
    };
    let mut path = String::new();
    for (index, part) in loc.iter().enumerate() {
        if index > 0 {
            path.push('.');
        }
        match part {
            Value::String(s) => path.push_str(s),
            other => path.push_str(&other.to_json()),
        }
    }
    concat(&[&path, ": ", msg])
}

/// `text` cut to at most [`MAX_DETAIL_BYTES`], the note saying so included.
fn truncate(text: &str) -> String {
    if text.len() <= MAX_DETAIL_BYTES {
        return text.to_owned();
    }
    // The note's length depends on the number of bytes kept, which is at most 4 digits.
    const NOTE_MAX: usize = "… (truncated: 9999 of  bytes shown)".len();
    let total = decimal(text.len() as u64);
    let mut end = MAX_DETAIL_BYTES - NOTE_MAX - total.len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    concat(&[
        &text[..end],
        "… (truncated: ",
        &decimal(end as u64),
        " of ",
        &total,
        " bytes shown)",
    ])
}

/// `Retry-After`: delay-seconds (digits) or an IMF-fixdate HTTP-date (needs `now_ms`), capped at
/// [`MAX_RETRY_AFTER_MS`]. Anything else is ignored.
fn parse_retry_after(value: &str, now_ms: Option<u64>) -> Option<u64> {
    let value = value.trim();
    let ms = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits to parse is far beyond the cap anyway.
        value
            .parse::<u64>()
            .map_or(u64::MAX, |s| s.saturating_mul(1000))
    } else {
        let date_ms = parse_http_date(value)?;
        date_ms.saturating_sub(now_ms?)
    };
    Some(ms.min(MAX_RETRY_AFTER_MS))
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) as ms since the Unix epoch. The obsolete
/// RFC 850 and asctime forms are not read.
fn parse_http_date(value: &str) -> Option<u64> {
    let (weekday, rest) = value.split_once(", ")?;
    if !["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].contains(&weekday) {
        return None;
    }
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let number = |s: &str, len: usize| -> Option<u64> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let day = number(day, 2)?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as u64
        + 1;
    let year = number(year, 4)?;
    let hms: Vec<&str> = time.split(':').collect();
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    let (h, m, s) = (number(h, 2)?, number(m, 2)?, number(s, 2)?);
    if !(1..=31).contains(&day) || year < 1970 || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + h) * 60 + m) * 60_000 + s * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm), for
/// years from 1970.
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> HttpResponse<'_> {
        HttpResponse::new(200, body)
    }

    const CONNECTION: &str = r#"{"id":"c1","type":"ga4","is_private":false,"display_name":null,
        "external_id":"u1","created_at":1,"updated_at":2}"#;

    #[test]
    fn decodes_each_endpoint() {
        let list = format!("[{CONNECTION}]");
        assert_eq!(list_connections(&ok(&list)).unwrap().len(), 1);
        assert_eq!(list_connections(&ok("[]")).unwrap(), vec![]);
        assert_eq!(
            get_connection(&ok(&list)).unwrap()[0].id.as_deref(),
            Some("c1")
        );
        assert_eq!(
            delete_connection(&ok(CONNECTION)).unwrap().connection_type,
            "ga4"
        );
        let link = create_auth_link(&ok(
            r#"{"id":"l1","url":"https://x/connect/l1","expires_at":5}"#,
        ))
        .unwrap();
        assert_eq!((link.id.as_str(), link.expires_at), ("l1", 5));
        let status = auth_link_status(&ok(
            r#"{"id":"l1","status":"pending","connection_type":"ga4","expires_at":1,"created_at":0,
                "updated_at":0,"connection_id":null,"external_id":null,"consumed_at":null,"connections":[]}"#,
        ))
        .unwrap();
        assert_eq!(status.status, crate::models::AuthLinkState::Pending);
        // 201 and 204-like bodies are still 2xx.
        assert!(delete_connection(&HttpResponse::new(201, CONNECTION)).is_ok());
    }

    #[test]
    fn wrong_shapes_are_invalid_response() {
        // get always answers a list, delete an object: the other shape is refused.
        let e = get_connection(&ok(CONNECTION)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidResponse);
        assert!(e.message().contains("JSON array of connections"), "{e}");
        assert!(e.message().contains("another shape"), "{e}");
        let e = delete_connection(&ok(&format!("[{CONNECTION}]"))).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidResponse);
        let e = list_connections(&ok("not json")).unwrap_err();
        assert!(e.message().contains("not JSON"), "{e}");
        assert_eq!((e.status(), e.retryable()), (Some(200), false));
        assert_eq!(
            create_auth_link(&ok("")).unwrap_err().code(),
            ErrorCode::InvalidResponse
        );
    }

    #[test]
    fn connection_types_accept_strings_or_objects() {
        let strings = connection_types(&ok(r#"["ga4","meta_ads"]"#)).unwrap();
        assert_eq!(
            strings,
            [
                ConnectionType {
                    id: "ga4".into(),
                    name: None
                },
                ConnectionType {
                    id: "meta_ads".into(),
                    name: None
                }
            ]
        );
        let objects = connection_types(&ok(
            r#"[{"type":"gads","name":"Google Ads"},{"id":"ga4","display_name":"GA4","x":1},{"type":"m","name":null}]"#,
        ))
        .unwrap();
        assert_eq!(
            objects[0],
            ConnectionType {
                id: "gads".into(),
                name: Some("Google Ads".into())
            }
        );
        assert_eq!(
            objects[1],
            ConnectionType {
                id: "ga4".into(),
                name: Some("GA4".into())
            }
        );
        assert_eq!(objects[2].name, None);
        for bad in [
            r#"{"types":[]}"#,
            r#"[1]"#,
            r#"[{"name":"x"}]"#,
            r#"[""]"#,
            r#"[{"type":""}]"#,
        ] {
            let e = connection_types(&ok(bad)).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidResponse, "{bad}");
        }
    }

    #[test]
    fn statuses_map_to_codes() {
        for (status, code, retryable) in [
            (400, ErrorCode::HttpError, false),
            (401, ErrorCode::Unauthorized, false),
            (403, ErrorCode::HttpError, false),
            (404, ErrorCode::NotFound, false),
            (408, ErrorCode::HttpError, true),
            (422, ErrorCode::HttpError, false),
            (429, ErrorCode::RateLimited, true),
            (500, ErrorCode::HttpError, true),
            (503, ErrorCode::HttpError, true),
            (599, ErrorCode::HttpError, true),
            (302, ErrorCode::HttpError, false),
        ] {
            let e = list_connections(&HttpResponse::new(status, "")).unwrap_err();
            assert_eq!(
                (e.code(), e.retryable(), e.status()),
                (code, retryable, Some(status))
            );
            assert_eq!(e.detail(), None);
        }
    }

    #[test]
    fn details_are_read_from_any_body() {
        let e = error(&HttpResponse::new(
            401,
            r#"{"detail":"Invalid or revoked API key"}"#,
        ));
        assert_eq!(e.detail(), Some("Invalid or revoked API key"));
        assert_eq!(
            e.message(),
            "the API answered 401 Unauthorized: Invalid or revoked API key"
        );
        let fastapi = r#"{"detail":[{"loc":["body","redirect_url"],"msg":"bad url","type":"value_error"},
            {"loc":["query",0],"msg":"m2"},{"weird":true}]}"#;
        assert_eq!(
            error(&HttpResponse::new(422, fastapi)).detail(),
            Some(r#"body.redirect_url: bad url; query.0: m2; {"weird":true}"#)
        );
        assert_eq!(
            error(&HttpResponse::new(500, r#"{"error":"x"}"#)).detail(),
            Some(r#"{"error":"x"}"#)
        );
        assert_eq!(
            error(&HttpResponse::new(502, "<html>bad gateway</html>")).detail(),
            Some("<html>bad gateway</html>")
        );
        let long = "é".repeat(3000);
        let d = error(&HttpResponse::new(500, &long))
            .detail()
            .unwrap()
            .to_owned();
        assert!(
            d.ends_with("(truncated: 2006 of 6000 bytes shown)"),
            "{}",
            &d[d.len() - 60..]
        );
        assert!(d.len() <= MAX_DETAIL_BYTES, "{}", d.len());
        for len in [2049, 2100, 9_999, 10_000, 4 * 1024 * 1024] {
            let d = truncate(&"x".repeat(len));
            assert!(
                d.len() <= MAX_DETAIL_BYTES && d.len() > MAX_DETAIL_BYTES - 8,
                "{len}: {}",
                d.len()
            );
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let e = |ra: &str| {
            error(
                &HttpResponse::new(429, "")
                    .with_retry_after(Some(ra))
                    .with_now_ms(784_111_777_000),
            )
            .retry_after_ms()
        };
        assert_eq!(e("1"), Some(1000));
        assert_eq!(e(" 0 "), Some(0));
        assert_eq!(e("120"), Some(MAX_RETRY_AFTER_MS));
        assert_eq!(e("99999999999999999999999"), Some(MAX_RETRY_AFTER_MS));
        assert_eq!(e("-1"), None);
        assert_eq!(e("1.5"), None);
        assert_eq!(e("soon"), None);
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
        assert_eq!(e("Sun, 06 Nov 1994 08:49:47 GMT"), Some(10_000));
        assert_eq!(e("Sun, 06 Nov 1994 08:49:00 GMT"), Some(0));
        assert_eq!(e("Sun, 06 Nov 1994 09:49:37 GMT"), Some(MAX_RETRY_AFTER_MS));
        assert_eq!(e("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        let no_clock = error(
            &HttpResponse::new(503, "").with_retry_after(Some("Sun, 06 Nov 1994 08:49:47 GMT")),
        );
        assert_eq!(no_clock.retry_after_ms(), None);
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Sat, 29 Feb 2020 12:00:00 GMT"),
            Some(1_582_977_600_000)
        );
        let msg = error(&HttpResponse::new(429, "").with_retry_after(Some("2"))).to_string();
        assert!(msg.ends_with("(retry after 2000 ms)"), "{msg}");
    }
}
