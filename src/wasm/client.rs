//! `MarkifactClient`: the core's sans-IO client driven by `fetch`.
//!
//! Every method returns a Promise and reports every failure, argument errors included, as a
//! rejected `MarkifactError`: an async API that sometimes throws synchronously is a trap.

use std::future::Future;
use std::rc::Rc;

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::convert::{js_error, optional, required_text, to_js, wrong_type};
use super::fetch::{self, RawResponse, Signal};
use crate::client::verify::{self, VerifyExpectations, VerifyPlan};
use crate::client::{external_id_warnings, redirect_url_warnings};
use crate::client::{
    request, response, ClientConfig, ClientSettings, Failure, HttpResponse, LookupBy, PollPolicy,
    PollStep, Request,
};
use crate::models::{AuthLink, AuthLinkStatus, CreateAuthLinkRequest};
use crate::{Error, ErrorCode, ParseOptions, RedirectUrlOptions, Rule};

// The options objects of the client take JavaScript values (functions, signals) that have no
// Rust type, so their declarations are written here, once.
#[wasm_bindgen(typescript_custom_section)]
const CLIENT_OPTION_TYPES: &str = r#"
/** Options of `new MarkifactClient()`. */
export interface MarkifactClientOptions {
  /** The secret API key (server-side only). Leave it out when `baseUrl` is your own proxy. */
  apiKey?: string;
  /** Default `https://api.markifact.com`; `http://127.0.0.1:8787` for the sandbox; a path such as `/api/markifact` for your own proxy (no `apiKey` then). */
  baseUrl?: string;
  /** Per attempt, in ms (default 30000). */
  timeoutMs?: number;
  /** Automatic retries of GET requests (default 2). POST and DELETE are never retried. */
  maxRetries?: number;
  /** The `fetch` to use (default: the global one). */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Extra headers for every request (they cannot replace `authorization` or `content-type`). */
  headers?: Record<string, string>;
  /** Construct with `apiKey` in a browser anyway. The key is then visible to every user of the page. */
  dangerouslyAllowBrowser?: boolean;
  /** Accept `http://localhost` redirect URLs (for the sandbox). */
  allowInsecureLocalhost?: boolean;
  /** Called with each warning about link-creation inputs (also returned in `warnings`). */
  onWarning?: (warning: string) => void;
}
/** Options every method takes. */
export interface CallOptions { signal?: AbortSignal }
export interface CreateAuthLinkParams {
  connectionType: string;
  redirectUrl?: string;
  externalId?: string;
  isPrivate?: boolean;
}
export interface WaitForAuthLinkOptions extends CallOptions {
  /** Give up after this many ms (default 600000), with a `timeout` error. */
  timeoutMs?: number;
  /** Called with each status read while waiting. */
  onPoll?: (status: AuthLinkStatus) => void;
}
export interface ListConnectionsOptions extends CallOptions { externalId?: string; type?: string }
export interface GetConnectionOptions extends CallOptions { lookupBy?: "id" | "externalId" }
export interface VerifyRedirectOptions extends CallOptions {
  /** The auth link the redirect belongs to: the strongest check. */
  authLinkId?: string;
  /** Your id for the user; required without `authLinkId`. */
  expectedExternalId?: string;
  expectedConnectionType?: string;
  /** The `redirectUrl` given at link creation, for an exact parse. */
  redirectUrl?: string;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "MarkifactClientOptions")]
    pub type ClientOptionsArg;
    #[wasm_bindgen(typescript_type = "CallOptions")]
    pub type CallOptionsArg;
    #[wasm_bindgen(typescript_type = "CreateAuthLinkParams")]
    pub type CreateAuthLinkParamsArg;
    #[wasm_bindgen(typescript_type = "WaitForAuthLinkOptions")]
    pub type WaitOptionsArg;
    #[wasm_bindgen(typescript_type = "ListConnectionsOptions")]
    pub type ListOptionsArg;
    #[wasm_bindgen(typescript_type = "GetConnectionOptions")]
    pub type GetOptionsArg;
    #[wasm_bindgen(typescript_type = "VerifyRedirectOptions")]
    pub type VerifyOptionsArg;
}

/// How long `waitForAuthLink` waits by default: 10 minutes.
const DEFAULT_WAIT_MS: u64 = 600_000;

struct Inner {
    config: ClientConfig,
    fetch: Function,
    on_warning: Option<Function>,
}

