// MarkifactClient from the packed tarball, in Node, against the local Markifact sandbox: npm
// installs the tarball into a fresh folder, a module there imports the package by name (the
// exports map picks node.js), and every test drives the client against the sandbox
// (MARKIFACT_SANDBOX_URL), reset before each test. Faults, the clock and the consent decision
// go through the sandbox's control endpoints (helpers/sandbox.mjs).
import { test, before, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { createServer } from "node:http";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { since } from "./helpers/env.mjs";
import { consumerWithTarball } from "./helpers/install.mjs";
import {
  sandboxUrl,
  checkSandbox,
  resetSandbox,
  injectFaults,
  pendingFaults,
  advanceClock,
  decide,
} from "./helpers/sandbox.mjs";

const KEY = "sk_sandbox";
const OTHER_KEY = "sk_sandbox_other";
const REDIRECT_URL = "https://app.example/cb?session=s1";
const DAY_MS = 86_400_000;

let MarkifactClient;
let MarkifactError;
let parseRedirect;
let SANDBOX;

before(async () => {
  const start = performance.now();
  SANDBOX = sandboxUrl();
  await checkSandbox();
  const dir = await consumerWithTarball("client");
  // A module of the consumer folder imports the package by name, so Node resolves it there
  // through the installed package's exports map, as in an app.
  const entry = path.join(dir, "client-entry.mjs");
  writeFileSync(entry, 'export * from "markifact-connect";\nexport const resolved = import.meta.resolve("markifact-connect");\n');
  const pkg = await import(pathToFileURL(entry).href);
  assert.match(pkg.resolved, /\/node_modules\/markifact-connect\/index\.js$/);
  ({ MarkifactClient, MarkifactError, parseRedirect } = pkg);
  assert.equal(typeof MarkifactClient, "function", "the package does not export MarkifactClient");
  console.log(`# client: consumer folder installed in ${since(start)} ms`);
}, { timeout: 180_000 });

beforeEach(() => resetSandbox());

// --- helpers

/** A client of the sandbox with the first key (options override). */
function client(options = {}) {
  return new MarkifactClient({ apiKey: KEY, baseUrl: SANDBOX, allowInsecureLocalhost: true, ...options });
}

/** A fetch that records every call (url, method, headers) and passes it to the global fetch. */
function countingFetch() {
  const calls = [];
  const fetch = (url, init) => {
    calls.push({ url, method: init?.method, headers: { ...init?.headers } });
    return globalThis.fetch(url, init);
  };
  return { fetch, calls };
}

/** Asserts that `promise` rejects with a well-formed MarkifactError of `code`; returns it. */
async function rejectsWith(promise, code, what = code) {
  assert.ok(promise instanceof Promise, `${what}: not a Promise`);
  let error;
  await promise.then(
    (value) => assert.fail(`${what}: resolved with ${JSON.stringify(value)} instead of rejecting with ${code}`),
    (e) => (error = e),
  );
  assert.ok(error instanceof MarkifactError, `${what}: rejected with ${error} (${error?.constructor?.name}), not a MarkifactError`);
  assert.ok(error instanceof Error);
  assert.equal(error.name, "MarkifactError");
  assert.equal(error.code, code, `${what}: ${error.code}: ${error.message}`);
  assert.equal(typeof error.message, "string");
  assert.ok(error.message.length > 0, `${what}: empty message`);
  assert.equal(typeof error.retryable, "boolean");
  return error;
}

/** Calls `fn`, which must return a Promise rather than throw; returns the promise. */
function callAsync(fn, what) {
  let result;
  assert.doesNotThrow(() => {
    result = fn();
  }, `${what} threw synchronously`);
  assert.ok(result instanceof Promise, `${what} did not return a Promise`);
  return result;
}

async function timed(promise) {
  const start = performance.now();
  try {
    return { value: await promise, ms: performance.now() - start };
  } catch (error) {
    return { error, ms: performance.now() - start };
  }
}

/** Creates a link and approves it as the user would: `{ link, location, redirect, connection }`. */
async function connect(c, params = {}) {
  const link = await c.createAuthLink({ connectionType: "ga4", redirectUrl: REDIRECT_URL, externalId: "user_42", ...params });
  const location = await decide(link.url, "approve");
  const redirect = parseRedirect(location);
  assert.equal(redirect.status, "success", location);
  const statuses = await c.getAuthLinkStatus(link.id);
  const connection = statuses.connections[0];
  assert.equal(connection?.id, redirect.connectionId);
  return { link, location, redirect, connection };
}

function isTimestamp(value, what) {
  assert.equal(typeof value, "number", `${what} is ${typeof value}, not a number`);
  assert.ok(Number.isSafeInteger(value), `${what} = ${value}`);
  assert.ok(Math.abs(value - Date.now()) < 2 * DAY_MS, `${what} = ${value} is not near now`);
}

// --- the flow

test("the whole flow: create, pending, approve, parse, verify, wait", async () => {
  const c = client();
  const link = await c.createAuthLink({ connectionType: "ga4", redirectUrl: REDIRECT_URL, externalId: "user_42" });
  assert.deepEqual(Object.keys(link).sort(), ["expiresAt", "id", "url", "warnings"]);
  assert.equal(typeof link.id, "string");
  assert.equal(link.url, `${SANDBOX}/connect/${link.id}`);
  assert.deepEqual(link.warnings, []);

  const pending = await c.getAuthLinkStatus(link.id);
  assert.equal(pending.id, link.id);
  assert.equal(pending.status, "pending");
  assert.equal(pending.connectionType, "ga4");
  assert.equal(pending.externalId, "user_42");
  assert.equal(pending.expiresAt, link.expiresAt);
  assert.equal(pending.expiresAt - pending.createdAt, DAY_MS);
  assert.deepEqual(pending.connections, []);
  assert.ok(!("connectionId" in pending) && !("consumedAt" in pending), JSON.stringify(pending));

  const location = await decide(link.url, "approve");
  assert.ok(location.startsWith(`${REDIRECT_URL}&status=success&`), location);
  const redirect = parseRedirect(location, { redirectUrl: REDIRECT_URL });
  assert.equal(redirect.status, "success");
  assert.equal(redirect.connectionType, "ga4");
  assert.equal(redirect.externalId, "user_42");
  assert.deepEqual(redirect.appParams, [["session", "s1"]]);

  const connection = await c.verifyRedirect(location, {
    authLinkId: link.id,
    expectedExternalId: "user_42",
    expectedConnectionType: "ga4",
    redirectUrl: REDIRECT_URL,
  });
  assert.equal(connection.id, redirect.connectionId);
  assert.equal(connection.type, "ga4");
  assert.equal(connection.externalId, "user_42");
  assert.equal(connection.isPrivate, false);
  assert.equal(connection.displayName, "Sandbox Google Analytics 4 account");

  const connected = await c.getAuthLinkStatus(link.id);
  assert.equal(connected.status, "connected");
  assert.equal(connected.connectionId, connection.id);
  assert.equal(connected.consumedAt, connected.updatedAt);
  assert.deepEqual(connected.connections, [connection]);

  const polls = [];
  const waited = await c.waitForAuthLink(link.id, { onPoll: (status) => polls.push(status) });
  assert.deepEqual(waited, connected);
  assert.deepEqual(polls, [connected]);

  assert.deepEqual(await c.getConnection(connection.id), [connection]);
  assert.deepEqual(await c.listConnections(), [connection]);
});

test("waitForAuthLink polls a pending link until the user approves it, calling onPoll each time", async () => {
  const c = client();
  const link = await c.createAuthLink({ connectionType: "meta_ads" });
  const polls = [];
  let approval;
  const { value, ms } = await timed(
    c.waitForAuthLink(link.id, {
      timeoutMs: 20_000,
      onPoll: (status) => {
        polls.push(status.status);
        // The user approves while the app is waiting (no redirect URL: a "Connected" page).
        if (status.status === "pending" && !approval) {
          approval = fetch(`${link.url}?decision=approve`).then((r) => r.text());
        }
      },
    }),
  );
  await approval;
  assert.equal(value?.status, "connected", JSON.stringify(value));
  assert.equal(typeof value.connectionId, "string");
  assert.equal(polls[0], "pending");
  assert.equal(polls.at(-1), "connected");
  assert.ok(polls.length >= 2 && polls.length <= 3, polls.join());
  assert.ok(ms >= 700, `the second poll came after only ${Math.round(ms)} ms`);
});

test("deny: the error redirect rejects with connection_failed, the link stays pending, then approve works", async () => {
  const c = client();
  const link = await c.createAuthLink({ connectionType: "gads", redirectUrl: REDIRECT_URL, externalId: "user_7" });
  const denied = await decide(link.url, "deny");
  const params = new URL(denied).searchParams;
  assert.equal(params.get("status"), "error");
  assert.equal(params.get("error"), "The user denied access");
  assert.equal(params.get("connection_type"), "gads");

  const error = await rejectsWith(c.verifyRedirect(denied, { authLinkId: link.id }), "connection_failed");
  assert.match(error.message, /The user denied access/);
  assert.equal(error.detail, "The user denied access");
  assert.equal(error.retryable, false);
  assert.equal((await c.getAuthLinkStatus(link.id)).status, "pending");
  assert.deepEqual(await c.listConnections(), []);

  // The user tries again with the same link.
  const approved = await decide(link.url, "approve");
  const connection = await c.verifyRedirect(approved, { authLinkId: link.id });
  assert.equal(connection.type, "gads");
  assert.equal(connection.externalId, "user_7");
  assert.equal((await c.getAuthLinkStatus(link.id)).status, "connected");
});

test("expiry by the sandbox clock: the status is expired and waitForAuthLink resolves with it", async () => {
  const c = client();
  const link = await c.createAuthLink({ connectionType: "ga4" });
  await advanceClock(DAY_MS + 1);
  const status = await c.getAuthLinkStatus(link.id);
  assert.equal(status.status, "expired");
  assert.deepEqual(status.connections, []);
  const polls = [];
  const { value, ms } = await timed(c.waitForAuthLink(link.id, { onPoll: (s) => polls.push(s.status) }));
  assert.equal(value?.status, "expired", JSON.stringify(value));
  assert.deepEqual(polls, ["expired"]);
  assert.ok(ms < 1_000, `${Math.round(ms)} ms`);
  // The consent page refuses it too.
  const page = await fetch(`${link.url}?decision=approve`, { redirect: "manual" });
  await page.body?.cancel();
  assert.equal(page.status, 410);
});

test("waitForAuthLink gives up at its deadline with timeout", async () => {
  const c = client();
  const link = await c.createAuthLink({ connectionType: "ga4" });
  const { error, ms } = await timed(c.waitForAuthLink(link.id, { timeoutMs: 300 }));
  assert.equal(error?.code, "timeout", String(error));
  assert.match(error.message, /pending/);
  assert.ok(ms >= 250 && ms < 2_000, `${Math.round(ms)} ms`);
  await rejectsWith(c.waitForAuthLink("no-such-link", { timeoutMs: 5_000 }), "not_found");
});

test("waitForAuthLink keeps its deadline while a poll hangs", async () => {
  const c = client();
  const link = await c.createAuthLink({ connectionType: "ga4" });
  await injectFaults({ delay_ms: 3_000 });
  const { error, ms } = await timed(c.waitForAuthLink(link.id, { timeoutMs: 500 }));
  assert.equal(error?.code, "timeout", String(error));
  assert.ok(ms < 1_500, `waitForAuthLink({ timeoutMs: 500 }) took ${Math.round(ms)} ms: the hung poll outlived the deadline`);
});

// --- verification

test("forged: a hand-typed success redirect with a random connection_id is rejected", async () => {
  const c = client();
  const { link } = await connect(c);
  const pendingLink = await c.createAuthLink({ connectionType: "ga4", redirectUrl: REDIRECT_URL, externalId: "user_42" });
  const forged = `${REDIRECT_URL}&status=success&connection_type=ga4&connection_id=${crypto.randomUUID()}&external_id=user_42`;
  const byLink = await rejectsWith(c.verifyRedirect(forged, { authLinkId: link.id }), "verification_failed", "connected link");
  assert.equal(byLink.field, "connectionId");
  const byPending = await rejectsWith(c.verifyRedirect(forged, { authLinkId: pendingLink.id }), "verification_failed", "pending link");
  assert.equal(byPending.field, "status");
  const byExternalId = await rejectsWith(c.verifyRedirect(forged, { expectedExternalId: "user_42" }), "verification_failed", "external id");
  assert.equal(byExternalId.field, "connectionId");
  assert.equal(byExternalId.status, 404);
});

test("forged: the right connection with another link's authLinkId is rejected", async () => {
  const c = client();
  const first = await connect(c);
  const second = await connect(c, { externalId: "user_43" });
  const pendingLink = await c.createAuthLink({ connectionType: "ga4", redirectUrl: REDIRECT_URL, externalId: "user_42" });
  await rejectsWith(c.verifyRedirect(first.location, { authLinkId: second.link.id }), "verification_failed", "other connected link");
  await rejectsWith(c.verifyRedirect(first.location, { authLinkId: pendingLink.id }), "verification_failed", "other pending link");
  // Each still verifies with its own link.
  assert.equal((await c.verifyRedirect(first.location, { authLinkId: first.link.id })).id, first.connection.id);
  assert.equal((await c.verifyRedirect(second.location, { authLinkId: second.link.id })).id, second.connection.id);
});

test("forged: a wrong expectedExternalId or expectedConnectionType is rejected", async () => {
  const c = client();
  const { link, location } = await connect(c);
  for (const options of [
    { authLinkId: link.id, expectedExternalId: "user_99" },
    { expectedExternalId: "user_99" },
    { authLinkId: link.id, expectedConnectionType: "gads" },
    { expectedExternalId: "user_42", expectedConnectionType: "meta_ads" },
  ]) {
    await rejectsWith(c.verifyRedirect(location, options), "verification_failed", JSON.stringify(options));
  }
  // An external id edited in the URL does not match the API's record either.
  const edited = location.replace("external_id=user_42", "external_id=user_99");
  assert.notEqual(edited, location);
  await rejectsWith(c.verifyRedirect(edited, { authLinkId: link.id }), "verification_failed", "edited external_id");
  await rejectsWith(c.verifyRedirect(edited, { expectedExternalId: "user_99" }), "verification_failed", "edited, expected edited");
  // The right expectations pass.
  await c.verifyRedirect(location, { authLinkId: link.id, expectedExternalId: "user_42", expectedConnectionType: "ga4" });
});

test("forged: the redirect of a connection deleted since is rejected", async () => {
  const c = client();
  const { link, location, connection } = await connect(c);
  assert.deepEqual(await c.deleteConnection(connection.id), connection);
  const byLink = await rejectsWith(c.verifyRedirect(location, { authLinkId: link.id }), "verification_failed", "by link");
  assert.match(byLink.message, /deleted/);
  const byExternalId = await rejectsWith(c.verifyRedirect(location, { expectedExternalId: "user_42" }), "verification_failed", "by external id");
  assert.equal(byExternalId.status, 404);
});

test("verifyRedirect without authLinkId needs expectedExternalId, and works with it", async () => {
  const c = client();
  const { location, connection } = await connect(c);
  const { fetch, calls } = countingFetch();
  const counted = client({ fetch });
  const error = await rejectsWith(counted.verifyRedirect(location), "invalid_request", "no expectation");
  assert.match(error.message, /external/i);
  await rejectsWith(counted.verifyRedirect(location, {}), "invalid_request", "empty options");
  await rejectsWith(counted.verifyRedirect(location, { expectedConnectionType: "ga4" }), "invalid_request", "type only");
  assert.equal(calls.length, 0, "a request was sent");
  assert.deepEqual(await counted.verifyRedirect(location, { expectedExternalId: "user_42" }), connection);
  assert.deepEqual(await counted.verifyRedirect(location, { expectedExternalId: "user_42", expectedConnectionType: "ga4" }), connection);
  assert.deepEqual(
    calls.map((call) => [call.method, call.url]),
    [
      ["GET", `${SANDBOX}/v1/connections/${connection.id}`],
      ["GET", `${SANDBOX}/v1/connections/${connection.id}`],
    ],
  );
});

test("verifyRedirect refuses a malformed redirect as parseRedirect does, before any request", async () => {
  const { fetch, calls } = countingFetch();
  const c = client({ fetch });
  const success = "https://app.example/cb?status=success&connection_type=ga4&connection_id=c_1";
  const cases = [
    ["not a url"],
    ["https://app.example/cb?status=ok"],
    ["https://app.example/cb?status=success&connection_type=ga4"],
    ["https://app.example/cb?status=success&connection_id=c_1"],
    [`${success}&connection_id=c_2`],
    ["https://app.example/cb?status=success&connection_type=&connection_id=c_1"],
    ["https://app.example/cb?status=success&connection_type=ga4&connection_id=c_1&external_id=a&external_id=b"],
    [success, "https://other.example/cb"],
    [success, "http://app.example/cb"],
  ];
  // The redirect's parameters are named as the JS API names them, like every verifyRedirect error.
  const jsName = { connection_type: "connectionType", connection_id: "connectionId", external_id: "externalId", redirect_url: "redirectUrl" };
  for (const [url, redirectUrl] of cases) {
    const what = `${url} against ${redirectUrl}`;
    let expected;
    try {
      parseRedirect(url, { redirectUrl });
    } catch (error) {
      expected = error;
    }
    assert.ok(expected instanceof MarkifactError, `parseRedirect accepted ${what}`);
    const error = await rejectsWith(c.verifyRedirect(url, { authLinkId: "link_1", redirectUrl }), expected.code, what);
    assert.equal(error.message, expected.message, what);
    assert.equal(error.field, jsName[expected.field] ?? expected.field, what);
    assert.equal(error.rule, expected.rule, what);
  }
  assert.equal(calls.length, 0, "a request was sent");
});

// --- faults

test("429 with Retry-After on a GET is retried after the wait, and succeeds", async () => {
  await injectFaults({ status: 429, retry_after_s: 1 });
  const { fetch, calls } = countingFetch();
  const { value, ms } = await timed(client({ fetch }).listConnectionTypes());
  assert.ok(Array.isArray(value), String(value));
  assert.equal(value.length, 3);
  assert.equal(calls.length, 2);
  assert.ok(ms >= 950, `retried after ${Math.round(ms)} ms, before the 1 s Retry-After`);
  assert.ok(ms < 5_000, `${Math.round(ms)} ms`);
});

test("429 with maxRetries 0 gives rate_limited with the Retry-After wait", async () => {
  await injectFaults({ status: 429, retry_after_s: 1 });
  const { fetch, calls } = countingFetch();
  const error = await rejectsWith(client({ fetch, maxRetries: 0 }).listConnectionTypes(), "rate_limited");
  assert.equal(error.status, 429);
  assert.equal(error.retryable, true);
  assert.equal(error.retryAfterMs, 1000);
  assert.equal(error.detail, "Rate limit exceeded (a sandbox fault)");
  assert.equal(calls.length, 1);
});

test("503 on a GET is retried, then succeeds", async () => {
  const c = client();
  const link = await c.createAuthLink({ connectionType: "ga4" });
  await injectFaults({ status: 503 });
  const { fetch, calls } = countingFetch();
  const status = await client({ fetch }).getAuthLinkStatus(link.id);
  assert.equal(status.id, link.id);
  assert.equal(calls.length, 2);
  assert.deepEqual(await pendingFaults(), []);
});

test("503 on POST createAuthLink and on DELETE is not retried", async () => {
  const { connection } = await connect(client());
  await injectFaults({ status: 503 }, { status: 503 });
  const { fetch, calls } = countingFetch();
  const c = client({ fetch });
  const post = await rejectsWith(c.createAuthLink({ connectionType: "ga4" }), "http_error", "POST");
  assert.equal(post.status, 503);
  assert.equal(post.retryable, true);
  assert.equal(calls.length, 1, "the POST was sent again");
  const del = await rejectsWith(c.deleteConnection(connection.id), "http_error", "DELETE");
  assert.equal(del.status, 503);
  assert.equal(calls.length, 2, "the DELETE was sent again");
  assert.deepEqual(await pendingFaults(), []);
  // The connection is still there: the failed DELETE was not repeated behind the caller's back.
  assert.deepEqual(await c.getConnection(connection.id), [connection]);
});

test("a 200 whose body is not JSON gives invalid_response, not retried", async () => {
  await injectFaults({ status: 200, body: "not json" });
  const { fetch, calls } = countingFetch();
  const error = await rejectsWith(client({ fetch }).listConnectionTypes(), "invalid_response");
  assert.equal(error.retryable, false);
  assert.equal(calls.length, 1);
});

test("a dropped connection gives network; GETs are retried through two of them", async () => {
  const { fetch, calls } = countingFetch();
  await injectFaults({ reset: true });
  const once = await rejectsWith(client({ fetch, maxRetries: 0 }).listConnectionTypes(), "network", "maxRetries 0");
  assert.equal(once.retryable, true);
  assert.equal(calls.length, 1);

  calls.length = 0;
  await injectFaults({ reset: true }, { reset: true });
  const types = await client({ fetch, maxRetries: 2 }).listConnectionTypes();
  assert.equal(types.length, 3);
  assert.equal(calls.length, 3);

  calls.length = 0;
  await injectFaults({ reset: true }, { reset: true }, { reset: true });
  await rejectsWith(client({ fetch, maxRetries: 2 }).listConnectionTypes(), "network", "three resets");
  assert.equal(calls.length, 3);

  calls.length = 0;
  await injectFaults({ reset: true });
  await rejectsWith(client({ fetch }).createAuthLink({ connectionType: "ga4" }), "network", "POST");
  assert.equal(calls.length, 1, "the POST was sent again");
});

test("a slow response past timeoutMs gives timeout (retried on a GET)", async () => {
  const { fetch, calls } = countingFetch();
  await injectFaults({ delay_ms: 3_000 });
  const quick = await timed(client({ fetch, timeoutMs: 500, maxRetries: 0 }).listConnectionTypes());
  assert.equal(quick.error?.code, "timeout", String(quick.error));
  assert.ok(quick.error instanceof MarkifactError);
  assert.equal(quick.error.retryable, true);
  assert.ok(quick.ms >= 450 && quick.ms < 1_500, `${Math.round(quick.ms)} ms`);
  assert.equal(calls.length, 1);

  calls.length = 0;
  await injectFaults({ delay_ms: 3_000 });
  const retried = await timed(client({ fetch, timeoutMs: 500 }).listConnectionTypes());
  assert.equal(retried.value?.length, 3, String(retried.error));
  assert.equal(calls.length, 2);
  assert.ok(retried.ms < 2_000, `${Math.round(retried.ms)} ms`);

  calls.length = 0;
  await injectFaults({ delay_ms: 3_000 });
  const post = await timed(client({ fetch, timeoutMs: 500 }).createAuthLink({ connectionType: "ga4" }));
  assert.equal(post.error?.code, "timeout", String(post.error));
  assert.equal(calls.length, 1);
});

test("a huge body is refused with invalid_response, not read to the end, not retried", async () => {
  const { fetch, calls } = countingFetch();
  // Valid JSON (`[`, spaces, `]`): only the 4 MiB cap can refuse it.
  await injectFaults({ huge_body_bytes: 5 * 1024 * 1024 });
  const error = await rejectsWith(client({ fetch }).listConnections(), "invalid_response");
  assert.match(error.message, /larger than 4194304 bytes/);
  assert.equal(calls.length, 1);
  // Without a Content-Length to go by, the streamed read stops at the cap too.
  const chunked = (url, init) =>
    globalThis.fetch(url, init).then((response) => new Response(response.body, { status: response.status }));
  await injectFaults({ huge_body_bytes: 5 * 1024 * 1024 });
  await rejectsWith(client({ fetch: chunked }).listConnections(), "invalid_response", "streamed");
  // Just under the cap is fine.
  await injectFaults({ huge_body_bytes: 4 * 1024 * 1024 });
  assert.deepEqual(await client().listConnections(), []);
});

test("a redirect from the API is not followed: invalid_response, and the key goes nowhere else", async () => {
  // A stand-in API that redirects every request to a second server, which records what it gets.
  const seen = [];
  const elsewhere = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.end("[]");
  });
  const redirecting = createServer((req, res) => {
    res.writeHead(307, { location: `http://127.0.0.1:${elsewhere.address().port}${req.url}` });
    res.end();
  });
  await Promise.all([elsewhere, redirecting].map((s) => new Promise((resolve) => s.listen(0, "127.0.0.1", resolve))));
  try {
    const c = client({ baseUrl: `http://127.0.0.1:${redirecting.address().port}`, maxRetries: 0 });
    const error = await rejectsWith(c.listConnections(), "invalid_response");
    assert.equal(error.status, 307);
    assert.match(error.message, /redirect/);
    assert.deepEqual(seen, [], "the redirect was followed");
  } finally {
    await Promise.all([elsewhere, redirecting].map((s) => new Promise((resolve) => s.close(resolve))));
  }
});

