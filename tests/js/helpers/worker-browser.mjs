// Simulated browsers and assertions for the tests of examples/worker (worker-callback.test.mjs,
// worker-security.test.mjs): each Browser keeps its own cookie jar for the Worker's origin and
// never follows redirects, so every hop is seen.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { decide, sandboxUrl } from "./sandbox.mjs";

/** One simulated browser. `ip`: sent as CF-Connecting-IP (wrangler dev keeps a client's own). */
export class Browser {
  cookies = new Map();

  constructor(origin, { ip } = {}) {
    this.origin = origin;
    this.ip = ip;
  }

  async request(target, { method = "GET", headers = {}, body } = {}) {
    const url = new URL(target, this.origin);
    assert.equal(url.origin, this.origin, `the test browser only talks to the app: ${url}`);
    const cookie = this.cookieHeader();
    const response = await fetch(url, {
      method,
      headers: { ...(cookie ? { cookie } : {}), ...(this.ip ? { "cf-connecting-ip": this.ip } : {}), ...headers },
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
      headers: { "content-type": "application/json", origin: this.origin, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  }

  /** A new link: `{ authLinkId, url, state }`. */
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

  /** GET /api/connect/:id/status, as JSON. */
  async status(authLinkId) {
    const response = await this.request(`/api/connect/${encodeURIComponent(authLinkId)}/status`);
    assert.equal(response.status, 200, response.text);
    return response.json();
  }

  deleteConnection(connectionId) {
    return this.request(`/api/connections/${encodeURIComponent(connectionId)}`, {
      method: "DELETE",
      headers: { origin: this.origin },
    });
  }

  cookieHeader() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

/** A signed-in browser. */
export async function signedIn(origin, options) {
  const b = new Browser(origin, options);
  await b.signIn();
  return b;
}

/** The result URL on the app's page the Worker redirects to (`state` first, as the Worker sends it). */
export function appPage(origin, params) {
  return `${origin}/callback.html?${new URLSearchParams(params)}`;
}

export function assertErrorPage(response, status, code) {
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

export function assertJsonError(response, status, code) {
  assert.equal(response.status, status, response.text);
  const body = response.json();
  assert.equal(body.error?.code, code, response.text);
  assert.equal(typeof body.error.message, "string");
  assert.ok(body.error.message.length > 0);
  return body.error;
}

/** The Worker's state parameter in a Location the sandbox answered. */
export function stateOf(location) {
  const state = new URL(location).searchParams.get("state");
  assert.match(state ?? "", /^[0-9a-f]{32}$/, location);
  return state;
}

/** Calls the sandbox's API directly, with an API key, as the app's own back office would. */
export async function sandboxApi(pathname, { method = "GET", body, key = "sk_sandbox" } = {}) {
  const response = await fetch(`${sandboxUrl()}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Whether Markifact (the sandbox) still has this connection. */
export async function connectionExists(connectionId) {
  const { status } = await sandboxApi(`/v1/connections/${encodeURIComponent(connectionId)}`);
  assert.ok(status === 200 || status === 404, `GET /v1/connections/${connectionId}: HTTP ${status}`);
  return status === 200;
}

/** A real connection that belongs to no user of the Worker (another external id). */
export async function foreignConnection() {
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

/**
 * A session cookie value the Worker would issue for `user` at `issuedAtS` (Unix seconds), signed
 * with its SESSION_SECRET: `v2.<user>.<issued>.<HMAC-SHA256(label + user + "." + issued)>`.
 */
export function forgeSessionCookie(secret, user, issuedAtS) {
  const issued = String(issuedAtS);
  const mac = createHmac("sha256", secret).update(`markifact-connect-worker/session/v2:${user}.${issued}`).digest("base64url");
  return `v2.${user}.${issued}.${mac}`;
}
