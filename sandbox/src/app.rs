//! Routing and handlers: the `/v1` API, the hosted `/connect` pages and the `/_sandbox` controls.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};
use url::Url;

use crate::html;
use crate::http::{decode_path_segment, Request, Response};
use crate::rules::{check_external_id, check_redirect_url, redirect_with};
use crate::state::{
    type_name, Connection, ConnectionView, Fault, Link, LinkState, State, CONNECTION_TYPES,
    LINK_LIFETIME_MS,
};

/// What to do with a request.
pub(crate) enum Outcome {
    Respond(Response),
    /// Drop the connection without writing anything (the `reset` fault).
    Reset,
    /// Write the head and the first half of the body, wait `pause`, then either the rest or
    /// (with `reset`) nothing more, dropping the connection (the body faults).
    Partial {
        response: Response,
        pause: Duration,
        reset: bool,
    },
}

/// The message the error redirect and the "Access denied" page carry.
pub(crate) const DENIED_MESSAGE: &str = "The user denied access";

const UNAUTHORIZED: &str = "Invalid or revoked API key";
const NOT_FOUND: &str = "Not found";

/// The largest `advance_ms` one clock call accepts: about 100 years.
const MAX_ADVANCE_MS: i64 = 100 * 366 * 24 * 60 * 60 * 1000;

pub(crate) struct App {
    keys: Vec<String>,
    allow_insecure_localhost: bool,
    base_url: String,
    state: Mutex<State>,
}

enum Route<'a> {
    Types,
    CreateLink,
    LinkStatus(&'a str),
    List,
    Get(&'a str),
    Delete(&'a str),
}

/// The response of `POST /v1/connections/auth-link`, in the contract's field order.
#[derive(serde::Serialize)]
struct CreatedLink<'a> {
    id: &'a str,
    url: &'a str,
    expires_at: i64,
}

/// One entry of a FastAPI-style 422 body.
struct FieldError {
    loc: Vec<Value>,
    msg: String,
    kind: &'static str,
}

impl FieldError {
    fn new(loc: &[&str], kind: &'static str, msg: impl Into<String>) -> Self {
        FieldError {
            loc: loc.iter().map(|s| Value::from(*s)).collect(),
            msg: msg.into(),
            kind,
        }
    }

    fn at(mut self, index: usize) -> Self {
        self.loc.push(Value::from(index));
        self
    }
}

fn unprocessable(errors: Vec<FieldError>) -> Response {
    let detail: Vec<Value> = errors
        .into_iter()
        .map(|e| json!({ "loc": e.loc, "msg": e.msg, "type": e.kind }))
        .collect();
    Response::json(422, &json!({ "detail": detail }))
}

/// Parses a JSON request body into an object, or the 422 FastAPI would answer.
fn json_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(unprocessable(vec![FieldError::new(
            &["body"],
            "missing",
            "Field required",
        )]));
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(unprocessable(vec![FieldError::new(
            &["body"],
            "model_attributes_type",
            "Input should be a valid dictionary or object to extract fields from",
        )])),
        Err(e) => Err(unprocessable(vec![FieldError::new(
            &["body"],
            "json_invalid",
            format!("JSON decode error: {e}"),
        )])),
    }
}

fn not_found() -> Response {
    Response::detail(404, NOT_FOUND)
}

fn method_not_allowed(allow: &str) -> Response {
    Response::detail(405, "Method Not Allowed").with_header("allow", allow)
}

fn html_page(status: u16, title: &str, paragraph_html: &str) -> Response {
    Response::html(status, html::message(title, paragraph_html, None))
}

fn link_not_found_page() -> Response {
    html_page(
        404,
        "Link not found",
        "This sandbox has no auth link with this id. It may have been created before a reset or \
         by another sandbox; ask the app for a new link.",
    )
}

fn used_page() -> Response {
    html_page(
        410,
        "This link was already used",
        "An auth link makes at most one connection, and this one already made it. Ask the app for \
         a new link to connect again.",
    )
}

fn expired_page() -> Response {
    html_page(
        410,
        "This link has expired",
        "Auth links stay valid for 24 hours after they are created. Ask the app for a new link.",
    )
}

fn see_other(location: String) -> Response {
    let body = html::message(
        "Redirecting",
        "You are being sent back to the app.",
        Some((&location, "Continue")),
    );
    Response::html(303, body).with_header("location", location)
}

