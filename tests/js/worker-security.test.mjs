// Attacks on examples/worker (the Cloudflare Workers callback handler), in the real workerd
// (`wrangler dev`, local mode, its Durable Objects and KV simulated locally) against the Markifact
// sandbox. Each party is a simulated browser with its own cookie jar and its own client address
// (CF-Connecting-IP): the attacker, who creates links in their own session, and the victim, who
// approves one at Markifact's consent page (`decide()` stands for her clicks there) and whose
// browser then follows Markifact's redirect to the Worker.
//
// MARKIFACT_WORKER_EXAMPLE=<dir> runs the same attacks against another copy of the Worker (to
// show them succeeding against an older one).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { since, tarball } from "./helpers/env.mjs";
import { cleanup } from "./helpers/proc.mjs";
import { checkSandbox, decide, injectFaults, pendingFaults, resetSandbox, sandboxUrl } from "./helpers/sandbox.mjs";
import { EXAMPLE_DIR, startWorker } from "./helpers/worker.mjs";
import {
  Browser as BaseBrowser,
  appPage,
  assertErrorPage,
  assertJsonError,
  connectionExists,
  foreignConnection,
  forgeSessionCookie,
  stateOf,
} from "./helpers/worker-browser.mjs";

const SESSION_SECRET = "worker-security-test-secret-0123456789abcdef";
const SESSION_MAX_AGE_S = 30 * 24 * 3600; // the Worker's default
// Low limits, so the rate-limit test needs only a few links.
const LIMITS = { CONNECT_LIMIT_PER_SESSION: "3", CONNECT_LIMIT_PER_IP: "5", CONNECT_LIMIT_WINDOW_S: "60" };
const exampleDir = process.env.MARKIFACT_WORKER_EXAMPLE || EXAMPLE_DIR;

let worker;
let origin;
// Every id these tests handle, to look for in the Worker's logs at the end.
const secrets = new Set();

before(async () => {
  await checkSandbox();
  await resetSandbox();
  const begin = performance.now();
  worker = await startWorker({
    tarball: tarball(),
    sandboxUrl: sandboxUrl(),
    sessionSecret: SESSION_SECRET,
    name: "worker-security",
    vars: LIMITS,
    exampleDir,
  });
  origin = worker.appOrigin;
  console.log(`# worker (wrangler dev, workerd) ready in ${since(begin)} ms at ${worker.url}`);
}, { timeout: 150_000 });

after(async () => {
  await cleanup(
    () => worker?.stop(),
    () => resetSandbox(),
  );
}, { timeout: 60_000 });

let clients = 0;

/** A browser on this Worker, from its own address unless `ip` says otherwise. */
class Browser extends BaseBrowser {
  constructor({ ip } = {}) {
    clients += 1;
    super(origin, { ip: ip ?? `10.9.${clients >> 8}.${clients & 255}` });
  }
}

async function browser(options) {
  const b = new Browser(options);
  await b.signIn();
  return b;
}

/** Remembers the ids in a Location (for the log check) and returns its connection id. */
function remember(location) {
  const url = new URL(location);
  for (const name of ["state", "connection_id", "external_id"]) {
    const value = url.searchParams.get(name);
    if (value) secrets.add(value);
  }
  return url.searchParams.get("connection_id");
}

