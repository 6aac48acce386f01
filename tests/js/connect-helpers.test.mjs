// The browser helpers (openAuthLink, completeAuthRedirect) from the packed tarball in headless
// Chromium: a consumer folder served on 127.0.0.1 plays the app; its callback page is the same
// HTML with ?module=callback. The consent step is skipped (the popup goes straight to the
// callback URL): what is under test is the window and message handling around it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { JS_DIR, since } from "./helpers/env.mjs";
import { consumerWithTarball } from "./helpers/install.mjs";
import { cleanup } from "./helpers/proc.mjs";
import { serveStatic } from "./helpers/server.mjs";
import { launchChromium, openPage } from "./helpers/browser.mjs";

let app;
let otherOrigin;
let browser;

before(async () => {
  const start = performance.now();
  const dir = await consumerWithTarball("connect-helpers");
  const pages = path.join(JS_DIR, "consumer", "connect");
  for (const file of readdirSync(pages)) copyFileSync(path.join(pages, file), path.join(dir, file));
  app = await serveStatic(dir);
  // A second port is a second origin: the forger's.
  otherOrigin = await serveStatic(dir);
  browser = await launchChromium();
  console.log(`# connect-helpers: install and launch in ${since(start)} ms`);
}, { timeout: 180_000 });

after(() => cleanup(() => browser?.close(), () => app?.close(), () => otherOrigin?.close()), { timeout: 60_000 });

const origin = () => new URL(app.url).origin;
const callbackUrl = (query) => `${origin()}/page.html?module=callback&app=1&${query}`;
const SUCCESS = "status=success&connection_type=ga4&connection_id=c1&external_id=user_42";

/** The app page, ready; `blockPopups` makes window.open return null, as a blocker does. */
async function openApp({ blockPopups = false, userAgent } = {}) {
  const url = `${origin()}/page.html?module=opener`;
  if (!userAgent && !blockPopups) {
    const opened = await openPage(browser, url);
    await opened.page.waitForFunction(() => window.__ready === true);
    return opened;
  }
  const context = await browser.newContext(userAgent ? { userAgent } : {});
  if (blockPopups) await context.addInitScript(() => (window.open = () => null));
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.__ready === true);
  return { page, close: () => context.close() };
}

async function start(page, flow) {
  await page.evaluate((f) => (window.__flow = f), flow);
  await page.click("#go");
}

const outcome = (page) => page.waitForFunction(() => window.__result).then((handle) => handle.jsonValue());

