// examples/worker, the Cloudflare Workers callback handler, in the real workerd (`wrangler dev`,
// local mode) against the Markifact sandbox, with the packed tarball installed as its dependency.
// Each simulated browser keeps its own cookie jar; the sandbox's consent page is completed with
// `decide()`, and the Location it answers is what the browser would follow to the Worker.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { since, tarball } from "./helpers/env.mjs";
import { cleanup, run } from "./helpers/proc.mjs";
import { advanceClock, checkSandbox, decide, resetSandbox, sandboxUrl } from "./helpers/sandbox.mjs";
import { startWorker, wranglerArgs, wranglerEnv } from "./helpers/worker.mjs";
import {
  Browser as BaseBrowser,
  appPage as appPageOf,
  assertErrorPage,
  assertJsonError,
  connectionExists,
  foreignConnection,
  sandboxApi,
  stateOf,
} from "./helpers/worker-browser.mjs";

const SESSION_SECRET = "worker-callback-test-secret-0123456789abcdef";
const DAY_MS = 24 * 3600 * 1000;

let worker;
let origin;

before(async () => {
  await checkSandbox();
  await resetSandbox();
  const begin = performance.now();
  worker = await startWorker({
    tarball: tarball(),
    sandboxUrl: sandboxUrl(),
    sessionSecret: SESSION_SECRET,
    name: "worker-callback",
    // Every browser here comes from 127.0.0.1; the limits have their own tests
    // (worker-security.test.mjs).
    vars: { CONNECT_LIMIT_PER_IP: "100000" },
    // To run these tests against another copy of the Worker (e.g. an older one).
    exampleDir: process.env.MARKIFACT_WORKER_EXAMPLE || undefined,
  });
  origin = worker.appOrigin;
  console.log(`# worker (wrangler dev, workerd) ready in ${since(begin)} ms at ${worker.url}`);
}, { timeout: 150_000 });

after(async () => {
  // Stop workerd first, whatever happened; then leave the sandbox as the other files expect it.
  await cleanup(
    () => worker?.stop(),
    () => resetSandbox(),
  );
}, { timeout: 60_000 });

/** One simulated browser on this file's Worker. */
class Browser extends BaseBrowser {
  constructor(options) {
    super(origin, options);
  }
}

/** A GET with a raw request target and headers fetch() would not send (Host), over node:http. */
function rawGet(target, headers) {
  const { hostname, port } = new URL(worker.url);
  return new Promise((resolve, reject) => {
    const request = http.get({ hostname, port, path: target, headers }, (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (d) => (body += d));
      response.on("end", () => resolve({ status: response.statusCode, headers: response.headers, body }));
    });
    request.on("error", reject);
    request.setTimeout(15_000, () => request.destroy(new Error(`GET ${target} timed out`)));
  });
}

/** A signed-in browser. */
async function browser() {
  const b = new Browser();
  await b.signIn();
  return b;
}

/** The result URL on the app's page the Worker must redirect to (it carries the state). */
function appPage(params) {
  return appPageOf(origin, params);
}

/** The local KV's key names (wrangler kv key list; retried: workerd may hold the database). */
async function listKv(prefix) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await worker.listKv(prefix);
    } catch (error) {
      if (attempt >= 3 || !/SQLITE_BUSY|database is locked/.test(error.message)) throw error;
    }
  }
}

/** Connect, approve, follow the callback: the verified connection id and the callback URL. */
async function connectAndApprove(b, connectionType = "ga4") {
  const link = await b.connect(connectionType);
  const location = await decide(link.url, "approve");
  const callback = await b.request(location);
  assert.equal(callback.status, 303, callback.text);
  const connectionId = new URL(location).searchParams.get("connection_id");
  assert.equal(
    callback.headers.get("location"),
    appPage({ state: link.state, status: "success", connection_type: connectionType, connection_id: connectionId }),
  );
  return { link, location, connectionId };
}

