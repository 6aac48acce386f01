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

/** One simulated browser: a cookie jar for the Worker's origin, redirects not followed. */
class Browser {
  cookies = new Map();

  async request(target, { method = "GET", headers = {}, body } = {}) {
    const url = new URL(target, origin);
    assert.equal(url.origin, origin, `the test browser only talks to the app: ${url}`);
    const cookie = this.cookieHeader();
    const response = await fetch(url, {
      method,
      headers: { ...(cookie ? { cookie } : {}), ...headers },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(15_000),
    });
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair] = line.split(";");
      const eq = pair.indexOf("=");
      this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      setCookies,
      text,
      json() {
        assert.match(response.headers.get("content-type") ?? "", /^application\/json/, `${method} ${url}: ${text}`);
        return JSON.parse(text);
      },
    };
  }

  /** GET /api/session; remembers the user. */
  async signIn() {
    const response = await this.request("/api/session");
    assert.equal(response.status, 200, response.text);
    this.user = response.json().user;
    return this.user;
  }

  /** POST /api/connect as the app's page does. */
  connectRequest(body, headers = {}) {
    return this.request("/api/connect", {
      method: "POST",
      headers: { "content-type": "application/json", origin, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  }

  async connect(connectionType = "ga4") {
    const response = await this.connectRequest({ connectionType });
    assert.equal(response.status, 200, response.text);
    const link = response.json();
    assert.equal(typeof link.authLinkId, "string");
    assert.ok(link.url.startsWith(`${sandboxUrl()}/connect/`), link.url);
    return link;
  }

  async connections() {
    const response = await this.request("/api/connections");
    assert.equal(response.status, 200, response.text);
    return response.json().connections;
  }

  cookieHeader() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
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

/** The clean result URL on the app's page the Worker must redirect to. */
function appPage(params) {
  return `${origin}/callback.html?${new URLSearchParams(params)}`;
}

function assertErrorPage(response, status, code) {
  assert.equal(response.status, status, response.text);
  assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
  assert.equal(response.headers.get("location"), null, "an error page never redirects");
  assert.match(response.text, new RegExp(`Error code: <code>${code}</code>`), response.text);
  assert.match(response.text, /<a href="\/">/);
  assert.doesNotMatch(response.text, /<script/i);
  const csp = response.headers.get("content-security-policy") ?? "";
  assert.match(csp, /(^|; )default-src 'none'(;|$)/, csp);
  assert.match(csp, /style-src 'sha256-[A-Za-z0-9+/]+=*'/, csp);
  assert.doesNotMatch(csp, /unsafe-inline|script-src/, csp);
  assert.equal(response.headers.get("cache-control"), "no-store");
}

function assertJsonError(response, status, code) {
  assert.equal(response.status, status, response.text);
  const body = response.json();
  assert.equal(body.error?.code, code, response.text);
  assert.equal(typeof body.error.message, "string");
  assert.ok(body.error.message.length > 0);
}

/** The Worker's state parameter in a Location the sandbox answered. */
function stateOf(location) {
  const state = new URL(location).searchParams.get("state");
  assert.match(state ?? "", /^[0-9a-f]{32}$/, location);
  return state;
}

/** Calls the sandbox's API directly, as another part of the team would. */
async function sandboxApi(pathname, { method = "GET", body, key = "sk_sandbox" } = {}) {
  const response = await fetch(`${sandboxUrl()}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** A real connection that belongs to no user of the Worker (another external id). */
async function foreignConnection() {
  const link = await sandboxApi("/v1/connections/auth-link", {
    method: "POST",
    body: { connection_type: "ga4", redirect_url: "http://127.0.0.1:9/elsewhere", external_id: "someone_else" },
  });
  assert.equal(link.status, 200, JSON.stringify(link.body));
  const location = await decide(link.body.url, "approve");
  const id = new URL(location).searchParams.get("connection_id");
  assert.ok(id);
  return id;
}

/** Connect, approve, follow the callback: the verified connection id and the callback URL. */
async function connectAndApprove(b, connectionType = "ga4") {
  const link = await b.connect(connectionType);
  const location = await decide(link.url, "approve");
  const callback = await b.request(location);
  assert.equal(callback.status, 303, callback.text);
  const connectionId = new URL(location).searchParams.get("connection_id");
  assert.equal(callback.headers.get("location"), appPage({ status: "success", connection_type: connectionType, connection_id: connectionId }));
  return { link, location, connectionId };
}

test("session: a random user in an HMAC-signed, HttpOnly, SameSite=Lax cookie", async () => {
  const b = new Browser();
  const first = await b.request("/api/session");
  assert.equal(first.status, 200, first.text);
  const { user } = first.json();
  assert.match(user, /^u_[0-9a-f]{32}$/);
  assert.equal(first.setCookies.length, 1);
  const [cookie, ...attributes] = first.setCookies[0].split("; ");
  assert.match(cookie, new RegExp(`^mf_session=v1\\.${user}\\.[A-Za-z0-9_-]{43}$`));
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
  const externalId = sent.searchParams.get("external_id");
  assert.match(externalId, /^demo_[0-9a-f]{32}$/, "an opaque external id");
  assert.ok(!externalId.includes(b.user.slice(2)) && !b.cookies.get("mf_session").includes(externalId.slice(5)));
  const connectionId = sent.searchParams.get("connection_id");

  const callback = await b.request(location);
  assert.equal(callback.status, 303, callback.text);
  assert.equal(
    callback.headers.get("location"),
    appPage({ status: "success", connection_type: "ga4", connection_id: connectionId }),
    "a clean URL on APP_ORIGIN, without the state or external id",
  );
  assert.equal(callback.headers.get("referrer-policy"), "no-referrer");
  assert.equal(callback.headers.get("cache-control"), "no-store");

  const listed = await b.connections();
  assert.deepEqual(listed.map((c) => [c.id, c.type, c.externalId]), [[connectionId, "ga4", externalId]]);
  const status = await b.request(`/api/connect/${link.authLinkId}/status`);
  assert.deepEqual(status.json(), { status: "connected", connectionId });

  const keys = await worker.listKv();
  assert.ok(keys.includes(`conn:${b.user}:${connectionId}`), `stored: ${keys}`);
  assert.ok(!keys.includes(`state:${state}`), "the state is deleted after use");
});

test("deny: 303 with status=error; the same link then approved completes", async () => {
  const b = await browser();
  const link = await b.connect("meta_ads");
  const denied = await decide(link.url, "deny");
  const callback = await b.request(denied);
  assert.equal(callback.status, 303, callback.text);
  assert.equal(
    callback.headers.get("location"),
    appPage({ status: "error", connection_type: "meta_ads", error: "The user denied access" }),
  );
  assert.deepEqual(await b.connections(), []);
  assert.deepEqual((await b.request(`/api/connect/${link.authLinkId}/status`)).json(), { status: "pending" });

  // The link stays pending and the Worker kept the state: the retry goes through.
  const approved = await decide(link.url, "approve");
  assert.equal(stateOf(approved), stateOf(denied));
  const retry = await b.request(approved);
  assert.equal(retry.status, 303, retry.text);
  const connectionId = new URL(approved).searchParams.get("connection_id");
  assert.equal(retry.headers.get("location"), appPage({ status: "success", connection_type: "meta_ads", connection_id: connectionId }));
  assert.deepEqual((await b.connections()).map((c) => c.id), [connectionId]);
  assert.deepEqual(await worker.listKv(`conn:${b.user}:`), [`conn:${b.user}:${connectionId}`]);
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
  const keys = await worker.listKv();
  assert.deepEqual(keys.filter((k) => k.startsWith(`conn:${b.user}:`)), [], "no forged connection stored");
  assert.ok(keys.includes(`state:${state}`), "a forgery does not burn the genuine callback's state");

  const callback = await b.request(genuine.href);
  assert.equal(callback.status, 303, callback.text);
  assert.equal(
    callback.headers.get("location"),
    appPage({ status: "success", connection_type: "ga4", connection_id: genuine.searchParams.get("connection_id") }),
  );
});

test("another session's callback: error page, nothing stored; the owner still completes", async () => {
  const owner = await browser();
  const other = await browser();
  const link = await owner.connect("gads");
  const location = await decide(link.url, "approve");
  const connectionId = new URL(location).searchParams.get("connection_id");

  assertErrorPage(await other.request(location), 403, "session_mismatch");
  assertErrorPage(await new Browser().request(location), 403, "no_session");
  const keys = await worker.listKv("conn:");
  assert.deepEqual(keys.filter((k) => k.endsWith(`:${connectionId}`)), [], `nothing stored: ${keys}`);
  assert.deepEqual(await other.connections(), []);
  assertJsonError(await other.request(`/api/connect/${link.authLinkId}/status`), 404, "not_found");

  const callback = await owner.request(location);
  assert.equal(callback.status, 303, callback.text);
  assert.equal(callback.headers.get("location"), appPage({ status: "success", connection_type: "gads", connection_id: connectionId }));
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
  assert.deepEqual(await worker.listKv(`conn:${b.user}:`), []);
  assert.deepEqual(await b.connections(), []);
});

test("tampered cookie: never accepted (a new session), callback rejected", async () => {
  const b = await browser();
  const link = await b.connect("ga4");
  const location = await decide(link.url, "approve");
  const value = b.cookies.get("mf_session");
  const [, user, signature] = value.split(".");
  assert.equal(user, b.user);

  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const tampered = [];
  for (let i = 0; i < signature.length; i++) {
    const flipped = alphabet[(alphabet.indexOf(signature[i]) + 1) % 64];
    tampered.push(`v1.${user}.${signature.slice(0, i)}${flipped}${signature.slice(i + 1)}`);
  }
  // The last character carries 2 unused bits: its twin decodes to the same bytes, and must still
  // be refused (only the canonical spelling is the signed cookie).
  const last = alphabet.indexOf(signature.at(-1));
  tampered.push(`v1.${user}.${signature.slice(0, -1)}${alphabet[last ^ 1]}`);
  const otherUser = `u_${"0".repeat(32)}`;
  tampered.push(
    `v1.${otherUser}.${signature}`,
    `v1.${user}`,
    `v1.${user}.`,
    `v2.${user}.${signature}`,
    `v1.${user}.${signature}=`,
    `${value}.${signature}`,
    `v1.${user.toUpperCase()}.${signature}`,
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
  assert.deepEqual(await worker.listKv(`conn:${user}:`), []);

  // The untouched cookie still completes it (the rejections were the tampering's).
  const genuine = new Browser();
  genuine.cookies.set("mf_session", value);
  const callback = await genuine.request(location);
  assert.equal(callback.status, 303, callback.text);
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
  assert.equal(genuine.headers.get("location"), appPage({ status: "error", connection_type: "ga4", error: "The user denied access" }));
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
  assert.equal((await worker.listKv(`link:${b.user}:`)).length, 1, "only the allowed request created a link");

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

test("load: a burst of concurrent callbacks, each link's twice: no error, one stored connection per link", { timeout: 120_000 }, async () => {
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
  const errors = burst.filter((r) => r.status !== 303 && !(r.status === 400 && /unknown_state/.test(r.text)));
  console.log(
    `# load: ${burst.length} concurrent callbacks, ${errors.length} errors, ` +
      `${burst.filter((r) => r.status === 303).length} redirects, p50 ${quantile(0.5).toFixed(0)} ms, p99 ${quantile(0.99).toFixed(0)} ms`,
  );
  assert.deepEqual(errors.map((r) => `${r.status}: ${r.text.slice(0, 200)}`), []);
  for (const { b, location } of flows) {
    const pair = burst.filter((r) => r.location === location);
    assert.ok(pair.some((r) => r.status === 303), `no callback of ${location} succeeded`);
    const connectionId = new URL(location).searchParams.get("connection_id");
    assert.deepEqual(await worker.listKv(`conn:${b.user}:`), [`conn:${b.user}:${connectionId}`]);
  }
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
  assert.match(bundle, /initSync\(\{ module: \w+ \}\)/, "the workerd entry of the package");
  assert.doesNotMatch(bundle, /AGFzbQ/, "index.js (the embedded wasm) was bundled instead");
  for (const route of ["/oauth/callback", "/callback.html", "crypto.subtle.verify"]) assert.ok(bundle.includes(route), route);
  assert.ok(!bundle.includes(SESSION_SECRET) && !bundle.includes("sk_sandbox"), "secrets stay out of the bundle");
  assert.match(result.stdout, /env\.CONNECT_KV/);
});

test("a misconfigured Worker answers a coded 500 naming the setting (and the helper reports it)", { timeout: 120_000 }, async () => {
  await assert.rejects(
    startWorker({ tarball: tarball(), sandboxUrl: sandboxUrl(), sessionSecret: "too-short", name: "worker-misconfigured" }),
    (error) => {
      assert.match(error.message, /answers 500/);
      const body = JSON.parse(error.message.slice(error.message.indexOf("{")));
      assert.equal(body.error.code, "server_misconfigured");
      assert.match(body.error.message, /SESSION_SECRET must be at least 32 characters/);
      assert.doesNotMatch(error.message, /too-short/, "the secret's value is not echoed");
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
