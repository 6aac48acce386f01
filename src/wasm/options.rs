//! Reading JavaScript option objects into the option types of src/js_options.rs: one
//! [`FromOption`] per field type, each naming the option it refuses.

use js_sys::{Array, Function as JsFunction, JsString, Object, Reflect};
use wasm_bindgen::prelude::*;

use super::convert::{js_error, wrong_type};
use crate::js_options::{Count, FromOption, Function, Headers, LookupBy, Signal, Text};
use crate::text::concat;
use crate::{Error, Rule};

/// The option `key` of `options` (a raw identifier's `r#` dropped): `None` when it is
/// `undefined` or `null`, or when `options` itself is.
// Not inlined: once per field of every options type would be kilobytes of wasm.
#[inline(never)]
fn present(options: &JsValue, key: &str) -> Result<Option<JsValue>, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    if !options.is_object() {
        return Err(wrong_type("options", "an object"));
    }
    let key = js_name(key);
    let value = Reflect::get(options, &JsValue::from_str(key))
        .map_err(|_| wrong_type("options", "a readable object"))?;
    Ok((!value.is_undefined() && !value.is_null()).then_some(value))
}

/// A field's JavaScript name: its Rust name without the `r#` of a raw identifier.
fn js_name(field: &str) -> &str {
    field.strip_prefix("r#").unwrap_or(field)
}

/// An optional option that `read` accepts; anything else names what was `expected`.
fn read<T>(
    options: &JsValue,
    key: &'static str,
    read: impl FnOnce(&JsValue) -> Option<T>,
    expected: &str,
) -> Result<Option<T>, JsValue> {
    match present(options, key)? {
        None => Ok(None),
        Some(value) => read(&value)
            .map(Some)
            .ok_or_else(|| wrong_type(js_name(key), expected)),
    }
}

impl FromOption<JsValue> for Option<String> {
    fn from_option(options: &JsValue, key: &'static str) -> Result<Self, JsValue> {
        read(options, key, JsValue::as_string, "a string")
    }
}

impl FromOption<JsValue> for Option<Text> {
    fn from_option(options: &JsValue, key: &'static str) -> Result<Self, JsValue> {
        match present(options, key)? {
            None => Ok(None),
            Some(value) => text(&value, key).map(|t| Some(Text(t))).map_err(js_error),
        }
    }
}

impl FromOption<JsValue> for Text {
    fn from_option(options: &JsValue, key: &'static str) -> Result<Self, JsValue> {
        Option::<Text>::from_option(options, key)?.ok_or_else(|| wrong_type(key, "a string"))
    }
}

impl FromOption<JsValue> for Option<bool> {
    fn from_option(options: &JsValue, key: &'static str) -> Result<Self, JsValue> {
        read(options, key, JsValue::as_bool, "a boolean")
    }
}

impl FromOption<JsValue> for Option<Count> {
    fn from_option(options: &JsValue, key: &'static str) -> Result<Self, JsValue> {
        read(
            options,
            key,
            |v| count(v).map(Count),
            "a non-negative integer",
        )
    }
}

impl FromOption<JsValue> for Option<Function<JsValue>> {
    fn from_option(options: &JsValue, key: &'static str) -> Result<Self, JsValue> {
        let function = |v: &JsValue| {
            v.is_instance_of::<JsFunction>()
                .then(|| Function(v.clone()))
        };
        read(options, key, function, "a function")
    }
}

impl FromOption<JsValue> for Option<Signal<JsValue>> {
    fn from_option(options: &JsValue, key: &'static str) -> Result<Self, JsValue> {
        let signal = |v: &JsValue| {
            let has = |key: &str| Reflect::has(v, &key.into()).unwrap_or(false);
            (v.is_object() && has("aborted") && has("addEventListener")).then(|| Signal(v.clone()))
        };
        read(options, key, signal, "an AbortSignal")
    }
}

impl FromOption<JsValue> for Option<Headers> {
    fn from_option(options: &JsValue, key: &'static str) -> Result<Self, JsValue> {
        let Some(object) = read(
            options,
            key,
            |v| v.is_object().then(|| v.clone()),
            "an object of strings",
        )?
        else {
            return Ok(None);
        };
        let keys = Object::keys(&Object::from(object.clone()));
        let mut headers = Vec::new();
        for name in Array::from(&keys).iter() {
            let value = Reflect::get(&object, &name)
                .ok()
                .and_then(|v| v.as_string())
                .ok_or_else(|| wrong_type(key, "an object of strings"))?;
            headers.push((name.as_string().unwrap_or_default(), value));
        }
        Ok(Some(Headers(headers)))
    }
}

impl FromOption<JsValue> for Option<LookupBy> {
    fn from_option(options: &JsValue, key: &'static str) -> Result<Self, JsValue> {
        match Option::<String>::from_option(options, key)?.as_deref() {
            None => Ok(None),
            Some("id") => Ok(Some(LookupBy::Id)),
            Some("externalId") => Ok(Some(LookupBy::ExternalId)),
            Some(_) => Err(wrong_type(key, "\"id\" or \"externalId\"")),
        }
    }
}

/// A string that must reach Markifact unchanged (an id): a lone surrogate would silently become
/// U+FFFD on the way into Rust, so it is refused instead. URLs need no such check: the URL
/// standard itself replaces lone surrogates, so the normalised URL returned is what gets sent.
pub(super) fn text(value: &JsValue, field: &str) -> Result<String, Error> {
    let Some(text) = value.dyn_ref::<JsString>() else {
        return Err(Error::wrong_type(field, "a string"));
    };
    if !text.is_valid_utf16() {
        return Err(Error::invalid_argument(
            field.to_owned(),
            Rule::InvalidUnicode,
            concat(&[
                field,
                " contains a lone UTF-16 surrogate, which is not valid Unicode text",
            ]),
        ));
    }
    Ok(String::from(text))
}

/// A non-negative integer that is exact in a double.
fn count(value: &JsValue) -> Option<u64> {
    value
        .as_f64()
        .filter(|n| n.is_finite() && *n >= 0.0 && n.fract() == 0.0 && *n <= 9_007_199_254_740_991.0)
        .map(|n| n as u64)
}