test("session: a random user and its issue time in an HMAC-signed, HttpOnly, SameSite=Lax cookie", async () => {
  const b = new Browser();
  const before = Math.floor(Date.now() / 1000);
  const first = await b.request("/api/session");
  assert.equal(first.status, 200, first.text);
  const { user } = first.json();
  assert.match(user, /^u_[0-9a-f]{32}$/);
  assert.equal(first.setCookies.length, 1);
  const [cookie, ...attributes] = first.setCookies[0].split("; ");
  const match = cookie.match(new RegExp(`^mf_session=v2\\.${user}\\.([1-9][0-9]*)\\.[A-Za-z0-9_-]{43}$`));
  assert.ok(match, cookie);
  const issued = Number(match[1]);
  assert.ok(issued >= before - 1 && issued <= Math.ceil(Date.now() / 1000) + 1, `issued at ${issued}, now ${Date.now()}`);
  assert.deepEqual(new Set(attributes), new Set(["Path=/", "Max-Age=2592000", "HttpOnly", "SameSite=Lax"]), "no Secure on an http APP_ORIGIN");
  // While the cookie is valid, the same user and no new cookie.
  const again = await b.request("/api/session");
  assert.deepEqual(again.json(), { user });
  assert.deepEqual(again.setCookies, []);
  // Another browser is another user.
  assert.notEqual(await new Browser().signIn(), user);
});

test("JSON API: coded errors, connection types passed through", async () => {
  const b = await browser();
  const types = await b.request("/api/connection-types");
  assert.equal(types.status, 200, types.text);
  assert.deepEqual(types.json().connectionTypes.map((t) => t.id).sort(), ["ga4", "gads", "meta_ads"]);

  assertJsonError(await b.request("/nope"), 404, "not_found");
  assertJsonError(await b.request("/"), 404, "not_found");
  const wrongMethod = await b.request("/api/connect");
  assertJsonError(wrongMethod, 405, "method_not_allowed");
  assert.equal(wrongMethod.headers.get("allow"), "POST");
  assertJsonError(await new Browser().request("/api/connections"), 401, "no_session");
  assertJsonError(await new Browser().connectRequest({ connectionType: "ga4" }), 401, "no_session");
  assertJsonError(await b.connectRequest("{not json"), 400, "invalid_json");
  assertJsonError(await b.connectRequest("[]"), 400, "invalid_json");
  assertJsonError(await b.connectRequest({}), 400, "invalid_connection_type");
  assertJsonError(await b.connectRequest({ connectionType: "GA4 <x>" }), 400, "invalid_connection_type");
  assertJsonError(await b.connectRequest({ connectionType: "a".repeat(5000) }), 413, "body_too_large");
  // A well-formed type Markifact does not know: its 422, as this API's 400.
  assertJsonError(await b.connectRequest({ connectionType: "tiktok_ads" }), 400, "rejected_by_markifact");
  assertJsonError(await b.request("/api/connect/no-such-link/status"), 404, "not_found");
  assert.deepEqual(await b.connections(), []);
});

test("success: connect, approve, callback 303 to a clean success URL; listed and stored", async () => {
  const b = await browser();
  const link = await b.connect("ga4");
  const pending = await b.request(`/api/connect/${link.authLinkId}/status`);
  assert.deepEqual(pending.json(), { status: "pending" });

  const location = await decide(link.url, "approve");
  const sent = new URL(location);
  assert.equal(`${sent.origin}${sent.pathname}`, `${origin}/oauth/callback`, "Markifact sends the browser to the Worker");
  const state = stateOf(location);
  assert.equal(link.state, state, "POST /api/connect answers the state the redirect URL carries");
  const externalId = sent.searchParams.get("external_id");
  assert.match(externalId, /^demo_[0-9a-f]{32}$/, "an opaque external id");
  assert.ok(!externalId.includes(b.user.slice(2)) && !b.cookies.get("mf_session").includes(externalId.slice(5)));
  const connectionId = sent.searchParams.get("connection_id");

  const callback = await b.request(location);
  assert.equal(callback.status, 303, callback.text);
  assert.equal(
    callback.headers.get("location"),
    appPage({ state, status: "success", connection_type: "ga4", connection_id: connectionId }),
    "a clean URL on APP_ORIGIN: the state (for the page's openAuthLink), no external id",
  );
  assert.equal(callback.headers.get("referrer-policy"), "no-referrer");
  assert.equal(callback.headers.get("cache-control"), "no-store");

  const listed = await b.connections();
  assert.deepEqual(listed.map((c) => [c.id, c.type, c.externalId]), [[connectionId, "ga4", externalId]]);
  const status = await b.request(`/api/connect/${link.authLinkId}/status`);
  assert.deepEqual(status.json(), { status: "connected", connectionId });
  // The state was used up: the same callback again is refused.
  assertErrorPage(await b.request(location), 400, "unknown_state");
  // States and credited connections live in Durable Objects; KV only knows who created the link.
  const keys = await listKv();
  assert.deepEqual(keys.filter((k) => !k.startsWith("link:")), [], `${keys}`);
  assert.ok(keys.includes(`link:${b.user}:${link.authLinkId}`), `${keys}`);
});

