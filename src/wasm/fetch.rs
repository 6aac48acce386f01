//! Performing one HTTP request with `fetch`, bounded by a timeout and an optional `AbortSignal`.
//!
//! `fetch` is called as a plain function (the global one, or the one given in the client options),
//! so the same code runs in browsers, Node, Deno and Workers. Everything read from the response
//! goes through `Reflect` with errors caught: a custom `fetch` may return anything.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::client::{response_too_large, HttpRequest, Method, RawResponse, Runtime};
use crate::{Error, ErrorCode};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);

    type AbortController;
    #[wasm_bindgen(constructor, catch)]
    fn new() -> Result<AbortController, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn signal(this: &AbortController) -> JsValue;
    #[wasm_bindgen(method)]
    fn abort(this: &AbortController);
}

/// The caller's `AbortSignal`, read through `Reflect` so any object shaped like one works.
#[derive(Clone)]
pub(super) struct Signal(JsValue);

impl Signal {
    pub(super) fn new(value: JsValue) -> Self {
        Signal(value)
    }

    pub(super) fn aborted(&self) -> bool {
        Reflect::get(&self.0, &"aborted".into()).is_ok_and(|v| v.is_truthy())
    }

    /// Calls `on_abort` when the signal fires; the returned guard stops listening when dropped.
    fn on_abort(&self, on_abort: Closure<dyn FnMut()>) -> Listener {
        self.call_listener_method("addEventListener", &on_abort);
        Listener {
            signal: self.clone(),
            closure: on_abort,
        }
    }

    fn call_listener_method(&self, method: &str, closure: &Closure<dyn FnMut()>) {
        let function = Reflect::get(&self.0, &method.into()).and_then(|f| f.dyn_into::<Function>());
        if let Ok(function) = function {
            let _ = function.call2(&self.0, &"abort".into(), closure.as_ref().unchecked_ref());
        }
    }
}

/// An `abort` listener, removed when dropped.
struct Listener {
    signal: Signal,
    closure: Closure<dyn FnMut()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.signal
            .call_listener_method("removeEventListener", &self.closure);
    }
}

/// A timer that fires once; cleared when dropped.
struct Timer {
    id: JsValue,
    _closure: Closure<dyn FnMut()>,
}