test("a slow body is read within timeoutMs, and past it is a timeout", async () => {
  await injectFaults({ body_delay_ms: 300 });
  assert.equal((await client({ timeoutMs: 5_000 }).listConnectionTypes()).length, 3);
  await injectFaults({ body_delay_ms: 3_000 });
  const slow = await timed(client({ timeoutMs: 500, maxRetries: 0 }).listConnectionTypes());
  assert.equal(slow.error?.code, "timeout", String(slow.error));
  assert.ok(slow.ms < 2_500, `${Math.round(slow.ms)} ms`);
});

test("a connection reset mid-body gives network; a GET is retried through it, a POST is not", async () => {
  const { fetch, calls } = countingFetch();
  await injectFaults({ reset_mid_body: true });
  assert.equal((await client({ fetch }).listConnectionTypes()).length, 3);
  assert.equal(calls.length, 2);
  calls.length = 0;
  await injectFaults({ reset_mid_body: true });
  const error = await rejectsWith(client({ fetch }).createAuthLink({ connectionType: "ga4" }), "network");
  assert.equal(error.retryable, true);
  assert.equal(calls.length, 1);
});

test("a 429 storm: retries follow Retry-After up to maxRetries, then rate_limited with the wait", async () => {
  const { fetch, calls } = countingFetch();
  await injectFaults(...Array.from({ length: 5 }, () => ({ status: 429, retry_after_s: 1 })));
  const storm = await timed(client({ fetch, maxRetries: 2 }).listConnections());
  assert.equal(storm.error?.code, "rate_limited", String(storm.error));
  assert.equal(storm.error.retryAfterMs, 1_000);
  assert.equal(calls.length, 3);
  assert.ok(storm.ms >= 2_000, `${Math.round(storm.ms)} ms: the Retry-After waits were not kept`);
  assert.equal((await pendingFaults()).length, 2);
});