/// A client for the Markifact Connections API. Construct it server-side with the secret API key,
/// or anywhere with `baseUrl` pointing at your own proxy.
#[wasm_bindgen]
pub struct MarkifactClient {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl MarkifactClient {
    /// Checks the options; throws `invalid_request`, or `browser_key_refused` for an `apiKey` in
    /// a browser without `dangerouslyAllowBrowser`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<ClientOptionsArg>) -> Result<MarkifactClient, JsValue> {
        let options = options.as_deref();
        let string = |key| optional(options, key, JsValue::as_string, "a string");
        let flag = |key| optional(options, key, JsValue::as_bool, "a boolean");
        let api_key = string("apiKey")?;
        if api_key.is_some() && in_browser() && !flag("dangerouslyAllowBrowser")?.unwrap_or(false) {
            return Err(js_error(Error::new(
                ErrorCode::BrowserKeyRefused,
                "refusing to use an API key in a browser, where every user of the page can read it; \
                 call Markifact from your server (or give baseUrl your own proxy and no apiKey), or \
                 pass dangerouslyAllowBrowser: true if you really mean it",
            )));
        }
        let settings = ClientSettings {
            api_key,
            base_url: string("baseUrl")?,
            timeout_ms: optional(options, "timeoutMs", as_count, "a non-negative integer")?,
            max_retries: optional(options, "maxRetries", as_count, "a non-negative integer")?
                .map(|n| n.min(u64::from(u32::MAX)) as u32),
            headers: headers(options)?,
            allow_insecure_localhost: flag("allowInsecureLocalhost")?.unwrap_or(false),
        };
        let config = ClientConfig::new(settings).map_err(|e| {
            js_error(
                e.rename_field("api_key", "apiKey")
                    .rename_field("base_url", "baseUrl"),
            )
        })?;
        let fetch = match optional(options, "fetch", as_function, "a function")? {
            Some(fetch) => fetch,
            None => Reflect::get(&js_sys::global(), &"fetch".into())
                .ok()
                .and_then(|f| as_function(&f))
                .ok_or_else(|| {
                    js_error(Error::invalid_argument(
                        "fetch",
                        Rule::WrongType,
                        "this runtime has no global fetch; pass options.fetch",
                    ))
                })?,
        };
        let on_warning = optional(options, "onWarning", as_function, "a function")?;
        Ok(MarkifactClient {
            inner: Rc::new(Inner {
                config,
                fetch,
                on_warning,
            }),
        })
    }

