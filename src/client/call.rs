//! The client's calls as synchronous state machines: the one place where every decision of a
//! call is made (retries, backoff, `Retry-After`, the wait's deadline and the link's expiry,
//! verification), with no async, no clock and no randomness of their own.
//!
//! A [`Call`] is driven by feeding it [`Event`]s with the time and a random number; each step
//! answers with the next [`Action`]: send this request, sleep this long, report this progress, or
//! done. A driver only performs actions: [`Client`](super::Client) over a
//! [`Runtime`](super::Runtime) in Rust, a short loop over `fetch` in the npm package.
//!
//! ```
//! use markifact_connect::client::{Action, Call, ClientConfig, ClientSettings, Event, RawResponse};
//!
//! let config = ClientConfig::new(ClientSettings { api_key: Some("sk_1".into()), ..Default::default() })?;
//! let mut call = Call::list_connection_types(&config);
//! let Action::Send(request) = call.step(Event::Continue, 0, 0.5) else { unreachable!() };
//! assert_eq!(request.url, "https://api.markifact.com/v1/connections/types");
//! // The API is briefly unavailable: a GET is retried after a jittered backoff.
//! let unavailable = RawResponse { status: 503, retry_after: None, body: String::new() };
//! assert_eq!(call.step(Event::Response(unavailable), 10, 0.5), Action::Sleep(125));
//! assert!(matches!(call.step(Event::Continue, 135, 0.5), Action::Send(_)));
//! let ok = RawResponse { status: 200, retry_after: None, body: r#"["ga4"]"#.into() };
//! let Action::Done(Ok(types)) = call.step(Event::Response(ok), 200, 0.5) else { unreachable!() };
//! assert_eq!(types[0].id, "ga4");
//! # Ok::<(), markifact_connect::Error>(())
//! ```

use super::api::{HttpRequest, RawResponse};
use super::response::{HttpResponse, MAX_RESPONSE_BYTES};
use super::ClientConfig;
use crate::error::{Error, ErrorCode};
use crate::text::concat;

/// What happened since a call's last [`Action`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Go on: the first step, or the last [`Action::Sleep`] or [`Action::Progress`] is done.
    Continue,
    /// The response to the last [`Action::Send`], body read in full.
    Response(RawResponse),
    /// The last action failed: no response ([`Error::network`], [`Error::timeout`],
    /// [`response_too_large`](super::response_too_large)), or the caller cancelled it
    /// ([`Error::aborted`]).
    Failed(Error),
}

/// What a call asks its driver to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<T> {
    /// Send this request, then step with its [`Event::Response`] or [`Event::Failed`].
    Send(HttpRequest),
    /// Wait this many milliseconds, then step with [`Event::Continue`] (or [`Event::Failed`]
    /// with [`Error::aborted`] when the caller cancels the wait).
    Sleep(u64),
    /// Hand this intermediate result to the caller (each status a wait reads), then step with
    /// [`Event::Continue`].
    Progress(T),
    /// The call is over.
    Done(crate::Result<T>),
}

/// One decision of a call, given what happened.
pub(crate) trait Machine<T>: Send {
    fn step(&mut self, event: Event, now_ms: u64, random: f64) -> Action<T>;
}

/// One call of the API (create a link, read a status, wait, list, get, delete, the types,
/// verify a redirect) as a synchronous state machine. Build one with its constructor (which
/// validates the inputs), then [`step`](Call::step) it until [`Action::Done`].
pub struct Call<T> {
    machine: Box<dyn Machine<T>>,
    api_key: Option<String>,
    finished: bool,
}