test("abort: mid-request, while waiting to retry, while polling, and before sending", async () => {
  const { fetch, calls } = countingFetch();
  const c = client({ fetch });

  await injectFaults({ delay_ms: 3_000 });
  const mid = new AbortController();
  setTimeout(() => mid.abort(), 150);
  const midRequest = await timed(c.listConnectionTypes({ signal: mid.signal }));
  assert.equal(midRequest.error?.code, "aborted", String(midRequest.error));
  assert.equal(midRequest.error.retryable, false);
  assert.ok(midRequest.ms < 1_000, `aborted after ${Math.round(midRequest.ms)} ms`);
  assert.equal(calls.length, 1);

  calls.length = 0;
  await injectFaults({ status: 429, retry_after_s: 1 });
  const backoff = new AbortController();
  setTimeout(() => backoff.abort(), 200);
  const inBackoff = await timed(c.listConnectionTypes({ signal: backoff.signal }));
  assert.equal(inBackoff.error?.code, "aborted", String(inBackoff.error));
  assert.ok(inBackoff.ms < 900, `aborted after ${Math.round(inBackoff.ms)} ms`);
  assert.equal(calls.length, 1);

  await resetSandbox();
  const link = await c.createAuthLink({ connectionType: "ga4" });
  const polling = new AbortController();
  setTimeout(() => polling.abort(), 200);
  const inWait = await timed(c.waitForAuthLink(link.id, { signal: polling.signal }));
  assert.equal(inWait.error?.code, "aborted", String(inWait.error));
  assert.ok(inWait.ms < 900, `aborted after ${Math.round(inWait.ms)} ms`);

  calls.length = 0;
  const before = AbortSignal.abort();
  await rejectsWith(c.listConnectionTypes({ signal: before }), "aborted", "already aborted GET");
  await rejectsWith(c.createAuthLink({ connectionType: "ga4" }, { signal: before }), "aborted", "already aborted POST");
  await rejectsWith(c.waitForAuthLink(link.id, { signal: before }), "aborted", "already aborted wait");
  assert.equal(calls.length, 0, "a request was sent with an aborted signal");
});