fn fault_detail(status: u16) -> String {
    match status {
        429 => "Rate limit exceeded (a sandbox fault)".into(),
        503 => "Service temporarily unavailable (a sandbox fault)".into(),
        s => format!("{} {} (a sandbox fault)", s, crate::http::reason_phrase(s)),
    }
}

impl App {
    pub fn new(keys: Vec<String>, allow_insecure_localhost: bool, base_url: String) -> Self {
        App {
            keys,
            allow_insecure_localhost,
            base_url,
            state: Mutex::new(State::new()),
        }
    }

    /// The state, even if a panicking handler poisoned the lock (every handler leaves the state
    /// consistent before anything that could panic).
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn handle(&self, request: &Request) -> Outcome {
        if request.is_control() {
            // No CORS headers at all on the controls: a page open in the developer's browser
            // must not be able to read them, nor pass the preflight a JSON POST needs.
            return Outcome::Respond(self.control(request).without_cors());
        }
        if request.method == "OPTIONS" {
            return Outcome::Respond(preflight(request));
        }
        let segments = match path_segments(request) {
            Ok(segments) => segments,
            Err(response) => return Outcome::Respond(response),
        };
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        match segments.first() {
            Some(&"v1") => self.api(request, &segments),
            Some(&"connect") => Outcome::Respond(self.connect(request, &segments)),
            _ => Outcome::Respond(not_found()),
        }
    }

    // ---- /v1 -------------------------------------------------------------------------------

    fn api(&self, request: &Request, segments: &[&str]) -> Outcome {
        let fault = self.state().faults.pop_front();
        match fault.as_ref().and_then(apply_fault) {
            Some(outcome) => shape_body(fault.as_ref(), outcome),
            None => shape_body(fault.as_ref(), self.route(request, segments)),
        }
    }

    fn route(&self, request: &Request, segments: &[&str]) -> Outcome {
        let route = match resolve(&request.method, segments) {
            Ok(route) => route,
            Err(response) => return Outcome::Respond(response),
        };
        let Some(key) = self.authenticate(request) else {
            return Outcome::Respond(
                Response::detail(401, UNAUTHORIZED).with_header("www-authenticate", "Bearer"),
            );
        };
        Outcome::Respond(match route {
            Route::Types => Response::json(200, &CONNECTION_TYPES),
            Route::CreateLink => self.create_link(key, &request.body),
            Route::LinkStatus(id) => self.link_status(key, id),
            Route::List => self.list(key, request),
            Route::Get(id) => self.get(key, id, request),
            Route::Delete(id) => self.delete(key, id),
        })
    }

    /// The API key of an `Authorization: Bearer <key>` header, if it is one of the sandbox's.
    fn authenticate(&self, request: &Request) -> Option<&str> {
        let (scheme, token) = request.header("authorization")?.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let token = token.trim_start_matches(' ');
        self.keys
            .iter()
            .find(|k| k.as_str() == token)
            .map(String::as_str)
    }

