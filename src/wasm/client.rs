//! The client's calls for the npm package's `MarkifactClient` (js/client.js): `ClientCore`
//! checks the options and starts calls, each a `CoreCall` that js/client.js steps with what
//! `fetch` and the timers did. Every decision is the core's [`Call`]; this layer converts
//! arguments, events and results, and never awaits anything.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use super::convert::{js_error, to_json_text, wrong_type, JS_NAMES};
use super::options::text;
use crate::client::verify::VerifyExpectations;
use crate::client::{
    not_a_response, redirect_refused, response_too_large, Action, Call, ClientConfig,
    ClientSettings, CreateAuthLink, Event, LookupBy, RawResponse, MAX_RESPONSE_BYTES,
};
use crate::js_options::{
    self, CallOptions, Count, CreateAuthLinkParams, Function, GetConnectionOptions,
    ListConnectionsOptions, MarkifactClientOptions, Signal, Text, VerifyRedirectOptions,
    WaitForAuthLinkOptions,
};
use crate::redirect::{RedirectError, RedirectSuccess};
use crate::text::{concat, decimal};
use crate::{Error, ErrorCode, RedirectResult, Rule};

// The structural types the generated option declarations (src/js_options.rs) name: what `fetch`
// is called with and what the driver reads of its answer (js/client.js), and the part of an
// `AbortSignal` it uses. `AbortSignal` and `fetch` are the platform's own types where the
// project has them (DOM lib, @types/node) and structural stand-ins otherwise, so a server
// project with `lib: ["es2022"]` compiles too.
#[wasm_bindgen(typescript_custom_section)]
const FETCH_TYPES: &str = r#"
/** The platform's `AbortSignal`, or the part of it the client uses where its type is not declared. */
export type AbortSignalLike = typeof globalThis extends { AbortSignal: { prototype: infer S } }
  ? S
  : {
      readonly aborted: boolean;
      addEventListener(type: "abort", listener: () => void): void;
      removeEventListener(type: "abort", listener: () => void): void;
    };
/** What the client passes to `fetch` (a valid `RequestInit`). */
export interface FetchInit {
  method: "GET" | "POST" | "DELETE";
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignalLike;
  /** The API never redirects: a redirect is handed back unfollowed and reported (it could carry the key elsewhere). */
  redirect: "manual";
}
/** The part of a `Response` the client reads. */
export interface FetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}
"#;

/// How long `waitForAuthLink` waits by default: 10 minutes.
const DEFAULT_WAIT_MS: u64 = 600_000;

/// The client's validated options; js/client.js wraps it as `MarkifactClient`.
#[wasm_bindgen(skip_typescript)]
pub struct ClientCore {
    config: ClientConfig,
    fetch: JsValue,
    on_warning: JsValue,
}