impl Timer {
    fn start(ms: u64, on_fire: Closure<dyn FnMut()>) -> Self {
        let id = set_timeout(on_fire.as_ref().unchecked_ref(), ms as f64);
        Timer {
            id,
            _closure: on_fire,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}

/// The core's I/O over `fetch`, for one call: the call's abort signal travels with it.
pub(super) struct FetchRuntime {
    pub fetch: Function,
    pub signal: Option<Signal>,
}

impl Runtime for FetchRuntime {
    async fn send(&self, request: &HttpRequest<'_>) -> Result<RawResponse, Error> {
        send(&self.fetch, request, self.signal.as_ref()).await
    }

    async fn sleep(&self, ms: u64) -> Result<(), Error> {
        sleep(ms, self.signal.as_ref()).await
    }

    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }
}

/// Sends one request and reads the whole body, within the request's timeout.
async fn send(
    fetch: &Function,
    request: &HttpRequest<'_>,
    signal: Option<&Signal>,
) -> Result<RawResponse, Error> {
    if signal.is_some_and(Signal::aborted) {
        return Err(Error::aborted("the request was aborted before it was sent"));
    }
    let controller = AbortController::new()
        .map_err(|_| Error::internal("AbortController is not available in this runtime"))?;
    let controller = Rc::new(controller);
    let timed_out = Rc::new(Cell::new(false));
    let _timer = {
        let (controller, timed_out) = (controller.clone(), timed_out.clone());
        Timer::start(
            request.timeout_ms,
            Closure::new(move || {
                timed_out.set(true);
                controller.abort();
            }),
        )
    };
    let _listener = signal.map(|s| {
        let controller = controller.clone();
        s.on_abort(Closure::new(move || controller.abort()))
    });
    let failure = |error: JsValue| -> Error {
        if timed_out.get() {
            Error::timeout(format!(
                "no complete response within {} ms",
                request.timeout_ms
            ))
        } else if signal.is_some_and(Signal::aborted) {
            Error::aborted("the request was aborted")
        } else {
            Error::network(format!("the request failed: {}", describe(&error)))
        }
    };

    let init = init(request, &controller.signal());
    let promise = fetch
        .call2(&JsValue::UNDEFINED, &JsValue::from_str(request.url), &init)
        .map_err(failure)?;
    let response = JsFuture::from(Promise::resolve(&promise))
        .await
        .map_err(failure)?;
    // A browser hides a redirect it did not follow as an "opaqueredirect" with status 0.
    let opaque = Reflect::get(&response, &"type".into())
        .is_ok_and(|t| t.as_string().as_deref() == Some("opaqueredirect"));
    let status = Reflect::get(&response, &"status".into())
        .ok()
        .and_then(|s| s.as_f64())
        .filter(|s| (0.0..=999.0).contains(s) && s.fract() == 0.0)
        .ok_or_else(|| not_a_response("it has no HTTP status"))? as u16;
    if opaque || (300..400).contains(&status) {
        controller.abort();
        let refused = |what: String| {
            Error::new(
                ErrorCode::InvalidResponse,
                format!("the API answered with a redirect{what}, which the client does not follow (it could carry the API key elsewhere); check baseUrl"),
            )
        };
        return Err(if opaque {
            refused(String::new())
        } else {
            refused(format!(" (HTTP {status})")).with_status(status)
        });
    }
    if status < 100 {
        return Err(not_a_response("its HTTP status is below 100"));
    }
    let retry_after = header(&response, "retry-after");
    let declared = header(&response, "content-length").and_then(|n| n.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > request.max_body_bytes) {
        controller.abort();
        return Err(response_too_large(request.max_body_bytes));
    }
    let body = read_body(&response, request.max_body_bytes, &failure).await?;
    if body.is_none() {
        controller.abort();
    }
    let body = body.ok_or_else(|| response_too_large(request.max_body_bytes))?;
    Ok(RawResponse {
        status,
        retry_after,
        body,
    })
}

/// Reads the body as UTF-8 text (invalid bytes become U+FFFD, as `Response.text()` does), chunk
/// by chunk so that a huge body is refused after `max` bytes rather than held in memory: `None`
/// when it is longer. `failure` describes a failed read (timeout, abort, network).
async fn read_body(
    response: &JsValue,
    max: usize,
    failure: &dyn Fn(JsValue) -> Error,
) -> Result<Option<String>, Error> {
    let stream = Reflect::get(response, &"body".into()).map_err(failure)?;
    if stream.is_null() || stream.is_undefined() {
        // No body (204), or a custom fetch's object without a stream: its text() is all there is.
        let text = Reflect::get(response, &"text".into())
            .and_then(|f| f.dyn_into::<Function>())
            .and_then(|f| f.call0(response))
            .map_err(failure)?;
        let text = JsFuture::from(Promise::resolve(&text))
            .await
            .map_err(failure)?;
        let text = text
            .as_string()
            .ok_or_else(|| not_a_response("its text() is not a string"))?;
        return Ok((text.len() <= max).then_some(text));
    }
    let reader = Reflect::get(&stream, &"getReader".into())
        .and_then(|f| f.dyn_into::<Function>())
        .and_then(|f| f.call0(&stream))
        .map_err(failure)?;
    let read = Reflect::get(&reader, &"read".into())
        .and_then(|f| f.dyn_into::<Function>())
        .map_err(failure)?;
    let mut bytes = Vec::new();
    loop {
        let chunk = JsFuture::from(Promise::resolve(&read.call0(&reader).map_err(failure)?))
            .await
            .map_err(failure)?;
        if Reflect::get(&chunk, &"done".into()).is_ok_and(|d| d.is_truthy()) {
            break;
        }
        let value = Reflect::get(&chunk, &"value".into()).map_err(failure)?;
        let part = value
            .dyn_into::<Uint8Array>()
            .map_err(|_| not_a_response("its body stream yields something other than bytes"))?;
        if bytes.len() + part.length() as usize > max {
            let cancel =
                Reflect::get(&reader, &"cancel".into()).and_then(|f| f.dyn_into::<Function>());
            if let Ok(cancel) = cancel {
                // Settles by itself; nothing waits for it.
                let _ = cancel.call0(&reader);
            }
            return Ok(None);
        }
        let start = bytes.len();
        bytes.resize(start + part.length() as usize, 0);
        part.copy_to(&mut bytes[start..]);
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

fn not_a_response(what: &str) -> Error {
    Error::new(
        ErrorCode::InvalidResponse,
        format!("fetch resolved to something that is not a Response: {what}"),
    )
}

fn init(request: &HttpRequest<'_>, signal: &JsValue) -> Object {
    let init = Object::new();
    let set = |target: &Object, key: &str, value: &JsValue| {
        let _ = Reflect::set(target, &key.into(), value);
    };
    let method = match request.method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Delete => "DELETE",
    };
    set(&init, "method", &method.into());
    let headers = Object::new();
    for (name, value) in request.headers {
        set(&headers, name, &value.into());
    }
    set(&init, "headers", &headers);
    if let Some(body) = request.body {
        set(&init, "body", &body.into());
    }
    set(&init, "signal", signal);
    // Markifact's API never redirects, and following one could carry the key elsewhere. "manual"
    // hands the redirect back unfollowed (workerd refuses "error"); `send` then reports it.
    set(&init, "redirect", &"manual".into());
    init
}

fn header(response: &JsValue, name: &str) -> Option<String> {
    let headers = Reflect::get(response, &"headers".into()).ok()?;
    let get = Reflect::get(&headers, &"get".into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    get.call1(&headers, &name.into()).ok()?.as_string()
}

/// A short description of a thrown JS value (an `Error`'s name and message).
fn describe(error: &JsValue) -> String {
    let field = |key: &str| {
        Reflect::get(error, &key.into())
            .ok()
            .and_then(|v| v.as_string())
    };
    match (field("name"), field("message")) {
        (Some(name), Some(message)) => format!("{name}: {message}"),
        (None, Some(message)) => message,
        _ => error.as_string().unwrap_or_else(|| "unknown error".into()),
    }
}

/// Waits `ms` milliseconds, or until the signal aborts.
async fn sleep(ms: u64, signal: Option<&Signal>) -> Result<(), Error> {
    if signal.is_some_and(Signal::aborted) {
        return Err(Error::aborted("aborted while waiting"));
    }
    let mut guards: (Option<Timer>, Option<Listener>) = (None, None);
    let promise = Promise::new(&mut |resolve, reject| {
        guards.0 = Some(Timer::start(
            ms,
            Closure::once(move || {
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }),
        ));
        guards.1 = signal.map(|s| {
            s.on_abort(Closure::once(move || {
                let _ = reject.call0(&JsValue::UNDEFINED);
            }))
        });
    });
    let outcome = JsFuture::from(promise).await;
    drop(guards);
    outcome
        .map(|_| ())
        .map_err(|_| Error::aborted("aborted while waiting"))
}
