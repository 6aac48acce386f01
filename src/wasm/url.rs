//! The platform's WHATWG `URL` as the redirect parser's [`UrlParser`]: `parseRedirect` runs the
//! core's one parser over it in both builds of the npm package, so the callback build carries no
//! URL parser, and the string is never copied into the wasm just to be parsed.

use std::borrow::Cow;

use js_sys::JsString;
use wasm_bindgen::prelude::*;

use crate::text::quote;
use crate::UrlParser;

#[wasm_bindgen(module = "/js/url.js")]
extern "C" {
    /// A parsed URL (the platform's `URL`).
    pub type PlatformUrl;

    #[wasm_bindgen(js_name = httpUrl)]
    fn http_url(input: &JsString) -> Option<PlatformUrl>;

    #[wasm_bindgen(js_name = nonAsciiHost)]
    fn non_ascii_host(input: &JsString) -> bool;

    #[wasm_bindgen(js_name = utf8Length)]
    fn utf8_length(input: &JsString) -> f64;

    #[wasm_bindgen(method, getter)]
    fn search(this: &PlatformUrl) -> String;

    #[wasm_bindgen(method, getter)]
    fn origin(this: &PlatformUrl) -> String;

    #[wasm_bindgen(method, getter)]
    fn pathname(this: &PlatformUrl) -> String;
}

/// [`UrlParser`] over the platform's `URL`, for JavaScript strings.
pub(super) struct Platform;

impl UrlParser for Platform {
    type Input = JsString;
    type Url = PlatformUrl;

    fn length_over(&self, input: &JsString, limit: usize) -> Option<usize> {
        // A UTF-16 unit is at most 3 bytes of UTF-8: only long strings need counting.
        if (input.length() as usize).saturating_mul(3) <= limit {
            return None;
        }
        let bytes = utf8_length(input) as usize;
        (bytes > limit).then_some(bytes)
    }

    fn describe(&self, input: &JsString) -> String {
        quote(&String::from(input))
    }

    fn has_non_ascii_host(&self, input: &JsString) -> bool {
        non_ascii_host(input)
    }

    fn parse_http(&self, input: &JsString) -> Option<PlatformUrl> {
        http_url(input)
    }

    fn query<'u>(&self, url: &'u PlatformUrl) -> Cow<'u, str> {
        let mut search = url.search();
        // `search` is "" or "?" followed by the query.
        if !search.is_empty() {
            search.remove(0);
        }
        Cow::Owned(search)
    }

    fn origin<'u>(&self, url: &'u PlatformUrl) -> Cow<'u, str> {
        Cow::Owned(url.origin())
    }

    fn path<'u>(&self, url: &'u PlatformUrl) -> Cow<'u, str> {
        Cow::Owned(url.pathname())
    }
}
