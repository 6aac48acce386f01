// The package's hand-written glue, internal to it: the parser wasm's ABI (src/parser_abi/), behind
// `parseRedirect` in every entry, and the first-use instantiation of the main wasm (wasm-bindgen's,
// for the client and the validators). One module, so that Node loads one file less at start-up.
//
// The parser: the platform's WHATWG URL parses here (the wasm carries no URL parser); the strings
// the parser reads go into the wasm as UTF-8, and the result comes back as text plus a header of
// lengths.
import { MarkifactError } from "./markifact-error.js";

// The `flags` of `parse_redirect` (the same constants are in src/parser_abi/mod.rs).
const URL_NOT_A_STRING = 1;
const OPTIONS_NOT_AN_OBJECT = 2;
const OPTIONS_UNREADABLE = 4;
const REDIRECT_URL_NOT_A_STRING = 8;
const URL_TOO_LONG = 16;
const URL_NON_ASCII_HOST = 32;
const REDIRECT_URL_NON_ASCII_HOST = 64;

const encoder = new TextEncoder();
// `ignoreBOM`: a value may start with U+FEFF, which the default decoder would drop.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
let wasm;
let limit;
let parserModule;

/**
 * Called by each entry at import with how its runtime gets the parser wasm (compiled from the
 * bytes embedded in the package, or imported as a module where a runtime forbids compiling
 * bytes): `parser` returns its `WebAssembly.Module`, called on first use. An entry imported
 * second leaves the first one's choice: one instance, whichever entries a page imports.
 */
export function wasmModules(parser) {
  parserModule ??= parser;
}

/** The parser wasm's exports, instantiated on first use. */
function parser() {
  if (!wasm) {
    wasm = load("markifact_connect_parser.wasm", () => new WebAssembly.Instance(parserModule(), {})).exports;
    limit = wasm.max_input_bytes();
  }
  return wasm;
}

let loadMain;
let mainLoaded = false;

/**
 * Instantiates the main wasm with `loader` (the entry's way: see api.js) unless that is done; every
 * function on the main wasm calls it first. The first entry to load it keeps its choice: one
 * instance.
 */
export function mainWasmReady(loader) {
  loadMain ??= loader;
  if (!mainLoaded) {
    load("markifact_connect_bg.wasm", loadMain);
    mainLoaded = true;
  }
}

/**
 * Instantiates the main wasm `module` with wasm-bindgen's `bindings` (its `--target bundler`
 * module, which imports nothing from the wasm itself): the bindings are the wasm's imports, and
 * the instance their `wasm`, as a bundler's ESM integration would do.
 */
export function instantiateMain(bindings, module) {
  const imports = {};
  for (const { module: name } of WebAssembly.Module.imports(module)) imports[name] = bindings;
  const { exports } = new WebAssembly.Instance(module, imports);
  bindings.__wbg_set_wasm(exports);
  exports.__wbindgen_start?.();
}

// Compiling and instantiating, with a failure as a coded error naming the module.
function load(file, make) {
  try {
    return make();
  } catch (cause) {
    if (cause instanceof MarkifactError) throw cause;
    // What each engine says when a Content-Security-Policy refuses wasm: name the fix.
    const policy = /eval|CSP|Content.Security/i.test(String(cause))
      ? " The page's Content-Security-Policy refuses WebAssembly: its script-src needs 'wasm-unsafe-eval'."
      : "";
    const reason = String(cause).replace(/\.?\s*$/, ".");
    throw new MarkifactError("wasm_unavailable", `markifact-connect could not compile or instantiate ${file}: ${reason}${policy}`);
  }
}

/**
 * Compiles a wasm module embedded in the package (parser-wasm.js, main-wasm.js; written by
 * `embed` in xtask/src/pkg.rs): a string of one Latin-1 character a byte. Embedding, rather
 * than a file next to the module, is what every bundler and server runtime carries along without
 * a plugin, a setting or a read permission (see benches/levers.md).
 */
export function compileEmbedded({ file, length, bytes: text }) {
  if (text.length !== length) {
    throw new MarkifactError(
      "wasm_unavailable",
      `markifact-connect could not read ${file}, embedded in its JavaScript: ${length} bytes were written, ${text.length} arrived. A tool rewrote the package's files.`,
    );
  }
  return new WebAssembly.Module(latin1Bytes(text));
}

