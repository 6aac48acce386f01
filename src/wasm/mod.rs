//! The JavaScript API of the main wasm: a thin layer over the core that converts arguments,
//! results and errors. (`parseRedirect` and `errorCodes` come from the small parser wasm, see
//! src/parser_abi/, in every entry of the package; `verifyRedirect` parses with it too.)
//!
//! Every exported function takes untyped `JsValue`s and checks them, so a wrong argument becomes a
//! coded `MarkifactError` instead of a panic; results cross as one JSON string that is parsed on
//! the JS side (one boundary crossing instead of one per field).

mod client;
mod convert;
mod options;
mod url;

pub use client::{ClientCore, CoreCall};

// Talc instead of std's dlmalloc: 1.8 KB gzip smaller (benches/levers.md). It assumes a single
// thread, so a build with shared-memory threads keeps dlmalloc.
#[cfg(not(target_feature = "atomics"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::js_options::FromOption;
use crate::text::{concat, decimal};
use crate::{RedirectUrlOptions, Rule};
use convert::{js_error, required_string};

#[wasm_bindgen]
extern "C" {
    /// `ValidateRedirectUrlOptions`: read field by field, so any object works.
    #[wasm_bindgen(typescript_type = "ValidateRedirectUrlOptions")]
    pub type ValidateRedirectUrlOptionsArg;
}

// The TypeScript declarations of the core types, generated from the Rust types by
// tests/typescript_types.rs (which fails when this file is stale).
#[wasm_bindgen(typescript_custom_section)]
const GENERATED_TYPES: &str = include_str!("types.d.ts");

/// Checks a `redirect_url` for link creation and returns its normalised form.
#[wasm_bindgen(js_name = validateRedirectUrl)]
pub fn validate_redirect_url(
    #[wasm_bindgen(js_name = redirectUrl, unchecked_param_type = "string")] url: JsValue,
    options: Option<ValidateRedirectUrlOptionsArg>,
) -> Result<String, JsValue> {
    url::install();
    let url = required_string(&url, "redirectUrl")?;
    let options = RedirectUrlOptions {
        allow_insecure_localhost: Option::<bool>::from_option(
            &options.map_or(JsValue::UNDEFINED, JsValue::from),
            "allowInsecureLocalhost",
        )?
        .unwrap_or(false),
    };
    crate::validate_redirect_url(&url, options).map_err(js_error)
}

/// Checks an `external_id`: 1 to 255 Unicode scalar values.
#[wasm_bindgen(js_name = validateExternalId)]
pub fn validate_external_id(
    #[wasm_bindgen(js_name = externalId, unchecked_param_type = "string")] id: JsValue,
) -> Result<(), JsValue> {
    let id = options::text(&id, "externalId").map_err(js_error)?;
    crate::validate_external_id(&id).map_err(js_error)
}

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
    let mut ids = Vec::new();
    for (index, id) in Array::from(&connection_ids).iter().enumerate() {
        let field = concat(&["connectionIds[", &decimal(index as u64), "]"]);
        ids.push(options::text(&id, &field).map_err(js_error)?);
    }
    crate::context_header(&ids).map_err(js_error)
}