test("a signal used for many calls is left without listeners", async () => {
  const c = client();
  const controller = new AbortController();
  await c.listConnectionTypes({ signal: controller.signal });
  await injectFaults({ status: 503 });
  await c.listConnections({ signal: controller.signal });
  await rejectsWith(c.getConnection("nope", { signal: controller.signal }), "not_found");
  const link = await c.createAuthLink({ connectionType: "ga4" }, { signal: controller.signal });
  await c.waitForAuthLink(link.id, { signal: controller.signal, timeoutMs: 0 }).catch(() => {});
  assert.equal(getEventListeners(controller.signal, "abort").length, 0);
});

// --- HTTP errors

test("a wrong key gives unauthorized, and the key is in no part of the error", async () => {
  const wrongKey = "sk_wrong_7f3a9c2e5b1d4680";
  const error = await rejectsWith(client({ apiKey: wrongKey }).listConnectionTypes(), "unauthorized");
  assert.equal(error.status, 401);
  assert.equal(error.detail, "Invalid or revoked API key");
  assert.equal(error.retryable, false);
  for (const [what, text] of [
    ["message", error.message],
    ["detail", error.detail],
    ["String(error)", String(error)],
    ["JSON.stringify(error)", JSON.stringify(error)],
    ["stack", error.stack],
  ]) {
    assert.ok(!text.includes(wrongKey), `${what} contains the key: ${text}`);
  }
});