#[wasm_bindgen]
impl ClientCore {
    /// Checks the options; throws `invalid_request`, or `browser_key_refused` for an `apiKey` in
    /// a browser without `dangerouslyAllowBrowser`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<ClientCore, JsValue> {
        super::url::install();
        let options = MarkifactClientOptions::read(&options)?;
        if options.apiKey.is_some()
            && in_browser()
            && !options.dangerouslyAllowBrowser.unwrap_or(false)
        {
            return Err(js_error(Error::new(
                ErrorCode::BrowserKeyRefused,
                "refusing to use an API key in a browser, where every user of the page can read it; \
                 call Markifact from your server (or give baseUrl your own proxy and no apiKey), or \
                 pass dangerouslyAllowBrowser: true if you really mean it",
            )));
        }
        let settings = ClientSettings {
            api_key: options.apiKey,
            base_url: options.baseUrl,
            timeout_ms: options.timeoutMs.map(|Count(ms)| ms),
            max_retries: options
                .maxRetries
                .map(|Count(n)| n.min(u64::from(u32::MAX)) as u32),
            headers: options.headers.unwrap_or_default().0,
            allow_insecure_localhost: options.allowInsecureLocalhost.unwrap_or(false),
        };
        let config = ClientConfig::new(settings).map_err(js_error)?;
        let fetch = match options.fetch {
            Some(Function(fetch)) => fetch,
            None => Reflect::get(&js_sys::global(), &"fetch".into())
                .ok()
                .filter(JsValue::is_function)
                .ok_or_else(|| {
                    js_error(Error::invalid_argument(
                        "fetch",
                        Rule::WrongType,
                        "this runtime has no global fetch; pass options.fetch",
                    ))
                })?,
        };
        Ok(ClientCore {
            config,
            fetch,
            on_warning: options
                .onWarning
                .map(|Function(f)| f)
                .unwrap_or(JsValue::UNDEFINED),
        })
    }

    /// The `fetch` to send requests with: the option, or the global one.
    #[wasm_bindgen(getter)]
    pub fn fetch(&self) -> JsValue {
        self.fetch.clone()
    }

    /// The `onWarning` option.
    #[wasm_bindgen(getter, js_name = onWarning)]
    pub fn on_warning(&self) -> JsValue {
        self.on_warning.clone()
    }

    /// `createAuthLink(params, options)`: [`Call::create_auth_link`].
    #[wasm_bindgen(js_name = createAuthLink)]
    pub fn create_auth_link(&self, params: JsValue, options: JsValue) -> Result<CoreCall, JsValue> {
        let params = CreateAuthLinkParams::read(&params)?;
        let link = CreateAuthLink {
            connection_type: params.connectionType.0,
            redirect_url: params.redirectUrl.map(|Text(t)| t),
            external_id: params.externalId.map(|Text(t)| t),
            is_private: params.isPrivate,
        };
        let signal = CallOptions::read(&options)?.signal;
        let call = Call::create_auth_link(&self.config, &link).map_err(js_error)?;
        Ok(CoreCall::new(call.map(to_json_text), signal, None))
    }

    /// `getAuthLinkStatus(authLinkId, options)`: [`Call::auth_link_status`].
    #[wasm_bindgen(js_name = getAuthLinkStatus)]
    pub fn get_auth_link_status(
        &self,
        auth_link_id: JsValue,
        options: JsValue,
    ) -> Result<CoreCall, JsValue> {
        let id = text(&auth_link_id, "authLinkId").map_err(js_error)?;
        let signal = CallOptions::read(&options)?.signal;
        let call = Call::auth_link_status(&self.config, &id).map_err(js_error)?;
        Ok(CoreCall::new(call.map(to_json_text), signal, None))
    }

    /// `waitForAuthLink(authLinkId, { timeoutMs, onPoll })`: [`Call::wait_for_auth_link`].
    #[wasm_bindgen(js_name = waitForAuthLink)]
    pub fn wait_for_auth_link(
        &self,
        auth_link_id: JsValue,
        options: JsValue,
    ) -> Result<CoreCall, JsValue> {
        let id = text(&auth_link_id, "authLinkId").map_err(js_error)?;
        let options = WaitForAuthLinkOptions::read(&options)?;
        let wait_ms = options.timeoutMs.map_or(DEFAULT_WAIT_MS, |Count(ms)| ms);
        let call = Call::wait_for_auth_link(&self.config, &id, wait_ms).map_err(js_error)?;
        Ok(CoreCall::new(
            call.map(to_json_text),
            options.signal,
            options.onPoll,
        ))
    }

    /// `listConnections({ externalId, type })`: [`Call::list_connections`].
    #[wasm_bindgen(js_name = listConnections)]
    pub fn list_connections(&self, options: JsValue) -> Result<CoreCall, JsValue> {
        let options = ListConnectionsOptions::read(&options)?;
        let call = Call::list_connections(
            &self.config,
            options.externalId.as_deref(),
            options.r#type.as_deref(),
        )
        .map_err(js_error)?;
        Ok(CoreCall::new(call.map(to_json_text), options.signal, None))
    }

    /// `getConnection(idOrExternalId, { lookupBy })`: [`Call::get_connection`].
    #[wasm_bindgen(js_name = getConnection)]
    pub fn get_connection(&self, id: JsValue, options: JsValue) -> Result<CoreCall, JsValue> {
        let id = text(&id, "idOrExternalId").map_err(js_error)?;
        let options = GetConnectionOptions::read(&options)?;
        let lookup_by = match options.lookupBy {
            None | Some(js_options::LookupBy::Id) => LookupBy::Id,
            Some(js_options::LookupBy::ExternalId) => LookupBy::ExternalId,
        };
        let call = Call::get_connection(&self.config, &id, lookup_by).map_err(|e| {
            js_error(
                e.rename_field("id", "idOrExternalId")
                    .rename_field("external_id", "idOrExternalId"),
            )
        })?;
        Ok(CoreCall::new(call.map(to_json_text), options.signal, None))
    }

    /// `deleteConnection(connectionId)`: [`Call::delete_connection`].
    #[wasm_bindgen(js_name = deleteConnection)]
    pub fn delete_connection(&self, id: JsValue, options: JsValue) -> Result<CoreCall, JsValue> {
        let id = text(&id, "connectionId").map_err(js_error)?;
        let signal = CallOptions::read(&options)?.signal;
        let call = Call::delete_connection(&self.config, &id).map_err(js_error)?;
        Ok(CoreCall::new(call.map(to_json_text), signal, None))
    }

    /// `listConnectionTypes()`: [`Call::list_connection_types`].
    #[wasm_bindgen(js_name = listConnectionTypes)]
    pub fn list_connection_types(&self, options: JsValue) -> Result<CoreCall, JsValue> {
        let signal = CallOptions::read(&options)?.signal;
        Ok(CoreCall::new(
            Call::list_connection_types(&self.config).map(to_json_text),
            signal,
            None,
        ))
    }

    /// `verifyRedirect(url, expectations)`: parsed by the parser wasm, then
    /// [`Call::verify_parsed_redirect`].
    #[wasm_bindgen(js_name = verifyRedirect)]
    pub fn verify_redirect(&self, url: JsValue, options: JsValue) -> Result<CoreCall, JsValue> {
        let url = url
            .as_string()
            .ok_or_else(|| wrong_type("url", "a string"))?;
        let options = VerifyRedirectOptions::read(&options)?;
        let redirect = parse_with_parser_wasm(&url, options.redirectUrl.as_deref())?;
        let expectations = VerifyExpectations {
            auth_link_id: options.authLinkId.as_deref(),
            expected_external_id: options.expectedExternalId.as_deref(),
            expected_connection_type: options.expectedConnectionType.as_deref(),
        };
        let call = Call::verify_parsed_redirect(&self.config, &redirect, &expectations)
            .map_err(js_error)?;
        Ok(CoreCall::new(call.map(to_json_text), options.signal, None))
    }
}

