// The packed tarball in a fresh Vite app with no Vite config at all: `vite build`, serve dist/
// statically, load it in headless Chromium and read the parsed redirect from the DOM. Then the
// same app under the Vite dev server (dependency pre-bundling is where wasm packages often break).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { BIN_DIR, JS_DIR, since } from "./helpers/env.mjs";
import { consumerWithTarball } from "./helpers/install.mjs";
import { cleanup, run, start } from "./helpers/proc.mjs";
import { serveStatic } from "./helpers/server.mjs";
import { launchChromium, openPage } from "./helpers/browser.mjs";

const VITE = path.join(BIN_DIR, "vite");

let dir;
let build;
let server;
let browser;
let devServer;
const pages = [];

before(async () => {
  const start = performance.now();
  dir = await consumerWithTarball("vite-app");
  for (const file of ["index.html", "main.js"]) {
    copyFileSync(path.join(JS_DIR, "consumer", "vite-app", file), path.join(dir, file));
  }
  build = await run(VITE, ["build", dir], { cwd: dir, timeout: 120_000 });
  console.log(`# vite: install + build in ${since(start)} ms (vite build ${build.ms} ms)`);
  if (build.code === 0) {
    server = await serveStatic(path.join(dir, "dist"));
    browser = await launchChromium();
  }
}, { timeout: 180_000 });

after(
  () =>
    cleanup(
      ...pages.map((page) => () => page.close()),
      () => devServer?.stop(),
      () => browser?.close(),
      () => server?.close(),
    ),
  { timeout: 60_000 },
);

async function load(query, base = server?.url) {
  assert.ok(base && browser, "nothing to load");
  const page = await openPage(browser, `${base}?${query}`);
  pages.push(page);
  const output = page.page.locator("#connection[data-status]");
  await output.waitFor({ timeout: 30_000 });
  return { page, status: await output.getAttribute("data-status"), text: await output.textContent() };
}

test("vite build succeeds without warnings", () => {
  const output = `${build.stdout}${build.stderr}`;
  assert.equal(build.code, 0, output);
  assert.doesNotMatch(output, /warn|error/i, output);
});

test("the built app shows the connectionId of a success redirect", { timeout: 60_000 }, async () => {
  const { page, status, text } = await load("session=s1&status=success&connection_type=gads&connection_id=c_vite_42");
  assert.equal(status, "success");
  assert.equal(text, "c_vite_42");
  assert.deepEqual(page.problems, []);
  assert.deepEqual(server.requests.filter((r) => r.status !== 200), [], "requests that failed");
  // Whether the package's wasm is fetched or embedded in its modules: whatever .wasm the page
  // fetches is served as application/wasm, and every .wasm the build emitted is one the page uses.
  const wasm = server.requests.filter((r) => new URL(r.path, server.url).pathname.endsWith(".wasm"));
  for (const r of wasm) assert.equal(r.type, "application/wasm", `${r.path} served as ${r.type}`);
  const emitted = readdirSync(path.join(dir, "dist", "assets")).filter((f) => f.endsWith(".wasm"));
  const fetched = new Set(wasm.map((r) => path.posix.basename(new URL(r.path, server.url).pathname)));
  assert.deepEqual(emitted.filter((f) => !fetched.has(f)), [], "wasm assets emitted but never loaded");
});

test("the built app shows the code of a MarkifactError", { timeout: 60_000 }, async () => {
  const { page, status, text } = await load("status=pending");
  assert.equal(status, "markifact-error");
  assert.equal(text, "invalid_status");
  assert.deepEqual(page.problems, []);
});

test("the same app works under the Vite dev server", { timeout: 60_000 }, async () => {
  const start_ = performance.now();
  devServer = start(VITE, [dir, "--host", "127.0.0.1", "--port", "0", "--strictPort", "--clearScreen", "false"], { cwd: dir });
  const [base] = await devServer.waitFor(/http:\/\/127\.0\.0\.1:\d+\//, 30_000);
  const { page, status, text } = await load("status=success&connection_type=ga4&connection_id=c_vite_dev", base);
  assert.equal(status, "success");
  assert.equal(text, "c_vite_dev");
  assert.deepEqual(page.problems, []);
  assert.doesNotMatch(devServer.output(), /warn|error/i, devServer.output());
  console.log(`# vite dev: ${since(start_)} ms`);
});