    /// Creates an auth link, after validating every input locally.
    #[wasm_bindgen(js_name = createAuthLink, unchecked_return_type = "Promise<AuthLink>")]
    pub fn create_auth_link(
        &self,
        params: CreateAuthLinkParamsArg,
        options: Option<CallOptionsArg>,
    ) -> Promise {
        let (inner, params) = (self.inner.clone(), JsValue::from(params));
        run(options.map(JsValue::from), move |signal| async move {
            let text = |key, field: &'static str| -> Result<Option<String>, JsValue> {
                match optional(Some(&params), key, |v| Some(v.clone()), "")? {
                    None => Ok(None),
                    Some(value) => required_text(&value, field).map(Some),
                }
            };
            let body = CreateAuthLinkRequest {
                connection_type: text("connectionType", "connectionType")?
                    .ok_or_else(|| wrong_type("connectionType", "a string"))?,
                redirect_url: text("redirectUrl", "redirectUrl")?,
                external_id: text("externalId", "externalId")?,
                is_private: optional(Some(&params), "isPrivate", JsValue::as_bool, "a boolean")?,
            };
            let url_options = RedirectUrlOptions {
                allow_insecure_localhost: inner.config.allow_insecure_localhost(),
            };
            let request =
                request::create_auth_link(&body, url_options).map_err(|e| inner.error(e))?;
            let mut warnings = body
                .external_id
                .as_deref()
                .map(external_id_warnings)
                .unwrap_or_default();
            warnings.extend(
                body.redirect_url
                    .as_deref()
                    .map(redirect_url_warnings)
                    .unwrap_or_default(),
            );
            if let Some(on_warning) = &inner.on_warning {
                for warning in &warnings {
                    let _ = on_warning.call1(&JsValue::UNDEFINED, &JsValue::from_str(warning));
                }
            }
            let raw = inner.execute(&request, signal.as_ref()).await?;
            let created = response::create_auth_link(&raw.view()).map_err(|e| inner.error(e))?;
            to_js(&AuthLink {
                id: created.id,
                url: created.url,
                expires_at: created.expires_at,
                warnings,
            })
        })
    }

    /// Reads an auth link's status.
    #[wasm_bindgen(js_name = getAuthLinkStatus, unchecked_return_type = "Promise<AuthLinkStatus>")]
    pub fn get_auth_link_status(
        &self,
        #[wasm_bindgen(js_name = authLinkId, unchecked_param_type = "string")]
        auth_link_id: JsValue,
        options: Option<CallOptionsArg>,
    ) -> Promise {
        let inner = self.inner.clone();
        run(options.map(JsValue::from), move |signal| async move {
            let id = required_text(&auth_link_id, "authLinkId")?;
            to_js(&inner.status(&id, signal.as_ref()).await?)
        })
    }

    /// Polls an auth link until it is `connected` or `expired`, with backoff and jitter.
    #[wasm_bindgen(js_name = waitForAuthLink, unchecked_return_type = "Promise<AuthLinkStatus>")]
    pub fn wait_for_auth_link(
        &self,
        #[wasm_bindgen(js_name = authLinkId, unchecked_param_type = "string")]
        auth_link_id: JsValue,
        options: Option<WaitOptionsArg>,
    ) -> Promise {
        let inner = self.inner.clone();
        let options = options.map(JsValue::from);
        let settings = options.clone();
        run(options, move |signal| async move {
            let id = required_text(&auth_link_id, "authLinkId")?;
            let settings = settings.as_ref();
            let timeout = optional(settings, "timeoutMs", as_count, "a non-negative integer")?
                .unwrap_or(DEFAULT_WAIT_MS);
            let on_poll = optional(settings, "onPoll", as_function, "a function")?;
            inner.wait(&id, timeout, on_poll, signal.as_ref()).await
        })
    }

    /// Lists the connections the key can see, optionally filtered (AND).
    #[wasm_bindgen(js_name = listConnections, unchecked_return_type = "Promise<Connection[]>")]
    pub fn list_connections(&self, options: Option<ListOptionsArg>) -> Promise {
        let inner = self.inner.clone();
        let options = options.map(JsValue::from);
        let filter = options.clone();
        run(options, move |signal| async move {
            let external_id = optional(
                filter.as_ref(),
                "externalId",
                JsValue::as_string,
                "a string",
            )?;
            let connection_type =
                optional(filter.as_ref(), "type", JsValue::as_string, "a string")?;
            let request =
                request::list_connections(external_id.as_deref(), connection_type.as_deref())
                    .map_err(|e| inner.error(e))?;
            let raw = inner.execute(&request, signal.as_ref()).await?;
            to_js(&response::list_connections(&raw.view()).map_err(|e| inner.error(e))?)
        })
    }

    /// Looks connections up by Markifact id or by your external id; always an array.
    #[wasm_bindgen(js_name = getConnection, unchecked_return_type = "Promise<Connection[]>")]
    pub fn get_connection(
        &self,
        #[wasm_bindgen(js_name = idOrExternalId, unchecked_param_type = "string")] id: JsValue,
        options: Option<GetOptionsArg>,
    ) -> Promise {
        let inner = self.inner.clone();
        let options = options.map(JsValue::from);
        let settings = options.clone();
        run(options, move |signal| async move {
            let id = required_text(&id, "idOrExternalId")?;
            let lookup_by = match optional(
                settings.as_ref(),
                "lookupBy",
                JsValue::as_string,
                "a string",
            )?
            .as_deref()
            {
                None | Some("id") => LookupBy::Id,
                Some("externalId") => LookupBy::ExternalId,
                Some(_) => return Err(wrong_type("lookupBy", "\"id\" or \"externalId\"")),
            };
            let request = request::get_connection(&id, lookup_by).map_err(|e| inner.error(e))?;
            let raw = inner.execute(&request, signal.as_ref()).await?;
            to_js(&response::get_connection(&raw.view()).map_err(|e| inner.error(e))?)
        })
    }

    /// Deletes a connection by Markifact id (never retried); resolves with the deleted connection.
    #[wasm_bindgen(js_name = deleteConnection, unchecked_return_type = "Promise<Connection>")]
    pub fn delete_connection(
        &self,
        #[wasm_bindgen(js_name = connectionId, unchecked_param_type = "string")] id: JsValue,
        options: Option<CallOptionsArg>,
    ) -> Promise {
        let inner = self.inner.clone();
        run(options.map(JsValue::from), move |signal| async move {
            let id = required_text(&id, "connectionId")?;
            let request = request::delete_connection(&id).map_err(|e| inner.error(e))?;
            let raw = inner.execute(&request, signal.as_ref()).await?;
            to_js(&response::delete_connection(&raw.view()).map_err(|e| inner.error(e))?)
        })
    }

    /// The connection types Markifact offers.
    #[wasm_bindgen(js_name = listConnectionTypes, unchecked_return_type = "Promise<ConnectionType[]>")]
    pub fn list_connection_types(&self, options: Option<CallOptionsArg>) -> Promise {
        let inner = self.inner.clone();
        run(options.map(JsValue::from), move |signal| async move {
            let raw = inner
                .execute(&request::list_connection_types(), signal.as_ref())
                .await?;
            to_js(&response::connection_types(&raw.view()).map_err(|e| inner.error(e))?)
        })
    }

    /// The server-side truth check of a redirect: parses it, then confirms with the API that the
    /// link is connected and that connection, type and external id all match. Resolves with the
    /// verified connection; rejects with `verification_failed` (or `connection_failed` for an
    /// error redirect).
    #[wasm_bindgen(js_name = verifyRedirect, unchecked_return_type = "Promise<Connection>")]
    pub fn verify_redirect(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue,
        options: Option<VerifyOptionsArg>,
    ) -> Promise {
        let inner = self.inner.clone();
        let options = options.map(JsValue::from);
        let settings = options.clone();
        run(options, move |signal| async move {
            let url = url
                .as_string()
                .ok_or_else(|| wrong_type("url", "a string"))?;
            let get = |key| optional(settings.as_ref(), key, JsValue::as_string, "a string");
            let (auth_link_id, external_id, connection_type, redirect_url) = (
                get("authLinkId")?,
                get("expectedExternalId")?,
                get("expectedConnectionType")?,
                get("redirectUrl")?,
            );
            let parse_options = ParseOptions {
                redirect_url: redirect_url.as_deref(),
            };
            let redirect = crate::parse_redirect(&url, parse_options)
                .map_err(|e| inner.error(e.rename_field("redirect_url", "redirectUrl")))?;
            let expectations = VerifyExpectations {
                auth_link_id: auth_link_id.as_deref(),
                expected_external_id: external_id.as_deref(),
                expected_connection_type: connection_type.as_deref(),
            };
            let verified = match verify::plan_verification(&redirect, &expectations)
                .map_err(|e| inner.error(e))?
            {
                VerifyPlan::AuthLinkStatus { redirect, request } => {
                    let raw = inner.execute(&request, signal.as_ref()).await?;
                    let status = response::auth_link_status(&raw.view())
                        .map_err(|e| inner.error(verify::not_found_as_verification_failure(e)))?;
                    verify::verify_with_status(redirect, &status, &expectations)
                }
                VerifyPlan::ConnectionLookup { redirect, request } => {
                    let raw = inner.execute(&request, signal.as_ref()).await?;
                    let found = response::get_connection(&raw.view())
                        .map_err(|e| inner.error(verify::not_found_as_verification_failure(e)))?;
                    verify::verify_with_connections(redirect, &found, &expectations)
                }
            };
            to_js(&verified.map_err(|e| inner.error(e))?)
        })
    }
}

