// examples/nextjs, the Next.js App Router example, exactly as a user copies it: its files in a
// fresh folder, its dependencies installed by npm (next, react, react-dom, typescript and the
// @types at the versions tests/js pins; markifact-connect from the tarball under test), and NO
// Next.js configuration for the package. Built twice, with Turbopack (`next build`, the default)
// and with webpack (`next build --webpack`); each build is served by `next start` against the
// Markifact sandbox and driven in headless Chromium:
//   - the build succeeds, and /callback (a client page importing markifact-connect/callback) is
//     prerendered;
//   - the prerendered callback page hydrates and shows what a redirect claims (a success, an
//     error redirect, a malformed redirect's coded MarkifactError) with no console error;
//   - the connect flow: the Node route handler creates a link (MarkifactClient), the sandbox's
//     consent page approves it, and the callback page says "connected" only after the server
//     verified it (verifyRedirect), which credits the connection to the session;
//   - forged, replayed, cross-session and edited callbacks are refused and credit nothing, and
//     refusals keep the state for the genuine redirect;
//   - a donated link (created in one session, approved by someone whose browser lands on its
//     callback in another session or none) is refused, credited to no one, and its connection
//     deleted at Markifact; a failed deletion answers 502 and keeps the state for a reload;
//   - the edge route handler (runtime "edge") answers parseRedirect + validateRedirectUrl, with
//     coded errors for bad input.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { closeAfterTests, launchChromium, openPage } from "./helpers/browser.mjs";
import { since } from "./helpers/env.mjs";
import { NEXTJS_EXAMPLE_DIR, installNextExample } from "./helpers/nextjs.mjs";
import { cleanup, run, start } from "./helpers/proc.mjs";
import { checkSandbox, decide, injectFaults, pendingFaults, resetSandbox, sandboxUrl } from "./helpers/sandbox.mjs";
import { connectionExists, foreignConnection } from "./helpers/worker-browser.mjs";

const API_KEY = "sk_sandbox";
const MODES = [
  { name: "turbopack", args: ["build"], banner: /Next\.js [\d.]+ \(Turbopack\)/ },
  { name: "webpack", args: ["build", "--webpack"], banner: /Next\.js [\d.]+ \(webpack\)/ },
];
const NEXT_ENV = { NEXT_TELEMETRY_DISABLED: "1" };

let app;
let browser;

before(async () => {
  await checkSandbox();
  await resetSandbox();
  const begin = performance.now();
  app = await installNextExample("nextjs");
  console.log(`# next: install (copy of examples/nextjs + npm ci --offline) ${since(begin)} ms in ${app.dir}`);
  console.log(`# next: versions ${JSON.stringify(app.versions)}`);
  browser = await launchChromium();
}, { timeout: 240_000 });

closeAfterTests(() => browser);

test("the example needs no Next.js configuration for markifact-connect", () => {
  for (const name of readdirSync(NEXTJS_EXAMPLE_DIR)) {
    if (/^next\.config\./.test(name)) {
      const text = readFileSync(path.join(NEXTJS_EXAMPLE_DIR, name), "utf8");
      assert.doesNotMatch(text, /markifact|serverExternalPackages|asyncWebAssembly|webassembly|wasm/i, `${name} configures the package`);
    }
  }
  const manifest = JSON.parse(readFileSync(path.join(NEXTJS_EXAMPLE_DIR, "package.json"), "utf8"));
  assert.ok(manifest.dependencies["markifact-connect"], "the example depends on markifact-connect");
  assert.deepEqual(Object.keys(manifest.scripts).sort(), ["build", "dev", "start"]);
});

