// The packed tarball as native ES modules in headless Chromium: a fresh consumer folder served
// over HTTP, a page whose import map points "markifact-connect" at browser.js, the vectors run
// in the page.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import path from "node:path";
import { JS_DIR, VECTORS_DIR, since } from "./helpers/env.mjs";
import { consumerWithTarball } from "./helpers/install.mjs";
import { BOTH_EMBEDDED_ONCE, serveStatic, wasmRequests } from "./helpers/server.mjs";
import { closeAfterTests, launchChromium, openPage } from "./helpers/browser.mjs";
import { loadVectors, copyRunner, assertAllPassed } from "./helpers/vectors.mjs";

let server;
let browser;
let page;
let report;
let vectors;

before(async () => {
  const start = performance.now();
  vectors = loadVectors();
  const dir = await consumerWithTarball("browser");
  copyRunner(dir);
  for (const file of ["index.html", "page.mjs"]) {
    copyFileSync(path.join(JS_DIR, "consumer", "browser", file), path.join(dir, file));
  }
  server = await serveStatic(dir, { mounts: { "/vectors/": VECTORS_DIR } });
  browser = await launchChromium();
  page = await openPage(browser, server.url);
  await page.page.waitForFunction(() => window.__report !== undefined || window.__pageError !== undefined, null, {
    timeout: 30_000,
  });
  report = await page.page.evaluate(() => window.__report ?? { fatal: `page error: ${window.__pageError}` });
  console.log(`# browser: install, launch and run in ${since(start)} ms`);
}, { timeout: 180_000 });

closeAfterTests(() => page, () => browser, () => server);

test("the page loaded the package", () => {
  assert.equal(report.fatal, undefined, `${report.fatal}\n${page.problems.join("\n")}`);
});

test("every shared vector passes in Chromium", () => {
  assertAllPassed(report.vectors, vectors);
});

test("the browser-side checks pass", () => {
  assert.ok(report.checks.length >= 3, "checks missing");
  for (const check of report.checks) assert.ok(check.ok, `${check.name}: ${check.detail}`);
});

test("both wasm modules came embedded in the installed package, each fetched once, no .wasm file", () => {
  assert.deepEqual(wasmRequests(server), BOTH_EMBEDDED_ONCE);
});

test("no console errors or warnings, failed requests or uncaught exceptions", () => {
  assert.deepEqual(page.problems, []);
});