test("attack: a donated link, approved by the victim who lands on the callback in her own session or none: refused, nothing credited, the connection deleted", async () => {
  const attacker = await browser();
  const victim = await browser();
  const link = await attacker.connect("ga4");
  secrets.add(link.authLinkId);
  // The attacker sends link.url to the victim, who approves with her own account...
  const location = await decide(link.url, "approve");
  const connectionId = remember(location);
  assert.equal(await connectionExists(connectionId), true);

  // ...a forged copy pointing at another real connection deletes nothing...
  const foreign = await foreignConnection();
  secrets.add(foreign);
  const forged = new URL(location);
  forged.searchParams.set("connection_id", foreign);
  assertErrorPage(await victim.request(forged.href), 403, "session_mismatch");
  assert.equal(await connectionExists(foreign), true, "a forged callback made the Worker delete a connection");
  assert.equal(await connectionExists(connectionId), true);

  // ...and her browser follows Markifact's redirect to the Worker, with her session.
  assertErrorPage(await victim.request(location), 403, "session_mismatch");
  assert.deepEqual(await attacker.connections(), [], "the victim's account was credited to the attacker");
  assert.deepEqual(await victim.connections(), []);
  assert.equal(await connectionExists(connectionId), false, "the victim's account is still attached to the attacker's external id");
  assert.deepEqual(await attacker.status(link.authLinkId), { status: "connected" });
  // The state is used up: the attacker cannot complete it afterwards either.
  assertErrorPage(await attacker.request(location), 400, "unknown_state");
  assert.deepEqual(await attacker.connections(), []);

  // The same with a victim who has no session with this app at all.
  const second = await attacker.connect("meta_ads");
  secrets.add(second.authLinkId);
  const secondLocation = await decide(second.url, "approve");
  const secondId = remember(secondLocation);
  assertErrorPage(await new Browser().request(secondLocation), 403, "no_session");
  assert.equal(await connectionExists(secondId), false);
  assert.deepEqual(await attacker.connections(), []);
  assert.match(worker.output(), /callback: removed a connection approved in another session \(session_mismatch\)/);
  assert.match(worker.output(), /callback: removed a connection approved in another session \(no_session\)/);
});

test("a donated link whose removal Markifact fails: 502, the state kept, and a reload removes it", async () => {
  const attacker = await browser();
  const victim = await browser();
  const link = await attacker.connect("ga4");
  secrets.add(link.authLinkId);
  const location = await decide(link.url, "approve");
  const connectionId = remember(location);
  // The status read behind verifyRedirect goes through; the DELETE gets a 503.
  await injectFaults({ delay_ms: 0 }, { status: 503 });
  assertErrorPage(await victim.request(location), 502, "upstream_unavailable");
  assert.deepEqual(await pendingFaults(), []);
  assert.equal(await connectionExists(connectionId), true);
  assert.deepEqual(await attacker.connections(), []);

  assertErrorPage(await victim.request(location), 403, "session_mismatch");
  assert.equal(await connectionExists(connectionId), false);
  assertErrorPage(await attacker.request(location), 400, "unknown_state");
  assert.deepEqual(await attacker.connections(), []);
});

/** The attacker's link, approved by the victim whose browser never reaches the Worker. */
async function approvedButNeverReturned(attacker, connectionType) {
  const link = await attacker.connect(connectionType);
  secrets.add(link.authLinkId);
  // The attacker learns the state and its external id from a denial of its own link (the link
  // stays pending), as it could before POST /api/connect answered the state.
  const denied = new URL(await decide(link.url, "deny"));
  remember(denied.href);
  // The victim approves; her browser never comes back (closed tab, blocked redirect, a phone).
  const location = await decide(link.url, "approve");
  return { link, denied, location, connectionId: remember(location) };
}

test("attack: the victim approves but never comes back; the attacker polls the status: nothing credited or revealed", async () => {
  const attacker = await browser();
  const { link, location, connectionId } = await approvedButNeverReturned(attacker, "gads");

  const status = await attacker.status(link.authLinkId);
  assert.equal(status.status, "connected");
  assert.deepEqual(await attacker.connections(), [], "polling the status credited the connection");
  assert.equal(status.connectionId, undefined, "the status route revealed an uncredited connection id");
  // An uncredited connection is not the attacker's to delete (a cleanup job's, see the README).
  assertJsonError(await attacker.deleteConnection(connectionId), 404, "not_found");
  assert.equal(await connectionExists(connectionId), true);

  // When the victim's browser does come back, later, her callback removes the connection.
  const victim = await browser();
  assertErrorPage(await victim.request(location), 403, "session_mismatch");
  assert.equal(await connectionExists(connectionId), false);
  assert.deepEqual(await attacker.connections(), []);
});

test("attack: the attacker forges the callback in its own session with all the Worker tells it: refused", async () => {
  const attacker = await browser();
  const { link, denied } = await approvedButNeverReturned(attacker, "meta_ads");
  // Right state, right session, right external id; the connection id is whatever the Worker
  // reveals (the status route), else a guess.
  const { connectionId } = await attacker.status(link.authLinkId);
  const forged = await attacker.request(
    `/oauth/callback?${new URLSearchParams({
      state: stateOf(denied.href),
      status: "success",
      connection_type: "meta_ads",
      connection_id: connectionId ?? "00000000-0000-4000-8000-000000000000",
      external_id: denied.searchParams.get("external_id"),
    })}`,
  );
  assert.notEqual(forged.status, 303, `the forged callback was accepted: ${forged.headers.get("location")}`);
  assertErrorPage(forged, 400, "verification_failed");
  assert.deepEqual(await attacker.connections(), []);
});