test("deny: 303 with status=error; the same link then approved completes", async () => {
  const b = await browser();
  const link = await b.connect("meta_ads");
  const denied = await decide(link.url, "deny");
  const callback = await b.request(denied);
  assert.equal(callback.status, 303, callback.text);
  assert.equal(
    callback.headers.get("location"),
    appPage({ state: link.state, status: "error", connection_type: "meta_ads", error: "The user denied access" }),
  );
  assert.deepEqual(await b.connections(), []);
  assert.deepEqual((await b.request(`/api/connect/${link.authLinkId}/status`)).json(), { status: "pending" });

  // The link stays pending and the Worker kept the state: the retry goes through.
  const approved = await decide(link.url, "approve");
  assert.equal(stateOf(approved), stateOf(denied));
  const retry = await b.request(approved);
  assert.equal(retry.status, 303, retry.text);
  const connectionId = new URL(approved).searchParams.get("connection_id");
  assert.equal(
    retry.headers.get("location"),
    appPage({ state: link.state, status: "success", connection_type: "meta_ads", connection_id: connectionId }),
  );
  assert.deepEqual((await b.connections()).map((c) => c.id), [connectionId]);
});

test("forged parameters with a valid state: error page, nothing stored, state kept", async () => {
  const b = await browser();
  const foreign = await foreignConnection();
  const link = await b.connect("ga4");
  // The browser learns its state from a denial (the link stays pending).
  const denied = new URL(await decide(link.url, "deny"));
  const state = stateOf(denied.href);
  const externalId = denied.searchParams.get("external_id");
  const forge = (params) => b.request(`/oauth/callback?${new URLSearchParams({ state, ...params })}`);

  // The link is pending: no success claim can be confirmed, real id or not.
  for (const connectionId of [foreign, "c_made_up", link.authLinkId]) {
    assertErrorPage(
      await forge({ status: "success", connection_type: "ga4", connection_id: connectionId, external_id: externalId }),
      400,
      "verification_failed",
    );
  }
  assertErrorPage(await forge({ status: "success", connection_type: "ga4", connection_id: foreign }), 400, "verification_failed");
  assertErrorPage(await forge({ status: "success", connection_type: "ga4" }), 400, "missing_parameter");
  assertErrorPage(await forge({ status: "maybe" }), 400, "invalid_status");

  // Approved now: a real redirect exists, but an edited copy still fails.
  const genuine = new URL(await decide(link.url, "approve"));
  for (const [name, value] of [
    ["connection_id", foreign],
    ["connection_type", "gads"],
    ["external_id", "demo_00000000000000000000000000000000"],
  ]) {
    const edited = new URL(genuine);
    edited.searchParams.set(name, value);
    assertErrorPage(await b.request(edited.href), 400, "verification_failed");
  }
  assert.deepEqual(await b.connections(), [], "no forged connection credited");
  assert.equal(await connectionExists(foreign), true, "a forged claim deletes nothing");

  // A forgery does not burn the genuine callback's state.
  const callback = await b.request(genuine.href);
  assert.equal(callback.status, 303, callback.text);
  assert.equal(
    callback.headers.get("location"),
    appPage({ state, status: "success", connection_type: "ga4", connection_id: genuine.searchParams.get("connection_id") }),
  );
});