// What happened since the last action, as js/client.js reports it (the same numbers are there).
const CONTINUE: u32 = 0;
const RESPONSE: u32 = 1;
const TIMEOUT: u32 = 2;
const ABORTED: u32 = 3;
const ABORTED_BEFORE_SEND: u32 = 4;
const NETWORK: u32 = 5;
const TOO_LARGE: u32 = 6;
const NOT_A_RESPONSE: u32 = 7;
const OPAQUE_REDIRECT: u32 = 8;

/// One call in progress: [`step`](CoreCall::step) it with what happened; it answers 0 (send the
/// request its getters describe), 1 (sleep `sleepMs`), 2 (report `output()` to `onProgress`)
/// or 3 (done: `output()` returns the result or throws the `MarkifactError`).
#[wasm_bindgen(skip_typescript)]
pub struct CoreCall {
    call: Call<JsValue>,
    action: Option<Action<JsValue>>,
    signal: JsValue,
    on_progress: JsValue,
}

#[wasm_bindgen]
impl CoreCall {
    // Not inlined: each call's export would have its own copy (72 B gzip in all).
    #[inline(never)]
    fn new(
        call: Call<JsValue>,
        signal: Option<Signal<JsValue>>,
        on_progress: Option<Function<JsValue>>,
    ) -> CoreCall {
        CoreCall {
            call,
            action: None,
            signal: signal.map_or(JsValue::UNDEFINED, |Signal(s)| s),
            on_progress: on_progress.map_or(JsValue::UNDEFINED, |Function(f)| f),
        }
    }

