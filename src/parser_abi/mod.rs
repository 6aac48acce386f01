//! The exports of the parser wasm, behind `parseRedirect` in every entry of the npm package, for
//! its hand-written glue (js/glue.js). No wasm-bindgen: no generated glue to download and
//! no per-export shims, which were most of this module.
//!
//! A call: the glue calls [`begin`] (which frees everything the previous call allocated and
//! reserves room for the strings), writes the strings into that room as UTF-8 one after the
//! other, and calls [`parse_redirect`] with their lengths. The platform's `URL` has already parsed
//! them in the glue, so the parts of the URL the parser reads arrive as strings: the module carries
//! no URL parser. A result comes back as text at [`output`] described by a header of lengths at
//! [`header`], which the glue slices into the result object without a JSON parse; an error as
//! JSON at [`output`].

mod heap;

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use crate::redirect::{parse_redirect_with, UrlParser, MAX_REDIRECT_INPUT_BYTES};
use crate::text::{json_string, quote};
use crate::{Error, ErrorCode, RedirectResult, Result};

// `parse_redirect`'s `flags`: what the glue found checking the arguments (in JavaScript, where
// their types are), reported here so that the messages are the core's.
const URL_NOT_A_STRING: u32 = 1;
const OPTIONS_NOT_AN_OBJECT: u32 = 2;
const OPTIONS_UNREADABLE: u32 = 4;
const REDIRECT_URL_NOT_A_STRING: u32 = 8;
/// The url is over [`MAX_REDIRECT_INPUT_BYTES`]: it was not copied, `url` is its length in bytes.
const URL_TOO_LONG: u32 = 16;
// The host rule of src/host.rs, applied by the glue (`nonAsciiHost` in js/glue.js):
// 2.4 KB less wasm than the Rust copy.
const URL_NON_ASCII_HOST: u32 = 32;
const REDIRECT_URL_NON_ASCII_HOST: u32 = 64;

/// Where the strings of the current call start.
static INPUT: AtomicUsize = AtomicUsize::new(0);
/// The answer of the last call: its text, and the header describing a result.
static OUTPUT: AtomicUsize = AtomicUsize::new(0);
static HEADER: AtomicUsize = AtomicUsize::new(0);

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

/// Where the text of the last answer starts.
#[no_mangle]
pub extern "C" fn output() -> *const u8 {
    OUTPUT.load(Relaxed) as *const u8
}

/// Where the header of the last result starts (see [`answer_result`]).
#[no_mangle]
pub extern "C" fn header() -> *const i32 {
    HEADER.load(Relaxed) as *const i32
}

/// Parses a redirect. Each length is of a string the glue wrote (in this order), or -1 for one it
/// did not: the url itself (only where a message may quote it), the `search`, `origin` and
/// `pathname` of its `URL` (`search` present exactly when it is an absolute http(s) URL; `origin`
/// and `pathname` only with a redirectUrl), then the same four for `options.redirectUrl` (absent
/// without one). `flags` holds the argument checks and the host rule's verdicts made in the glue.
/// Returns the length of the result's header, or minus the length of an error's JSON.
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
            strings.prepared([url, url_search, url_origin, url_path], non_ascii_host)?
        };
        let base = [base, base_search, base_origin, base_path];
        let base = match base {
            [-1, -1, _, _] => None,
            _ => {
                let non_ascii_host = flags & REDIRECT_URL_NON_ASCII_HOST != 0;
                Some(strings.prepared(base, non_ascii_host)?)
            }
        };
        parse_redirect_with(&Glue, &input, base.as_ref())
    });
    match result {
        Ok(result) => answer_result(&result),
        Err(error) => {
            let json = error
                .rename_field("redirect_url", "redirectUrl")
                .to_js_json();
            -answer_text(json)
        }
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
    answer_text(json)
}

fn answer_text(text: String) -> i32 {
    let text = text.leak();
    OUTPUT.store(text.as_ptr() as usize, Relaxed);
    // An answer is at most a few times the 16 KiB input, or the redirectUrl's length.
    i32::try_from(text.len()).unwrap_or(i32::MAX)
}

/// Writes a result as its strings, one after the other, and a header for the glue to cut them
/// apart again: `[1 for success or 0, bytes of text, then the length in UTF-16 units of each
/// string (-1: absent)]`: connection type, connection id (success) or error, external id, the
/// number of app parameters, then each parameter's name and value. Returns the header's length.
fn answer_result(result: &RedirectResult) -> i32 {
    let (success, connection_type, id_or_error, external_id) = match result {
        RedirectResult::Success(s) => (
            1,
            Some(&s.connection_type),
            Some(&s.connection_id),
            &s.external_id,
        ),
        RedirectResult::Error(e) => (
            0,
            e.connection_type.as_ref(),
            Some(&e.error),
            &e.external_id,
        ),
    };
    let params = result.app_params();
    let mut header = Vec::with_capacity(6 + 2 * params.len());
    let mut text = String::new();
    let mut push = |header: &mut Vec<i32>, value: Option<&String>| match value {
        Some(value) => {
            text.push_str(value);
            header.push(utf16_length(value));
        }
        None => header.push(-1),
    };
    header.extend([success, 0]);
    push(&mut header, connection_type);
    push(&mut header, id_or_error);
    push(&mut header, external_id.as_ref());
    header.push(i32::try_from(params.len()).unwrap_or(i32::MAX));
    for (name, value) in params {
        push(&mut header, Some(name));
        push(&mut header, Some(value));
    }
    // `get_mut`, not indexing: no bounds check's panic path (179 B of wasm).
    if let Some(length) = header.get_mut(1) {
        *length = answer_text(text);
    }
    let header = header.leak();
    HEADER.store(header.as_ptr() as usize, Relaxed);
    i32::try_from(header.len()).unwrap_or(i32::MAX)
}

/// The length of `text` in UTF-16 code units: what `String.prototype.slice` counts.
fn utf16_length(text: &str) -> i32 {
    let units = if text.is_ascii() {
        text.len()
    } else {
        text.chars().map(char::len_utf16).sum()
    };
    i32::try_from(units).unwrap_or(i32::MAX)
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

    /// A string and its URL's parts: `[text, search, origin, pathname]`.
    fn prepared(&mut self, lengths: [i32; 4], non_ascii_host: bool) -> Result<Prepared> {
        let [text, search, origin, path] = lengths.map(|length| self.next(length));
        let text = text?.unwrap_or_default();
        let (search, origin, path) = (search?, origin?, path?);
        Ok(Prepared {
            text,
            bytes: text.len(),
            non_ascii_host,
            url: search.map(|search| PlatformUrl {
                search,
                origin: origin.unwrap_or_default(),
                path: path.unwrap_or_default(),
            }),
        })
    }
}

/// A string the glue passed, with what the platform's `URL` made of it. `text` is empty where no
/// message can quote it (a URL that parsed, with an ASCII host).
struct Prepared {
    text: &'static str,
    bytes: usize,
    non_ascii_host: bool,
    url: Option<PlatformUrl>,
}

/// The parts of a `URL` the parser reads (`origin` and `path` only in an exact parse).
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