for (const mode of MODES) {
  describe(`next build (${mode.name}) + next start`, () => {
    let build;
    let server;
    let origin;

    before(async () => {
      rmSync(path.join(app.dir, ".next"), { recursive: true, force: true });
      await resetSandbox();
      // The build gets no Markifact settings: they are read at run time only.
      build = await run(nextBin(), mode.args, { cwd: app.dir, env: NEXT_ENV, timeout: 300_000 });
      console.log(`# next: ${mode.name} build ${build.ms} ms (exit ${build.code ?? build.signal})`);
      for (const line of warnings(build)) console.log(`# next: ${mode.name} build warning: ${line}`);
      if (build.code !== 0) return;
      const port = await freePort();
      origin = `http://127.0.0.1:${port}`;
      const begin = performance.now();
      server = start(nextBin(), ["start", "-p", String(port), "-H", "127.0.0.1"], {
        cwd: app.dir,
        env: { ...NEXT_ENV, MARKIFACT_API_KEY: API_KEY, MARKIFACT_API_URL: sandboxUrl(), APP_ORIGIN: origin },
      });
      await server.waitFor(/Ready in/, 60_000);
      console.log(`# next: ${mode.name} start ${since(begin)} ms at ${origin}`);
    }, { timeout: 360_000 });

    after(() => cleanup(() => server?.stop()), { timeout: 30_000 });

    /** The running app, or a clear failure when the build did not produce one. */
    function ready() {
      assert.ok(build, "the build did not run");
      assert.equal(build.code, 0, `next ${mode.args.join(" ")} failed; see the first test of this group`);
      assert.ok(server, "next start did not start");
      return { origin, log: () => tail(server.output()) };
    }

    test("builds with no configuration; /callback is prerendered", () => {
      assert.ok(build, "the build did not run");
      assert.equal(build.code, 0, `next ${mode.args.join(" ")} exited with ${build.code ?? build.signal}:\n${tail(build.stdout + build.stderr, 80)}`);
      assert.match(build.stdout + build.stderr, mode.banner);
      assert.match(build.stdout, /○ \/callback\b/, `/callback is not listed as prerendered:\n${build.stdout}`);
      const html = readFileSync(path.join(app.dir, ".next", "server", "app", "callback.html"), "utf8");
      assert.match(html, /data-testid="parse" data-state="waiting"/, "the prerendered page shows the waiting state");
      assert.match(build.stdout, /ƒ \/api\/check\b/);
    });

    test("the prerendered callback page hydrates and shows a malformed redirect's coded error", async () => {
      const { origin: base, log } = ready();
      const head = await fetch(`${base}/callback`);
      await head.body?.cancel();
      assert.equal(head.status, 200);
      // (next start sends the header twice: "1, 1")
      assert.match(head.headers.get("x-nextjs-prerender") ?? "", /^1(, 1)*$/, "/callback is served prerendered");

      const { page, problems, close } = await openPage(browser, `${base}/callback?state=${"a".repeat(32)}&status=maybe&connection_type=ga4`);
      try {
        // Counted from a reload: the first load may have hydrated before a listener could see it.
        const verifyCalls = countRequests(page, "/api/verify");
        await page.waitForLoadState("networkidle"); // a reload would abort what is still loading
        await page.reload({ waitUntil: "networkidle" });
        const parse = page.getByTestId("parse");
        await waitForState(parse, "invalid", log);
        await page.waitForTimeout(300);
        assert.equal(await page.getByTestId("parse-code").textContent(), "invalid_status");
        assert.match(await parse.textContent(), /not a valid Markifact redirect/);
        assert.equal(await page.getByTestId("verdict").getAttribute("data-state"), "idle", "nothing to verify");
        assert.equal(verifyCalls(), 0, "a malformed redirect is not sent to the server");
        assert.deepEqual(problems, []);
      } finally {
        await close();
      }
    });

    test("connect flow: link created by the Node route handler, approved, shown as connected only after the server verified", async () => {
      const { origin: base, log } = ready();
      const { page, problems, close } = await openPage(browser, `${base}/`);
      try {
        assert.equal(await page.getByTestId("connections-empty").count(), 1, "a new session has no connections");
        // Hold the verification: until the server answers, the page must not say "connected".
        let releaseVerify;
        const verifyHeld = new Promise((resolve) => (releaseVerify = resolve));
        let verifyRequest;
        await page.route("**/api/verify", async (route) => {
          verifyRequest = route.request();
          await verifyHeld;
          await route.continue();
        });

        await page.locator("select[name=connectionType]").selectOption("meta_ads");
        await Promise.all([
          page.waitForURL((url) => url.href.startsWith(`${sandboxUrl()}/connect/`), { timeout: 15_000 }),
          page.getByRole("button", { name: "Connect" }).click(),
        ]);
        // The sandbox's hosted consent page.
        await Promise.all([
          page.waitForURL((url) => url.href.startsWith(`${base}/callback?`), { timeout: 15_000 }),
          page.getByRole("button", { name: "Approve" }).click(),
        ]);
        const callbackUrl = page.url();
        const query = new URL(callbackUrl).searchParams;
        assert.match(query.get("state") ?? "", /^[0-9a-f]{32}$/, callbackUrl);
        assert.equal(query.get("status"), "success", callbackUrl);
        const connectionId = query.get("connection_id");
        const externalId = query.get("external_id");
        assert.ok(connectionId && externalId, callbackUrl);

        const parse = page.getByTestId("parse");
        await waitForState(parse, "parsed", log);
        assert.equal(await parse.getAttribute("data-status"), "success");
        assert.equal(await page.getByTestId("connection-type").textContent(), "meta_ads");
        assert.equal(await page.getByTestId("connection-id").textContent(), connectionId);
        const verdict = page.getByTestId("verdict");
        await waitForState(verdict, "verifying", log);
        await page.waitForTimeout(300);
        assert.equal(await verdict.getAttribute("data-state"), "verifying", "not connected before the server answered");
        assert.doesNotMatch(await verdict.textContent(), /connected/i);
        assert.ok(verifyRequest, "the page asked the server to verify");
        assert.equal(JSON.parse(verifyRequest.postData()).url, callbackUrl, "the page sends its address to verify");

        releaseVerify();
        await waitForState(verdict, "connected", log);
        assert.match(await verdict.textContent(), new RegExp(`Connected.*meta_ads.*${connectionId}`));
        assert.equal(new URL(page.url()).search, "", "the state and external id are dropped from the address bar");

        // The connection really exists at Markifact for this user, and the app credited it.
        const listed = await sandboxConnections(externalId);
        assert.deepEqual(listed.map((c) => [c.id, c.type]), [[connectionId, "meta_ads"]]);
        await page.goto(`${base}/`);
        assert.equal(await page.locator(`[data-connection-id="${connectionId}"]`).count(), 1, "listed on the home page");
        assert.deepEqual(afterNavigation(problems), []);

        // A replay of the same callback: the state was used once and is gone.
        await page.unroute("**/api/verify");
        await page.goto(callbackUrl);
        await waitForState(page.getByTestId("parse"), "parsed", log);
        await waitForState(page.getByTestId("verdict"), "failed", log);
        assert.equal(await page.getByTestId("verdict").getAttribute("data-code"), "unknown_state");
      } finally {
        await close();
      }
    });

    test("an error redirect (the user denied) shows Markifact's message and the coded error, with no console error", async () => {
      const { origin: base, log } = ready();
      const { page, problems, close } = await openPage(browser, `${base}/`);
      try {
        await Promise.all([
          page.waitForURL((url) => url.href.startsWith(`${sandboxUrl()}/connect/`), { timeout: 15_000 }),
          page.getByRole("button", { name: "Connect" }).click(),
        ]);
        await Promise.all([
          page.waitForURL((url) => url.href.startsWith(`${base}/callback?`), { timeout: 15_000 }),
          page.getByRole("button", { name: "Deny" }).click(),
        ]);
        assert.equal(new URL(page.url()).searchParams.get("status"), "error", page.url());
        const parse = page.getByTestId("parse");
        await waitForState(parse, "parsed", log);
        assert.equal(await parse.getAttribute("data-status"), "error");
        assert.ok((await page.getByTestId("redirect-error").textContent()).length > 0, "Markifact's message is shown");
        const verdict = page.getByTestId("verdict");
        await waitForState(verdict, "failed", log);
        assert.equal(await verdict.getAttribute("data-code"), "connection_failed");
        assert.deepEqual(afterNavigation(problems), []);
      } finally {
        await close();
      }
    });

    test("forged callbacks are refused: missing state, unknown state, another session, edited parameters, a pending link", async () => {
      const { origin: base, log } = ready();
      const claim = "status=success&connection_type=ga4&connection_id=c_forged";

      // Missing and unknown states: the page shows the claim, the server refuses it.
      for (const [query, code] of [
        [claim, "invalid_state"],
        [`state=${"0".repeat(32)}&${claim}`, "unknown_state"],
      ]) {
        const { page, problems, close } = await openPage(browser, `${base}/callback?${query}`);
        try {
          await waitForState(page.getByTestId("parse"), "parsed", log);
          await waitForState(page.getByTestId("verdict"), "failed", log);
          assert.equal(await page.getByTestId("verdict").getAttribute("data-code"), code, query);
          assert.deepEqual(unexpected(problems, 400), [], query);
        } finally {
          await close();
        }
      }

      // A real link of session A, approved: a copy of its callback with an edited connection id
      // is refused without A's session (the genuine one there is a donated link: see the next
      // test), and in session A Markifact's status does not confirm it.
      const a = await openPage(browser, `${base}/`);
      let noSession;
      let otherSession;
      try {
        const linkUrl = await createLink(a.page, "ga4");
        const genuine = await decide(linkUrl, "approve");
        assert.ok(genuine.startsWith(`${base}/callback?state=`), genuine);
        const edited = new URL(genuine);
        edited.searchParams.set("connection_id", "c_edited");

        noSession = await openPage(browser, edited.href);
        await expectRefused(noSession.page, "no_session", log);

        otherSession = await openPage(browser, `${base}/`);
        await createLink(otherSession.page, "ga4"); // now holds a session of its own
        await otherSession.page.goto(edited.href);
        await expectRefused(otherSession.page, "session_mismatch", log);

        await a.page.goto(edited.href);
        await expectRefused(a.page, "verification_failed", log);

        // The refusals kept the state: the genuine redirect still completes, once.
        await a.page.goto(genuine);
        await waitForState(a.page.getByTestId("verdict"), "connected", log);

        // A pending link (the user denied, which does not consume it): a hand-typed success is
        // not confirmed by Markifact, and the state survives for the real approval.
        const pendingLink = await createLink(a.page, "ga4");
        const denied = new URL(await decide(pendingLink, "deny"));
        const state = denied.searchParams.get("state");
        const externalId = denied.searchParams.get("external_id");
        await a.page.goto(`${base}/callback?state=${state}&${claim}&external_id=${externalId}`);
        await expectRefused(a.page, "verification_failed", log);
        await a.page.goto(await decide(pendingLink, "approve"));
        await waitForState(a.page.getByTestId("verdict"), "connected", log);

        // Only the verified connections were credited, and only to session A.
        await a.page.goto(`${base}/`);
        assert.equal(await a.page.locator("[data-connection-id]").count(), 2, "session A has its two verified connections");
        await otherSession.page.goto(`${base}/`);
        assert.equal(await otherSession.page.locator("[data-connection-id]").count(), 0, "the other session has none");
      } finally {
        await cleanup(() => a.close(), () => noSession?.close(), () => otherSession?.close());
      }
    });

    // The route is the same code in both builds (which the flows above already exercise): once is enough.
    if (mode.name === "turbopack") {
      test("attack: a donated link, approved by a victim who lands on its callback in her session or none: refused, nothing credited, the connection deleted", async () => {
        const { origin: base, log } = ready();
        const attacker = await openPage(browser, `${base}/`);
        const victim = await openPage(browser, `${base}/`);
        let stranger;
        try {
          await createLink(victim.page, "gads"); // the victim has a session of her own
          // The attacker creates a link in its session and sends the consent URL to the victim, who
          // approves with her account: Markifact files it under the attacker's external id.
          const location = await decide(await createLink(attacker.page, "ga4"), "approve");
          const connectionId = new URL(location).searchParams.get("connection_id");
          const externalId = new URL(location).searchParams.get("external_id");
          assert.deepEqual((await sandboxConnections(externalId)).map((c) => c.id), [connectionId]);

          // A forged copy naming another real connection cannot be confirmed: it deletes nothing.
          const foreign = await foreignConnection();
          const forged = new URL(location);
          forged.searchParams.set("connection_id", foreign);
          await victim.page.goto(forged.href);
          await expectRefused(victim.page, "session_mismatch", log);
          assert.equal(await connectionExists(foreign), true, "a forged callback made the app delete a connection");

          // Her browser follows Markifact's redirect, in her session.
          await victim.page.goto(location);
          await expectRefused(victim.page, "session_mismatch", log);
          assert.deepEqual(await sandboxConnections(externalId), [], "the victim's account is still attached to the attacker's external id");
          assert.match(await victim.page.getByTestId("verdict").textContent(), /asked to remove the connection/);
          // The state is used up: the attacker cannot complete the callback afterwards either.
          await attacker.page.goto(location);
          await expectRefused(attacker.page, "unknown_state", log);

          // A victim with no session at all.
          stranger = await openPage(browser, await decide(await createLink(attacker.page, "meta_ads"), "approve"));
          await expectRefused(stranger.page, "no_session", log);
          assert.deepEqual(await sandboxConnections(externalId), []);

          // The deletion fails (the status read behind verifyRedirect goes through, the DELETE gets
          // a 503): 502, the state is kept, and a reload removes the connection.
          const third = await decide(await createLink(attacker.page, "ga4"), "approve");
          await injectFaults({ delay_ms: 0 }, { status: 503 });
          await victim.page.goto(third);
          await expectRefused(victim.page, "upstream_unavailable", log);
          assert.deepEqual(await pendingFaults(), []);
          assert.equal((await sandboxConnections(externalId)).length, 1, "the connection is still there");
          await victim.page.reload();
          await expectRefused(victim.page, "session_mismatch", log);
          assert.deepEqual(await sandboxConnections(externalId), []);

          // Nothing was credited to either session.
          for (const { page } of [attacker, victim]) {
            await page.goto(`${base}/`);
            assert.equal(await page.locator("[data-connection-id]").count(), 0, "a session was credited a donated connection");
          }
          assert.deepEqual(unexpected(unexpected(victim.problems, 403), 502), []);
        } finally {
          await cleanup(() => attacker.close(), () => victim.close(), () => stranger?.close());
        }
      });
    }

    test("the Node route handlers refuse cross-site and malformed requests", async () => {
      const { origin: base } = ready();
      const post = (headers, body) =>
        fetch(`${base}/api/connect`, { method: "POST", headers, body, redirect: "manual" }).then(async (response) => ({
          status: response.status,
          body: await response.json(),
        }));
      const json = { "content-type": "application/json" };
      let answer = await post({ ...json, origin: "https://evil.example" }, '{"connectionType":"ga4"}');
      assert.deepEqual([answer.status, answer.body.error?.code], [403, "cross_origin_request"]);
      answer = await post({ ...json, "sec-fetch-site": "cross-site" }, '{"connectionType":"ga4"}');
      assert.deepEqual([answer.status, answer.body.error?.code], [403, "cross_origin_request"]);
      answer = await post({ "content-type": "text/plain", origin: base }, '{"connectionType":"ga4"}');
      assert.deepEqual([answer.status, answer.body.error?.code], [403, "json_required"]);
      answer = await post({ ...json, origin: base }, '{"connectionType":"google_ads<script>"}');
      assert.deepEqual([answer.status, answer.body.error?.code], [400, "invalid_connection_type"]);
      answer = await post({ ...json, origin: base }, "{not json");
      assert.deepEqual([answer.status, answer.body.error?.code], [400, "invalid_json"]);
    });

    test("each offered connection type (ga4, gads, meta_ads) gets an auth link", async () => {
      const { origin: base, log } = ready();
      for (const connectionType of ["ga4", "gads", "meta_ads"]) {
        const response = await fetch(`${base}/api/connect`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: base },
          body: JSON.stringify({ connectionType }),
        });
        const body = await response.json();
        assert.equal(response.status, 200, `${connectionType}: ${JSON.stringify(body)}\n${log()}`);
        assert.ok(body.url.startsWith(`${sandboxUrl()}/connect/`), body.url);
      }
    });

    test("the edge route handler parses and validates with coded errors", async () => {
      const { origin: base, log } = ready();
      /** GET /api/check?query: the JSON body, after checking the status and the runtime. */
      const check = async (query, status) => {
        const url = `${base}/api/check?${new URLSearchParams(query)}`;
        const response = await fetch(url);
        const text = await response.text();
        let body;
        try {
          body = JSON.parse(text);
        } catch {
          assert.fail(`${url} answered ${response.status} ${text}\n${log()}`);
        }
        assert.equal(response.status, status, `${url} answered ${response.status} ${text}\n${log()}`);
        assert.equal(body.runtime, "edge", `the route ran on the edge runtime: ${text}`);
        return body;
      };
      /** What a test compares of a coded error. */
      const coded = (result) => (result?.ok === false ? { code: result.error.code, field: result.error.field, rule: result.error.rule } : result);

      const redirect = "https://app.example.com/cb?state=s1&status=success&connection_type=ga4&connection_id=c_1&external_id=user_1";
      let body = await check({ url: redirect, redirect_url: "https://app.example.com/cb?state=s1" }, 200);
      assert.deepEqual(body.parse, {
        ok: true,
        value: { status: "success", connectionType: "ga4", connectionId: "c_1", externalId: "user_1", appParams: [["state", "s1"]] },
      });
      assert.deepEqual(body.validate, { ok: true, value: "https://app.example.com/cb?state=s1" });

      body = await check({ url: "https://app.example.com/cb?status=error&connection_type=ga4&error=Access%20denied" }, 200);
      assert.deepEqual(body.parse, { ok: true, value: { status: "error", connectionType: "ga4", error: "Access denied", appParams: [] } });

      body = await check({ url: "not a url" }, 400);
      assert.deepEqual(coded(body.parse), { code: "invalid_url", field: "url", rule: undefined });
      assert.equal(typeof body.parse.error.message, "string");

      body = await check({ url: "https://app.example.com/cb?status=maybe" }, 400);
      assert.deepEqual(coded(body.parse), { code: "invalid_status", field: "status", rule: undefined });

      body = await check({ redirect_url: "http://app.example.com/cb" }, 400);
      assert.deepEqual(coded(body.validate), { code: "invalid_redirect_url", field: "redirectUrl", rule: "not_https" });

      body = await check({ redirect_url: "https://app.example.com/cb#fragment" }, 400);
      assert.deepEqual(coded(body.validate), { code: "invalid_redirect_url", field: "redirectUrl", rule: "fragment" });

      // The app runs on a loopback http origin, so loopback http redirect URLs are allowed.
      body = await check({ redirect_url: "http://127.0.0.1:4000/callback?state=x" }, 200);
      assert.deepEqual(body.validate, { ok: true, value: "http://127.0.0.1:4000/callback?state=x" });
    });
  });
}

