// Runs inside a fresh consumer folder where the packed tarball was installed by npm. It imports
// the package by name (the exports map picks index.js; no init call), runs the shared vectors and
// the checks below, and prints one JSON report line: { vectors, checks: [{ name, ok, detail }] }.
import * as pkg from "markifact-connect";
import {
  parseRedirect,
  validateRedirectUrl,
  validateExternalId,
  contextHeader,
  errorCodes,
  MarkifactError,
} from "markifact-connect";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { runVectors, checkList, assert, deepEqual } from "./vector-runner.mjs";

const { checks, check } = checkList();
function same(actual, expected, message) {
  if (!deepEqual(actual, expected)) {
    throw new Error(`${message}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
}
function describe(value) {
  if (typeof value === "symbol" || typeof value === "bigint" || typeof value === "function") return String(value);
  try {
    return JSON.stringify(value)?.slice(0, 80) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
/** Calls fn, which must throw a well-formed MarkifactError; returns it. */
function markifactError(fn, what) {
  let threw = false;
  let error;
  let value;
  try {
    value = fn();
  } catch (e) {
    threw = true;
    error = e;
  }
  assert(threw, `${what}: returned ${describe(value)} instead of throwing`);
  assert(typeof error !== "string", `${what}: threw a string: ${error}`);
  assert(error instanceof MarkifactError, `${what}: threw ${describe(error)} (${error?.constructor?.name}), not a MarkifactError`);
  assert(error instanceof Error, `${what}: the MarkifactError is not an Error`);
  assert(error.name === "MarkifactError", `${what}: name is ${error.name}`);
  assert(typeof error.code === "string" && errorCodes().includes(error.code), `${what}: code ${describe(error.code)}`);
  assert(typeof error.message === "string" && error.message.length > 0, `${what}: empty message`);
  assert(typeof error.stack === "string", `${what}: no stack`);
  return error;
}
function expectCode(fn, code, what, rule) {
  const error = markifactError(fn, what);
  assert(error.code === code, `${what}: code ${error.code} (${error.message}), expected ${code}`);
  if (rule !== undefined) assert(error.rule === rule, `${what}: rule ${error.rule}, expected ${rule}`);
  return error;
}

const SUCCESS = "https://app.example/cb?session=abc&status=success&connection_type=gads&connection_id=c_1";
const SUCCESS_RESULT = {
  status: "success",
  connectionType: "gads",
  connectionId: "c_1",
  appParams: [["session", "abc"]],
};
/** The module answers a known input exactly (after whatever came before). */
function stillCorrect(context) {
  same(parseRedirect(SUCCESS), SUCCESS_RESULT, `parseRedirect after ${context}`);
  assert(validateRedirectUrl("https://app.example/cb") === "https://app.example/cb", `validateRedirectUrl after ${context}`);
  assert(validateExternalId("u_42") === undefined, `validateExternalId after ${context}`);
  assert(contextHeader(["c_1"]) === '{"connection_ids":["c_1"]}', `contextHeader after ${context}`);
  expectCode(() => parseRedirect("https://app.example/cb?status=maybe"), "invalid_status", `invalid status after ${context}`);
}

// --- the shared vectors
const vectors = JSON.parse(readFileSync(new URL("./vectors.json", import.meta.url), "utf8"));
const vectorReport = runVectors(pkg, vectors);

// --- how the package resolves and what it exports
check("the bare specifiers resolve through the exports map to index.js and callback.js", () => {
  const resolved = import.meta.resolve("markifact-connect");
  assert(resolved.endsWith("/node_modules/markifact-connect/index.js"), `resolved to ${resolved}`);
  const callback = import.meta.resolve("markifact-connect/callback");
  assert(callback.endsWith("/node_modules/markifact-connect/callback.js"), `resolved to ${callback}`);
});
check("the module exports exactly the public API", () => {
  same(
    Object.keys(pkg).sort(),
    ["MarkifactClient", "MarkifactError", "completeAuthRedirect", "contextHeader", "errorCodes", "openAuthLink", "parseRedirect", "validateExternalId", "validateRedirectUrl"],
    "export names",
  );
  for (const name of ["parseRedirect", "validateRedirectUrl", "validateExternalId", "contextHeader", "errorCodes"]) {
    assert(typeof pkg[name] === "function", `${name} is not a function`);
  }
});
check("package.json is exported, internal files are not", () => {
  const require = createRequire(import.meta.url);
  const manifest = require("markifact-connect/package.json");
  assert(manifest.name === "markifact-connect", `name ${manifest.name}`);
  for (const internal of ["markifact-connect/index.js", "markifact-connect/main-wasm.js", "markifact-connect/markifact_connect.js"]) {
    let code;
    try {
      import.meta.resolve(internal);
    } catch (error) {
      code = error.code;
    }
    assert(code === "ERR_PACKAGE_PATH_NOT_EXPORTED", `${internal}: ${code ?? "resolved"}`);
  }
});

check("require() (Node's require(esm)) gives the same module instance", () => {
  const required = createRequire(import.meta.url)("markifact-connect");
  assert(required.MarkifactError === MarkifactError, "a second MarkifactError class");
  assert(required.parseRedirect === parseRedirect, "a second parseRedirect");
});

// --- errors
check("errors are MarkifactError instances with code, field and rule", () => {
  const error = expectCode(() => validateRedirectUrl("http://app.example/cb"), "invalid_redirect_url", "http redirect_url", "not_https");
  assert(typeof error.field === "string" && error.field.length > 0, `field ${error.field}`);
  assert(Object.getPrototypeOf(error) === MarkifactError.prototype, "prototype is not MarkifactError.prototype");
  assert(String(error).startsWith("MarkifactError: "), `String(error) is ${String(error)}`);
});
check("error fields use the JS argument names", () => {
  const fields = [
    [() => validateRedirectUrl("http://app.example/cb"), "redirectUrl"],
    [() => validateRedirectUrl(42), "redirectUrl"],
    [() => validateExternalId(""), "externalId"],
    [() => validateExternalId(42), "externalId"],
    [() => contextHeader(["c_1", ""]), "connectionIds[1]"],
    [() => contextHeader(["c_1", 2]), "connectionIds[1]"],
    [() => contextHeader("c_1"), "connectionIds"],
    [() => parseRedirect(42), "url"],
    [() => parseRedirect("https://app.example/cb?status=error", { redirectUrl: 7 }), "redirectUrl"],
    [() => parseRedirect("https://app.example/cb?status=error", { redirectUrl: "/cb" }), "redirectUrl"],
    [() => parseRedirect("https://app.example/cb?status=success&connection_type=ga4"), "connection_id"],
    [() => validateRedirectUrl("http://localhost/", { allowInsecureLocalhost: "yes" }), "allowInsecureLocalhost"],
  ];
  const wrong = [];
  fields.forEach(([fn, field], index) => {
    const error = markifactError(fn, `case ${index}`);
    if (error.field !== field) wrong.push(`case ${index}: field ${describe(error.field)}, expected ${field} (${error.code})`);
  });
  assert(wrong.length === 0, wrong.join("; "));
});
check("errors without a rule have no rule property", () => {
  const error = expectCode(() => parseRedirect("https://app.example/cb?x=1"), "missing_status", "no status");
  assert(!("rule" in error), `rule is ${describe(error.rule)}`);
});
check("MarkifactError can be constructed and caught by users", () => {
  const error = new MarkifactError("internal", "made by hand", { field: "f" });
  assert(error instanceof MarkifactError && error instanceof Error, "instanceof");
  assert(error.code === "internal" && error.field === "f" && !("rule" in error), "properties");
});
check("errorCodes() matches the ErrorCode type and is a fresh array of unique strings", () => {
  const codes = errorCodes();
  assert(Array.isArray(codes), "not an array");
  assert(new Set(codes).size === codes.length, "duplicates");
  assert(codes.every((c) => typeof c === "string" && /^[a-z_]+$/.test(c)), "not snake_case strings");
  const require = createRequire(import.meta.url);
  const dts = readFileSync(require.resolve("markifact-connect/package.json").replace(/package\.json$/, "markifact_connect.d.ts"), "utf8");
  const union = dts.match(/export type ErrorCode\s*=\s*([^;]+);/);
  assert(union, "no ErrorCode type in markifact_connect.d.ts");
  const typed = [...union[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]);
  same([...codes].sort(), [...typed].sort(), "errorCodes() vs the ErrorCode type");
  codes.push("mutated");
  assert(!errorCodes().includes("mutated"), "errorCodes() returns a shared array");
});

// --- results
check("results are plain, JSON-serialisable, fresh objects", () => {
  const result = parseRedirect(SUCCESS);
  assert(Object.getPrototypeOf(result) === Object.prototype, "not a plain object");
  same(JSON.parse(JSON.stringify(result)), result, "JSON round trip");
  same(structuredClone(result), result, "structuredClone");
  same(result, SUCCESS_RESULT, "the result");
  assert(Array.isArray(result.appParams) && result.appParams.every((p) => Array.isArray(p) && p.length === 2), "appParams shape");
  result.appParams.push(["mutated", "1"]);
  result.connectionId = "mutated";
  same(parseRedirect(SUCCESS), SUCCESS_RESULT, "a second parse after mutating the first result");
  const header = contextHeader(["a\"b", "é\u0001", "c_3"]);
  same(JSON.parse(header), { connection_ids: ["a\"b", "é\u0001", "c_3"] }, "contextHeader is JSON of the ids");
});
check("absent optional fields are absent, present ones are there", () => {
  const success = parseRedirect(SUCCESS);
  assert(!("externalId" in success), "success without external_id has externalId");
  const withId = parseRedirect(`${SUCCESS}&external_id=u_42`);
  assert(withId.externalId === "u_42", `externalId ${withId.externalId}`);
  const error = parseRedirect("https://app.example/cb?status=error");
  same(error, { status: "error", error: "", appParams: [] }, "bare error redirect");
  assert(!("connectionType" in error) && !("externalId" in error), "error redirect has absent fields");
  assert(!("connectionId" in error), "error redirect has connectionId");
  const denied = parseRedirect("https://app.example/cb?status=error&connection_type=ga4&error=access+denied");
  same(denied, { status: "error", connectionType: "ga4", error: "access denied", appParams: [] }, "error redirect");
});
check("options may be omitted, undefined, null or an empty object", () => {
  for (const options of [undefined, null, {}]) {
    same(parseRedirect(SUCCESS, options), SUCCESS_RESULT, `parseRedirect options ${describe(options)}`);
    assert(validateRedirectUrl("https://app.example/cb", options) === "https://app.example/cb", `validateRedirectUrl options ${describe(options)}`);
  }
  same(parseRedirect(SUCCESS, { redirectUrl: null }), SUCCESS_RESULT, "redirectUrl: null");
});

// --- wrong argument types
const NOT_STRINGS = [undefined, null, 42, NaN, true, {}, [], ["https://app.example/cb"], Symbol("s"), 10n, new String(SUCCESS), () => SUCCESS];
check("wrong argument types give invalid_argument (wrong_type)", () => {
  for (const value of NOT_STRINGS) {
    const what = describe(value);
    expectCode(() => parseRedirect(value), "invalid_argument", `parseRedirect(${what})`, "wrong_type");
    expectCode(() => validateRedirectUrl(value), "invalid_argument", `validateRedirectUrl(${what})`, "wrong_type");
    expectCode(() => validateExternalId(value), "invalid_argument", `validateExternalId(${what})`, "wrong_type");
  }
  expectCode(() => parseRedirect(), "invalid_argument", "parseRedirect()", "wrong_type");
  expectCode(() => validateRedirectUrl(), "invalid_argument", "validateRedirectUrl()", "wrong_type");
  expectCode(() => validateExternalId(), "invalid_argument", "validateExternalId()", "wrong_type");
  for (const value of [undefined, null, "c_1", 42, {}, { length: 1, 0: "c_1" }, ["c_1", 1], ["c_1", undefined], [null], new Array(2), [new String("c")]]) {
    expectCode(() => contextHeader(value), "invalid_argument", `contextHeader(${describe(value)})`, "wrong_type");
  }
  expectCode(() => contextHeader(), "invalid_argument", "contextHeader()", "wrong_type");
});
check("wrong option types give invalid_argument", () => {
  const url = "https://app.example/cb?status=error";
  for (const options of ["redirectUrl", 42, true, () => {}, { redirectUrl: 7 }, { redirectUrl: {} }, { redirectUrl: ["x"] }]) {
    expectCode(() => parseRedirect(url, options), "invalid_argument", `parseRedirect(url, ${describe(options)})`, "wrong_type");
  }
  for (const options of ["yes", 1, { allowInsecureLocalhost: "yes" }, { allowInsecureLocalhost: 1 }]) {
    expectCode(
      () => validateRedirectUrl("http://localhost/cb", options),
      "invalid_argument",
      `validateRedirectUrl(url, ${describe(options)})`,
      "wrong_type",
    );
  }
  const throwing = (key) =>
    Object.defineProperty({}, key, {
      enumerable: true,
      get() {
        throw new Error("boom");
      },
    });
  const throwingProxy = new Proxy({}, { get() { throw new TypeError("trap"); } });
  for (const options of [throwing("redirectUrl"), throwingProxy]) {
    expectCode(() => parseRedirect(url, options), "invalid_argument", "parseRedirect(url, options that throw)");
  }
  for (const options of [throwing("allowInsecureLocalhost"), throwingProxy]) {
    expectCode(() => validateRedirectUrl("https://app.example/cb", options), "invalid_argument", "validateRedirectUrl(url, options that throw)");
  }
  stillCorrect("wrong option types");
});

// --- hostile inputs
const MIB = 1 << 20;
check("1 MiB inputs are refused with the right codes, and the module still answers", () => {
  expectCode(() => parseRedirect(`https://app.example/cb?${"x".repeat(MIB)}`), "input_too_long", "1 MiB redirect");
  expectCode(() => parseRedirect(`https://app.example/cb?status=error&error=${"é".repeat(MIB)}`), "input_too_long", "1 MiB of é");
  expectCode(() => parseRedirect("x".repeat(MIB)), "input_too_long", "1 MiB of x");
  expectCode(() => validateRedirectUrl(`https://app.example/${"x".repeat(MIB)}`), "invalid_redirect_url", "1 MiB redirect_url", "too_long");
  expectCode(() => validateExternalId("x".repeat(MIB)), "invalid_external_id", "1 MiB external_id", "too_long");
  expectCode(() => validateExternalId("😀".repeat(MIB)), "invalid_external_id", "1 MiB of emoji external_id", "too_long");
  const header = contextHeader(Array.from({ length: 20_000 }, (_, i) => `c_${i}`));
  assert(JSON.parse(header).connection_ids.length === 20_000, "20 000 ids");
  for (let i = 0; i < 20; i += 1) {
    try {
      parseRedirect(`https://app.example/cb?${"y".repeat(MIB)}`);
    } catch {
      // input_too_long, checked above
    }
  }
  stillCorrect("1 MiB inputs");
});
check("limits count UTF-8 bytes and Unicode scalar values, at the boundary", () => {
  const base = "https://app.example/cb?status=error&error=";
  const atLimit = base + "x".repeat(16 * 1024 - base.length);
  assert(parseRedirect(atLimit).error.length === 16 * 1024 - base.length, "16 KiB redirect accepted");
  expectCode(() => parseRedirect(`${atLimit}x`), "input_too_long", "16 KiB + 1 byte");
  expectCode(() => parseRedirect(base + "é".repeat(9000)), "input_too_long", "9000 é (18 000 UTF-8 bytes)");
  assert(validateExternalId("😀".repeat(255)) === undefined, "255 emoji (510 UTF-16 units) accepted");
  expectCode(() => validateExternalId("😀".repeat(256)), "invalid_external_id", "256 emoji", "too_long");
});
check("control characters, NULs, lone surrogates and odd URLs give results or MarkifactErrors only", () => {
  const inputs = [
    "",
    " ",
    "\0",
    "\uD800",
    "\uDFFF\uD800",
    "https://app.example/cb?status=success&connection_type=\uD800&connection_id=c_1",
    "https://app.example/cb?status=%FF%FE&connection_type=%00",
    "https://app.example/cb\0?status=error",
    "https://app.example/cb?status=error&error=%E0%A4%A",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd?status=success",
    "https://user:pass@app.example/cb?status=error",
    "https://[::1/cb?status=error",
    "https://app.example/cb?" + "&".repeat(16000),
    "https://app.example/cb?" + "status=error&".repeat(1000),
    "https://app.example/cb?" + "a=%".repeat(5000),
    "https://xn--/cb?status=error",
    "https://ex\u00e4mple.com/cb?status=error",
    "https://app.example/cb?status=error#frag",
  ];
  for (const input of inputs) {
    for (const [name, fn] of [
      ["parseRedirect", () => parseRedirect(input)],
      ["parseRedirect+redirectUrl", () => parseRedirect(input, { redirectUrl: input })],
      ["validateRedirectUrl", () => validateRedirectUrl(input)],
      ["validateRedirectUrl+localhost", () => validateRedirectUrl(input, { allowInsecureLocalhost: true })],
      ["validateExternalId", () => validateExternalId(input)],
      ["contextHeader", () => contextHeader([input])],
    ]) {
      try {
        fn();
      } catch (error) {
        assert(error instanceof MarkifactError, `${name}(${describe(input)}) threw ${error?.constructor?.name}: ${error}`);
        assert(error.code !== "internal", `${name}(${describe(input)}): internal error ${error.message}`);
      }
    }
  }
  same(
    parseRedirect("https://app.example/cb?status=success&connection_type=\uD800&connection_id=c_1").connectionType,
    "\uFFFD",
    "a lone surrogate reads as U+FFFD",
  );
  stillCorrect("hostile inputs");
});
check("many failing calls in a row do not wear the instance out", () => {
  for (let i = 0; i < 20_000; i += 1) {
    try {
      parseRedirect(i % 2 ? "not a url" : { i });
    } catch (error) {
      if (!(error instanceof MarkifactError)) throw error;
    }
  }
  stillCorrect("20 000 failing calls");
});

console.log(JSON.stringify({ vectors: vectorReport, checks }));
