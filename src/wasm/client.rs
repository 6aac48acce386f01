//! `MarkifactClient`: the core's sans-IO client driven by `fetch`.
//!
//! Every method returns a Promise and reports every failure, argument errors included, as a
//! rejected `MarkifactError`: an async API that sometimes throws synchronously is a trap.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::convert::{js_error, optional, required_text, to_js, wrong_type};
use super::fetch::{FetchRuntime, Signal};
use crate::client::verify::VerifyExpectations;
use crate::client::{Client, ClientConfig, ClientSettings, CreateAuthLink, LookupBy};
use crate::redirect::{RedirectError, RedirectSuccess};
use crate::{Error, ErrorCode, RedirectResult, Rule};

// The options objects of the client take JavaScript values (functions, signals) that have no
// Rust type, so their declarations are written here, once. `AbortSignal` and `fetch` are the
// platform's own types where the project has them (DOM lib, @types/node) and structural
// stand-ins otherwise, so a server project with `lib: ["es2022"]` compiles too.
#[wasm_bindgen(typescript_custom_section)]
const CLIENT_OPTION_TYPES: &str = r#"
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
  fetch?: (input: string, init: FetchInit) => PromiseLike<FetchResponse>;
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
export interface CallOptions { signal?: AbortSignalLike }
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
    client: Client,
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
                client: Client::new(config),
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
        let params = JsValue::from(params);
        self.call(options.map(JsValue::from), move |inner, rt, _| async move {
            let text = |key| -> Result<Option<String>, JsValue> {
                match optional(Some(&params), key, |v| Some(v.clone()), "")? {
                    None => Ok(None),
                    Some(value) => required_text(&value, key).map(Some),
                }
            };
            let link = CreateAuthLink {
                connection_type: text("connectionType")?
                    .ok_or_else(|| wrong_type("connectionType", "a string"))?,
                redirect_url: text("redirectUrl")?,
                external_id: text("externalId")?,
                is_private: optional(Some(&params), "isPrivate", JsValue::as_bool, "a boolean")?,
            };
            let created = inner
                .client
                .create_auth_link(&rt, &link)
                .await
                .map_err(js_api_error)?;
            if let Some(on_warning) = &inner.on_warning {
                for warning in &created.warnings {
                    let _ = on_warning.call1(&JsValue::UNDEFINED, &JsValue::from_str(warning));
                }
            }
            to_js(&created)
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
        self.call(options.map(JsValue::from), move |inner, rt, _| async move {
            let id = required_text(&auth_link_id, "authLinkId")?;
            to_js(
                &inner
                    .client
                    .get_auth_link_status(&rt, &id)
                    .await
                    .map_err(js_api_error)?,
            )
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
        self.call(
            options.map(JsValue::from),
            move |inner, rt, options| async move {
                let id = required_text(&auth_link_id, "authLinkId")?;
                let options = options.as_ref();
                let timeout = optional(options, "timeoutMs", as_count, "a non-negative integer")?
                    .unwrap_or(DEFAULT_WAIT_MS);
                let on_poll = optional(options, "onPoll", as_function, "a function")?;
                let report = |status: &crate::models::AuthLinkStatus| {
                    if let (Some(on_poll), Ok(json)) = (&on_poll, to_js(status)) {
                        let _ = on_poll.call1(&JsValue::UNDEFINED, &json);
                    }
                };
                let status = inner
                    .client
                    .wait_for_auth_link(&rt, &id, timeout, report)
                    .await;
                to_js(&status.map_err(js_api_error)?)
            },
        )
    }

    /// Lists the connections the key can see, optionally filtered (AND).
    #[wasm_bindgen(js_name = listConnections, unchecked_return_type = "Promise<Connection[]>")]
    pub fn list_connections(&self, options: Option<ListOptionsArg>) -> Promise {
        self.call(
            options.map(JsValue::from),
            move |inner, rt, options| async move {
                let external_id = optional(
                    options.as_ref(),
                    "externalId",
                    JsValue::as_string,
                    "a string",
                )?;
                let connection_type =
                    optional(options.as_ref(), "type", JsValue::as_string, "a string")?;
                let found = inner
                    .client
                    .list_connections(&rt, external_id.as_deref(), connection_type.as_deref())
                    .await;
                to_js(&found.map_err(js_api_error)?)
            },
        )
    }

    /// Looks connections up by Markifact id or by your external id; always an array.
    #[wasm_bindgen(js_name = getConnection, unchecked_return_type = "Promise<Connection[]>")]
    pub fn get_connection(
        &self,
        #[wasm_bindgen(js_name = idOrExternalId, unchecked_param_type = "string")] id: JsValue,
        options: Option<GetOptionsArg>,
    ) -> Promise {
        self.call(
            options.map(JsValue::from),
            move |inner, rt, options| async move {
                let id = required_text(&id, "idOrExternalId")?;
                let lookup_by =
                    match optional(options.as_ref(), "lookupBy", JsValue::as_string, "a string")?
                        .as_deref()
                    {
                        None | Some("id") => LookupBy::Id,
                        Some("externalId") => LookupBy::ExternalId,
                        Some(_) => return Err(wrong_type("lookupBy", "\"id\" or \"externalId\"")),
                    };
                let found = inner
                    .client
                    .get_connection(&rt, &id, lookup_by)
                    .await
                    .map_err(|e| {
                        js_api_error(
                            e.rename_field("id", "idOrExternalId")
                                .rename_field("external_id", "idOrExternalId"),
                        )
                    });
                to_js(&found?)
            },
        )
    }

    /// Deletes a connection by Markifact id (never retried); resolves with the deleted connection.
    #[wasm_bindgen(js_name = deleteConnection, unchecked_return_type = "Promise<Connection>")]
    pub fn delete_connection(
        &self,
        #[wasm_bindgen(js_name = connectionId, unchecked_param_type = "string")] id: JsValue,
        options: Option<CallOptionsArg>,
    ) -> Promise {
        self.call(options.map(JsValue::from), move |inner, rt, _| async move {
            let id = required_text(&id, "connectionId")?;
            to_js(
                &inner
                    .client
                    .delete_connection(&rt, &id)
                    .await
                    .map_err(js_api_error)?,
            )
        })
    }

    /// The connection types Markifact offers.
    #[wasm_bindgen(js_name = listConnectionTypes, unchecked_return_type = "Promise<ConnectionType[]>")]
    pub fn list_connection_types(&self, options: Option<CallOptionsArg>) -> Promise {
        self.call(options.map(JsValue::from), move |inner, rt, _| async move {
            to_js(
                &inner
                    .client
                    .list_connection_types(&rt)
                    .await
                    .map_err(js_api_error)?,
            )
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
        self.call(
            options.map(JsValue::from),
            move |inner, rt, options| async move {
                let url = url
                    .as_string()
                    .ok_or_else(|| wrong_type("url", "a string"))?;
                let get = |key| optional(options.as_ref(), key, JsValue::as_string, "a string");
                let (auth_link_id, external_id, connection_type, redirect_url) = (
                    get("authLinkId")?,
                    get("expectedExternalId")?,
                    get("expectedConnectionType")?,
                    get("redirectUrl")?,
                );
                let redirect = parse_with_parser_wasm(&url, redirect_url.as_deref())?;
                let expectations = VerifyExpectations {
                    auth_link_id: auth_link_id.as_deref(),
                    expected_external_id: external_id.as_deref(),
                    expected_connection_type: connection_type.as_deref(),
                };
                to_js(
                    &inner
                        .client
                        .verify_parsed_redirect(&rt, &redirect, &expectations)
                        .await
                        .map_err(js_api_error)?,
                )
            },
        )
    }
}

impl MarkifactClient {
    /// Runs a method body as a Promise, with the call's runtime (its `signal`) and options.
    fn call<F, Fut>(&self, options: Option<JsValue>, body: F) -> Promise
    where
        F: FnOnce(Rc<Inner>, FetchRuntime, Option<JsValue>) -> Fut + 'static,
        Fut: Future<Output = Result<JsValue, JsValue>> + 'static,
    {
        let inner = self.inner.clone();
        // Boxed, so the Promise and task machinery is compiled once rather than once per method.
        let task: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>> = Box::pin(async move {
            let signal = optional(options.as_ref(), "signal", as_signal, "an AbortSignal")?;
            let rt = FetchRuntime {
                fetch: inner.fetch.clone(),
                signal,
            };
            body(inner, rt, options).await
        });
        future_to_promise(task)
    }
}

/// The core's field names and the JS API's.
const JS_FIELD_NAMES: [(&str, &str); 7] = [
    ("redirect_url", "redirectUrl"),
    ("external_id", "externalId"),
    ("connection_type", "connectionType"),
    ("auth_link_id", "authLinkId"),
    ("connection_id", "connectionId"),
    ("expected_external_id", "expectedExternalId"),
    ("expected_connection_type", "expectedConnectionType"),
];

/// A core error as JavaScript, with the argument names of the JS API.
fn js_api_error(error: Error) -> JsValue {
    let renamed = JS_FIELD_NAMES
        .iter()
        .fold(error, |error, (core, js)| error.rename_field(core, js));
    js_error(renamed)
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
        if let Some((_, js)) = JS_FIELD_NAMES
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