test("the key is scrubbed even when a response or fetch echoes it", async () => {
  const secret = "sk_live_SECRET0123456789";
  const echoingResponse = async (url, init) =>
    new Response(JSON.stringify({ detail: `key ${init.headers.authorization} refused` }), { status: 401 });
  const echoingThrow = async (url, init) => {
    throw new TypeError(`cannot send ${init.headers.authorization}`);
  };
  for (const [fetch, code] of [
    [echoingResponse, "unauthorized"],
    [echoingThrow, "network"],
  ]) {
    const error = await rejectsWith(
      new MarkifactClient({ apiKey: secret, fetch, maxRetries: 0 }).listConnectionTypes(),
      code,
    );
    for (const text of [error.message, error.detail ?? "", String(error), JSON.stringify(error), error.stack]) {
      assert.ok(!text.includes(secret), `${code}: the key leaks: ${text}`);
    }
  }
});

test("getConnection of an unknown id gives not_found", async () => {
  const error = await rejectsWith(client().getConnection("no-such-connection"), "not_found");
  assert.equal(error.status, 404);
  assert.equal(error.detail, "Not found");
  assert.equal(error.retryable, false);
  await rejectsWith(client().getConnection("nobody", { lookupBy: "externalId" }), "not_found", "by external id");
  await rejectsWith(client().getAuthLinkStatus("no-such-link"), "not_found", "status");
});