    fn create_link(&self, key: &str, body: &[u8]) -> Response {
        let map = match json_object(body) {
            Ok(map) => map,
            Err(response) => return response,
        };
        let mut errors = Vec::new();
        let connection_type = match map.get("connection_type") {
            None => {
                errors.push(FieldError::new(
                    &["body", "connection_type"],
                    "missing",
                    "Field required",
                ));
                None
            }
            Some(Value::String(t)) if type_name(t).is_some() => Some(t.clone()),
            Some(Value::String(_)) => {
                let known: Vec<String> = CONNECTION_TYPES
                    .iter()
                    .map(|t| format!("'{}'", t.id))
                    .collect();
                errors.push(FieldError::new(
                    &["body", "connection_type"],
                    "enum",
                    format!(
                        "Input should be {} (see GET /v1/connections/types)",
                        known.join(", ")
                    ),
                ));
                None
            }
            Some(_) => {
                errors.push(string_type(&["body", "connection_type"]));
                None
            }
        };
        let redirect_url = match map.get("redirect_url") {
            None | Some(Value::Null) => None,
            Some(Value::String(url)) => {
                match check_redirect_url(url, self.allow_insecure_localhost) {
                    Ok(url) => Some(url),
                    Err(message) => {
                        errors.push(FieldError::new(
                            &["body", "redirect_url"],
                            "value_error",
                            format!("Value error, {message}"),
                        ));
                        None
                    }
                }
            }
            Some(_) => {
                errors.push(string_type(&["body", "redirect_url"]));
                None
            }
        };
        let external_id = match map.get("external_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) => match check_external_id(id) {
                Ok(()) => Some(id.clone()),
                Err((kind, message)) => {
                    errors.push(FieldError::new(&["body", "external_id"], kind, message));
                    None
                }
            },
            Some(_) => {
                errors.push(string_type(&["body", "external_id"]));
                None
            }
        };
        let is_private = match map.get("is_private") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                errors.push(FieldError::new(
                    &["body", "is_private"],
                    "bool_type",
                    "Input should be a valid boolean",
                ));
                false
            }
        };
        let Some(connection_type) = connection_type.filter(|_| errors.is_empty()) else {
            return unprocessable(errors);
        };

        let mut state = self.state();
        let now = state.now();
        let id = state.new_id();
        let expires_at = now.saturating_add(LINK_LIFETIME_MS);
        state.links.insert(
            id.clone(),
            Link {
                id: id.clone(),
                connection_type,
                redirect_url,
                external_id,
                is_private,
                owner: key.to_owned(),
                created_at: now,
                updated_at: now,
                expires_at,
                consumed_at: None,
                connection_id: None,
            },
        );
        let url = format!("{}/connect/{id}", self.base_url);
        Response::json(
            200,
            &CreatedLink {
                id: &id,
                url: &url,
                expires_at,
            },
        )
    }

    fn link_status(&self, key: &str, id: &str) -> Response {
        let state = self.state();
        let now = state.now();
        match state.links.get(id).filter(|link| link.visible_to(key)) {
            Some(link) => Response::json(200, &state.status_view(link, key, now)),
            None => not_found(),
        }
    }

    fn list(&self, key: &str, request: &Request) -> Response {
        let external_id = request.query_param("external_id");
        let connection_type = request.query_param("type");
        let state = self.state();
        let found: Vec<ConnectionView<'_>> = state
            .connections
            .iter()
            .filter(|c| c.visible_to(key))
            .filter(|c| {
                external_id
                    .as_deref()
                    .is_none_or(|e| c.external_id.as_deref() == Some(e))
            })
            .filter(|c| {
                connection_type
                    .as_deref()
                    .is_none_or(|t| c.connection_type == t)
            })
            .map(ConnectionView::from)
            .collect();
        Response::json(200, &found)
    }

    fn get(&self, key: &str, id: &str, request: &Request) -> Response {
        let by_external_id = match request.query_param("lookup_by").as_deref() {
            None | Some("id") => false,
            Some("external_id") => true,
            Some(_) => {
                return unprocessable(vec![FieldError::new(
                    &["query", "lookup_by"],
                    "enum",
                    "Input should be 'id' or 'external_id'",
                )])
            }
        };
        let state = self.state();
        let found: Vec<ConnectionView<'_>> = state
            .connections
            .iter()
            .filter(|c| c.visible_to(key))
            .filter(|c| {
                if by_external_id {
                    c.external_id.as_deref() == Some(id)
                } else {
                    c.id == id
                }
            })
            .map(ConnectionView::from)
            .collect();
        if found.is_empty() {
            not_found()
        } else {
            Response::json(200, &found)
        }
    }

    fn delete(&self, key: &str, id: &str) -> Response {
        let mut state = self.state();
        let Some(index) = state
            .connections
            .iter()
            .position(|c| c.id == id && c.visible_to(key))
        else {
            return not_found();
        };
        let removed = state.connections.remove(index);
        Response::json(200, &ConnectionView::from(&removed))
    }

    // ---- /connect/{id} -----------------------------------------------------------------------

    fn connect(&self, request: &Request, segments: &[&str]) -> Response {
        let ["connect", id] = segments else {
            return link_not_found_page();
        };
        let decision = match request.method.as_str() {
            "GET" => request.query_param("decision"),
            "POST" => form_decision(request).or_else(|| request.query_param("decision")),
            _ => {
                return html_page(405, "Method not allowed", "Use GET or POST.")
                    .with_header("allow", "GET, POST")
            }
        };
        match decision.as_deref() {
            None if request.method == "GET" => self.consent_page(id),
            Some("approve") => self.decide(id, true),
            Some("deny") => self.decide(id, false),
            _ => html_page(
                400,
                "Unknown decision",
                "Choose Approve or Deny (decision=approve or decision=deny).",
            ),
        }
    }

    fn consent_page(&self, id: &str) -> Response {
        let state = self.state();
        let now = state.now();
        let Some(link) = state.links.get(id) else {
            return link_not_found_page();
        };
        match link.state(now) {
            LinkState::Connected => used_page(),
            LinkState::Expired => expired_page(),
            LinkState::Pending => Response::html(
                200,
                html::consent(&html::ConsentInfo {
                    link_id: &link.id,
                    type_name: type_name(&link.connection_type).unwrap_or("account"),
                    connection_type: &link.connection_type,
                    is_private: link.is_private,
                    external_id: link.external_id.as_deref(),
                    returns_to: link
                        .redirect_url
                        .as_deref()
                        .and_then(|u| Url::parse(u).ok())
                        .map(|u| u.origin().ascii_serialization()),
                    expires_in_ms: link.expires_at - now,
                }),
            ),
        }
    }

    /// Completes (approve) or declines (deny) a pending link, then redirects or shows a result.
    fn decide(&self, id: &str, approve: bool) -> Response {
        let mut state = self.state();
        let now = state.now();
        let Some(link) = state.links.get(id) else {
            return link_not_found_page();
        };
        match link.state(now) {
            LinkState::Connected => return used_page(),
            LinkState::Expired => return expired_page(),
            LinkState::Pending => {}
        }
        let link = link.clone();
        let type_label = type_name(&link.connection_type).unwrap_or("account");
        if !approve {
            // An error redirect does not consume the link: the user may retry until it expires.
            drop(state);
            let Some(redirect_url) = &link.redirect_url else {
                return html_page(
                    200,
                    "Access denied",
                    &format!(
                        "You denied access to your {} account. No connection was made; the link \
                         stays usable until it expires.",
                        html::escape(type_label)
                    ),
                );
            };
            let mut params = vec![
                ("status", "error"),
                ("connection_type", link.connection_type.as_str()),
            ];
            if let Some(external_id) = &link.external_id {
                params.push(("external_id", external_id));
            }
            params.push(("error", DENIED_MESSAGE));
            return see_other(redirect_with(redirect_url, &params));
        }

        let connection_id = state.new_id();
        state.connections.push(Connection {
            id: connection_id.clone(),
            connection_type: link.connection_type.clone(),
            is_private: link.is_private,
            display_name: Some(format!("Sandbox {type_label} account")),
            external_id: link.external_id.clone(),
            created_at: now,
            updated_at: now,
            owner: link.owner.clone(),
        });
        if let Some(stored) = state.links.get_mut(id) {
            stored.consumed_at = Some(now);
            stored.updated_at = now;
            stored.connection_id = Some(connection_id.clone());
        }
        drop(state);
        let Some(redirect_url) = &link.redirect_url else {
            return html_page(
                200,
                "Connected",
                &format!(
                    "Your {} account is connected. Connection id: <code>{}</code>. You can close \
                     this page.",
                    html::escape(type_label),
                    html::escape(&connection_id)
                ),
            );
        };
        let mut params = vec![
            ("status", "success"),
            ("connection_type", link.connection_type.as_str()),
            ("connection_id", connection_id.as_str()),
        ];
        if let Some(external_id) = &link.external_id {
            params.push(("external_id", external_id));
        }
        see_other(redirect_with(redirect_url, &params))
    }

    // ---- /_sandbox ---------------------------------------------------------------------------

    /// The `/_sandbox` controls. Their POSTs take `Content-Type: application/json` only: every
    /// other type (or none) is what a page on another origin can send without a CORS preflight
    /// (text/plain, an HTML form), and the preflight a JSON POST needs is refused here (`OPTIONS`
    /// is a 405, and no control answer carries CORS headers).
    fn control(&self, request: &Request) -> Response {
        let segments = match path_segments(request) {
            Ok(segments) => segments,
            Err(response) => return response,
        };
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let method = request.method.as_str();
        let known = matches!(
            segments.as_slice(),
            ["_sandbox", "health" | "clock" | "faults" | "reset"]
        );
        let takes_post = known && control_methods(segments[1]).contains("POST");
        if takes_post && method == "POST" && !is_json(request.header("content-type")) {
            return unsupported_media_type(request);
        }
        if known && method == "OPTIONS" {
            return Response::detail(
                405,
                "The /_sandbox controls answer no CORS preflight: they are for scripts and tests, \
                 not for web pages",
            )
            .with_header("allow", control_methods(segments[1]));
        }
        match (segments.as_slice(), method) {
            (["_sandbox", "health"], "GET") => Response::json(200, &json!({ "ok": true })),
            (["_sandbox", "clock"], "GET") => Response::json(200, &json!({ "now": self.now() })),
            (["_sandbox", "clock"], "POST") => self.advance_clock_request(&request.body),
            (["_sandbox", "faults"], "GET") => {
                let state = self.state();
                Response::json(200, &json!({ "faults": state.faults }))
            }
            (["_sandbox", "faults"], "POST") => self.set_faults(&request.body),
            (["_sandbox", "reset"], "POST") => {
                self.reset();
                Response::json(200, &json!({ "reset": true, "now": self.now() }))
            }
            (["_sandbox", control], _) if known => method_not_allowed(control_methods(control)),
            _ => not_found(),
        }
    }

    fn advance_clock_request(&self, body: &[u8]) -> Response {
        let map = match json_object(body) {
            Ok(map) => map,
            Err(response) => return response,
        };
        match map.get("advance_ms").map(Value::as_i64) {
            Some(Some(ms)) if (0..=MAX_ADVANCE_MS).contains(&ms) => {
                let now = self.advance_clock(ms);
                Response::json(200, &json!({ "now": now }))
            }
            None => unprocessable(vec![FieldError::new(
                &["body", "advance_ms"],
                "missing",
                "Field required",
            )]),
            Some(_) => unprocessable(vec![FieldError::new(
                &["body", "advance_ms"],
                "value_error",
                format!("advance_ms must be an integer from 0 to {MAX_ADVANCE_MS} (the clock only moves forward)"),
            )]),
        }
    }

    fn set_faults(&self, body: &[u8]) -> Response {
        let map = match json_object(body) {
            Ok(map) => map,
            Err(response) => return response,
        };
        let Some(Value::Array(items)) = map.get("faults") else {
            return unprocessable(vec![FieldError::new(
                &["body", "faults"],
                "list_type",
                "faults must be a list of fault objects",
            )]);
        };
        let mut faults = Vec::with_capacity(items.len());
        let mut errors = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let checked = serde_json::from_value::<Fault>(item.clone())
                .map_err(|e| e.to_string())
                .and_then(|fault| fault.check().map(|()| fault));
            match checked {
                Ok(fault) => faults.push(fault),
                Err(message) => errors
                    .push(FieldError::new(&["body", "faults"], "value_error", message).at(index)),
            }
        }
        if !errors.is_empty() {
            return unprocessable(errors);
        }
        let mut state = self.state();
        state.faults = faults.into();
        Response::json(200, &json!({ "faults": state.faults }))
    }

    // ---- shared with the library API ---------------------------------------------------------

    pub fn now(&self) -> i64 {
        self.state().now()
    }

    pub fn advance_clock(&self, ms: i64) -> i64 {
        self.state().advance_clock(ms)
    }

    pub fn reset(&self) {
        self.state().reset();
    }
}

