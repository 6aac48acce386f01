// The glue of the `markifact-connect/callback` wasm (src/callback_abi/): instead of
// wasm-bindgen's generated glue, a few lines over the module's own small ABI. The platform's URL
// parses here; the strings go into the wasm as UTF-8 and the answer comes back as JSON.
import { MarkifactError } from "./markifact-error.js";
import { httpUrl, nonAsciiHost, utf8Length } from "./url.js";

// The `flags` of `parse_redirect` (the same constants are in src/callback_abi/mod.rs).
const URL_NOT_A_STRING = 1;
const OPTIONS_NOT_AN_OBJECT = 2;
const OPTIONS_UNREADABLE = 4;
const REDIRECT_URL_NOT_A_STRING = 8;
const URL_TOO_LONG = 16;
const URL_NON_ASCII_HOST = 32;
const REDIRECT_URL_NON_ASCII_HOST = 64;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
let wasm;

/** Called once by each entry with the instance it made, the way its runtime loads wasm. */
export function useInstance(instance) {
  wasm = instance.exports;
}

/** Parses the URL Markifact redirected the user's browser to (e.g. `location.href`). */
export function parseRedirect(url, options) {
  let flags = typeof url === "string" ? 0 : URL_NOT_A_STRING;
  let redirectUrl;
  if (options !== undefined && options !== null) {
    if (typeof options !== "object") flags |= OPTIONS_NOT_AN_OBJECT;
    else {
      try {
        redirectUrl = options.redirectUrl ?? undefined;
      } catch {
        flags |= OPTIONS_UNREADABLE;
      }
      if (redirectUrl !== undefined && typeof redirectUrl !== "string") flags |= REDIRECT_URL_NOT_A_STRING;
    }
  }
  if (flags) return call(flags, []);
  const limit = wasm.max_input_bytes();
  if (url.length * 3 > limit) {
    const bytes = utf8Length(url);
    // Too long to be read: only its length goes in, for the message.
    if (bytes > limit) return call(URL_TOO_LONG, [bytes]);
  }
  if (nonAsciiHost(url)) flags |= URL_NON_ASCII_HOST;
  if (redirectUrl !== undefined && nonAsciiHost(redirectUrl)) flags |= REDIRECT_URL_NON_ASCII_HOST;
  const strings = [...withUrl(url), ...(redirectUrl === undefined ? [] : withUrl(redirectUrl))];
  let room = 0;
  for (const text of strings) room += (text?.length ?? 0) * 3;
  let at = wasm.begin(room);
  const memory = new Uint8Array(wasm.memory.buffer);
  const lengths = strings.map((text) => {
    if (text === undefined) return -1;
    const { written } = encoder.encodeInto(text, memory.subarray(at));
    at += written;
    return written;
  });
  return call(flags, lengths);
}

/** The stable error codes, for `switch` statements and documentation. */
export function errorCodes() {
  return read(wasm.error_codes());
}

// The string, then the `search`, `origin` and `pathname` of its URL when it is an absolute
// http(s) URL.
function withUrl(text) {
  const url = httpUrl(text);
  return url ? [text, url.search, url.origin, url.pathname] : [text, undefined, undefined, undefined];
}

function call(flags, lengths) {
  while (lengths.length < 8) lengths.push(-1);
  let length;
  try {
    length = wasm.parse_redirect(flags, ...lengths);
  } catch (cause) {
    throw new MarkifactError("internal", `markifact-connect failed (please report this): ${cause}`);
  }
  const answer = read(Math.abs(length));
  if (length < 0) throw new MarkifactError(answer.code, answer.message, answer);
  return answer;
}

function read(length) {
  return JSON.parse(decoder.decode(new Uint8Array(wasm.memory.buffer, wasm.output(), length)));
}
