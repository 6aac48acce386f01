//! The JavaScript API: a thin layer over the core that converts arguments, results and errors.
//!
//! Every exported function takes untyped `JsValue`s and checks them, so a wrong argument becomes a
//! coded `MarkifactError` instead of a panic; results cross as one JSON string that is parsed on
//! the JS side (one boundary crossing instead of one per field).

#[cfg(feature = "full")]
mod client;
mod convert;
#[cfg(feature = "full")]
mod fetch;
mod url;

#[cfg(feature = "full")]
pub use client::MarkifactClient;

use js_sys::{Array, JsString, JSON};
use wasm_bindgen::prelude::*;

use crate::ErrorCode;
#[cfg(feature = "full")]
use crate::{RedirectUrlOptions, Rule};
use convert::{js_error, optional, wrong_type, JsResult};
#[cfg(feature = "full")]
use convert::{required_string, required_text};

#[wasm_bindgen]
extern "C" {
    /// `ParseRedirectOptions`: read field by field, so any object works.
    #[wasm_bindgen(typescript_type = "ParseRedirectOptions")]
    pub type ParseRedirectOptionsArg;

    /// `ValidateRedirectUrlOptions`: read field by field, so any object works.
    #[wasm_bindgen(typescript_type = "ValidateRedirectUrlOptions")]
    pub type ValidateRedirectUrlOptionsArg;
}

// The TypeScript declarations of the core types, generated from the Rust types by
// tests/typescript_types.rs (which fails when this file is stale).
#[wasm_bindgen(typescript_custom_section)]
const GENERATED_TYPES: &str = include_str!("types.d.ts");

/// Parses the URL Markifact redirected the user's browser to (e.g. `location.href`).
#[wasm_bindgen(js_name = parseRedirect, unchecked_return_type = "RedirectResult")]
pub fn parse_redirect(
    #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue,
    options: Option<ParseRedirectOptionsArg>,
) -> JsResult {
    let url = url
        .dyn_into::<JsString>()
        .map_err(|_| wrong_type("url", "a string"))?;
    let redirect_url = optional(
        options.as_deref(),
        "redirectUrl",
        |value| value.dyn_ref::<JsString>().cloned(),
        "a string",
    )?;
    let result = crate::parse_redirect_with(&url::Platform, &url, redirect_url.as_ref())
        .map_err(|e| js_error(e.rename_field("redirect_url", "redirectUrl")))?;
    // One string across the boundary, parsed by the engine's JSON parser.
    JSON::parse(&result.to_js_json())
        .map_err(|_| js_error(crate::Error::internal("could not decode a result")))
}

#[cfg(feature = "full")]
/// Checks a `redirect_url` for link creation and returns its normalised form.
#[wasm_bindgen(js_name = validateRedirectUrl)]
pub fn validate_redirect_url(
    #[wasm_bindgen(js_name = redirectUrl, unchecked_param_type = "string")] url: JsValue,
    options: Option<ValidateRedirectUrlOptionsArg>,
) -> Result<String, JsValue> {
    let url = required_string(&url, "redirectUrl")?;
    let options = RedirectUrlOptions {
        allow_insecure_localhost: optional(
            options.as_deref(),
            "allowInsecureLocalhost",
            JsValue::as_bool,
            "a boolean",
        )?
        .unwrap_or(false),
    };
    crate::validate_redirect_url(&url, options)
        .map_err(|e| js_error(e.rename_field("redirect_url", "redirectUrl")))
}

#[cfg(feature = "full")]
/// Checks an `external_id`: 1 to 255 Unicode scalar values.
#[wasm_bindgen(js_name = validateExternalId)]
pub fn validate_external_id(
    #[wasm_bindgen(js_name = externalId, unchecked_param_type = "string")] id: JsValue,
) -> Result<(), JsValue> {
    let id = required_text(&id, "externalId")?;
    crate::validate_external_id(&id)
        .map_err(|e| js_error(e.rename_field("external_id", "externalId")))
}

#[cfg(feature = "full")]
/// Builds the `X-Markifact-Context` header value for these connection ids.
#[wasm_bindgen(js_name = contextHeader)]
pub fn context_header(
    #[wasm_bindgen(js_name = connectionIds, unchecked_param_type = "string[]")]
    connection_ids: JsValue,
) -> Result<String, JsValue> {
    if !Array::is_array(&connection_ids) {
        return Err(js_error(crate::Error::invalid_argument(
            "connectionIds",
            Rule::WrongType,
            "connectionIds must be an array of strings",
        )));
    }
    let ids = Array::from(&connection_ids)
        .iter()
        .enumerate()
        .map(|(index, id)| required_text(&id, &format!("connectionIds[{index}]")))
        .collect::<Result<Vec<String>, JsValue>>()?;
    crate::context_header(&ids)
        .map_err(|e| js_error(e.rename_field("connection_ids", "connectionIds")))
}

/// The stable error codes, for `switch` statements and documentation.
#[wasm_bindgen(js_name = errorCodes, unchecked_return_type = "ErrorCode[]")]
pub fn error_codes() -> Array {
    ErrorCode::ALL
        .iter()
        .map(|code| JsValue::from_str(code.as_str()))
        .collect()
}
