// Runs in Deno 2 and in Bun, inside a fresh consumer folder where npm installed the packed tarball:
// both entries are imported by their bare names and resolved from node_modules through the
// package's exports map, as in a user's app. No init call, no configuration.
//
//   check.mjs offline                 the entries, parse, validate, the shared vectors, the
//                                     callback entry's checks; no network, no file read by us
//   check.mjs client <base> <suffix>  MarkifactClient against the sandbox at <base>; prints a
//                                     {"event":"link"} line, then reads one line from stdin: the
//                                     Location the consent page answered (the test approves the
//                                     link with helpers/sandbox.mjs `decide`)
//
// Everything this script needs comes in through static imports (Deno loads those without read
// permission) and argv: it reads no file and no environment variable, so the Deno runs can go
// without --allow-read and --allow-env, and anything that does need them is the package's doing.
// The last stdout line is one JSON report: { event: "report", runtime, resolved, vectors?, checks }.
import * as main from "markifact-connect";
import * as callback from "markifact-connect/callback";
import { MarkifactClient, MarkifactError, parseRedirect, validateRedirectUrl, validateExternalId, contextHeader, errorCodes } from "markifact-connect";
import { runVectors, assert, deepEqual } from "./vector-runner.mjs";
import { checkCallback } from "./shared.mjs";
import vectors from "./vectors.mjs";

const runtime =
  typeof globalThis.Deno?.version?.deno === "string"
    ? `deno ${globalThis.Deno.version.deno}`
    : typeof process?.versions?.bun === "string"
      ? `bun ${process.versions.bun}`
      : `other ${typeof process === "object" ? process.version : "?"}`;
const resolved = {
  main: import.meta.resolve("markifact-connect"),
  callback: import.meta.resolve("markifact-connect/callback"),
};