test("attack: the same callback many times at once in the owner's session: exactly one success", async () => {
  const owner = await browser();
  const link = await owner.connect("ga4");
  secrets.add(link.authLinkId);
  const location = await decide(link.url, "approve");
  const connectionId = remember(location);

  const COPIES = 8;
  const begin = performance.now();
  const answers = await Promise.all(Array.from({ length: COPIES }, () => owner.request(location)));
  console.log(`# ${COPIES} concurrent copies of one callback answered in ${since(begin)} ms`);
  const statuses = answers.map((r) => r.status);
  assert.equal(statuses.filter((s) => s === 303).length, 1, `statuses: ${statuses}`);
  for (const answer of answers.filter((r) => r.status !== 303)) assertErrorPage(answer, 400, "unknown_state");
  const success = answers.find((r) => r.status === 303);
  assert.equal(
    success.headers.get("location"),
    appPage(origin, { state: stateOf(location), status: "success", connection_type: "ga4", connection_id: connectionId }),
  );
  assert.deepEqual((await owner.connections()).map((c) => c.id), [connectionId]);
});

test("a callback replayed after its success is refused, in any session, and deletes nothing", async () => {
  const owner = await browser();
  const link = await owner.connect("ga4");
  secrets.add(link.authLinkId);
  const location = await decide(link.url, "approve");
  const connectionId = remember(location);
  assert.equal((await owner.request(location)).status, 303);

  assertErrorPage(await owner.request(location), 400, "unknown_state");
  assertErrorPage(await (await browser()).request(location), 400, "unknown_state");
  assertErrorPage(await new Browser().request(location), 400, "unknown_state");
  assert.equal(await connectionExists(connectionId), true);
  assert.deepEqual((await owner.connections()).map((c) => c.id), [connectionId]);
});

test("session: a cookie whose signed issue time is older than the maximum age is refused", async () => {
  const user = `u_${"5".repeat(32)}`;
  const now = Math.floor(Date.now() / 1000);
  const withCookie = (issuedAt) => {
    const b = new Browser();
    b.cookies.set("mf_session", forgeSessionCookie(SESSION_SECRET, user, issuedAt));
    return b;
  };

  // The forging is right: a fresh cookie is this user's session (no new cookie)...
  const fresh = withCookie(now - 60);
  const current = await fresh.request("/api/session");
  assert.deepEqual(current.json(), { user }, "a cookie forged with the secret and a current issue time");
  assert.deepEqual(current.setCookies, []);
  const nearlyOld = await withCookie(now - SESSION_MAX_AGE_S + 300).request("/api/session");
  assert.deepEqual(nearlyOld.json(), { user }, "a cookie just under the maximum age");

  // ...and one signed longer ago than the maximum age is not, whatever the browser kept.
  for (const [label, issuedAt] of [
    ["just over the maximum age", now - SESSION_MAX_AGE_S - 120],
    ["a year old", now - 365 * 24 * 3600],
    ["issued an hour in the future", now + 3600],
  ]) {
    const stale = withCookie(issuedAt);
    const session = await stale.request("/api/session");
    assert.notEqual(session.json().user, user, `accepted: ${label}`);
    assert.equal(session.setCookies.length, 1, `${label}: a new session replaces it`);
    const post = withCookie(issuedAt);
    assertJsonError(await post.connectRequest({ connectionType: "ga4" }), 401, "no_session");
    assertJsonError(await withCookie(issuedAt).request("/api/connections"), 401, "no_session");
  }

  // A link created while the cookie was fresh: its callback with the stale cookie is refused.
  const link = await fresh.connect("ga4");
  secrets.add(link.authLinkId);
  const denied = await decide(link.url, "deny");
  remember(denied);
  assertErrorPage(await withCookie(now - SESSION_MAX_AGE_S - 120).request(denied), 403, "no_session");
  assert.equal((await fresh.request(denied)).status, 303, "the fresh cookie still completes it");
});