/// The methods a `/_sandbox/<control>` answers.
fn control_methods(control: &str) -> &'static str {
    match control {
        "health" => "GET",
        "reset" => "POST",
        _ => "GET, POST",
    }
}

/// Whether a `Content-Type` is `application/json` (any case, any parameters).
fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|value| {
        value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/json")
    })
}

/// The `415` of a control POST without `Content-Type: application/json`.
fn unsupported_media_type(request: &Request) -> Response {
    let got = request
        .header("content-type")
        .map_or_else(|| "none".to_owned(), |t| format!("{t:?}"));
    Response::detail(
        415,
        &format!(
            "POST {} needs Content-Type: application/json (got {got}). The sandbox controls refuse \
             every other type so that a web page cannot call them (a page can send text/plain or a \
             form to any origin without asking)",
            request.path()
        ),
    )
    .with_header("accept-post", "application/json")
}

fn string_type(loc: &[&str]) -> FieldError {
    FieldError::new(loc, "string_type", "Input should be a valid string")
}

/// The `decision` field of a submitted consent form.
fn form_decision(request: &Request) -> Option<String> {
    form_urlencoded::parse(&request.body)
        .filter(|(k, _)| k == "decision")
        .last()
        .map(|(_, v)| v.into_owned())
}

/// Sleeps, then answers the fault's status or huge body, resets, or (`None`) lets the request
/// through.
fn apply_fault(fault: &Fault) -> Option<Outcome> {
    if let Some(ms) = fault.delay_ms {
        thread::sleep(Duration::from_millis(ms));
    }
    if fault.reset {
        return Some(Outcome::Reset);
    }
    if let Some(bytes) = fault.huge_body_bytes {
        // `[`, spaces, `]`: valid JSON, so only a size cap can refuse it.
        let mut body = vec![b' '; usize::try_from(bytes).unwrap_or(usize::MAX)];
        body[0] = b'[';
        *body.last_mut()? = b']';
        return Some(Outcome::Respond(Response::new(
            200,
            "application/json",
            body,
        )));
    }
    let status = fault.status?;
    let mut response = match (status, fault.body.clone()) {
        (204 | 304, _) => Response::empty(status),
        (_, Some(body)) => Response::new(status, "application/json", body),
        (_, None) => Response::detail(status, &fault_detail(status)),
    };
    if let Some(seconds) = fault.retry_after_s {
        response = response.with_header("retry-after", seconds.to_string());
    }
    Some(Outcome::Respond(response))
}