test("another session's callback of a pending link: error page, nothing credited or deleted; the owner still completes", async () => {
  // (A completed link's callback in another session: worker-security.test.mjs.)
  const owner = await browser();
  const other = await browser();
  const link = await owner.connect("gads");
  const denied = await decide(link.url, "deny");

  assertErrorPage(await other.request(denied), 403, "session_mismatch");
  assertErrorPage(await new Browser().request(denied), 403, "no_session");
  assert.deepEqual(await other.connections(), []);
  assertJsonError(await other.request(`/api/connect/${link.authLinkId}/status`), 404, "not_found");

  // The state was kept: the owner's denial, then its approval, go through.
  const callback = await owner.request(denied);
  assert.equal(callback.status, 303, callback.text);
  assert.equal(
    callback.headers.get("location"),
    appPage({ state: link.state, status: "error", connection_type: "gads", error: "The user denied access" }),
  );
  const approved = await decide(link.url, "approve");
  const connectionId = new URL(approved).searchParams.get("connection_id");
  const done = await owner.request(approved);
  assert.equal(done.status, 303, done.text);
  assert.equal(
    done.headers.get("location"),
    appPage({ state: link.state, status: "success", connection_type: "gads", connection_id: connectionId }),
  );
  assert.deepEqual((await owner.connections()).map((c) => c.id), [connectionId]);
});

test("replay of a used callback: error page", async () => {
  const b = await browser();
  const { location } = await connectAndApprove(b);
  assertErrorPage(await b.request(location), 400, "unknown_state");
  assertErrorPage(await (await browser()).request(location), 400, "unknown_state");
  assertErrorPage(await new Browser().request(location), 400, "unknown_state");
});

test("expired link (sandbox clock + 24 h 1 s): error page, nothing stored", async () => {
  const b = await browser();
  const link = await b.connect("ga4");
  const denied = new URL(await decide(link.url, "deny"));
  const state = stateOf(denied.href);
  await advanceClock(DAY_MS + 1000);

  // The consent page refuses the lapsed link...
  const consent = await fetch(`${link.url}?decision=approve`, { redirect: "manual" });
  await consent.body?.cancel();
  assert.equal(consent.status, 410);
  // ...and a success claim for it is not confirmed.
  const claim = await b.request(
    `/oauth/callback?${new URLSearchParams({
      state,
      status: "success",
      connection_type: "ga4",
      connection_id: "c_after_expiry",
      external_id: denied.searchParams.get("external_id"),
    })}`,
  );
  assertErrorPage(claim, 400, "verification_failed");
  assert.deepEqual((await b.request(`/api/connect/${link.authLinkId}/status`)).json(), { status: "expired" });
  assert.deepEqual(await b.connections(), []);
});

test("tampered cookie: never accepted (a new session), callback rejected", async () => {
  const b = await browser();
  const link = await b.connect("ga4");
  // A denial: the link stays pending, so a refused callback deletes nothing and keeps the state.
  const location = await decide(link.url, "deny");
  const value = b.cookies.get("mf_session");
  const [version, user, issued, signature] = value.split(".");
  assert.equal(version, "v2");
  assert.equal(user, b.user);

  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const tampered = [];
  for (let i = 0; i < signature.length; i++) {
    const flipped = alphabet[(alphabet.indexOf(signature[i]) + 1) % 64];
    tampered.push(`v2.${user}.${issued}.${signature.slice(0, i)}${flipped}${signature.slice(i + 1)}`);
  }
  // The last character carries 2 unused bits: its twin decodes to the same bytes, and must still
  // be refused (only the canonical spelling is the signed cookie).
  const last = alphabet.indexOf(signature.at(-1));
  tampered.push(`v2.${user}.${issued}.${signature.slice(0, -1)}${alphabet[last ^ 1]}`);
  const otherUser = `u_${"0".repeat(32)}`;
  tampered.push(
    `v2.${otherUser}.${issued}.${signature}`,
    // The issue time is signed: a "younger" cookie with the same signature is another cookie.
    `v2.${user}.${Number(issued) + 1}.${signature}`,
    `v2.${user}.${Number(issued) - 1}.${signature}`,
    `v2.${user}.0${issued}.${signature}`,
    `v2.${user}.${issued}`,
    `v2.${user}.${issued}.`,
    `v2.${user}.${signature}`,
    `v1.${user}.${signature}`,
    `v3.${user}.${issued}.${signature}`,
    `v2.${user}.${issued}.${signature}=`,
    `${value}.${signature}`,
    `v2.${user.toUpperCase()}.${issued}.${signature}`,
  );
  for (const cookie of tampered) {
    const forged = new Browser();
    forged.cookies.set("mf_session", cookie);
    const session = await forged.request("/api/session");
    assert.equal(session.status, 200);
    assert.notEqual(session.json().user, user, `accepted: ${cookie}`);
    assert.notEqual(session.json().user, otherUser, `accepted: ${cookie}`);
    assert.equal(session.setCookies.length, 1, `a new session replaces ${cookie}`);
  }
  // Two session cookies (one planted next to the real one): neither is trusted.
  const doubled = await b.request("/api/session", { headers: { cookie: `mf_session=${value}; mf_session=${tampered[0]}` } });
  assert.notEqual(doubled.json().user, user);

  const forged = new Browser();
  forged.cookies.set("mf_session", tampered[5]);
  assertErrorPage(await forged.request(location), 403, "no_session");

  // The untouched cookie still completes it (the rejections were the tampering's).
  const genuine = new Browser();
  genuine.cookies.set("mf_session", value);
  const callback = await genuine.request(location);
  assert.equal(callback.status, 303, callback.text);
  assert.equal(
    callback.headers.get("location"),
    appPage({ state: link.state, status: "error", connection_type: "ga4", error: "The user denied access" }),
  );
});

