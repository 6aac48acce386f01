//! The exports of the `markifact-connect/callback` wasm, for its hand-written glue
//! (js/callback-glue.js). No wasm-bindgen: no generated glue to download and no per-export shims,
//! which were most of that module.
//!
//! A call: the glue calls [`begin`] (which frees everything the previous call allocated and
//! reserves room for the strings), writes the strings into that room as UTF-8 one after the
//! other, and calls [`parse_redirect`] with their lengths. The platform's `URL` has already
//! parsed them in the glue (`httpUrl` in js/url.js), so its parts arrive as strings too: the
//! module carries no URL parser. The answer is JSON at [`output`], its length returned: a
//! `RedirectResult` in its JavaScript shape, or, when the length is negative, the fields of a
//! `MarkifactError`.

mod heap;

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use crate::redirect::{parse_redirect_with, UrlParser, MAX_REDIRECT_INPUT_BYTES};
use crate::text::{json_string, quote};
use crate::{Error, ErrorCode, Result};

// `parse_redirect`'s `flags`: what the glue found checking the arguments (in JavaScript, where
// their types are), reported here so that the messages are the core's.
const URL_NOT_A_STRING: u32 = 1;
const OPTIONS_NOT_AN_OBJECT: u32 = 2;
const OPTIONS_UNREADABLE: u32 = 4;
const REDIRECT_URL_NOT_A_STRING: u32 = 8;
/// The url is over [`MAX_REDIRECT_INPUT_BYTES`]: it was not copied, `url` is its length in bytes.
const URL_TOO_LONG: u32 = 16;
// The host rule of src/host.rs, applied by the glue (`nonAsciiHost` in js/url.js, which the
// main entry's parser uses too): 2.4 KB less wasm than the Rust copy.
const URL_NON_ASCII_HOST: u32 = 32;
const REDIRECT_URL_NON_ASCII_HOST: u32 = 64;

/// Where the strings of the current call start.
static INPUT: AtomicUsize = AtomicUsize::new(0);
/// The answer of the last call: where it starts.
static OUTPUT: AtomicUsize = AtomicUsize::new(0);

/// Starts a call: frees the previous call's memory and returns room for `bytes` of strings.
#[no_mangle]
pub extern "C" fn begin(bytes: usize) -> *mut u8 {
    heap::reset();
    let room = Vec::<u8>::with_capacity(bytes).leak().as_mut_ptr();
    INPUT.store(room as usize, Relaxed);
    room
}

/// The longest redirect the parser reads, in bytes of UTF-8: longer ones are not copied in.
#[no_mangle]
pub extern "C" fn max_input_bytes() -> usize {
    MAX_REDIRECT_INPUT_BYTES
}

/// Where the answer of the last call starts.
#[no_mangle]
pub extern "C" fn output() -> *const u8 {
    OUTPUT.load(Relaxed) as *const u8
}

/// Parses a redirect. Each length is of a string the glue wrote (in this order), or -1 for one it
/// did not: the url, the `search`, `origin` and `pathname` of its `URL` (absent unless it is an
/// absolute http(s) URL), then the same four for `options.redirectUrl` (absent without one).
/// `flags` holds the argument checks and the host rule's verdicts made in the glue.
/// Returns the answer's length, negative for an error.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn parse_redirect(
    flags: u32,
    url: i32,
    url_search: i32,
    url_origin: i32,
    url_path: i32,
    base: i32,
    base_search: i32,
    base_origin: i32,
    base_path: i32,
) -> i32 {
    let mut strings = Strings(INPUT.load(Relaxed) as *const u8);
    let result = check_arguments(flags).and_then(|()| {
        let input = if flags & URL_TOO_LONG != 0 {
            Prepared {
                text: "",
                bytes: usize::try_from(url).unwrap_or(usize::MAX),
                non_ascii_host: false,
                url: None,
            }
        } else {
            let non_ascii_host = flags & URL_NON_ASCII_HOST != 0;
            strings.prepared(url, non_ascii_host, [url_search, url_origin, url_path])?
        };
        let base = match base {
            -1 => None,
            _ => {
                let non_ascii_host = flags & REDIRECT_URL_NON_ASCII_HOST != 0;
                let parts = [base_search, base_origin, base_path];
                Some(strings.prepared(base, non_ascii_host, parts)?)
            }
        };
        parse_redirect_with(&Glue, &input, base.as_ref())
    });
    match result {
        Ok(result) => answer(result.to_js_json()),
        Err(error) => -answer(
            error
                .rename_field("redirect_url", "redirectUrl")
                .to_js_json(),
        ),
    }
}