// --- connections

test("deleteConnection resolves with the deleted connection, then it is gone", async () => {
  const c = client();
  const { link, connection } = await connect(c);
  const deleted = await c.deleteConnection(connection.id);
  assert.deepEqual(deleted, connection);
  assert.ok(!Array.isArray(deleted));
  await rejectsWith(c.getConnection(connection.id), "not_found", "get after delete");
  await rejectsWith(c.deleteConnection(connection.id), "not_found", "delete again");
  assert.deepEqual(await c.listConnections(), []);
  const status = await c.getAuthLinkStatus(link.id);
  assert.equal(status.status, "connected");
  assert.equal(status.connectionId, connection.id);
  assert.deepEqual(status.connections, []);
});

test("listConnections filters by externalId and type; getConnection by externalId returns them all", async () => {
  const c = client();
  const a = (await connect(c, { connectionType: "ga4", externalId: "team/7 ü&x=1" })).connection;
  const b = (await connect(c, { connectionType: "meta_ads", externalId: "team/7 ü&x=1" })).connection;
  const other = (await connect(c, { connectionType: "ga4", externalId: "team_8" })).connection;
  assert.deepEqual(await c.listConnections(), [a, b, other]);
  assert.deepEqual(await c.listConnections({}), [a, b, other]);
  assert.deepEqual(await c.listConnections({ externalId: "team/7 ü&x=1" }), [a, b]);
  assert.deepEqual(await c.listConnections({ type: "ga4" }), [a, other]);
  assert.deepEqual(await c.listConnections({ externalId: "team/7 ü&x=1", type: "meta_ads" }), [b]);
  assert.deepEqual(await c.listConnections({ externalId: "nobody" }), []);

  const byExternalId = await c.getConnection("team/7 ü&x=1", { lookupBy: "externalId" });
  assert.ok(Array.isArray(byExternalId));
  assert.deepEqual(byExternalId, [a, b]);
  assert.deepEqual(await c.getConnection("team_8", { lookupBy: "externalId" }), [other]);
  assert.deepEqual(await c.getConnection(other.id, { lookupBy: "id" }), [other]);
  assert.deepEqual(await c.getConnection(other.id), [other]);
});

test("listConnectionTypes", async () => {
  assert.deepEqual(await client().listConnectionTypes(), [
    { id: "gads", name: "Google Ads" },
    { id: "ga4", name: "Google Analytics 4" },
    { id: "meta_ads", name: "Meta Ads" },
  ]);
});

test("private connections of one key are invisible to the other", async () => {
  const mine = client();
  const theirs = client({ apiKey: OTHER_KEY });
  const { link, location, connection } = await connect(mine, { isPrivate: true, externalId: "private_1" });
  assert.equal(connection.isPrivate, true);
  const shared = (await connect(mine, { externalId: "shared_1" })).connection;
  assert.equal(shared.isPrivate, false);

  assert.deepEqual(await mine.listConnections(), [connection, shared]);
  assert.deepEqual(await theirs.listConnections(), [shared]);
  assert.deepEqual(await theirs.listConnections({ externalId: "private_1" }), []);
  await rejectsWith(theirs.getConnection(connection.id), "not_found", "get by id");
  await rejectsWith(theirs.getConnection("private_1", { lookupBy: "externalId" }), "not_found", "get by external id");
  await rejectsWith(theirs.getAuthLinkStatus(link.id), "not_found", "the private link's status");
  await rejectsWith(theirs.verifyRedirect(location, { authLinkId: link.id }), "verification_failed", "verify by link");
  await rejectsWith(theirs.verifyRedirect(location, { expectedExternalId: "private_1" }), "verification_failed", "verify by id");
  await rejectsWith(theirs.deleteConnection(connection.id), "not_found", "delete");
  assert.deepEqual(await mine.getConnection(connection.id), [connection]);
  assert.deepEqual(await theirs.getConnection(shared.id), [shared]);
});

// --- inputs

test("an email-like externalId gets a PII warning, returned and passed to onWarning", async () => {
  const warned = [];
  const c = client({ onWarning: (warning) => warned.push(warning) });
  const link = await c.createAuthLink({ connectionType: "ga4", externalId: "jane.doe@example.com" });
  assert.equal(link.warnings.length, 1, JSON.stringify(link.warnings));
  assert.match(link.warnings[0], /email/);
  assert.ok(!link.warnings[0].includes("jane.doe@example.com"), "the warning repeats the value");
  assert.deepEqual(warned, link.warnings);
  // The link was still created.
  assert.equal((await c.getAuthLinkStatus(link.id)).externalId, "jane.doe@example.com");
  const quiet = await c.createAuthLink({ connectionType: "ga4", externalId: "user_42" });
  assert.deepEqual(quiet.warnings, []);
  assert.equal(warned.length, 1);
});

