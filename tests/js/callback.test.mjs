// The `markifact-connect/callback` entry of the packed tarball: its own small wasm, the same
// parser. In Node (imported by name, exports map) and in headless Chromium (native ES modules,
// import map), against the shared vectors and the main entry's results.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { JS_DIR, VECTORS_DIR } from "./helpers/env.mjs";
import { consumerWithTarball } from "./helpers/install.mjs";
import { run } from "./helpers/proc.mjs";
import { BOTH_EMBEDDED_ONCE, serveStatic, wasmRequests } from "./helpers/server.mjs";
import { closeAfterTests, launchChromium, openPage } from "./helpers/browser.mjs";
import { loadVectors, copyRunner, assertAllPassed } from "./helpers/vectors.mjs";

let dir;
let vectors;
let server;
let browser;
let page;

before(async () => {
  vectors = loadVectors();
  dir = await consumerWithTarball("callback");
  copyRunner(dir);
  for (const file of ["shared.mjs", "check.mjs", "index.html", "page.mjs"]) {
    copyFileSync(path.join(JS_DIR, "consumer", "callback", file), path.join(dir, file));
  }
  writeFileSync(path.join(dir, "vectors.json"), JSON.stringify(vectors));
}, { timeout: 180_000 });

closeAfterTests(() => page, () => browser, () => server);

function assertReport(report) {
  assert.equal(report.fatal, undefined, report.fatal);
  assertAllPassed(report.vectors, vectors);
  assert.ok(report.checks.length >= 4, "checks missing");
  for (const check of report.checks) assert.ok(check.ok, `${check.name}: ${check.detail}`);
}

test("node: markifact-connect/callback passes the vectors and the checks", { timeout: 60_000 }, async () => {
  const result = await run(process.execPath, ["check.mjs"], { cwd: dir, timeout: 60_000 });
  assert.equal(result.code, 0, `check.mjs failed:\n${result.stdout}\n${result.stderr}`);
  assertReport(JSON.parse(result.stdout.trim().split("\n").at(-1)));
});

test("chromium: markifact-connect/callback passes the vectors and the checks, one copy of the parser wasm", { timeout: 120_000 }, async () => {
  server = await serveStatic(dir, { mounts: { "/vectors/": VECTORS_DIR } });
  browser = await launchChromium();
  page = await openPage(browser, server.url);
  await page.page.waitForFunction(() => window.__report !== undefined || window.__pageError !== undefined, null, {
    timeout: 30_000,
  });
  assertReport(await page.page.evaluate(() => window.__report ?? { fatal: `page error: ${window.__pageError}` }));
  // The page loads both entries: the wasm comes embedded, each module once (the parser's is shared
  // by both entries), and no .wasm file is fetched.
  assert.deepEqual(wasmRequests(server), BOTH_EMBEDDED_ONCE);
  assert.deepEqual(page.problems, []);
});