test("no open redirect: no input moves the Location off APP_ORIGIN/callback.html", async () => {
  const b = await browser();
  const link = await b.connect("ga4");
  const denied = new URL(await decide(link.url, "deny"));
  const state = stateOf(denied.href);
  const evil = ["//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"];

  const check = async (label, target, expectRedirect) => {
    const response = await b.request(target);
    const location = response.headers.get("location");
    if (expectRedirect) assert.equal(response.status, 303, `${label}: ${response.text}`);
    if (location !== null) {
      const url = new URL(location);
      assert.equal(url.origin, origin, `${label}: ${location}`);
      assert.equal(url.pathname, "/callback.html", `${label}: ${location}`);
      assert.equal(url.searchParams.get("connection_type"), "ga4", `${label}: the type is the link's, not the input's`);
    }
    return response;
  };
  for (const value of evil) {
    assertErrorPage(await check(`state=${value}`, `/oauth/callback?state=${encodeURIComponent(value)}&status=error&error=x`), 400, "invalid_state");
    await check(`extra param ${value}`, `${denied.pathname}${denied.search}&next=${encodeURIComponent(value)}`, false);
    await check(`redirect_url ${value}`, `/oauth/callback?redirect_url=${encodeURIComponent(value)}&${denied.searchParams}`, false);
    const error = await check(
      `error=${value}`,
      `/oauth/callback?${new URLSearchParams({ state, status: "error", connection_type: value, error: value })}`,
      true,
    );
    assert.equal(new URL(error.headers.get("location")).searchParams.get("error"), value, "the message is only a query value");
  }
  // A path starting with // (which URL resolution would read as another host) is just a path.
  const doubleSlash = await rawGet(`//evil.example/oauth/callback${denied.search}`, { cookie: b.cookieHeader() });
  assert.equal(doubleSlash.status, 404);
  assert.equal(doubleSlash.headers.location, undefined);
  assert.equal(JSON.parse(doubleSlash.body).error.code, "not_found");

  // A forged Host header changes request.url: the exact parse no longer matches the registered
  // redirect URL, so no redirect at all (and never one built from Host).
  const hostile = await rawGet(`${denied.pathname}${denied.search}`, { host: "evil.example", cookie: b.cookieHeader() });
  assert.equal(hostile.status, 400, hostile.body);
  assert.equal(hostile.headers.location, undefined);
  assert.match(hostile.body, /<code>redirect_mismatch<\/code>/);
  // The same callback with the genuine Host goes through, to APP_ORIGIN.
  const genuine = await check("genuine", `${denied.pathname}${denied.search}`, true);
  assert.equal(
    genuine.headers.get("location"),
    appPage({ state, status: "error", connection_type: "ga4", error: "The user denied access" }),
  );
});

