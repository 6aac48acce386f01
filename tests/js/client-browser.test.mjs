// MarkifactClient from the packed tarball in headless Chromium: a fresh consumer folder served on
// one loopback port, the sandbox (MARKIFACT_SANDBOX_URL) on another, a page importing the package
// through an import map (consumer/client-browser/), driven with page.evaluate. A representative
// subset of client.test.mjs (the whole flow through the real consent page, a retried fault,
// abort, 401) plus what only a browser has: the guard against API keys in a page, proxy mode,
// CORS (Retry-After must be readable cross-origin).
import { test, before, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import path from "node:path";
import { JS_DIR, since } from "./helpers/env.mjs";
import { consumerWithTarball } from "./helpers/install.mjs";
import { BOTH_EMBEDDED_ONCE, serveStatic, wasmRequests } from "./helpers/server.mjs";
import { closeAfterTests, launchChromium, openPage } from "./helpers/browser.mjs";
import { sandboxUrl, checkSandbox, resetSandbox, injectFaults } from "./helpers/sandbox.mjs";

let SANDBOX;
let server;
let browser;
let page;
/** What the page's problem log must hold: the failures the tests caused on purpose. */
const expectedProblems = [];

/** A request of the page to `path` on the sandbox is expected to answer `status` (`reason`). */
function expectFailedLoad(path, status, reason) {
  expectedProblems.push(
    `HTTP ${status}: ${SANDBOX}${path}`,
    `console.error: Failed to load resource: the server responded with a status of ${status} (${reason})`,
  );
}

/** Runs `fn(arg)` in the page (where `markifact` and `helpers` are globals). */
function inPage(fn, arg = {}) {
  return page.page.evaluate(fn, { sandbox: SANDBOX, ...arg });
}

async function waitForPackage() {
  await page.page.waitForFunction(() => window.__ready === true || window.__pageError !== undefined, null, {
    timeout: 30_000,
  });
  const error = await page.page.evaluate(() => window.__pageError);
  assert.equal(error, undefined, `the page failed: ${error}\n${page.problems.join("\n")}`);
}

/** Asserts a settled page result is a rejection with a MarkifactError of `code`; returns it. */
function failedWith(result, code, what = code) {
  assert.equal(result.ok, false, `${what}: resolved with ${JSON.stringify(result.value)}`);
  const { error } = result;
  assert.ok(error.isMarkifactError && error.isError, `${what}: not a MarkifactError: ${error.string}`);
  assert.equal(error.name, "MarkifactError");
  assert.equal(error.code, code, `${what}: ${error.code}: ${error.message}`);
  return error;
}

before(async () => {
  const start = performance.now();
  SANDBOX = sandboxUrl();
  await checkSandbox();
  const dir = await consumerWithTarball("client-browser");
  for (const file of ["index.html", "page.mjs"]) {
    copyFileSync(path.join(JS_DIR, "consumer", "client-browser", file), path.join(dir, file));
  }
  server = await serveStatic(dir);
  assert.notEqual(new URL(server.url).origin, new URL(SANDBOX).origin, "the page must be cross-origin to the sandbox");
  browser = await launchChromium();
  page = await openPage(browser, server.url);
  await waitForPackage();
  console.log(`# client-browser: install, launch and load in ${since(start)} ms`);
}, { timeout: 180_000 });

closeAfterTests(() => page, () => browser, () => server);

beforeEach(() => resetSandbox());

test("an apiKey in a browser is refused without dangerouslyAllowBrowser", async () => {
  const result = await inPage(({ sandbox }) => {
    const { MarkifactClient } = window.markifact;
    const attempt = (options) => {
      try {
        new MarkifactClient(options);
        return "constructed";
      } catch (error) {
        return window.helpers.describe(error);
      }
    };
    return {
      plain: attempt({ apiKey: "sk_sandbox", baseUrl: sandbox }),
      explicitFalse: attempt({ apiKey: "sk_sandbox", baseUrl: sandbox, dangerouslyAllowBrowser: false }),
      defaultBase: attempt({ apiKey: "sk_sandbox" }),
      allowed: attempt({ apiKey: "sk_sandbox", baseUrl: sandbox, dangerouslyAllowBrowser: true }),
      proxy: attempt({ baseUrl: "/api/markifact" }),
    };
  });
  for (const what of ["plain", "explicitFalse", "defaultBase"]) {
    const error = result[what];
    assert.notEqual(error, "constructed", `${what}: the client was constructed with a key in a page`);
    assert.ok(error.isMarkifactError, `${what}: ${error.string}`);
    assert.equal(error.code, "browser_key_refused", `${what}: ${error.message}`);
    assert.match(error.message, /dangerouslyAllowBrowser/);
    assert.ok(!error.message.includes("sk_sandbox"), `${what}: the key is in the message`);
  }
  assert.equal(result.allowed, "constructed");
  assert.equal(result.proxy, "constructed");

  const types = await inPage(({ sandbox }) =>
    window.helpers.settle(() =>
      new window.markifact.MarkifactClient({ apiKey: "sk_sandbox", baseUrl: sandbox, dangerouslyAllowBrowser: true }).listConnectionTypes(),
    ),
  );
  assert.ok(types.ok, JSON.stringify(types.error));
  assert.deepEqual(types.value.map((t) => t.id), ["gads", "ga4", "meta_ads"]);
});

test("proxy mode: no apiKey, a fetch that adds the Authorization header", async () => {
  const result = await inPage(({ sandbox }) =>
    window.helpers.settle(async () => {
      const { calls, fetch } = window.helpers.countingFetch({ authorization: "Bearer sk_sandbox" });
      const client = new window.markifact.MarkifactClient({ baseUrl: sandbox, fetch });
      const types = await client.listConnectionTypes();
      const link = await client.createAuthLink({ connectionType: "ga4", externalId: "proxy_user" });
      const status = await client.getAuthLinkStatus(link.id);
      return { types, link, status, calls };
    }),
  );
  assert.ok(result.ok, JSON.stringify(result.error));
  const { types, link, status, calls } = result.value;
  assert.equal(types.length, 3);
  assert.equal(status.id, link.id);
  assert.equal(status.status, "pending");
  assert.equal(status.externalId, "proxy_user");
  assert.deepEqual(calls, [
    ["GET", `${SANDBOX}/v1/connections/types`],
    ["POST", `${SANDBOX}/v1/connections/auth-link`],
    ["GET", `${SANDBOX}/v1/connections/auth-links/${link.id}/status`],
  ]);

  // Without the proxy's header the sandbox refuses the request: the client sent no key itself.
  expectFailedLoad("/v1/connections/types", 401, "Unauthorized");
  const bare = await inPage(({ sandbox }) =>
    window.helpers.settle(() => new window.markifact.MarkifactClient({ baseUrl: sandbox }).listConnectionTypes()),
  );
  const error = failedWith(bare, "unauthorized", "no key, plain fetch");
  assert.equal(error.status, 401);
});

test("the whole flow through the consent page: create, pending, approve, verify, wait", async () => {
  const redirectUrl = `${server.url}index.html?session=s1`;
  const created = await inPage(({ sandbox, redirectUrl }) =>
    window.helpers.settle(async () => {
      const client = new window.markifact.MarkifactClient({
        apiKey: "sk_sandbox",
        baseUrl: sandbox,
        dangerouslyAllowBrowser: true,
        allowInsecureLocalhost: true,
      });
      const link = await client.createAuthLink({ connectionType: "gads", redirectUrl, externalId: "browser_user" });
      return { link, status: await client.getAuthLinkStatus(link.id) };
    }),
  { redirectUrl });
  assert.ok(created.ok, JSON.stringify(created.error));
  const { link, status } = created.value;
  assert.equal(link.url, `${SANDBOX}/connect/${link.id}`);
  assert.deepEqual(link.warnings, []);
  assert.equal(status.status, "pending");
  assert.equal(typeof status.expiresAt, "number");

  // The user approves on Markifact's hosted page, which sends the browser back to the app.
  await page.page.goto(link.url);
  assert.equal(await page.page.locator("h1").textContent(), "Connect Google Ads");
  await Promise.all([
    page.page.waitForURL((url) => url.href.startsWith(`${server.url}index.html?`), { timeout: 15_000 }),
    page.page.getByRole("button", { name: "Approve" }).click(),
  ]);
  await waitForPackage();

  const verified = await inPage(({ sandbox, redirectUrl, linkId }) =>
    window.helpers.settle(async () => {
      const client = new window.markifact.MarkifactClient({ apiKey: "sk_sandbox", baseUrl: sandbox, dangerouslyAllowBrowser: true });
      const redirect = window.markifact.parseRedirect(location.href, { redirectUrl });
      const connection = await client.verifyRedirect(location.href, {
        authLinkId: linkId,
        redirectUrl,
        expectedExternalId: "browser_user",
        expectedConnectionType: "gads",
      });
      const polls = [];
      const waited = await client.waitForAuthLink(linkId, { onPoll: (s) => polls.push(s.status) });
      const forged = await window.helpers.settle(() =>
        client.verifyRedirect(location.href.replace(/connection_id=[^&]+/, "connection_id=forged"), { authLinkId: linkId }),
      );
      return { href: location.href, redirect, connection, waited, polls, forged };
    }),
  { redirectUrl, linkId: link.id });
  assert.ok(verified.ok, JSON.stringify(verified.error));
  const { href, redirect, connection, waited, polls, forged } = verified.value;
  assert.ok(href.startsWith(`${redirectUrl}&status=success&`), href);
  assert.equal(redirect.status, "success");
  assert.deepEqual(redirect.appParams, [["session", "s1"]]);
  assert.equal(connection.id, redirect.connectionId);
  assert.equal(connection.type, "gads");
  assert.equal(connection.externalId, "browser_user");
  assert.equal(waited.status, "connected");
  assert.equal(waited.connectionId, connection.id);
  assert.deepEqual(waited.connections, [connection]);
  assert.deepEqual(polls, ["connected"]);
  failedWith(forged, "verification_failed", "a forged connection_id");
});

test("429 with Retry-After is retried after the wait (the header is readable cross-origin)", async () => {
  await injectFaults({ status: 429, retry_after_s: 1 });
  expectFailedLoad("/v1/connections/types", 429, "Too Many Requests");
  const retried = await inPage(({ sandbox }) =>
    window.helpers.settle(async () => {
      const { calls, fetch } = window.helpers.countingFetch();
      const client = new window.markifact.MarkifactClient({ apiKey: "sk_sandbox", baseUrl: sandbox, dangerouslyAllowBrowser: true, fetch });
      return { types: await client.listConnectionTypes(), calls: calls.length };
    }),
  );
  assert.ok(retried.ok, JSON.stringify(retried.error));
  assert.equal(retried.value.types.length, 3);
  assert.equal(retried.value.calls, 2);
  assert.ok(retried.ms >= 950, `retried after ${Math.round(retried.ms)} ms, before the 1 s Retry-After`);

  await injectFaults({ status: 429, retry_after_s: 1 });
  expectFailedLoad("/v1/connections/types", 429, "Too Many Requests");
  const once = await inPage(({ sandbox }) =>
    window.helpers.settle(() =>
      new window.markifact.MarkifactClient({
        apiKey: "sk_sandbox",
        baseUrl: sandbox,
        dangerouslyAllowBrowser: true,
        maxRetries: 0,
      }).listConnectionTypes(),
    ),
  );
  const error = failedWith(once, "rate_limited");
  assert.equal(error.status, 429);
  assert.equal(error.retryable, true);
  assert.equal(error.retryAfterMs, 1000);
});

test("abort: mid-request at once, and an already-aborted signal sends nothing", async () => {
  await injectFaults({ delay_ms: 3_000 });
  expectedProblems.push(`request failed: ${SANDBOX}/v1/connections/types net::ERR_ABORTED`);
  const result = await inPage(({ sandbox }) => {
    const { calls, fetch } = window.helpers.countingFetch();
    const client = new window.markifact.MarkifactClient({ apiKey: "sk_sandbox", baseUrl: sandbox, dangerouslyAllowBrowser: true, fetch });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    return window.helpers.settle(() => client.listConnectionTypes({ signal: controller.signal })).then(async (mid) => {
      const sentMid = calls.length;
      const before = await window.helpers.settle(() => client.listConnectionTypes({ signal: AbortSignal.abort() }));
      return { mid, sentMid, before, sentBefore: calls.length - sentMid };
    });
  });
  const mid = failedWith(result.mid, "aborted", "mid-request");
  assert.equal(mid.retryable, false);
  assert.ok(result.mid.ms < 1_000, `aborted after ${Math.round(result.mid.ms)} ms`);
  assert.equal(result.sentMid, 1);
  failedWith(result.before, "aborted", "already aborted");
  assert.equal(result.sentBefore, 0, "a request was sent with an aborted signal");
});

test("a wrong key gives unauthorized, and the key is in no part of the error", async () => {
  const wrongKey = "sk_wrong_browser_5e8d1c";
  expectFailedLoad("/v1/connections/types", 401, "Unauthorized");
  const result = await inPage(({ sandbox, wrongKey }) =>
    window.helpers.settle(() =>
      new window.markifact.MarkifactClient({ apiKey: wrongKey, baseUrl: sandbox, dangerouslyAllowBrowser: true }).listConnectionTypes(),
    ),
  { wrongKey });
  const error = failedWith(result, "unauthorized");
  assert.equal(error.status, 401);
  assert.equal(error.detail, "Invalid or revoked API key");
  for (const key of ["message", "detail", "string", "json", "stack"]) {
    assert.ok(!error[key].includes(wrongKey), `${key} contains the key: ${error[key]}`);
  }
});

test("the wasm came embedded in the installed package (the page loads again on each redirect back)", () => {
  const requests = wasmRequests(server);
  assert.ok(requests.length >= 2, JSON.stringify(requests));
  assert.deepEqual([...new Set(requests.map((r) => JSON.stringify(r)))].map((r) => JSON.parse(r)), BOTH_EMBEDDED_ONCE);
});

test("no console errors or warnings, uncaught exceptions or requests outside loopback", () => {
  // Only the failed loads the tests above caused on purpose, which Chromium also logs as
  // "Failed to load resource"; anything else is a problem.
  assert.deepEqual([...page.problems].sort(), [...expectedProblems].sort());
});
