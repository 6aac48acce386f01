//! Building the requests of the six endpoints, after validating their inputs.
//!
//! Every id goes into the path percent-encoded as one segment, so no id (`../x`, `a/b?c`, `%2F`)
//! can change which route is called.

use crate::error::{Error, ErrorCode, Result, Rule};
use crate::models::CreateAuthLinkRequest;
use crate::text::{concat, quote};
use crate::validate::{validate_external_id, validate_redirect_url, RedirectUrlOptions};

/// The HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`: reads; the only method [`RetryPolicy`](super::RetryPolicy) repeats.
    Get,
    /// `POST`: creating an auth link.
    Post,
    /// `DELETE`: deleting a connection.
    Delete,
}

impl Method {
    /// The method's name, e.g. `"GET"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// How [`get_connection`] looks a connection up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum LookupBy {
    /// By Markifact's connection id (the API's default).
    #[default]
    Id,
    /// By the app's `external_id`; may match several connections.
    ExternalId,
}

/// One API request, ready for an I/O layer to send to the base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path and query, e.g. `/v1/connections?type=ga4`; append it to the base URL (which has
    /// no trailing slash).
    pub path_and_query: String,
    /// The JSON body, for `POST`.
    pub body: Option<String>,
}

impl Request {
    fn new(method: Method, path_and_query: String) -> Self {
        Request {
            method,
            path_and_query,
            body: None,
        }
    }

    /// The headers to send: `Authorization: Bearer <key>` when a key is given, `Accept`, and
    /// `Content-Type: application/json` when there is a body. Names are lower case.
    ///
    /// The list holds the key: never log it.
    pub fn headers(&self, api_key: Option<&str>) -> Vec<(&'static str, String)> {
        let mut headers = Vec::with_capacity(3);
        if let Some(key) = api_key {
            headers.push(("authorization", concat(&["Bearer ", key])));
        }
        headers.push(("accept", "application/json".to_owned()));
        if self.body.is_some() {
            headers.push(("content-type", "application/json".to_owned()));
        }
        headers
    }
}

/// `GET /v1/connections/types`.
pub fn list_connection_types() -> Request {
    Request::new(Method::Get, "/v1/connections/types".to_owned())
}

/// `POST /v1/connections/auth-link`, after checking the body: a non-empty `connection_type`
/// ([`ErrorCode::InvalidRequest`]), the `redirect_url` with
/// [`validate_redirect_url`] (its normalised form is sent) and the
/// `external_id` with [`validate_external_id`].
///
/// `options.allow_insecure_localhost` accepts loopback `http:` redirect URLs, for the sandbox only.
pub fn create_auth_link(
    body: &CreateAuthLinkRequest,
    options: RedirectUrlOptions,
) -> Result<Request> {
    if body.connection_type.trim().is_empty() {
        return Err(empty("connection_type"));
    }
    let redirect_url = body
        .redirect_url
        .as_deref()
        .map(|url| validate_redirect_url(url, options))
        .transpose()?;
    if let Some(external_id) = &body.external_id {
        validate_external_id(external_id)?;
    }
    let body = CreateAuthLinkRequest {
        redirect_url,
        ..body.clone()
    };
    let json = crate::json::to_string(&body).map_err(|e| {
        Error::internal(concat(&[
            "could not serialise the request body: ",
            &e.text(),
        ]))
    })?;
    let mut request = Request::new(Method::Post, "/v1/connections/auth-link".to_owned());
    request.body = Some(json);
    Ok(request)
}

/// `GET /v1/connections/auth-links/{auth_link_id}/status`.
pub fn auth_link_status(auth_link_id: &str) -> Result<Request> {
    let id = segment("auth_link_id", auth_link_id)?;
    Ok(Request::new(
        Method::Get,
        concat(&["/v1/connections/auth-links/", &id, "/status"]),
    ))
}

/// `GET /v1/connections`, filtered by `external_id` and/or connection type (combined with AND).
/// An empty filter value is refused ([`ErrorCode::InvalidRequest`]); pass `None` for no filter.
pub fn list_connections(
    external_id: Option<&str>,
    connection_type: Option<&str>,
) -> Result<Request> {
    let mut path = "/v1/connections".to_owned();
    let mut separator = '?';
    for (name, value) in [("external_id", external_id), ("type", connection_type)] {
        let Some(value) = value else { continue };
        if value.is_empty() {
            return Err(empty(name));
        }
        path.push(separator);
        separator = '&';
        path.push_str(name);
        path.push('=');
        percent_encode(&mut path, value);
    }
    Ok(Request::new(Method::Get, path))
}