test("invalid inputs are refused before any request", async () => {
  const { fetch, calls } = countingFetch();
  const c = client({ fetch, allowInsecureLocalhost: false });
  const http = await rejectsWith(
    c.createAuthLink({ connectionType: "ga4", redirectUrl: "http://app.example/cb" }),
    "invalid_redirect_url",
    "http redirect URL",
  );
  assert.equal(http.rule, "not_https");
  await rejectsWith(
    c.createAuthLink({ connectionType: "ga4", redirectUrl: "http://localhost:3000/cb" }),
    "invalid_redirect_url",
    "localhost without allowInsecureLocalhost",
  );
  const long = await rejectsWith(
    c.createAuthLink({ connectionType: "ga4", externalId: "x".repeat(256) }),
    "invalid_external_id",
    "256-char externalId",
  );
  assert.equal(long.rule, "too_long");
  const empty = await rejectsWith(c.createAuthLink({ connectionType: "" }), "invalid_request", "empty connectionType");
  assert.equal(empty.rule, "empty");
  await rejectsWith(c.listConnections({ externalId: "" }), "invalid_request", "empty externalId filter");
  await rejectsWith(c.getConnection(""), "invalid_request", "empty id");
  await rejectsWith(c.getAuthLinkStatus(""), "invalid_request", "empty auth link id");
  await rejectsWith(c.verifyRedirect("https://app.example/cb?x=1", { expectedExternalId: "u" }), "missing_status", "not a redirect");
  assert.equal(calls.length, 0, `requests were sent: ${JSON.stringify(calls)}`);
  // allowInsecureLocalhost lets a loopback redirect URL through (to the sandbox).
  const local = await client({ fetch }).createAuthLink({ connectionType: "ga4", redirectUrl: "http://localhost:3000/cb" });
  assert.equal((await client().getAuthLinkStatus(local.id)).status, "pending");
});

test("validation errors name the JS parameters, as the rest of the package does", async () => {
  const c = client();
  const cases = [
    [() => c.createAuthLink({ connectionType: "ga4", redirectUrl: "http://app.example/cb" }), "redirectUrl"],
    [() => c.createAuthLink({ connectionType: "ga4", externalId: "" }), "externalId"],
    [() => c.createAuthLink({ connectionType: "" }), "connectionType"],
    [() => c.listConnections({ externalId: "" }), "externalId"],
    [() => c.getAuthLinkStatus(""), "authLinkId"],
    [() => c.getConnection(""), "idOrExternalId"],
    [() => c.deleteConnection(""), "connectionId"],
    [() => c.verifyRedirect("https://app.example/cb?status=success&connection_type=ga4&connection_id=c_1"), "expectedExternalId"],
  ];
  const wrong = [];
  for (const [index, [call, field]] of cases.entries()) {
    const error = await call().then(
      () => assert.fail(`case ${index} resolved`),
      (e) => e,
    );
    if (error.field !== field) wrong.push(`case ${index} (${error.code}): field ${error.field}, expected ${field}`);
  }
  assert.deepEqual(wrong, []);
});

test("wrong argument types reject with invalid_argument, never throw synchronously", async () => {
  const { fetch, calls } = countingFetch();
  const c = client({ fetch });
  const cases = [
    ["createAuthLink()", () => c.createAuthLink(), "connectionType"],
    ["createAuthLink(null)", () => c.createAuthLink(null), "connectionType"],
    ["createAuthLink(42)", () => c.createAuthLink(42)],
    ["createAuthLink({connectionType: 5})", () => c.createAuthLink({ connectionType: 5 }), "connectionType"],
    ["createAuthLink(redirectUrl URL)", () => c.createAuthLink({ connectionType: "ga4", redirectUrl: new URL("https://a.example/") }), "redirectUrl"],
    ["createAuthLink(isPrivate 'true')", () => c.createAuthLink({ connectionType: "ga4", isPrivate: "true" }), "isPrivate"],
    ["createAuthLink(options 'x')", () => c.createAuthLink({ connectionType: "ga4" }, "x")],
    ["getAuthLinkStatus(42)", () => c.getAuthLinkStatus(42), "authLinkId"],
    ["getAuthLinkStatus()", () => c.getAuthLinkStatus(), "authLinkId"],
    ["waitForAuthLink(null)", () => c.waitForAuthLink(null), "authLinkId"],
    ["waitForAuthLink(onPoll 'x')", () => c.waitForAuthLink("x", { onPoll: "x" }), "onPoll"],
    ["waitForAuthLink(timeoutMs -1)", () => c.waitForAuthLink("x", { timeoutMs: -1 }), "timeoutMs"],
    ["listConnections('x')", () => c.listConnections("x")],
    ["listConnections(externalId 1)", () => c.listConnections({ externalId: 1 }), "externalId"],
    ["getConnection({})", () => c.getConnection({}), "idOrExternalId"],
    ["getConnection(lookupBy 'email')", () => c.getConnection("x", { lookupBy: "email" }), "lookupBy"],
    ["deleteConnection(1)", () => c.deleteConnection(1), "connectionId"],
    ["verifyRedirect()", () => c.verifyRedirect(), "url"],
    ["verifyRedirect(URL)", () => c.verifyRedirect(new URL("https://a.example/cb?status=success")), "url"],
    ["verifyRedirect(authLinkId 1)", () => c.verifyRedirect("https://a.example/cb?status=success", { authLinkId: 1 }), "authLinkId"],
    ["listConnectionTypes(signal 'x')", () => c.listConnectionTypes({ signal: "x" }), "signal"],
    ["listConnectionTypes(5)", () => c.listConnectionTypes(5)],
  ];
  for (const [what, call, field] of cases) {
    const error = await rejectsWith(callAsync(call, what), "invalid_argument", what);
    assert.equal(error.rule, "wrong_type", what);
    if (field) assert.equal(error.field, field, what);
  }
  assert.equal(calls.length, 0, "a request was sent");
});