test("CSRF: POST without JSON or from another origin is 403; DELETE from another origin is 403", async () => {
  const b = await browser();
  const body = JSON.stringify({ connectionType: "ga4" });
  const post = (headers) => b.request("/api/connect", { method: "POST", headers, body });
  for (const type of [undefined, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"]) {
    assertJsonError(await post({ origin, ...(type ? { "content-type": type } : {}) }), 403, "json_required");
  }
  for (const foreign of ["https://evil.example", "null", `${origin}.evil.example`, origin.replace("127.0.0.1", "localhost")]) {
    assertJsonError(await post({ origin: foreign, "content-type": "application/json" }), 403, "cross_origin_request");
  }
  assertJsonError(
    await post({ origin, "content-type": "application/json", "sec-fetch-site": "cross-site" }),
    403,
    "cross_origin_request",
  );
  // The same request, from the app itself, works: the refusals above were the guard's.
  const ok = await post({ origin, "content-type": "application/json; charset=utf-8", "sec-fetch-site": "same-origin" });
  assert.equal(ok.status, 200, ok.text);
  assert.equal((await listKv(`link:${b.user}:`)).length, 1, "only the allowed request created a link");

  const { connectionId } = await connectAndApprove(b);
  const del = await b.request(`/api/connections/${connectionId}`, { method: "DELETE", headers: { origin: "https://evil.example" } });
  assertJsonError(del, 403, "cross_origin_request");
  const crossSite = await b.request(`/api/connections/${connectionId}`, { method: "DELETE", headers: { "sec-fetch-site": "cross-site" } });
  assertJsonError(crossSite, 403, "cross_origin_request");
  assert.deepEqual((await b.connections()).map((c) => c.id), [connectionId]);
});

test("DELETE of another user's connection is 404 and it still exists; the owner can delete it", async () => {
  const owner = await browser();
  const other = await browser();
  const { connectionId, link } = await connectAndApprove(owner);
  const foreign = await foreignConnection();
  const del = (b, id) => b.request(`/api/connections/${encodeURIComponent(id)}`, { method: "DELETE", headers: { origin } });

  assertJsonError(await del(other, connectionId), 404, "not_found");
  assertJsonError(await del(owner, foreign), 404, "not_found");
  assertJsonError(await del(owner, "c_made_up"), 404, "not_found");
  assertJsonError(await del(owner, ".."), 404, "not_found");
  assertJsonError(await new Browser().request(`/api/connections/${connectionId}`, { method: "DELETE", headers: { origin } }), 401, "no_session");
  assertJsonError(await other.request(`/api/connect/${link.authLinkId}/status`), 404, "not_found");
  assert.deepEqual((await owner.connections()).map((c) => c.id), [connectionId]);
  assert.equal((await sandboxApi(`/v1/connections/${connectionId}`)).status, 200, "still at Markifact");
  assert.equal((await sandboxApi(`/v1/connections/${foreign}`)).status, 200, "still at Markifact");

  const deleted = await del(owner, connectionId);
  assert.equal(deleted.status, 200, deleted.text);
  assert.equal(deleted.json().deleted.id, connectionId);
  assert.deepEqual(await owner.connections(), []);
  assert.equal((await sandboxApi(`/v1/connections/${connectionId}`)).status, 404);
  assertJsonError(await del(owner, connectionId), 404, "not_found");
});

test("load: a burst of concurrent callbacks, each link's twice: exactly one success per link, no other error", { timeout: 120_000 }, async () => {
  const LINKS = 20;
  const browsers = await Promise.all(Array.from({ length: LINKS }, () => browser()));
  const flows = await Promise.all(
    browsers.map(async (b) => {
      const link = await b.connect();
      return { b, location: await decide(link.url, "approve") };
    }),
  );
  // Every callback at once, each twice (a double click, a retried navigation): 40 in flight.
  const timed = async (b, location) => {
    const start = performance.now();
    const response = await b.request(location);
    return { b, location, status: response.status, text: response.text, ms: performance.now() - start };
  };
  const burst = await Promise.all(flows.flatMap(({ b, location }) => [timed(b, location), timed(b, location)]));
  const ms = burst.map((r) => r.ms).sort((x, y) => x - y);
  const quantile = (q) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
  const errors = burst.filter((r) => r.status !== 303 && !(r.status === 400 && /<code>unknown_state<\/code>/.test(r.text)));
  console.log(
    `# load: ${burst.length} concurrent callbacks, ${errors.length} errors, ` +
      `${burst.filter((r) => r.status === 303).length} redirects, p50 ${quantile(0.5).toFixed(0)} ms, p99 ${quantile(0.99).toFixed(0)} ms`,
  );
  assert.deepEqual(errors.map((r) => `${r.status}: ${r.text.slice(0, 200)}`), []);
  await Promise.all(
    flows.map(async ({ b, location }) => {
      const pair = burst.filter((r) => r.location === location);
      assert.equal(pair.filter((r) => r.status === 303).length, 1, `${location}: ${pair.map((r) => r.status)}`);
      const connectionId = new URL(location).searchParams.get("connection_id");
      assert.deepEqual((await b.connections()).map((c) => c.id), [connectionId]);
    }),
  );
});

test("wrangler deploy --dry-run bundles the example (the wasm as a module, no secrets)", { timeout: 60_000 }, async () => {
  const outdir = path.join(worker.dir, "bundle");
  const result = await run(process.execPath, wranglerArgs("deploy", "--dry-run", "--outdir", outdir), {
    cwd: worker.dir,
    env: wranglerEnv(worker.dir),
    timeout: 60_000,
  });
  console.log(`# wrangler deploy --dry-run: ${result.ms} ms`);
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  const files = readdirSync(outdir);
  // The main wasm and the parser's.
  assert.equal(files.filter((f) => f.endsWith(".wasm")).length, 2, `bundle: ${files.join(", ")}`);
  const bundle = readFileSync(path.join(outdir, "index.js"), "utf8");
  // edge.js hands the imported module itself (index.js would compile an embedded copy).
  assert.match(bundle, /instantiateMain\(\w+, \w+\)/, "the workerd entry of the package");
  assert.doesNotMatch(bundle, /AGFzbQ/, "index.js (the embedded wasm) was bundled instead");
  for (const route of ["/oauth/callback", "/callback.html", "crypto.subtle.verify"]) assert.ok(bundle.includes(route), route);
  assert.ok(!bundle.includes(SESSION_SECRET) && !bundle.includes("sk_sandbox"), "secrets stay out of the bundle");
  assert.match(result.stdout, /env\.CONNECT_KV/);
  for (const [binding, className] of [
    ["CONNECT_STATES", "OneTimeState"],
    ["CONNECT_USERS", "UserConnections"],
    ["CONNECT_RATE_LIMITS", "RateLimiter"],
  ]) {
    assert.match(result.stdout, new RegExp(`env\\.${binding} \\(${className}\\)`), result.stdout);
  }
});

test("a misconfigured Worker answers a coded 500 naming the setting (and the helper reports it)", { timeout: 120_000 }, async () => {
  await assert.rejects(
    startWorker({
      tarball: tarball(),
      sandboxUrl: sandboxUrl(),
      sessionSecret: "too-short",
      name: "worker-misconfigured",
      exampleDir: process.env.MARKIFACT_WORKER_EXAMPLE || undefined,
    }).then(async (started) => {
      await started.stop();
      throw new Error("the Worker started with a short SESSION_SECRET");
    }),
    (error) => {
      assert.match(error.message, /answers 500/);
      const body = JSON.parse(error.message.slice(error.message.indexOf("{")));
      assert.equal(body.error.code, "server_misconfigured");
      assert.match(body.error.message, /SESSION_SECRET must be at least 32 characters/);
      assert.doesNotMatch(error.message, /too-short/, "the secret's value is not echoed");
      return true;
    },
  );
  // A limit that is not a whole number in range (here: 0, which would refuse every link).
  await assert.rejects(
    startWorker({
      tarball: tarball(),
      sandboxUrl: sandboxUrl(),
      name: "worker-misconfigured",
      vars: { CONNECT_LIMIT_PER_IP: "0" },
      exampleDir: process.env.MARKIFACT_WORKER_EXAMPLE || undefined,
    }).then(async (started) => {
      await started.stop();
      throw new Error("the Worker started with CONNECT_LIMIT_PER_IP=0");
    }),
    (error) => {
      const body = JSON.parse(error.message.slice(error.message.indexOf("{")));
      assert.equal(body.error.code, "server_misconfigured");
      assert.match(body.error.message, /CONNECT_LIMIT_PER_IP must be a whole number from 1 to 100000/);
      return true;
    },
  );
});

test("workerd logged no uncaught error, and no log line holds a secret", () => {
  assert.doesNotMatch(worker.output(), /Uncaught|\[ERROR\]|✘|internal:/, worker.output());
  for (const secret of ["sk_sandbox", SESSION_SECRET]) {
    assert.ok(!worker.output().includes(secret), `wrangler/workerd output contains ${secret}`);
  }
});