describe("next dev (Turbopack) + the same flows", () => {
  let server;
  let origin;

  before(async () => {
    await resetSandbox();
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    const begin = performance.now();
    server = start(nextBin(), ["dev", "-p", String(port), "-H", "127.0.0.1"], {
      cwd: app.dir,
      env: { ...NEXT_ENV, MARKIFACT_API_KEY: API_KEY, MARKIFACT_API_URL: sandboxUrl(), APP_ORIGIN: origin },
    });
    await server.waitFor(/Ready in/, 60_000);
    console.log(`# next: dev ready ${since(begin)} ms at ${origin}`);
  }, { timeout: 90_000 });

  after(() => cleanup(() => server?.stop()), { timeout: 30_000 });

  test("connect, approve, verified once (Strict Mode runs the effect twice), the edge route answers", async () => {
    const begin = performance.now();
    const log = () => tail(server.output());
    const { page, problems, close } = await openPage(browser, `${origin}/`, { timeout: 90_000 });
    try {
      const verifyCalls = countRequests(page, "/api/verify");
      await Promise.all([
        page.waitForURL((url) => url.href.startsWith(`${sandboxUrl()}/connect/`), { timeout: 90_000 }),
        page.getByRole("button", { name: "Connect" }).click(),
      ]);
      await Promise.all([
        page.waitForURL((url) => url.href.startsWith(`${origin}/callback?`), { timeout: 30_000 }),
        page.getByRole("button", { name: "Approve" }).click(),
      ]);
      await waitForState(page.getByTestId("verdict"), "connected", log, 90_000);
      assert.equal(verifyCalls(), 1, "one verification request");
      assert.deepEqual(afterNavigation(problems), []);

      const response = await fetch(`${origin}/api/check?${new URLSearchParams({ redirect_url: "http://app.example.com/cb" })}`);
      const text = await response.text();
      assert.equal(response.status, 400, `${text}\n${log()}`);
      const body = JSON.parse(text);
      assert.equal(body.runtime, "edge");
      assert.equal(body.validate?.error?.rule, "not_https", text);
    } finally {
      await close();
    }
    console.log(`# next: dev flow ${since(begin)} ms (first compiles included)`);
  });
});