    /// The next action, given the event (one of the constants above; `status`, `retry_after`
    /// and `text` are a response's, `text` also describes a failure), the time and a random
    /// number.
    pub fn step(
        &mut self,
        event: u32,
        status: JsValue,
        retry_after: Option<String>,
        text: Option<String>,
        now: f64,
        random: f64,
    ) -> u32 {
        let sleeping = matches!(self.action, Some(Action::Sleep(_)));
        let text = text.unwrap_or_default();
        let event = match event {
            CONTINUE => Event::Continue,
            RESPONSE => match status
                .as_f64()
                .filter(|s| (0.0..=999.0).contains(s) && s.fract() == 0.0)
            {
                Some(status) => Event::Response(RawResponse {
                    status: status as u16,
                    retry_after,
                    body: text,
                }),
                None => Event::Failed(not_a_response("it has no HTTP status")),
            },
            TIMEOUT => Event::Failed(Error::timeout(concat(&[
                "no complete response within ",
                &decimal(self.request().map_or(0, |r| r.timeout_ms)),
                " ms",
            ]))),
            ABORTED if sleeping => Event::Failed(Error::aborted("aborted while waiting")),
            ABORTED => Event::Failed(Error::aborted("the request was aborted")),
            ABORTED_BEFORE_SEND => {
                Event::Failed(Error::aborted("the request was aborted before it was sent"))
            }
            NETWORK => Event::Failed(Error::network(concat(&["the request failed: ", &text]))),
            TOO_LARGE => Event::Failed(response_too_large(MAX_RESPONSE_BYTES)),
            NOT_A_RESPONSE => Event::Failed(not_a_response(&text)),
            OPAQUE_REDIRECT => Event::Failed(redirect_refused(None)),
            _ => Event::Failed(Error::internal("an unknown event")),
        };
        let action = self.call.step(event, now as u64, random);
        let code = match action {
            Action::Send(_) => 0,
            Action::Sleep(_) => 1,
            Action::Progress(_) => 2,
            Action::Done(_) => 3,
        };
        self.action = Some(action);
        code
    }

    /// The request to send: its method.
    #[wasm_bindgen(getter)]
    pub fn method(&self) -> String {
        self.request().map_or("GET", |r| r.method.as_str()).into()
    }