impl Inner {
    /// The error as JavaScript, with the key scrubbed from it.
    fn error(&self, error: Error) -> JsValue {
        js_error(self.config.redact(error))
    }

    /// Sends a request, repeating GETs that failed transiently as the retry policy says. The
    /// returned response may still be an error status, for the endpoint's interpreter to report.
    async fn execute(
        &self,
        request: &Request,
        signal: Option<&Signal>,
    ) -> Result<RawResponse, JsValue> {
        let mut attempt = 0;
        loop {
            let outcome = fetch::send(&self.config, &self.fetch, request, signal).await;
            let failure = match &outcome {
                Ok(raw) if raw.view().is_success() => None,
                Ok(raw) => Failure::from_error(&response::error(&raw.view())),
                Err(error) => Failure::from_error(error),
            };
            let delay = failure.and_then(|failure| {
                let random = js_sys::Math::random();
                self.config
                    .retry()
                    .next_delay(attempt, request.method, &failure, random)
            });
            match delay {
                None => return outcome.map_err(|e| self.error(e)),
                Some(delay) => fetch::sleep(delay, signal)
                    .await
                    .map_err(|e| self.error(e))?,
            }
            attempt += 1;
        }
    }

    async fn status(&self, id: &str, signal: Option<&Signal>) -> Result<AuthLinkStatus, JsValue> {
        let request = request::auth_link_status(id).map_err(|e| self.error(e))?;
        let raw = self.execute(&request, signal).await?;
        response::auth_link_status(&raw.view()).map_err(|e| self.error(e))
    }