/// `GET /v1/connections/{id}`, with `?lookup_by=external_id` for [`LookupBy::ExternalId`].
pub fn get_connection(id_or_external_id: &str, lookup_by: LookupBy) -> Result<Request> {
    let field = match lookup_by {
        LookupBy::Id => "id",
        LookupBy::ExternalId => "external_id",
    };
    let segment = segment(field, id_or_external_id)?;
    let mut path = concat(&["/v1/connections/", &segment]);
    if lookup_by == LookupBy::ExternalId {
        path.push_str("?lookup_by=external_id");
    }
    Ok(Request::new(Method::Get, path))
}

/// `DELETE /v1/connections/{connection_id}` (Markifact's id only, never an `external_id`).
pub fn delete_connection(connection_id: &str) -> Result<Request> {
    let id = segment("connection_id", connection_id)?;
    Ok(Request::new(
        Method::Delete,
        concat(&["/v1/connections/", &id]),
    ))
}

fn empty(field: &'static str) -> Error {
    Error::new(
        ErrorCode::InvalidRequest,
        concat(&[field, " must not be empty"]),
    )
    .with_field(field)
    .with_rule(Rule::Empty)
}

/// Percent-encodes `value` as one path segment: everything but ASCII letters, digits and `-._~`
/// is encoded. `.` and `..` are refused: URL parsers (and `fetch`) resolve them, even encoded.
fn segment(field: &'static str, value: &str) -> Result<String> {
    if value.is_empty() {
        return Err(empty(field));
    }
    if value == "." || value == ".." {
        return Err(Error::new(
            ErrorCode::InvalidRequest,
            concat(&[
                field,
                " ",
                &quote(value),
                " cannot be used as a path segment",
            ]),
        )
        .with_field(field));
    }
    let mut out = String::with_capacity(value.len());
    percent_encode(&mut out, value);
    Ok(out)
}

