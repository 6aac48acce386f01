// The packed tarball in the three browser engines (Chromium, Firefox ESR, WebKitGTK), each
// launched once (helpers/engines.mjs), against one consumer folder served over HTTP:
// - the package smoke page (consumer/browser: native ES modules, an import map covering both
//   entries, the shared vectors, the coded errors) plus the callback entry imported by the page;
// - the same entries under a strict Content-Security-Policy (consumer/csp): `default-src 'self';
//   script-src 'self' 'wasm-unsafe-eval' 'sha256-<the import map>'`, no 'unsafe-eval', no
//   'unsafe-inline'. The page proves the header took effect (eval and new Function refused, the
//   violation reported to the page);
// - the same page without 'wasm-unsafe-eval': the package cannot compile its wasm, so the README
//   must tell CSP users to allow it.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import { JS_DIR, VECTORS_DIR, since } from "./helpers/env.mjs";
import { consumerWithTarball } from "./helpers/install.mjs";
import { serveStatic } from "./helpers/server.mjs";
import { COLLECTOR, ENGINES, launch } from "./helpers/engines.mjs";
import { loadVectors, copyRunner, assertAllPassed } from "./helpers/vectors.mjs";

const ONLY = process.env.MARKIFACT_ENGINES?.split(",").filter(Boolean) ?? ENGINES;
const PAGE_TIMEOUT = 30_000;

/** The policy of /csp/ (and, without 'wasm-unsafe-eval', of /csp-no-wasm/). */
function policies(importMapHash) {
  const script = (wasm) =>
    ["script-src 'self'", wasm ? "'wasm-unsafe-eval'" : null, `'sha256-${importMapHash}'`].filter(Boolean).join(" ");
  return {
    strict: `default-src 'self'; ${script(true)}; base-uri 'none'; object-src 'none'; form-action 'self'`,
    noWasm: `default-src 'self'; ${script(false)}; base-uri 'none'; object-src 'none'; form-action 'self'`,
  };
}

/** The hash CSP matches an inline script by: of its exact text, whitespace included. */
function inlineHash(html, type) {
  const match = html.match(new RegExp(`<script type="${type}">([^]*?)</script>`));
  assert.ok(match, `no inline <script type="${type}">`);
  return createHash("sha256").update(match[1], "utf8").digest("base64");
}

const HARNESS_PROBE = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>running</title></head>
<body><script type="module">
  console.error("harness-probe: console.error");
  fetch("/harness-probe-missing.json").catch(() => {});
  setTimeout(() => { throw new Error("harness-probe: uncaught"); });
  setTimeout(() => { document.title = "done"; }, 300);
</script></body></html>`;

let server;
let vectors;
let policy;

before(async () => {
  const start = performance.now();
  vectors = loadVectors();
  const dir = await consumerWithTarball("engines");
  copyRunner(dir);
  for (const file of ["index.html", "page.mjs"]) {
    copyFileSync(path.join(JS_DIR, "consumer", "browser", file), path.join(dir, file));
  }
  const csp = path.join(dir, "csp");
  mkdirSync(csp);
  for (const file of readdirSync(path.join(JS_DIR, "consumer", "csp"))) {
    copyFileSync(path.join(JS_DIR, "consumer", "csp", file), path.join(csp, file));
  }
  // The harness's own check page: what it must report (so an empty list means something).
  writeFileSync(path.join(dir, "harness-probe.html"), HARNESS_PROBE);
  policy = policies(inlineHash(readFileSync(path.join(csp, "index.html"), "utf8"), "importmap"));
  server = await serveStatic(dir, {
    mounts: { "/vectors/": VECTORS_DIR, "/csp-no-wasm/": csp },
    headers: (pathname) => {
      if (pathname.startsWith("/csp/")) return { "content-security-policy": policy.strict };
      if (pathname.startsWith("/csp-no-wasm/")) return { "content-security-policy": policy.noWasm };
      return {};
    },
    // WebKit's WebDriver reports nothing: the page-side collector loads first in every page.
    inject: COLLECTOR,
  });
  console.log(`# engines: consumer install and server in ${since(start)} ms`);
}, { timeout: 180_000 });