test("rate limit: link creation per session and per client address, 429 with Retry-After and retryAfterMs", async () => {
  const ip = "10.77.0.1";
  const first = await browser({ ip });
  for (let i = 0; i < 3; i++) secrets.add((await first.connect("ga4")).authLinkId);
  const refused = await first.connectRequest({ connectionType: "ga4" });
  const error = assertJsonError(refused, 429, "rate_limited");
  assert.equal(typeof error.retryAfterMs, "number");
  assert.ok(error.retryAfterMs > 0 && error.retryAfterMs <= 60_000, `retryAfterMs ${error.retryAfterMs}`);
  const retryAfter = refused.headers.get("retry-after");
  assert.match(retryAfter ?? "", /^[1-9][0-9]*$/);
  assert.equal(Number(retryAfter), Math.ceil(error.retryAfterMs / 1000));
  assert.deepEqual(Object.keys(error).sort(), ["code", "message", "retryAfterMs"]);

  // Another session from the same address: the address allows 5 links, 3 are used.
  const second = await browser({ ip });
  for (let i = 0; i < 2; i++) secrets.add((await second.connect("ga4")).authLinkId);
  assertJsonError(await second.connectRequest({ connectionType: "ga4" }), 429, "rate_limited");
  // A new session does not reset the address's count.
  assertJsonError(await (await browser({ ip })).connectRequest({ connectionType: "ga4" }), 429, "rate_limited");
  // The refused attempt did not count against the session: from another address it has exactly
  // one link left (3 per session, 2 used).
  second.ip = "10.77.0.2";
  secrets.add((await second.connect("ga4")).authLinkId);
  assertJsonError(await second.connectRequest({ connectionType: "ga4" }), 429, "rate_limited");

  // Other clients are not affected; an IPv6 client is limited per /64.
  secrets.add((await (await browser()).connect("ga4")).authLinkId);
  const v6 = (suffix) => browser({ ip: `2001:db8:1:2::${suffix}` });
  for (let i = 1; i <= 5; i++) secrets.add((await (await v6(i)).connect("ga4")).authLinkId);
  assertJsonError(await (await v6(99)).connectRequest({ connectionType: "ga4" }), 429, "rate_limited");
  secrets.add((await (await browser({ ip: "2001:db8:1:3::1" })).connect("ga4")).authLinkId);

});

test("logs: rejected callbacks are logged by their code only, never with a state, external id or connection id", () => {
  // The Worker's own lines: not wrangler dev's access log (method and path of each request).
  const output = worker
    .output()
    .split("\n")
    .filter((line) => !/^\[wrangler:info\] (GET|POST|DELETE|PUT|HEAD|OPTIONS) \//.test(line))
    .join("\n");
  for (const code of ["session_mismatch", "no_session", "unknown_state", "verification_failed"]) {
    assert.match(output, new RegExp(`callback rejected: ${code}\\b`), `no log line for a ${code} rejection`);
  }
  assert.ok(secrets.size > 20, `${secrets.size} ids collected`);
  for (const secret of secrets) {
    const line = output.split("\n").find((l) => l.includes(secret));
    assert.equal(line, undefined, `the Worker logged ${secret}`);
  }
  assert.doesNotMatch(output, /Uncaught|internal:/, output);
  // The only error the Worker logged: the removal Markifact failed on purpose (a fault).
  const errors = output
    .replace(/\x1b\[[0-9;]*m/g, "")
    .split("\n")
    .filter((line) => /\[ERROR\]/.test(line));
  assert.deepEqual(errors, ["✘ [ERROR] callback: could not remove a connection approved in another session (http_error)"]);
  for (const secret of ["sk_sandbox", SESSION_SECRET]) assert.ok(!output.includes(secret), `logged ${secret}`);

  // And in the source: every console call interpolates nothing but codes and statuses.
  const src = path.join(exampleDir, "src");
  for (const file of readdirSync(src).filter((f) => f.endsWith(".js"))) {
    const text = readFileSync(path.join(src, file), "utf8");
    for (const call of text.matchAll(/console\.\w+\(([^;]*)\);/g)) {
      const interpolated = [...call[1].matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1].trim());
      for (const expression of interpolated) {
        assert.match(expression, /^(code|error\.code|error\.status)$/, `${file}: ${call[0]}`);
      }
    }
  }
});