    /// Its URL.
    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.request().map(|r| r.url.clone()).unwrap_or_default()
    }

    /// Its headers, as `[name, value, name, value, ...]`.
    #[wasm_bindgen(getter)]
    pub fn headers(&self) -> Vec<String> {
        // A loop: `flat_map` and `collect` were 0.3 KB gzip more.
        let mut flat = Vec::new();
        if let Some(request) = self.request() {
            for (name, value) in &request.headers {
                flat.push(name.clone());
                flat.push(value.clone());
            }
        }
        flat
    }

    /// Its body, if any.
    #[wasm_bindgen(getter)]
    pub fn body(&self) -> Option<String> {
        self.request().and_then(|r| r.body.clone())
    }

    /// How long it may take, in ms.
    #[wasm_bindgen(getter, js_name = timeoutMs)]
    pub fn timeout_ms(&self) -> f64 {
        self.request().map_or(0.0, |r| r.timeout_ms as f64)
    }

    /// The most body bytes to read.
    #[wasm_bindgen(getter, js_name = maxBodyBytes)]
    pub fn max_body_bytes(&self) -> f64 {
        self.request().map_or(0.0, |r| r.max_body_bytes as f64)
    }

    /// How long to sleep, in ms.
    #[wasm_bindgen(getter, js_name = sleepMs)]
    pub fn sleep_ms(&self) -> f64 {
        match self.action {
            Some(Action::Sleep(ms)) => ms as f64,
            _ => 0.0,
        }
    }

    /// The caller's `AbortSignal`, if any.
    #[wasm_bindgen(getter)]
    pub fn signal(&self) -> JsValue {
        self.signal.clone()
    }

    /// Who is told each progress (`onPoll`).
    #[wasm_bindgen(getter, js_name = onProgress)]
    pub fn on_progress(&self) -> JsValue {
        self.on_progress.clone()
    }

    /// The progress or the result of the last step, as JSON text; throws the call's
    /// `MarkifactError`.
    pub fn output(&mut self) -> Result<JsValue, JsValue> {
        match self.action.take() {
            Some(Action::Progress(value)) => Ok(value),
            Some(Action::Done(result)) => result.map_err(js_error),
            _ => Err(js_error(Error::internal("the call has no output now"))),
        }
    }
}

impl CoreCall {
    fn request(&self) -> Option<&crate::client::HttpRequest> {
        match &self.action {
            Some(Action::Send(request)) => Some(request),
            _ => None,
        }
    }
}

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    /// The package's `parseRedirect`, on the parser wasm: throws a `MarkifactError`.
    #[wasm_bindgen(js_name = parseRedirect, catch)]
    fn parse_redirect_js(url: &str, options: &JsValue) -> Result<JsValue, JsValue>;
}

/// Parses a redirect for `verifyRedirect` with the parser wasm (every entry has it ready), which
/// keeps a second copy of the redirect parser out of this wasm (3.0 KB gzip, benches/levers.md).
/// Errors keep the field names `verifyRedirect` gives every error.
fn parse_with_parser_wasm(
    url: &str,
    redirect_url: Option<&str>,
) -> Result<RedirectResult, JsValue> {
    let options = Object::new();
    if let Some(redirect_url) = redirect_url {
        let _ = Reflect::set(&options, &"redirectUrl".into(), &redirect_url.into());
    }
    let parsed = parse_redirect_js(url, &options).inspect_err(|error| {
        let field = Reflect::get(error, &"field".into())
            .ok()
            .and_then(|f| f.as_string());
        if let Some((_, js)) = JS_NAMES
            .iter()
            .find(|(core, _)| Some(*core) == field.as_deref())
        {
            let _ = Reflect::set(error, &"field".into(), &(*js).into());
        }
    })?;
    redirect_from_js(&parsed).ok_or_else(|| {
        js_error(Error::new(
            ErrorCode::Internal,
            "the redirect parser returned a result of an unexpected shape",
        ))
    })
}

/// The fields verification reads from `parseRedirect`'s result (not the app parameters).
fn redirect_from_js(parsed: &JsValue) -> Option<RedirectResult> {
    let text = |key: &str| Reflect::get(parsed, &key.into()).ok()?.as_string();
    Some(match text("status")?.as_str() {
        "success" => RedirectResult::Success(RedirectSuccess {
            connection_type: text("connectionType")?,
            connection_id: text("connectionId")?,
            external_id: text("externalId"),
            app_params: Vec::new(),
        }),
        "error" => RedirectResult::Error(RedirectError {
            connection_type: text("connectionType"),
            external_id: text("externalId"),
            error: text("error")?,
            app_params: Vec::new(),
        }),
        _ => return None,
    })
}

fn in_browser() -> bool {
    let global = js_sys::global();
    let defined = |name: &str| Reflect::get(&global, &name.into()).is_ok_and(|v| !v.is_undefined());
    defined("window") && defined("document")
}