test("popup: the callback page reports to the opener, which resolves with the parsed result", async () => {
  const { page, close, problems } = await openApp();
  try {
    const popupOpened = page.waitForEvent("popup");
    await start(page, { mode: "popup", url: callbackUrl(SUCCESS) });
    const popup = await popupOpened;
    const closed = popup.waitForEvent("close", { timeout: 5_000 });
    const { result } = await outcome(page);
    assert.deepEqual(result, {
      status: "success",
      connectionType: "ga4",
      connectionId: "c1",
      externalId: "user_42",
      appParams: [["module", "callback"], ["app", "1"]],
    });
    await closed;
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("without window.opener, completion arrives by BroadcastChannel", async () => {
  const { page, close } = await openApp();
  try {
    const popupOpened = page.waitForEvent("popup");
    await start(page, { mode: "popup", url: `${origin()}/page.html?module=callback&severed=1&${SUCCESS}` });
    const popup = await popupOpened;
    const closed = popup.waitForEvent("close", { timeout: 5_000 });
    const { result } = await outcome(page);
    assert.equal(result.connectionId, "c1");
    assert.deepEqual(result.appParams, [["module", "callback"], ["severed", "1"]]);
    await closed;
  } finally {
    await close();
  }
});

test("an error redirect resolves too (status error, Markifact's message)", async () => {
  const { page, close } = await openApp();
  try {
    await start(page, { mode: "popup", url: callbackUrl("status=error&connection_type=ga4&error=access_denied") });
    const { result } = await outcome(page);
    assert.equal(result.status, "error");
    assert.equal(result.error, "access_denied");
  } finally {
    await close();
  }
});

test("a blocked popup: mode popup rejects with popup_blocked", async () => {
  const { page, close } = await openApp({ blockPopups: true });
  try {
    await start(page, { mode: "popup", url: callbackUrl(SUCCESS) });
    const { error } = await outcome(page);
    assert.equal(error.code, "popup_blocked");
    assert.equal(error.isMarkifactError, true);
  } finally {
    await close();
  }
});

test("a blocked popup: mode auto falls back to a full-page redirect that completes on the callback page", async () => {
  const { page, close } = await openApp({ blockPopups: true });
  try {
    await start(page, { mode: "auto", url: callbackUrl(SUCCESS) });
    await page.waitForURL(/module=callback/);
    await page.waitForFunction(() => window.__ready === true);
    const completed = await page.evaluate(() => window.__completed);
    assert.equal(completed.status, "success");
    assert.equal(completed.connectionId, "c1");
    // Markifact's parameters are gone from the address bar; the app's stay, in order.
    assert.equal(page.url(), `${origin()}/page.html?module=callback&app=1`);
    // A refresh finds nothing to report: the result is reported once.
    await page.reload();
    await page.waitForFunction(() => window.__ready === true);
    assert.equal(await page.evaluate(() => window.__completed), null);
  } finally {
    await close();
  }
});

test("phones and in-app browsers get the redirect in auto mode, without a popup", async () => {
  const iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
  const { page, close } = await openApp({ userAgent: iphone });
  try {
    let popups = 0;
    page.on("popup", () => popups++);
    await start(page, { mode: "auto", url: callbackUrl(SUCCESS) });
    await page.waitForURL(/module=callback/);
    assert.equal(popups, 0);
  } finally {
    await close();
  }
});

test("a message from another origin is ignored; the real callback still completes", async () => {
  const { page, close } = await openApp();
  try {
    // Hold the popup on a page that does not complete, so the forger speaks first.
    const popupOpened = page.waitForEvent("popup");
    await start(page, { mode: "popup", url: `${origin()}/page.html?module=none` });
    const popup = await popupOpened;
    await page.evaluate(([forger, target]) => {
      const frame = document.createElement("iframe");
      frame.src = `${forger}/forger.html?target=${encodeURIComponent(target)}`;
      document.body.append(frame);
      return new Promise((resolve) => frame.addEventListener("load", resolve));
    }, [new URL(otherOrigin.url).origin, `${origin()}/page.html`]);
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => window.__result), undefined, "the forged message was accepted");
    await popup.goto(callbackUrl(SUCCESS));
    const { result } = await outcome(page);
    assert.equal(result.connectionId, "c1");
  } finally {
    await close();
  }
});

test("abort: the signal rejects the wait with aborted and closes the popup", async () => {
  const { page, close } = await openApp();
  try {
    const popupOpened = page.waitForEvent("popup");
    await start(page, { mode: "popup", url: `${origin()}/page.html?module=none` });
    const popup = await popupOpened;
    const closed = popup.waitForEvent("close", { timeout: 5_000 });
    await page.click("#cancel");
    const { error } = await outcome(page);
    assert.equal(error.code, "aborted");
    await closed;
  } finally {
    await close();
  }
});

test("a consent URL that is not http(s) is refused and the popup closed", async () => {
  const { page, close } = await openApp();
  try {
    const popupOpened = page.waitForEvent("popup");
    await start(page, { mode: "popup", url: "javascript:alert(1)" });
    const popup = await popupOpened;
    const { error } = await outcome(page);
    assert.equal(error.code, "invalid_url");
    assert.equal(error.field, "url");
    assert.equal(error.isMarkifactError, true);
    await popup.waitForEvent("close", { timeout: 5_000 }).catch(() => {});
    assert.ok(popup.isClosed(), "the popup is still open");
  } finally {
    await close();
  }
});
