//! Conversions between untyped JavaScript values and the core's types.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::text::concat;
use crate::Error;

#[wasm_bindgen(module = "/js/markifact-error.js")]
extern "C" {
    #[wasm_bindgen(js_name = createMarkifactError)]
    fn create_markifact_error(code: &str, message: &str, details: &Object) -> JsValue;
}

/// The Rust names of fields and options and the JavaScript API's, where they differ: an error
/// reaching JavaScript names the JavaScript ones, in its field and in its message.
pub(super) const JS_NAMES: [(&str, &str); 13] = [
    ("redirect_url", "redirectUrl"),
    ("external_id", "externalId"),
    ("connection_type", "connectionType"),
    ("auth_link_id", "authLinkId"),
    ("connection_ids", "connectionIds"),
    ("connection_id", "connectionId"),
    ("expected_external_id", "expectedExternalId"),
    ("expected_connection_type", "expectedConnectionType"),
    ("allow_insecure_localhost", "allowInsecureLocalhost"),
    ("base_url", "baseUrl"),
    ("api_key", "apiKey"),
    ("timeout_ms", "timeoutMs"),
    ("max_retries", "maxRetries"),
];

/// The core error as a JavaScript `MarkifactError`, in the JavaScript API's names, with every
/// detail the error has.
pub(super) fn js_error(error: Error) -> JsValue {
    let error = JS_NAMES
        .iter()
        .fold(error, |error, (rust, js)| error.rename(rust, js));
    let details = Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&details, &key.into(), &value);
    };
    if let Some(field) = error.field() {
        set("field", field.into());
    }
    if let Some(rule) = error.rule() {
        set("rule", rule.as_str().into());
    }
    if let Some(status) = error.status() {
        set("status", status.into());
    }
    if error.retryable() {
        set("retryable", true.into());
    }
    if let Some(ms) = error.retry_after_ms() {
        set("retryAfterMs", (ms as f64).into());
    }
    if let Some(detail) = error.detail() {
        set("detail", detail.into());
    }
    create_markifact_error(error.code().as_str(), error.message(), &details)
}

/// A result as JSON text, which js/client.js parses (`JSON.parse` there measured smaller than
/// parsing from Rust, see benches/levers.md).
pub(super) fn to_json_text<T: serde::Serialize>(value: T) -> crate::Result<JsValue> {
    json_text(crate::json::to_string(&value))
}

/// The part of [`to_json_text`] that is the same for every type: not inlined into each copy.
#[inline(never)]
fn json_text(json: Result<String, crate::json::Error>) -> crate::Result<JsValue> {
    json.map(|json| JsValue::from_str(&json))
        .map_err(|e| Error::internal(concat(&["could not encode a result: ", &e.text()])))
}

pub(super) fn required_string(value: &JsValue, field: &'static str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| wrong_type(field, "a string"))
}

pub(super) fn wrong_type(field: &str, expected: &str) -> JsValue {
    js_error(Error::wrong_type(field, expected))
}