/// Applies a fault's body shaping (slow or cut-off body) to whatever the request is answered.
fn shape_body(fault: Option<&Fault>, outcome: Outcome) -> Outcome {
    let Some(fault) = fault.filter(|f| f.body_delay_ms.is_some() || f.reset_mid_body) else {
        return outcome;
    };
    match outcome {
        Outcome::Respond(response) => Outcome::Partial {
            response,
            pause: Duration::from_millis(fault.body_delay_ms.unwrap_or(0)),
            reset: fault.reset_mid_body,
        },
        other => other,
    }
}

fn resolve<'a>(method: &str, segments: &[&'a str]) -> Result<Route<'a>, Response> {
    if segments.iter().any(|s| s.is_empty()) {
        return Err(not_found());
    }
    match (segments, method) {
        (["v1", "connections"], "GET") => Ok(Route::List),
        (["v1", "connections"], _) => Err(method_not_allowed("GET")),
        (["v1", "connections", "types"], "GET") => Ok(Route::Types),
        (["v1", "connections", "auth-link"], "POST") => Ok(Route::CreateLink),
        (["v1", "connections", id], "GET") => Ok(Route::Get(id)),
        (["v1", "connections", id], "DELETE") => Ok(Route::Delete(id)),
        (["v1", "connections", id], _) => Err(method_not_allowed(if *id == "auth-link" {
            "GET, POST, DELETE"
        } else {
            "GET, DELETE"
        })),
        (["v1", "connections", "auth-links", id, "status"], "GET") => Ok(Route::LinkStatus(id)),
        (["v1", "connections", "auth-links", _, "status"], _) => Err(method_not_allowed("GET")),
        _ => Err(not_found()),
    }
}

/// The CORS preflight answer (for any path).
fn preflight(request: &Request) -> Response {
    let mut response = Response::empty(204)
        .with_header("access-control-allow-methods", "GET, POST, DELETE")
        .with_header(
            "access-control-allow-headers",
            "authorization, content-type, x-markifact-context",
        )
        .with_header("access-control-max-age", "600")
        .with_header("allow", "GET, POST, DELETE, OPTIONS");
    // Chrome's Private Network Access: a public page calling the loopback sandbox asks for this.
    if request
        .header("access-control-request-private-network")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        response = response.with_header("access-control-allow-private-network", "true");
    }
    response
}

/// The path's segments, percent-decoded; a 400 (closing the connection) when one is not UTF-8.
fn path_segments(request: &Request) -> Result<Vec<String>, Response> {
    request
        .path()
        .split('/')
        .skip(1)
        .map(decode_path_segment)
        .collect::<Option<Vec<String>>>()
        .ok_or_else(|| {
            let mut response =
                Response::detail(400, "the path is not valid UTF-8 once percent-decoded");
            response.close = true;
            response
        })
}
