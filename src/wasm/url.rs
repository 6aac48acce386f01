//! The platform's WHATWG `URL` for the core (installed through src/whatwg.rs's seam): one constructor call and one
//! getter, so the main wasm needs no URL parser of its own.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = URL)]
    type PlatformUrl;

    #[wasm_bindgen(constructor, catch, js_class = "URL")]
    fn new(input: &str) -> Result<PlatformUrl, JsValue>;

    #[wasm_bindgen(method, getter, js_class = "URL")]
    fn href(this: &PlatformUrl) -> String;
}

/// Gives the core the platform's `URL` (see src/whatwg.rs): every export that may parse a URL
/// calls this first.
pub(super) fn install() {
    crate::whatwg::install_platform_url(serialize);
}

/// `input` parsed as an absolute URL, as its serialisation. `URL` throws a `TypeError` with no
/// reason worth quoting ("Invalid URL"), so the error carries none.
fn serialize(input: &str) -> Result<String, Option<String>> {
    PlatformUrl::new(input)
        .map(|url| url.href())
        .map_err(|_| None)
}