    async fn wait(
        &self,
        id: &str,
        timeout_ms: u64,
        on_poll: Option<Function>,
        signal: Option<&Signal>,
    ) -> Result<JsValue, JsValue> {
        let policy = PollPolicy::default();
        let deadline = now_ms().saturating_add(timeout_ms);
        let request = request::auth_link_status(id).map_err(|e| self.error(e))?;
        let (mut attempt, mut expires_at, mut last) = (0u32, None, None);
        loop {
            attempt += 1;
            let polled = match fetch::send(&self.config, &self.fetch, &request, signal).await {
                Ok(raw) => response::auth_link_status(&raw.view()),
                Err(error) => Err(error),
            };
            let (state, retry_after) = match polled {
                Ok(status) => {
                    let json = to_js(&status)?;
                    if let Some(on_poll) = &on_poll {
                        let _ = on_poll.call1(&JsValue::UNDEFINED, &json);
                    }
                    expires_at = u64::try_from(status.expires_at).ok();
                    last = Some((status.status, json));
                    (last.as_ref().map(|(state, _)| *state), None)
                }
                // Transient failures only slow the polling down; others end it.
                Err(error) if error.retryable() => (None, error.retry_after_ms()),
                Err(error) => return Err(self.error(error)),
            };
            let random = js_sys::Math::random();
            match policy.next(
                state,
                retry_after,
                attempt,
                now_ms(),
                deadline,
                expires_at,
                random,
            ) {
                PollStep::Done => {
                    return Ok(last.map(|(_, json)| json).unwrap_or(JsValue::UNDEFINED))
                }
                PollStep::Wait(ms) => fetch::sleep(ms, signal).await.map_err(|e| self.error(e))?,
                PollStep::TimedOut => {
                    let state = last.map_or("unknown".into(), |(state, _)| {
                        format!("{state:?}").to_lowercase()
                    });
                    return Err(self.error(Error::timeout(format!(
                        "waitForAuthLink gave up after {timeout_ms} ms; the link is still {state}"
                    ))));
                }
            }
        }
    }
}

impl RawResponse {
    fn view(&self) -> HttpResponse<'_> {
        HttpResponse::new(self.status, &self.body)
            .with_retry_after(self.retry_after.as_deref())
            .with_now_ms(now_ms())
    }
}

/// Runs an async method body as a Promise, with the call's `signal` read first.
fn run<F, Fut>(options: Option<JsValue>, body: F) -> Promise
where
    F: FnOnce(Option<Signal>) -> Fut + 'static,
    Fut: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    future_to_promise(async move {
        let signal = optional(options.as_ref(), "signal", as_signal, "an AbortSignal")?;
        body(signal).await
    })
}

fn in_browser() -> bool {
    let global = js_sys::global();
    let defined = |name: &str| Reflect::get(&global, &name.into()).is_ok_and(|v| !v.is_undefined());
    defined("window") && defined("document")
}

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

fn as_count(value: &JsValue) -> Option<u64> {
    value
        .as_f64()
        .filter(|n| n.is_finite() && *n >= 0.0 && n.fract() == 0.0 && *n <= 9_007_199_254_740_991.0)
        .map(|n| n as u64)
}

fn as_function(value: &JsValue) -> Option<Function> {
    value.dyn_ref::<Function>().cloned()
}

fn as_signal(value: &JsValue) -> Option<Signal> {
    let has = |key: &str| Reflect::has(value, &key.into()).unwrap_or(false);
    (value.is_object() && has("aborted") && has("addEventListener"))
        .then(|| Signal::new(value.clone()))
}

fn headers(options: Option<&JsValue>) -> Result<Vec<(String, String)>, JsValue> {
    let Some(object) = optional(
        options,
        "headers",
        |v| v.is_object().then(|| v.clone()),
        "an object of strings",
    )?
    else {
        return Ok(Vec::new());
    };
    let keys = js_sys::Object::keys(&js_sys::Object::from(object.clone()));
    Array::from(&keys)
        .iter()
        .map(|key| {
            let name = key.as_string().unwrap_or_default();
            let value = Reflect::get(&object, &key).ok().and_then(|v| v.as_string());
            value
                .map(|v| (name, v))
                .ok_or_else(|| wrong_type("headers", "an object of strings"))
        })
        .collect()
}