const checks = [];
async function check(name, fn) {
  const start = performance.now();
  try {
    await fn();
    checks.push({ name, ok: true, ms: Math.round(performance.now() - start) });
  } catch (error) {
    checks.push({ name, ok: false, detail: String(error?.stack ?? error) });
  }
}
function same(actual, expected, message) {
  if (!deepEqual(actual, expected)) {
    throw new Error(`${message}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
}
function show(value) {
  if (value instanceof Error) return `${value.constructor?.name}(${value.code ?? ""}/${value.rule ?? ""}): ${value.message}`;
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  } catch {
    return String(value);
  }
}
/** Asserts that `error` is a well-formed MarkifactError of `code` (and `rule`, `field` if given). */
function coded(error, code, what, { rule, field } = {}) {
  assert(error instanceof MarkifactError, `${what}: ${show(error)} is not a MarkifactError`);
  assert(error instanceof Error, `${what}: the MarkifactError is not an Error`);
  assert(error.name === "MarkifactError", `${what}: name ${error.name}`);
  assert(error.code === code, `${what}: code ${error.code} (${error.message}), expected ${code}`);
  assert(errorCodes().includes(error.code), `${what}: ${error.code} is not in errorCodes()`);
  assert(typeof error.message === "string" && error.message.length > 0, `${what}: empty message`);
  if (rule !== undefined) assert(error.rule === rule, `${what}: rule ${error.rule}, expected ${rule}`);
  if (field !== undefined) assert(error.field === field, `${what}: field ${error.field}, expected ${field}`);
  return error;
}
function throws(fn, code, what, expected) {
  let value;
  try {
    value = fn();
  } catch (error) {
    return coded(error, code, what, expected);
  }
  throw new Error(`${what}: returned ${show(value)} instead of throwing ${code}`);
}
async function rejects(promise, code, what, expected) {
  assert(promise instanceof Promise, `${what}: not a Promise`);
  let value;
  try {
    value = await promise;
  } catch (error) {
    return coded(error, code, what, expected);
  }
  throw new Error(`${what}: resolved with ${show(value)} instead of rejecting with ${code}`);
}

const REDIRECT = "https://app.example.com/oauth/callback?session=abc";
const SUCCESS = `${REDIRECT}&status=success&connection_type=gads&connection_id=conn_123&external_id=user_42`;
const SUCCESS_RESULT = {
  status: "success",
  connectionType: "gads",
  connectionId: "conn_123",
  externalId: "user_42",
  appParams: [["session", "abc"]],
};
const ERROR = `${REDIRECT}&status=error&connection_type=ga4&error=The+user+denied+access`;
const ERROR_RESULT = { status: "error", connectionType: "ga4", error: "The user denied access", appParams: [["session", "abc"]] };

async function offline() {
  const report = { vectors: runVectors(main, vectors) };
  await check("both entries resolve inside node_modules/markifact-connect/", () => {
    for (const [entry, url] of Object.entries(resolved)) {
      assert(/\/node_modules\/markifact-connect\/[^/]+\.m?js$/.test(url), `${entry} resolved to ${url}`);
    }
  });
  await check("the main entry exports the public API", () => {
    same(
      Object.keys(main).sort(),
      ["MarkifactClient", "MarkifactError", "completeAuthRedirect", "contextHeader", "errorCodes", "openAuthLink", "parseRedirect", "validateExternalId", "validateRedirectUrl"],
      "export names",
    );
  });
  await check("parseRedirect reads a success and an error redirect (main entry)", () => {
    same(parseRedirect(SUCCESS), SUCCESS_RESULT, "success");
    same(parseRedirect(SUCCESS, { redirectUrl: REDIRECT }), SUCCESS_RESULT, "success, exact mode");
    same(parseRedirect(ERROR), ERROR_RESULT, "error");
    // The app's own `status` comes back as is; Markifact's is prefixed markifact_.
    same(
      parseRedirect("https://app.example.com/cb?status=draft&markifact_status=error&error=nope", { redirectUrl: "https://app.example.com/cb?status=draft" }),
      { status: "error", error: "nope", appParams: [["status", "draft"]] },
      "a clashing parameter name",
    );
    throws(() => parseRedirect("https://app.example.com/cb?status=maybe"), "invalid_status", "status=maybe");
  });
  await check("parseRedirect reads a success and an error redirect (callback entry)", () => {
    same(callback.parseRedirect(SUCCESS), SUCCESS_RESULT, "success");
    same(callback.parseRedirect(ERROR, { redirectUrl: REDIRECT }), ERROR_RESULT, "error, exact mode");
    const error = throws(() => callback.parseRedirect("https://app.example.com/cb?x=1"), "missing_status", "no status");
    assert(error instanceof callback.MarkifactError, "not the callback entry's MarkifactError");
  });
  await check("validateRedirectUrl accepts https and refuses http with a coded error", () => {
    assert(validateRedirectUrl(REDIRECT) === REDIRECT, "a good https URL is not returned as is");
    throws(() => validateRedirectUrl("http://app.example.com/cb"), "invalid_redirect_url", "http URL", { rule: "not_https", field: "redirectUrl" });
    throws(() => validateRedirectUrl("https://app.example.com/cb#x"), "invalid_redirect_url", "fragment", { rule: "fragment" });
    throws(() => validateRedirectUrl("http://127.0.0.1:8080/cb"), "invalid_redirect_url", "loopback http without the opt-in", { rule: "not_https" });
    assert(validateRedirectUrl("http://127.0.0.1:8080/cb", { allowInsecureLocalhost: true }) === "http://127.0.0.1:8080/cb", "loopback http with the opt-in");
  });
  await check("validateExternalId accepts an id and refuses bad ones with coded errors", () => {
    assert(validateExternalId("user_42") === undefined, "user_42");
    throws(() => validateExternalId(""), "invalid_external_id", "empty", { rule: "empty", field: "externalId" });
    throws(() => validateExternalId("x".repeat(256)), "invalid_external_id", "256 chars", { rule: "too_long" });
    throws(() => validateExternalId(42), "invalid_argument", "a number", { rule: "wrong_type", field: "externalId" });
  });
  await check("contextHeader and errorCodes answer", () => {
    assert(contextHeader(["c_1", "c_2"]) === '{"connection_ids":["c_1","c_2"]}', "contextHeader");
    const codes = errorCodes();
    for (const code of ["invalid_redirect_url", "invalid_external_id", "unauthorized", "not_found", "timeout"]) {
      assert(codes.includes(code), `errorCodes() lacks ${code}`);
    }
  });
  await check("MarkifactClient takes an API key here (this runtime is not a browser)", () => {
    const client = new MarkifactClient({ apiKey: "sk_sandbox", baseUrl: "http://127.0.0.1:9", allowInsecureLocalhost: true });
    assert(typeof client.createAuthLink === "function", "no createAuthLink");
    throws(() => new MarkifactClient({ apiKey: 42 }), "invalid_argument", "a numeric apiKey");
  });
  // The callback entry against the main one: its exports, one MarkifactError class, the same
  // results; and the shared vectors with the callback entry's parseRedirect.
  const callbackReport = checkCallback(callback, main, vectors);
  report.callbackVectors = callbackReport.vectors;
  checks.push(...callbackReport.checks.map((c) => ({ ...c, name: `callback: ${c.name}` })));
  return report;
}

async function readLine() {
  let buffer = "";
  for await (const chunk of process.stdin) {
    buffer += chunk;
    const end = buffer.indexOf("\n");
    if (end >= 0) return buffer.slice(0, end);
  }
  return buffer;
}

async function client(base, suffix) {
  // A loopback http redirect URL: the sandbox runs with --allow-insecure-localhost, the client
  // needs allowInsecureLocalhost: true (without it, createAuthLink refuses the URL locally).
  const redirectUrl = `${new URL(base).origin}/oauth/callback?session=s_${suffix}`;
  const externalId = `user_${suffix}`;
  const requests = [];
  const fetch = (url, init) => {
    requests.push(`${init?.method ?? "GET"} ${url}`);
    return globalThis.fetch(url, init);
  };
  const markifact = new MarkifactClient({ apiKey: "sk_sandbox", baseUrl: base, allowInsecureLocalhost: true, fetch });
  const report = {};

  await check("listConnectionTypes: a request and its answer", async () => {
    const types = await markifact.listConnectionTypes();
    same(
      types,
      [
        { id: "gads", name: "Google Ads" },
        { id: "ga4", name: "Google Analytics 4" },
        { id: "meta_ads", name: "Meta Ads" },
      ],
      "types",
    );
    same(requests, [`GET ${base}/v1/connections/types`], "requests");
  });
  await check("a wrong API key: unauthorized, not retried, the key not in the message", async () => {
    const before = requests.length;
    const wrong = new MarkifactClient({ apiKey: "sk_wrong_key_123", baseUrl: base, fetch });
    const error = await rejects(wrong.listConnectionTypes(), "unauthorized", "wrong key");
    assert(error.retryable === false, `retryable ${error.retryable}`);
    assert(!error.message.includes("sk_wrong_key_123") && !String(error.stack).includes("sk_wrong_key_123"), "the key leaks into the error");
    assert(requests.length - before === 1, `${requests.length - before} requests`);
  });
  await check("an unknown auth link: not_found", async () => {
    await rejects(markifact.getAuthLinkStatus("al_does_not_exist"), "not_found", "unknown link");
  });
  await check("a loopback http redirect URL without allowInsecureLocalhost is refused before any request", async () => {
    const before = requests.length;
    const plain = new MarkifactClient({ apiKey: "sk_sandbox", baseUrl: base, fetch });
    await rejects(plain.createAuthLink({ connectionType: "ga4", redirectUrl }), "invalid_redirect_url", "http redirect URL", {
      rule: "not_https",
      field: "redirectUrl",
    });
    await rejects(markifact.createAuthLink({ connectionType: "ga4", redirectUrl, externalId: "" }), "invalid_external_id", "empty externalId", {
      rule: "empty",
    });
    assert(requests.length === before, `${requests.length - before} request(s) made`);
  });

  let link;
  await check("createAuthLink: an external id and a loopback redirect URL", async () => {
    link = await markifact.createAuthLink({ connectionType: "ga4", redirectUrl, externalId });
    same(Object.keys(link).sort(), ["expiresAt", "id", "url", "warnings"], "link keys");
    assert(typeof link.id === "string" && link.url === `${base}/connect/${link.id}`, `link ${show(link)}`);
    same(link.warnings, [], "warnings");
    const status = await markifact.getAuthLinkStatus(link.id);
    assert(status.status === "pending" && status.externalId === externalId && status.connectionType === "ga4", `status ${show(status)}`);
  });
  await check("waitForAuthLink on a pending link times out with a coded error", async () => {
    assert(link, "no link");
    const start = performance.now();
    await rejects(markifact.waitForAuthLink(link.id, { timeoutMs: 200 }), "timeout", "waitForAuthLink");
    const ms = performance.now() - start;
    assert(ms >= 150 && ms < 5_000, `timed out after ${Math.round(ms)} ms`);
  });

  // The user approves on the consent page: the test does it and sends the Location back.
  console.log(JSON.stringify({ event: "link", id: link?.id, url: link?.url }));
  const location = link ? await readLine() : "";

  await check("after approval: the redirect parses, the status is connected, verifyRedirect confirms it", async () => {
    assert(link, "no link");
    const redirect = parseRedirect(location, { redirectUrl });
    assert(redirect.status === "success" && redirect.externalId === externalId, `redirect ${show(redirect)}`);
    const waited = await markifact.waitForAuthLink(link.id, { timeoutMs: 5_000 });
    assert(waited.status === "connected" && waited.connectionId === redirect.connectionId, `status ${show(waited)}`);
    const connection = await markifact.verifyRedirect(location, { authLinkId: link.id, redirectUrl, expectedExternalId: externalId });
    assert(connection.id === redirect.connectionId && connection.type === "ga4" && connection.externalId === externalId, `connection ${show(connection)}`);
    const listed = await markifact.listConnections({ externalId });
    same(listed.map((c) => c.id), [connection.id], "listConnections by externalId");
    report.connectionId = connection.id;
  });
  await check("a forged redirect verifies as verification_failed, a denied one as connection_failed", async () => {
    assert(location.includes("connection_id="), `location ${location}`);
    const forged = location.replace(/connection_id=[^&]*/, "connection_id=conn_forged");
    await rejects(markifact.verifyRedirect(forged, { authLinkId: link.id, redirectUrl }), "verification_failed", "forged redirect");
    const denied = `${redirectUrl}&status=error&connection_type=ga4&external_id=${externalId}&error=The+user+denied+access`;
    await rejects(markifact.verifyRedirect(denied, { redirectUrl }), "connection_failed", "denied redirect");
  });
  report.requests = requests.length;
  return report;
}

const [mode = "offline", base, suffix = "x"] = process.argv.slice(2);
let report;
try {
  report = mode === "client" ? await client(base.replace(/\/+$/, ""), suffix) : await offline();
} catch (error) {
  report = { fatal: String(error?.stack ?? error) };
}
console.log(JSON.stringify({ event: "report", mode, runtime, resolved, ...report, checks }));
