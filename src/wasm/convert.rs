//! Conversions between untyped JavaScript values and the core's types.

use js_sys::{JsString, Object, Reflect, JSON};
use wasm_bindgen::prelude::*;

use crate::{Error, Rule};

#[wasm_bindgen(module = "/js/markifact-error.js")]
extern "C" {
    #[wasm_bindgen(js_name = createMarkifactError)]
    fn create_markifact_error(code: &str, message: &str, details: &Object) -> JsValue;
}

/// The core error as a JavaScript `MarkifactError`, with every detail the error has.
pub(super) fn js_error(error: Error) -> JsValue {
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

/// A result as a plain JavaScript object, through one JSON string.
pub(super) fn to_js<T: serde::Serialize>(value: T) -> crate::Result<JsValue> {
    let json = crate::json::to_string(&value)
        .map_err(|e| Error::internal(format!("could not encode a result: {e}")))?;
    JSON::parse(&json).map_err(|_| Error::internal("could not decode a result"))
}

pub(super) fn required_string(value: &JsValue, field: &'static str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| wrong_type(field, "a string"))
}

/// A string that must reach Markifact unchanged (an id): a lone surrogate would silently become
/// U+FFFD on the way into Rust, so it is refused instead. URLs need no such check: the URL
/// standard itself replaces lone surrogates, so the normalised URL returned is what gets sent.
pub(super) fn required_text(value: &JsValue, field: &str) -> Result<String, JsValue> {
    let Some(text) = value.dyn_ref::<JsString>() else {
        return Err(wrong_type(field, "a string"));
    };
    if !text.is_valid_utf16() {
        return Err(js_error(Error::invalid_argument(
            field.to_owned(),
            Rule::InvalidUnicode,
            format!("{field} contains a lone UTF-16 surrogate, which is not valid Unicode text"),
        )));
    }
    Ok(String::from(text))
}

fn option(options: Option<&JsValue>, key: &'static str) -> Result<JsValue, JsValue> {
    match options {
        None => Ok(JsValue::UNDEFINED),
        Some(options) if options.is_undefined() || options.is_null() => Ok(JsValue::UNDEFINED),
        Some(options) if !options.is_object() => Err(wrong_type("options", "an object")),
        Some(options) => Reflect::get(options, &JsValue::from_str(key))
            .map_err(|_| wrong_type("options", "a readable object")),
    }
}

/// An optional option: `undefined` or `null` is absent, a value `read` accepts is present,
/// anything else is an error naming what was `expected`.
pub(super) fn optional<T>(
    options: Option<&JsValue>,
    key: &'static str,
    read: impl FnOnce(&JsValue) -> Option<T>,
    expected: &str,
) -> Result<Option<T>, JsValue> {
    let value = option(options, key)?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    read(&value)
        .map(Some)
        .ok_or_else(|| wrong_type(key, expected))
}

pub(super) fn wrong_type(field: &str, expected: &str) -> JsValue {
    js_error(Error::wrong_type(field, expected))
}