function nextBin() {
  return path.join(app.dir, "node_modules", ".bin", "next");
}

/** The warning lines of a build's output. */
function warnings({ stdout, stderr }) {
  return `${stdout}\n${stderr}`
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /^⚠|\bwarn(ing)?\b/i.test(line));
}

function tail(text, lines = 40) {
  return text.split("\n").slice(-lines).join("\n");
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Waits until `locator` has data-state=`state`; the failure says what it shows instead. */
async function waitForState(locator, state, log, timeout = 15_000) {
  try {
    await locator.and(locator.page().locator(`[data-state="${state}"]`)).waitFor({ timeout });
  } catch {
    const shown = await locator.evaluate((node) => `${node.dataset.state}: ${node.textContent}`).catch((e) => String(e));
    assert.fail(`expected data-state="${state}", the page shows ${shown}\n--- server log\n${log()}`);
  }
}

/** A callback page refused by the server with `code`: never "connected". */
async function expectRefused(page, code, log) {
  await waitForState(page.getByTestId("parse"), "parsed", log);
  await waitForState(page.getByTestId("verdict"), "failed", log);
  assert.equal(await page.getByTestId("verdict").getAttribute("data-code"), code, page.url());
}

/** POST /api/connect from the page (same origin, its cookies): the consent page's URL. */
async function createLink(page, connectionType) {
  const { status, body } = await page.evaluate(async (type) => {
    const response = await fetch("/api/connect", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ connectionType: type }),
    });
    return { status: response.status, body: await response.json() };
  }, connectionType);
  assert.equal(status, 200, JSON.stringify(body));
  return body.url;
}

/** How many requests the page made to `pathname` since now. */
function countRequests(page, pathname) {
  let count = 0;
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === pathname) count++;
  });
  return () => count;
}

/**
 * The problems of a page that navigated away (to the consent page and back) without the requests
 * its navigation cancelled: the app's icon is often still loading when the page leaves.
 */
function afterNavigation(problems) {
  return problems.filter((problem) => !/^request failed: \S+\/icon\.svg\S* net::ERR_ABORTED$/.test(problem));
}

/** The problems left once the expected refusal (HTTP `status` from /api/verify) is set aside. */
function unexpected(problems, status) {
  return problems.filter(
    (problem) =>
      !(problem.startsWith(`HTTP ${status}: `) && problem.endsWith("/api/verify")) &&
      !problem.startsWith(`console.error: Failed to load resource: the server responded with a status of ${status}`),
  );
}

/** The sandbox's connections for an external id (what Markifact knows). */
async function sandboxConnections(externalId) {
  const response = await fetch(`${sandboxUrl()}/v1/connections?external_id=${encodeURIComponent(externalId)}`, {
    headers: { authorization: `Bearer ${API_KEY}` },
  });
  assert.equal(response.status, 200);
  return response.json();
}