after(() => server?.close());

/** Waits for the page's report (or the error that stopped it) and returns it. */
async function reportOf(page) {
  await page.waitForFunction(() => window.__report !== undefined || window.__pageError !== undefined, null, PAGE_TIMEOUT);
  return page.evaluate(() => window.__report ?? { fatal: `page error: ${window.__pageError}` });
}

/** The requests since the `from`th that did not answer 200. */
function failedRequests(from) {
  return server.requests.slice(from).filter((r) => r.status !== 200);
}

// Messages an engine logs for the page's own, deliberate eval attempts (the test's proof that the
// policy is enforced) are expected; anything else is a problem.
const EXPECTED_EVAL_REPORT = [
  /Refused to evaluate a string as JavaScript because 'unsafe-eval' is not an allowed source/i, // Chromium, WebKit
  /^uncaught: Error: Content-Security-Policy: The page’s settings blocked a JavaScript eval \(script-src\)/, // Firefox (BiDi reports it as an error)
  /csp violation: script-src blocked eval/, // the page-side collector
];

for (const engine of ONLY) {
  describe(engine, { concurrency: false }, () => {
    let browser;
    let closed = false;

    before(async () => {
      const start = performance.now();
      browser = await launch(engine);
      console.log(`# ${engine}: ${browser.version}, launched in ${since(start)} ms`);
    }, { timeout: 120_000 });

    after(async () => {
      if (!closed) await browser?.close();
    }, { timeout: 60_000 });

    test("the harness sees a page's console errors, uncaught errors and failed requests", { timeout: 30_000 }, async () => {
      const page = await browser.open(`${server.url}harness-probe.html`, { timeout: PAGE_TIMEOUT });
      try {
        await page.waitFor("title", { text: "done" });
        const problems = (await page.problems()).join("\n");
        assert.match(problems, /harness-probe: console\.error/);
        assert.match(problems, /harness-probe: uncaught/);
        assert.match(problems, /404.*harness-probe-missing\.json|harness-probe-missing\.json.*404/);
      } finally {
        await page.close();
      }
    });

    test("the package smoke page: vectors, browser-side checks, coded errors", { timeout: 90_000 }, async () => {
      const start = performance.now();
      const from = server.requests.length;
      const page = await browser.open(server.url, { timeout: PAGE_TIMEOUT });
      try {
        const report = await reportOf(page);
        assert.equal(report.fatal, undefined, `${report.fatal}\n${(await page.problems()).join("\n")}`);
        assertAllPassed(report.vectors, vectors);
        assert.ok(report.checks.length >= 3, "checks missing");
        for (const check of report.checks) assert.ok(check.ok, `${check.name}: ${check.detail}`);

        // The import map's second entry: markifact-connect/callback, imported by the page.
        const callback = await page.evaluate(async () => {
          const entry = await import("markifact-connect/callback");
          const main = await import("markifact-connect");
          const href = `${location.origin}/cb?status=success&connection_type=ga4&connection_id=c_cb`;
          let code;
          try {
            entry.parseRedirect(`${location.origin}/cb?status=nope`);
          } catch (error) {
            code = `${error instanceof entry.MarkifactError}:${error.code}`;
          }
          return {
            same: JSON.stringify(entry.parseRedirect(href)) === JSON.stringify(main.parseRedirect(href)),
            exports: Object.keys(entry).sort(),
            code,
          };
        });
        assert.ok(callback.same, "the callback entry parses differently");
        assert.equal(callback.code, "true:invalid_status");
        for (const name of ["parseRedirect", "errorCodes", "MarkifactError", "openAuthLink", "completeAuthRedirect"]) {
          assert.ok(callback.exports.includes(name), `markifact-connect/callback lacks ${name}: ${callback.exports}`);
        }

        const requested = server.requests.slice(from);
        assert.deepEqual(failedRequests(from), [], "requests that did not answer 200");
        assert.deepEqual(
          requested.filter((r) => r.path.endsWith(".wasm")).map((r) => r.path),
          [],
          "the page fetched .wasm files (the wasm is meant to be embedded in the modules)",
        );
        assert.deepEqual(await page.problems(), []);
      } finally {
        await page.close();
      }
      console.log(`# ${engine}: smoke page in ${since(start)} ms`);
    });

    test("a strict CSP (no 'unsafe-eval', hashed import map): both entries work, the policy is enforced", { timeout: 60_000 }, async () => {
      const start = performance.now();
      const from = server.requests.length;
      const page = await browser.open(`${server.url}csp/`, { timeout: PAGE_TIMEOUT });
      try {
        const report = await reportOf(page);
        const problems = await page.problems();
        assert.equal(report.fatal, undefined, `${report.fatal}\n${problems.join("\n")}`);
        for (const check of report.checks) assert.ok(check.ok, `${check.name}: ${check.detail}`);
        assert.ok(report.checks.length >= 4, "checks missing");
        // The header took effect: the page's own eval and new Function were refused ...
        assert.equal(report.evalResult, "EvalError", "eval ran: the CSP is not enforced");
        assert.equal(report.functionResult, "EvalError", "new Function ran: the CSP is not enforced");
        // ... and reported as script-src violations; nothing else was (not the import map, not the wasm).
        assert.ok(report.violations.length > 0, "the page saw no securitypolicyviolation event");
        const unexpected = report.violations.filter((v) => !(v.directive === "script-src" && v.blocked === "eval"));
        assert.deepEqual(unexpected, [], "violations other than the page's eval attempts");
        assert.deepEqual(failedRequests(from), [], "requests that did not answer 200");
        const expected = problems.filter((p) => EXPECTED_EVAL_REPORT.some((known) => known.test(p)));
        assert.deepEqual(problems.filter((p) => !expected.includes(p)), []);
        console.log(`# ${engine}: the eval attempts reported ${expected.length} time(s), as expected; violations seen by the page: ${report.violations.length}`);
      } finally {
        await page.close();
      }
      console.log(`# ${engine}: strict-CSP page in ${since(start)} ms`);
    });

    test("without 'wasm-unsafe-eval' the policy blocks the package's wasm (documented requirement)", { timeout: 60_000 }, async () => {
      const start = performance.now();
      const page = await browser.open(`${server.url}csp-no-wasm/`, { timeout: PAGE_TIMEOUT });
      try {
        const report = await reportOf(page);
        const failures = [report.fatal, ...(report.checks ?? []).filter((c) => !c.ok).map((c) => c.detail)].filter(Boolean);
        assert.ok(failures.length > 0, "the package worked without 'wasm-unsafe-eval'");
        const wasmViolations = (report.violations ?? []).filter((v) => v.blocked === "wasm-eval" || /wasm/i.test(v.blocked));
        console.log(`# ${engine}: without 'wasm-unsafe-eval': ${failures[0].split("\n")[0]}; violations: ${JSON.stringify(report.violations)}`);
        assert.ok(
          wasmViolations.length > 0 || failures.some((f) => /CompileError|wasm|WebAssembly/i.test(f)),
          `not a wasm/CSP failure: ${failures.join("\n")}`,
        );
        // The package's coded error, naming the module and the fix, whatever the engine's words.
        assert.ok(
          failures.some((f) =>
            /MarkifactError: markifact-connect could not compile or instantiate markifact_connect_(parser|bg)\.wasm: .*script-src needs 'wasm-unsafe-eval'/s.test(f),
          ),
          `no wasm_unavailable naming the module and 'wasm-unsafe-eval': ${failures.join("\n")}`,
        );
      } finally {
        await page.close();
      }
      console.log(`# ${engine}: no-wasm CSP page in ${since(start)} ms`);
    });

    test("closes, leaving no browser process behind", { timeout: 60_000 }, async () => {
      const start = performance.now();
      closed = true;
      await browser.close();
      console.log(`# ${engine}: closed in ${since(start)} ms`);
    });
  });
}