// The bytes of a string of Latin-1 characters, natively where the platform can (a JS loop over
// the main wasm takes milliseconds at start-up, before the engine optimises it): Node, Deno and
// Bun have `Buffer`; current browsers `Uint8Array.fromBase64`. (`globalThis.Buffer`, not
// `Buffer`: a free `Buffer` makes some bundlers add a polyfill.)
function latin1Bytes(text) {
  const { Buffer } = globalThis;
  if (Buffer) return Buffer.from(text, "latin1");
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(btoa(text));
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Parses the URL Markifact redirected the user's browser to (e.g. `location.href`). */
export function parseRedirect(url, options) {
  parser();
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
  if (flags) return call(flags, NONE, NONE);
  if (url.length * 3 > limit) {
    const bytes = utf8Length(url);
    // Too long to be read: only its length goes in, for the message.
    if (bytes > limit) return call(URL_TOO_LONG, [bytes], NONE);
  }
  const exact = redirectUrl !== undefined;
  if (nonAsciiHost(url)) flags |= URL_NON_ASCII_HOST;
  if (exact && nonAsciiHost(redirectUrl)) flags |= REDIRECT_URL_NON_ASCII_HOST;
  return call(
    flags,
    prepare(url, exact, flags & URL_NON_ASCII_HOST),
    exact ? prepare(redirectUrl, exact, flags & REDIRECT_URL_NON_ASCII_HOST) : NONE,
  );
}

/** The stable error codes, for `switch` statements and documentation. */
export function errorCodes() {
  return JSON.parse(text(parser().error_codes()));
}

const NONE = [];

// What the wasm reads of a string: the string itself only where a message may quote it, and the
// parts of its URL (origin and path only for an exact parse against a redirectUrl). Usually that
// is the query alone.
function prepare(input, exact, nonAsciiHost) {
  const url = httpUrl(input);
  if (!url) return [input];
  return [nonAsciiHost ? input : undefined, url.search, exact ? url.origin : undefined, exact ? url.pathname : undefined];
}

// Writes the strings into the wasm (UTF-8, one after the other) and runs the parser.
function call(flags, strings, base) {
  const all = strings.concat(base);
  let room = 0;
  for (let i = 0; i < all.length; i++) if (typeof all[i] === "string") room += all[i].length * 3;
  // `begin` may grow the memory, which detaches the old buffer: read `buffer` after it.
  const start = wasm.begin(room);
  const memory = new Uint8Array(wasm.memory.buffer, start, room);
  let offset = 0;
  const lengths = [-1, -1, -1, -1, -1, -1, -1, -1];
  for (let i = 0; i < all.length; i++) {
    const string = all[i];
    // A number is the length in bytes of a url too long to be copied in.
    if (typeof string === "number") lengths[i] = string;
    else if (string !== undefined) {
      const { written } = encoder.encodeInto(string, memory.subarray(offset));
      offset += written;
      lengths[i] = written;
    }
  }
  let answer;
  try {
    const [a, b, c, d, e, f, g, h] = lengths;
    answer = wasm.parse_redirect(flags, a, b, c, d, e, f, g, h);
  } catch (cause) {
    throw new MarkifactError("internal", `markifact-connect failed (please report this): ${cause}`);
  }
  if (answer < 0) {
    const error = JSON.parse(text(-answer));
    throw new MarkifactError(error.code, error.message, error);
  }
  return result(new Int32Array(wasm.memory.buffer, wasm.header(), answer));
}

// The result from the wasm's header: [success, bytes of text, then the length in UTF-16 units of
// each string in the text (-1: absent)]: connectionType, connectionId or error, externalId, the
// number of app parameters, and each parameter's name and value.
function result(header) {
  const strings = text(header[1]);
  let at = 0;
  let next = 2;
  const take = () => {
    const length = header[next++];
    if (length < 0) return undefined;
    at += length;
    return strings.slice(at - length, at);
  };
  const connectionType = take();
  const idOrError = take();
  const externalId = take();
  const out = header[0] === 1
    ? { status: "success", connectionType, connectionId: idOrError }
    : { status: "error", ...(connectionType === undefined ? {} : { connectionType }), error: idOrError };
  if (externalId !== undefined) out.externalId = externalId;
  const count = header[next++];
  const appParams = new Array(count);
  for (let i = 0; i < count; i++) appParams[i] = [take(), take()];
  out.appParams = appParams;
  return out;
}

// `bytes` of UTF-8 at the wasm's output.
function text(bytes) {
  return decoder.decode(new Uint8Array(wasm.memory.buffer, wasm.output(), bytes));
}

// `new URL(input)` when it is an absolute http(s) URL, otherwise undefined.
function httpUrl(input) {
  let url;
  try {
    url = new URL(input);
  } catch {
    return undefined;
  }
  return url.protocol === "https:" || url.protocol === "http:" ? url : undefined;
}

// The length in bytes of UTF-8 of the string Rust would get (a lone surrogate becomes U+FFFD).
function utf8Length(text) {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

// Whether the host, read as the URL parser reads it, has non-ASCII characters or escapes of
// non-ASCII bytes: the rule of src/host.rs, so that the native build and this one refuse the
// same redirects.
function nonAsciiHost(input) {
  // Most inputs have neither anywhere: one scan instead of the authority's extraction. (No `i`
  // flag in these expressions: case-folding a non-ASCII class costs V8 2 ms at first use.)
  if (!/[^\u0000-\u007f]|%[\t\n\r]*[89a-fA-F]/.test(input)) return false;
  const text = input.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "").replace(/[\t\n\r]/g, "");
  const colon = text.indexOf(":");
  if (colon < 0) return false;
  let rest = text.slice(colon + 1);
  const scheme = text.slice(0, colon).replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (SPECIAL_SCHEMES.includes(scheme)) rest = rest.replace(/^[/\\]+/, "");
  else if (rest.startsWith("//")) rest = rest.slice(2);
  else return false;
  const end = rest.search(/[/\\?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  return /[^\u0000-\u007f]|%[89a-fA-F][0-9a-fA-F]/.test(authority.slice(authority.lastIndexOf("@") + 1));
}

const SPECIAL_SCHEMES = ["http", "https", "ws", "wss", "ftp"];