test("the constructor checks its options synchronously", () => {
  const code = (options) => {
    try {
      new MarkifactClient(options);
    } catch (error) {
      assert.ok(error instanceof MarkifactError, String(error));
      return [error.code, error.field];
    }
    return "constructed";
  };
  assert.deepEqual(code({ apiKey: KEY, baseUrl: "http://api.example.com" }), ["invalid_request", "baseUrl"]);
  assert.deepEqual(code({ apiKey: KEY, baseUrl: "/api/markifact" }), ["invalid_request", "baseUrl"]);
  assert.deepEqual(code({ apiKey: "" }), ["invalid_request", "apiKey"]);
  assert.deepEqual(code({ apiKey: 42 }), ["invalid_argument", "apiKey"]);
  assert.deepEqual(code({ apiKey: KEY, timeoutMs: -1 }), ["invalid_argument", "timeoutMs"]);
  assert.deepEqual(code({ apiKey: KEY, fetch: "fetch" }), ["invalid_argument", "fetch"]);
  assert.equal(code({ apiKey: KEY }), "constructed");
  assert.equal(code({ baseUrl: "/api/markifact" }), "constructed");
  assert.equal(code(undefined), "constructed");
});

test("timestamps are numbers (milliseconds), not BigInts", async () => {
  const c = client();
  const { link, connection } = await connect(c);
  isTimestamp(link.expiresAt, "link.expiresAt");
  const status = await c.getAuthLinkStatus(link.id);
  for (const key of ["expiresAt", "createdAt", "updatedAt", "consumedAt"]) isTimestamp(status[key], `status.${key}`);
  for (const key of ["createdAt", "updatedAt"]) isTimestamp(connection[key], `connection.${key}`);
  assert.equal(status.expiresAt - status.createdAt, DAY_MS);
  assert.ok(status.consumedAt >= status.createdAt);
  // Plain JSON values all the way down.
  const all = { link, status, list: await c.listConnections() };
  assert.deepEqual(JSON.parse(JSON.stringify(all)), all);
});

// --- the driver at its edges (js/client.js): custom fetches, callbacks, signals

/** Rejects after `ms`, so that a call that hangs fails its test instead of the whole run. */
function within(promise, ms, what) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** A custom fetch's Response-like object: only the parts the client reads, `fields` override. */
const responseLike = (fields) => async () => ({ status: 200, headers: new Headers(), text: async () => "[]", ...fields });

test("a custom fetch that ignores its signal still times out, and still ends when the caller aborts", async () => {
  // Never settles, whatever its signal says (a wrapper that drops `init.signal`).
  const hanging = () => new Promise(() => {});
  const c = client({ fetch: hanging, timeoutMs: 200, maxRetries: 0 });
  const late = await timed(within(c.listConnectionTypes(), 3_000, "timeoutMs 200"));
  assert.equal(late.error?.code, "timeout", String(late.error));
  assert.ok(late.ms < 2_000, `${Math.round(late.ms)} ms`);

  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const aborted = await timed(within(client({ fetch: hanging }).listConnectionTypes({ signal: controller.signal }), 3_000, "abort"));
  assert.equal(aborted.error?.code, "aborted", String(aborted.error));
  assert.ok(aborted.ms < 2_000, `${Math.round(aborted.ms)} ms`);
});

test("a body that trickles forever and ignores the signal times out, and is cancelled", async () => {
  let cancelled = false;
  const trickle = async () =>
    new Response(
      new ReadableStream({
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          controller.enqueue(new TextEncoder().encode(" "));
        },
        cancel() {
          cancelled = true;
        },
      }),
      { status: 200 },
    );
  const c = client({ fetch: trickle, timeoutMs: 300, maxRetries: 0 });
  const { error, ms } = await timed(within(c.listConnectionTypes(), 3_000, "listConnectionTypes"));
  assert.equal(error?.code, "timeout", String(error));
  assert.ok(ms < 2_000, `${Math.round(ms)} ms`);
  assert.ok(cancelled, "the abandoned body was not cancelled");
});

test("an async onPoll or onWarning that rejects is ignored: the core's result, no unhandled rejection", async () => {
  const unhandled = [];
  const listener = (reason) => unhandled.push(String(reason));
  process.on("unhandledRejection", listener);
  try {
    const c = client({ onWarning: async () => Promise.reject(new Error("onWarning failed")) });
    const link = await c.createAuthLink({ connectionType: "ga4", externalId: "jane.doe@example.com" });
    assert.equal(link.warnings.length, 1);
    await advanceClock(DAY_MS + 1);
    const done = await c.waitForAuthLink(link.id, { onPoll: async () => Promise.reject(new Error("onPoll failed")) });
    assert.equal(done.status, "expired");
    // Unhandled rejections are reported once the microtasks have run.
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    process.off("unhandledRejection", listener);
  }
  assert.deepEqual(unhandled, []);
});

test("a signal-like object without removeEventListener is accepted and works, also across a retry's sleep", async () => {
  // The options accept any object with `aborted` and `addEventListener`.
  const signal = { aborted: false, addEventListener() {} };
  assert.equal((await client().listConnectionTypes({ signal })).length, 3);
  await injectFaults({ status: 503 });
  assert.equal((await client().listConnectionTypes({ signal })).length, 3);
});

test("a Response-like object whose headers.get answers a non-string (a Map) gives a result, not a TypeError", async () => {
  const fetch = responseLike({ headers: new Map([["retry-after", 1], ["content-length", 2]]) });
  assert.deepEqual(await client({ fetch }).listConnectionTypes(), []);
  const unavailable = responseLike({ status: 503, headers: new Map([["retry-after", 0]]), text: async () => "" });
  const error = await rejectsWith(client({ fetch: unavailable, maxRetries: 0 }).listConnectionTypes(), "http_error");
  assert.equal(error.status, 503);
});

test("a Response-like object without text() is invalid_response, not a retried network error; a non-stream body falls back to text()", async () => {
  let calls = 0;
  const bare = async () => (calls++, { status: 200, headers: new Headers() });
  await rejectsWith(client({ fetch: bare }).listConnectionTypes(), "invalid_response");
  assert.equal(calls, 1, "a response without text() was retried");
  const stringBody = responseLike({ body: "not a stream" });
  assert.deepEqual(await client({ fetch: stringBody }).listConnectionTypes(), []);
});

test("body chunks from another realm (as under Jest's vm contexts) are read as bytes", async () => {
  const { runInNewContext } = await import("node:vm");
  const OtherUint8Array = runInNewContext("Uint8Array");
  const fetch = async () =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new OtherUint8Array([91, 93]));
          controller.close();
        },
      }),
      { status: 200 },
    );
  assert.deepEqual(await client({ fetch }).listConnectionTypes(), []);
});