impl<T> core::fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Call")
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl<T: 'static> Call<T> {
    pub(crate) fn new(config: &ClientConfig, machine: impl Machine<T> + 'static) -> Self {
        Call {
            machine: Box::new(machine),
            api_key: config.api_key().map(str::to_owned),
            finished: false,
        }
    }

    /// The next action, given what happened since the last one, the time (ms since the Unix
    /// epoch) and a uniform random number in `[0, 1)` for jitter. Stepping a finished call
    /// fails with [`ErrorCode::Internal`]. No error it returns contains the API key.
    pub fn step(&mut self, event: Event, now_ms: u64, random: f64) -> Action<T> {
        if self.finished {
            return Action::Done(Err(Error::internal(
                "the call was stepped after it was done (a bug in its driver)",
            )));
        }
        // An error body is cut to a bounded detail: redacting only the finished error could
        // leave the part of an echoed key that precedes the cut.
        let event = match (event, &self.api_key) {
            (Event::Response(mut raw), Some(key)) if raw.body.contains(key.as_str()) => {
                raw.body = raw.body.replace(key.as_str(), "[redacted]");
                Event::Response(raw)
            }
            (event, _) => event,
        };
        match self.machine.step(event, now_ms, random) {
            Action::Done(result) => {
                self.finished = true;
                Action::Done(result.map_err(|e| match &self.api_key {
                    Some(key) => e.redact(key),
                    None => e,
                }))
            }
            other => other,
        }
    }

    /// The same call with its results (progress and final) converted by `convert`, e.g. into
    /// a binding's values.
    pub fn map<U: 'static>(self, convert: fn(T) -> crate::Result<U>) -> Call<U> {
        Call {
            machine: Box::new(Mapped {
                inner: self.machine,
                convert,
            }),
            api_key: self.api_key,
            finished: self.finished,
        }
    }
}

struct Mapped<T, U> {
    inner: Box<dyn Machine<T>>,
    convert: fn(T) -> crate::Result<U>,
}

impl<T, U> Machine<U> for Mapped<T, U> {
    fn step(&mut self, event: Event, now_ms: u64, random: f64) -> Action<U> {
        match self.inner.step(event, now_ms, random) {
            Action::Send(request) => Action::Send(request),
            Action::Sleep(ms) => Action::Sleep(ms),
            Action::Progress(value) => match (self.convert)(value) {
                Ok(value) => Action::Progress(value),
                Err(error) => Action::Done(Err(error)),
            },
            Action::Done(result) => Action::Done(result.and_then(self.convert)),
        }
    }
}

/// The request a call sends: its URL and headers from the config, at most `time_left_ms`.
pub(crate) fn http_request(
    config: &ClientConfig,
    request: &super::Request,
    time_left_ms: u64,
) -> HttpRequest {
    HttpRequest {
        method: request.method,
        url: config.url(request),
        headers: config.headers(request),
        body: request.body.clone(),
        timeout_ms: config.timeout_ms().min(time_left_ms),
        max_body_bytes: MAX_RESPONSE_BYTES,
    }
}

/// A response as the interpreters see it, or the error it is before any interpretation: a
/// body over the limit (whatever the driver did), no real status, or a redirect, which the
/// client never follows (it could carry the API key elsewhere).
pub(crate) fn received(raw: &RawResponse, now_ms: u64) -> crate::Result<HttpResponse<'_>> {
    if raw.body.len() > MAX_RESPONSE_BYTES {
        return Err(super::response_too_large(MAX_RESPONSE_BYTES));
    }
    if raw.status < 100 {
        return Err(super::not_a_response("its HTTP status is below 100"));
    }
    if (300..400).contains(&raw.status) {
        return Err(super::redirect_refused(Some(raw.status)));
    }
    Ok(raw.view(now_ms))
}

/// The error for an event a machine did not expect in its state: a driver bug.
pub(crate) fn out_of_order(event: &Event, state: &str) -> Error {
    let what = match event {
        Event::Continue => "Continue",
        Event::Response(_) => "a response",
        Event::Failed(_) => "a failure",
    };
    Error::new(
        ErrorCode::Internal,
        concat(&[
            "the call got ",
            what,
            " while ",
            state,
            " (a bug in its driver)",
        ]),
    )
}