/// Appends `value` with everything but ASCII letters, digits and `-._~` percent-encoded: safe in
/// a path segment and in a query value alike.
fn percent_encode(out: &mut String, value: &str) {
    for &byte in value.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(byte >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(byte & 15)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use url::Url;

    /// What a URL parser (the one `fetch` uses) makes of the request's path: decoded segments.
    fn resolved(request: &Request) -> (Vec<String>, Vec<(String, String)>) {
        let url = Url::parse(&format!(
            "{}{}",
            super::super::DEFAULT_BASE_URL,
            request.path_and_query
        ))
        .unwrap();
        let segments = url.path_segments().unwrap().map(percent_decode).collect();
        let query = url.query_pairs().into_owned().collect();
        (segments, query)
    }

    fn percent_decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    fn link(connection_type: &str) -> CreateAuthLinkRequest {
        CreateAuthLinkRequest {
            connection_type: connection_type.into(),
            redirect_url: None,
            external_id: None,
            is_private: None,
        }
    }

    #[test]
    fn fixed_routes() {
        let r = list_connection_types();
        assert_eq!(
            (r.method, r.path_and_query.as_str()),
            (Method::Get, "/v1/connections/types")
        );
        assert_eq!(r.body, None);
        let r = list_connections(None, None).unwrap();
        assert_eq!(r.path_and_query, "/v1/connections");
        assert_eq!(Method::Delete.as_str(), "DELETE");
    }

    #[test]
    fn create_auth_link_sends_the_normalised_url() {
        let mut body = link("ga4");
        body.redirect_url = Some("HTTPS://App.Example.com:443/cb?x=1".into());
        body.external_id = Some("user_42".into());
        body.is_private = Some(true);
        let r = create_auth_link(&body, RedirectUrlOptions::default()).unwrap();
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.path_and_query, "/v1/connections/auth-link");
        let sent: serde_json::Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            sent,
            serde_json::json!({"connection_type":"ga4","redirect_url":"https://app.example.com/cb?x=1",
                "external_id":"user_42","is_private":true})
        );
        let r = create_auth_link(&link("ga4"), RedirectUrlOptions::default()).unwrap();
        assert_eq!(r.body.as_deref(), Some(r#"{"connection_type":"ga4"}"#));
    }

    #[test]
    fn create_auth_link_validates_first() {
        for t in ["", "  "] {
            let e = create_auth_link(&link(t), RedirectUrlOptions::default()).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidRequest);
            assert_eq!(
                (e.field(), e.rule()),
                (Some("connection_type"), Some(Rule::Empty))
            );
        }
        let mut body = link("ga4");
        body.redirect_url = Some("http://localhost:3000/cb".into());
        let e = create_auth_link(&body, RedirectUrlOptions::default()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidRedirectUrl);
        let allow = RedirectUrlOptions {
            allow_insecure_localhost: true,
        };
        let r = create_auth_link(&body, allow).unwrap();
        assert!(r.body.unwrap().contains("http://localhost:3000/cb"));
        let mut body = link("ga4");
        body.external_id = Some(String::new());
        let e = create_auth_link(&body, RedirectUrlOptions::default()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidExternalId);
    }

    #[test]
    fn ids_cannot_change_the_route() {
        for id in [
            "../x",
            "a/b?c",
            "a#b",
            "%2F",
            "x/../../types",
            "..x",
            "a b",
            "é/",
        ] {
            for (request, prefix, suffix) in [
                (
                    get_connection(id, LookupBy::Id).unwrap(),
                    vec!["v1", "connections"],
                    vec![],
                ),
                (
                    delete_connection(id).unwrap(),
                    vec!["v1", "connections"],
                    vec![],
                ),
                (
                    auth_link_status(id).unwrap(),
                    vec!["v1", "connections", "auth-links"],
                    vec!["status"],
                ),
            ] {
                let (segments, query) = resolved(&request);
                let mut expected: Vec<String> = prefix.iter().map(|s| s.to_string()).collect();
                expected.push(id.to_owned());
                expected.extend(suffix.iter().map(|s| s.to_string()));
                assert_eq!(segments, expected, "{id:?} -> {}", request.path_and_query);
                assert!(query.is_empty(), "{id:?} -> {}", request.path_and_query);
            }
        }
        assert_eq!(
            get_connection("../x", LookupBy::Id).unwrap().path_and_query,
            "/v1/connections/..%2Fx"
        );
        assert_eq!(
            delete_connection("a/b?c").unwrap().path_and_query,
            "/v1/connections/a%2Fb%3Fc"
        );
    }

    #[test]
    fn empty_and_dot_ids_are_refused() {
        for id in ["", ".", ".."] {
            for result in [
                get_connection(id, LookupBy::Id),
                get_connection(id, LookupBy::ExternalId),
                delete_connection(id),
                auth_link_status(id),
            ] {
                assert_eq!(
                    result.unwrap_err().code(),
                    ErrorCode::InvalidRequest,
                    "{id:?}"
                );
            }
        }
        assert_eq!(
            get_connection("", LookupBy::ExternalId)
                .unwrap_err()
                .field(),
            Some("external_id")
        );
    }

    #[test]
    fn lookup_by_external_id_adds_the_query() {
        let r = get_connection("team/7", LookupBy::ExternalId).unwrap();
        assert_eq!(
            r.path_and_query,
            "/v1/connections/team%2F7?lookup_by=external_id"
        );
        let (segments, query) = resolved(&r);
        assert_eq!(segments, ["v1", "connections", "team/7"]);
        assert_eq!(query, [("lookup_by".to_owned(), "external_id".to_owned())]);
        assert_eq!(
            get_connection("c1", LookupBy::Id).unwrap().path_and_query,
            "/v1/connections/c1"
        );
    }

    #[test]
    fn list_filters_are_percent_encoded() {
        let r = list_connections(Some("a&type=x b+é"), Some("ga4")).unwrap();
        assert_eq!(
            r.path_and_query,
            "/v1/connections?external_id=a%26type%3Dx%20b%2B%C3%A9&type=ga4"
        );
        let (_, query) = resolved(&r);
        assert_eq!(
            query,
            [
                ("external_id".to_owned(), "a&type=x b+é".to_owned()),
                ("type".to_owned(), "ga4".to_owned())
            ]
        );
        assert_eq!(
            list_connections(None, Some("meta_ads"))
                .unwrap()
                .path_and_query,
            "/v1/connections?type=meta_ads"
        );
        assert_eq!(
            list_connections(Some(""), None).unwrap_err().code(),
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            list_connections(None, Some("")).unwrap_err().field(),
            Some("type")
        );
    }

    #[test]
    fn headers_carry_the_key_and_content_type() {
        let get = list_connection_types();
        assert_eq!(
            get.headers(Some("sk_1")),
            [
                ("authorization", "Bearer sk_1".to_owned()),
                ("accept", "application/json".to_owned())
            ]
        );
        assert_eq!(
            get.headers(None),
            [("accept", "application/json".to_owned())]
        );
        let post = create_auth_link(&link("ga4"), RedirectUrlOptions::default()).unwrap();
        assert!(post
            .headers(None)
            .contains(&("content-type", "application/json".to_owned())));
    }
}