/// The stable error codes, as a JSON array at [`output`]; returns its length.
#[no_mangle]
pub extern "C" fn error_codes() -> i32 {
    heap::reset();
    let mut json = String::from("[");
    for (index, code) in ErrorCode::ALL.iter().enumerate() {
        if index > 0 {
            json.push(',');
        }
        json_string(&mut json, code.as_str());
    }
    json.push(']');
    answer(json)
}

fn answer(json: String) -> i32 {
    let json = json.leak();
    OUTPUT.store(json.as_ptr() as usize, Relaxed);
    // An answer is at most a few times the 16 KiB input, or the redirectUrl's length.
    i32::try_from(json.len()).unwrap_or(i32::MAX)
}

fn check_arguments(flags: u32) -> Result<()> {
    let wrong = [
        (URL_NOT_A_STRING, "url", "a string"),
        (OPTIONS_NOT_AN_OBJECT, "options", "an object"),
        (OPTIONS_UNREADABLE, "options", "a readable object"),
        (REDIRECT_URL_NOT_A_STRING, "redirectUrl", "a string"),
    ];
    match wrong.iter().find(|(flag, _, _)| flags & flag != 0) {
        Some((_, field, expected)) => Err(Error::wrong_type(field, expected)),
        None => Ok(()),
    }
}

/// The strings of the current call, read in the order the glue wrote them.
struct Strings(*const u8);

impl Strings {
    fn next(&mut self, length: i32) -> Result<Option<&'static str>> {
        let Ok(length) = usize::try_from(length) else {
            return Ok(None);
        };
        // SAFETY: the glue wrote `length` bytes here, inside the room `begin` reserved, which
        // stays allocated until the next call; nothing read here outlives this call (`'static`
        // stands for that).
        let bytes = unsafe { core::slice::from_raw_parts(self.0, length) };
        self.0 = self.0.wrapping_add(length);
        core::str::from_utf8(bytes)
            .map(Some)
            .map_err(|_| Error::internal("the glue passed a string that is not UTF-8"))
    }

    fn prepared(&mut self, text: i32, non_ascii_host: bool, parts: [i32; 3]) -> Result<Prepared> {
        let text = self.next(text)?.unwrap_or_default();
        let [search, origin, path] = parts.map(|length| self.next(length));
        let url = match (search?, origin?, path?) {
            (Some(search), Some(origin), Some(path)) => Some(PlatformUrl {
                search,
                origin,
                path,
            }),
            _ => None,
        };
        Ok(Prepared {
            text,
            bytes: text.len(),
            non_ascii_host,
            url,
        })
    }
}

/// A string the glue passed, with what the platform's `URL` made of it.
struct Prepared {
    text: &'static str,
    bytes: usize,
    non_ascii_host: bool,
    url: Option<PlatformUrl>,
}

/// The parts of a `URL` the parser reads.
#[derive(Clone, Copy)]
struct PlatformUrl {
    search: &'static str,
    origin: &'static str,
    path: &'static str,
}

/// [`UrlParser`] over what the glue prepared.
struct Glue;

impl UrlParser for Glue {
    type Input = Prepared;
    type Url = PlatformUrl;

    fn length_over(&self, input: &Prepared, limit: usize) -> Option<usize> {
        (input.bytes > limit).then_some(input.bytes)
    }

    fn describe(&self, input: &Prepared) -> String {
        quote(input.text)
    }

    fn has_non_ascii_host(&self, input: &Prepared) -> bool {
        input.non_ascii_host
    }

    fn parse_http(&self, input: &Prepared) -> Option<PlatformUrl> {
        input.url
    }

    fn query<'u>(&self, url: &'u PlatformUrl) -> Cow<'u, str> {
        // `search` is "" or "?" followed by the query.
        Cow::Borrowed(url.search.strip_prefix('?').unwrap_or(url.search))
    }

    fn origin<'u>(&self, url: &'u PlatformUrl) -> Cow<'u, str> {
        Cow::Borrowed(url.origin)
    }

    fn path<'u>(&self, url: &'u PlatformUrl) -> Cow<'u, str> {
        Cow::Borrowed(url.path)
    }
}
