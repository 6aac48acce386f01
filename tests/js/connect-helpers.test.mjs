// The browser helpers (openAuthLink, completeAuthRedirect) from the packed tarball in headless
// Chromium: a consumer folder served on 127.0.0.1 plays the app; its callback page is the same
// HTML with ?module=callback. Mostly the consent step is skipped (the popup goes straight to the
// callback URL): what is under test is the window and message handling around it. Where the
// Cross-Origin-Opener-Policy matters, a second origin plays Markifact's consent page
// (consent.html, an Approve button), and the app's pages are served with a COOP under /so/
// (same-origin) and /sap/ (same-origin-allow-popups).
//
// The attacks: a forged callback tab opened by another site, a stale result of an earlier flow,
// a callback in a window that is not the flow's popup, and a message from another origin. Each
// must be ignored (not an error), and the real callback must still complete the flow.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
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

const COOP = { "/so/": "same-origin", "/sap/": "same-origin-allow-popups" };

before(async () => {
  const start = performance.now();
  const dir = await consumerWithTarball("connect-helpers");
  const pages = path.join(JS_DIR, "consumer", "connect");
  for (const file of readdirSync(pages)) copyFileSync(path.join(pages, file), path.join(dir, file));
  app = await serveStatic(dir, {
    mounts: { "/so/": dir, "/sap/": dir },
    headers: (pathname) => {
      const prefix = Object.keys(COOP).find((p) => pathname.startsWith(p));
      return prefix ? { "cross-origin-opener-policy": COOP[prefix] } : {};
    },
  });
  // A second port is a second origin: the forger's, and Markifact's consent page.
  otherOrigin = await serveStatic(dir);
  browser = await launchChromium();
  console.log(`# connect-helpers: install and launch in ${since(start)} ms`);
}, { timeout: 180_000 });

after(() => cleanup(() => browser?.close(), () => app?.close(), () => otherOrigin?.close()), { timeout: 60_000 });

const origin = () => new URL(app.url).origin;
const other = () => new URL(otherOrigin.url).origin;
const callbackUrl = (query, dir = "") => `${origin()}${dir}/page.html?module=callback&app=1&${query}`;
const consentUrl = (next) => `${other()}/consent.html?next=${encodeURIComponent(next)}`;
const SUCCESS = "status=success&connection_type=ga4&connection_id=c1&external_id=user_42";
const FORGED = "status=success&connection_type=ga4&connection_id=forged&external_id=user_42";
/** A flow's state, as the app's server makes one: 128 random bits, hex. */
const newState = () => randomBytes(16).toString("hex");
/** The page the popup waits on when a test wants it to stay open: it reports nothing. */
const HOLD = () => `${origin()}/page.html?module=none`;

/** The app page, ready; `blockPopups` makes window.open return null, as a blocker does. */
async function openApp({ blockPopups = false, userAgent, dir = "" } = {}) {
  const url = `${origin()}${dir}/page.html?module=opener`;
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

/** Starts a popup flow and returns the popup. */
async function startPopup(page, flow) {
  const popupOpened = page.waitForEvent("popup");
  await start(page, { mode: "popup", ...flow });
  return popupOpened;
}

const outcome = (page, timeout = 10_000) =>
  page.waitForFunction(() => window.__result, null, { timeout }).then((handle) => handle.jsonValue());

/** Asserts that the latest flow is still waiting after `ms` (nothing was accepted). */
async function stillWaiting(page, what, ms = 700) {
  await page.waitForTimeout(ms);
  const result = await page.evaluate(() => window.__result);
  assert.equal(result, undefined, `${what}: the flow settled with ${JSON.stringify(result)}`);
}

/** Waits up to 5 s for `popup` to close (at once when it already has). */
async function closedSoon(popup) {
  if (!popup.isClosed()) await popup.waitForEvent("close", { timeout: 5_000 }).catch(() => {});
}

/** Opens `url` in a new tab of the same browser (same cookies, same BroadcastChannels) and waits for its script. */
async function openTab(page, url) {
  const tab = await page.context().newPage();
  await tab.goto(url);
  await tab.waitForFunction(() => window.__ready === true);
  return tab;
}

test("popup: the callback page reports to the opener, which resolves with the parsed result", async () => {
  const { page, close, problems } = await openApp();
  try {
    const popup = await startPopup(page, { url: callbackUrl(SUCCESS) });
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

test("with the flow's state ({ url, state } from the app's server): the result carries it and completes", async () => {
  const { page, close, problems } = await openApp();
  try {
    const state = newState();
    const popup = await startPopup(page, { url: callbackUrl(`${SUCCESS}&state=${state}`), state, stateIn: "link" });
    const closed = popup.waitForEvent("close", { timeout: 5_000 });
    const { result } = await outcome(page);
    assert.equal(result.connectionId, "c1");
    assert.deepEqual(result.appParams, [["module", "callback"], ["app", "1"], ["state", state]]);
    await closed;
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

// Adapted: completion by BroadcastChannel now needs the flow's state (without one, any page of
// the origin could broadcast a result; see the next test).
test("without window.opener, completion arrives by BroadcastChannel, with the flow's state", async () => {
  const { page, close } = await openApp();
  try {
    const state = newState();
    const popup = await startPopup(page, { url: `${origin()}/page.html?module=callback&severed=1&${SUCCESS}&state=${state}`, state });
    const closed = popup.waitForEvent("close", { timeout: 5_000 });
    const { result } = await outcome(page);
    assert.equal(result.connectionId, "c1");
    assert.deepEqual(result.appParams, [["module", "callback"], ["severed", "1"], ["state", state]]);
    await closed;
  } finally {
    await close();
  }
});

test("without window.opener and without a state: nothing is taken from the BroadcastChannel; the closed popup ends the wait", async () => {
  const { page, close } = await openApp();
  try {
    const started = performance.now();
    await startPopup(page, { url: `${origin()}/page.html?module=callback&severed=1&${SUCCESS}` });
    // The callback page broadcasts and closes itself (it is the helpers' popup, by name).
    const { result, error } = await outcome(page, 8_000);
    assert.equal(result, undefined, `a broadcast result was accepted without a state: ${JSON.stringify(result)}`);
    assert.equal(error.code, "aborted");
    assert.match(error.message, /closed/);
    console.log(`# closed popup noticed in ${since(started)} ms`);
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

test("completeAuthRedirect: the state's parameter is named by stateParam, and leaves the address bar with Markifact's", async () => {
  const { page, close } = await openApp();
  try {
    const state = newState();
    // A full-page visit: the page's own result, the address bar cleaned.
    const tab = await openTab(page, `${origin()}/page.html?module=callback&state_param=flow&flow=${state}&${SUCCESS}`);
    assert.equal((await tab.evaluate(() => window.__completed)).connectionId, "c1");
    assert.equal(tab.url(), `${origin()}/page.html?module=callback&state_param=flow`);
    await tab.close();
    // In a popup: the opener gets the state from the parameter the callback page names.
    await startPopup(page, { url: `${origin()}/page.html?module=callback&state_param=flow&flow=${state}&${SUCCESS}`, state });
    const { result } = await outcome(page);
    assert.equal(result.connectionId, "c1");
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
    const popup = await startPopup(page, { url: HOLD() });
    await page.evaluate(([forger, target]) => {
      const frame = document.createElement("iframe");
      frame.src = `${forger}/forger.html?target=${encodeURIComponent(target)}`;
      document.body.append(frame);
      return new Promise((resolve) => frame.addEventListener("load", resolve));
    }, [other(), `${origin()}/page.html`]);
    await stillWaiting(page, "the forged message", 300);
    await popup.goto(callbackUrl(SUCCESS));
    const { result } = await outcome(page);
    assert.equal(result.connectionId, "c1");
  } finally {
    await close();
  }
});

// ------------------------------------------------------------------------------------ attacks

for (const withState of [true, false]) {
  test(`attack: a forged callback tab opened by another site is ignored (${withState ? "with" : "without"} the flow's state)`, async () => {
    const { page, close } = await openApp();
    try {
      const state = withState ? newState() : undefined;
      const popup = await startPopup(page, { url: HOLD(), state });
      // The other site opens the app's callback page itself, in a window of its own, once
      // without a state and once with a guessed one: the callback page (on the app's origin)
      // broadcasts what its URL claims.
      const forger = await openTab(page, `${other()}/forger.html`);
      for (const forged of [callbackUrl(FORGED), callbackUrl(`${FORGED}&state=${newState()}`)]) {
        await forger.goto(`${other()}/forger.html?open=${encodeURIComponent(forged)}`);
        await forger.waitForFunction(() => window.__ready === true);
        const tabOpened = forger.waitForEvent("popup");
        await forger.click("#open");
        const tab = await tabOpened;
        await tab.waitForFunction(() => window.__ready === true).catch(() => {}); // it may close itself first
        await stillWaiting(page, `the forged callback ${forged}`);
      }
      await popup.goto(callbackUrl(withState ? `${SUCCESS}&state=${state}` : SUCCESS));
      const { result } = await outcome(page);
      assert.equal(result.connectionId, "c1");
    } finally {
      await close();
    }
  });
}

test("attack: a stale result of an earlier flow is ignored (from another tab, and in the popup)", async () => {
  const { page, close } = await openApp();
  try {
    const first = newState();
    const second = newState();
    await startPopup(page, { url: HOLD(), state: first });
    // A second flow replaces the first (which ends with aborted).
    let popup = await startPopup(page, { url: HOLD(), state: second });
    const firstOutcome = await page.waitForFunction(() => window.__results[0]).then((h) => h.jsonValue());
    assert.equal(firstOutcome.error?.code, "aborted");
    // The first flow's callback arrives late, in another tab (by BroadcastChannel): ignored.
    const late = callbackUrl(`status=success&connection_type=ga4&connection_id=stale&state=${first}`);
    const tab = await openTab(page, late);
    await stillWaiting(page, "the stale result from another tab");
    await tab.close();
    await popup.goto(callbackUrl(`${SUCCESS}&state=${second}`));
    assert.equal((await outcome(page)).result?.connectionId, "c1");
    await closedSoon(popup); // (else the next window.open would find it by name, still closing)
    // A third flow whose popup lands on the second flow's callback (postMessage and channel):
    // never taken. The callback page closes itself (it has an opener), so the flow ends as closed.
    popup = await startPopup(page, { url: HOLD(), state: newState() });
    await popup.waitForURL(/module=none/);
    await popup.goto(callbackUrl(`status=success&connection_type=ga4&connection_id=stale&state=${second}`));
    const { result, error } = await outcome(page, 8_000);
    assert.equal(result, undefined, `the stale result was accepted: ${JSON.stringify(result)}`);
    assert.equal(error.code, "aborted");
  } finally {
    await close();
  }
});

test("attack: a callback in a window that is not the flow's popup is ignored (no state: postMessage from the popup only)", async () => {
  const { page, close } = await openApp();
  try {
    const popup = await startPopup(page, { url: HOLD() });
    // Another window of the same app, opened by the same page, lands on a forged callback URL:
    // its postMessage has the right origin and the right format, but it is not the popup.
    await page.evaluate((url) => (window.__other = url), callbackUrl(FORGED));
    const otherOpened = page.waitForEvent("popup");
    await page.click("#other");
    const otherWindow = await otherOpened;
    await otherWindow.waitForFunction(() => window.__ready === true).catch(() => {});
    await stillWaiting(page, "the callback in another window");
    await popup.goto(callbackUrl(SUCCESS));
    const { result } = await outcome(page);
    assert.equal(result.connectionId, "c1");
  } finally {
    await close();
  }
});

// ------------------------------------------------------------------------------------ endings

for (const withState of [false, true]) {
  test(`the user closes the popup: the wait ends with aborted (${withState ? "with" : "without"} a state)`, async () => {
    const { page, close } = await openApp();
    try {
      const popup = await startPopup(page, { url: HOLD(), state: withState ? newState() : undefined });
      await popup.waitForURL(/module=none/);
      await page.waitForTimeout(700); // the helper has seen the page load
      const started = performance.now();
      await popup.close();
      const { error } = await outcome(page, 8_000);
      assert.equal(error?.code, "aborted");
      assert.match(error.message, /closed/);
      console.log(`# closed popup noticed in ${since(started)} ms`);
    } finally {
      await close();
    }
  });
}

test("the user closes the blank popup while the link is still coming: aborted without waiting for the link", async () => {
  const { page, close } = await openApp();
  try {
    // A server that takes a minute to answer (or never does).
    const popup = await startPopup(page, { url: HOLD(), state: newState(), delay: 60_000 });
    await page.waitForTimeout(300);
    await popup.close();
    const { error } = await outcome(page, 5_000);
    assert.equal(error?.code, "aborted");
    assert.match(error.message, /closed/);
  } finally {
    await close();
  }
});

test("the link rejects: the placeholder popup closes and the app's MarkifactError comes back unchanged", async () => {
  const { page, close } = await openApp();
  try {
    const fail = { code: "rate_limited", message: "Too many links; wait 7 s", details: { status: 429, retryAfterMs: 7000, retryable: true } };
    const popupOpened = page.waitForEvent("popup");
    await start(page, { mode: "popup", fail });
    const popup = await popupOpened;
    const { error } = await outcome(page);
    assert.deepEqual(
      { code: error.code, status: error.status, retryAfterMs: error.retryAfterMs, message: error.message, same: error.same },
      { code: "rate_limited", status: 429, retryAfterMs: 7000, message: fail.message, same: true },
    );
    await closedSoon(popup);
    assert.ok(popup.isClosed(), "the popup is still open");
    // Anything else than a MarkifactError (a failed fetch) becomes invalid_argument naming the url.
    await start(page, { mode: "popup", fail: { message: "Failed to fetch" } });
    const wrapped = (await outcome(page)).error;
    assert.equal(wrapped.code, "invalid_argument");
    assert.equal(wrapped.field, "url");
    assert.match(wrapped.message, /Failed to fetch/);
  } finally {
    await close();
  }
});

test("a state that is not a string of at least 16 characters is refused (invalid_argument, field state), the popup closed", async () => {
  const { page, close } = await openApp();
  try {
    for (const [state, stateIn] of [["abc", "option"], [42, "link"], ["", "link"]]) {
      const popup = await startPopup(page, { url: callbackUrl(SUCCESS), state, stateIn });
      const { error } = await outcome(page);
      assert.equal(error?.code, "invalid_argument", `state ${JSON.stringify(state)}`);
      assert.equal(error.field, "state");
      await closedSoon(popup);
      assert.ok(popup.isClosed(), "the popup is still open");
    }
  } finally {
    await close();
  }
});

test("abort: the signal rejects the wait with aborted and closes the popup", async () => {
  const { page, close } = await openApp();
  try {
    const popup = await startPopup(page, { url: HOLD() });
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
    const popup = await startPopup(page, { url: "javascript:alert(1)" });
    const { error } = await outcome(page);
    assert.equal(error.code, "invalid_url");
    assert.equal(error.field, "url");
    assert.equal(error.isMarkifactError, true);
    await closedSoon(popup);
    assert.ok(popup.isClosed(), "the popup is still open");
  } finally {
    await close();
  }
});

// ------------------------------------------------------------------ Cross-Origin-Opener-Policy
//
// The popup goes through a consent page on another origin (no COOP), as with Markifact.

for (const withState of [true, false]) {
  test(`COOP same-origin-allow-popups on the app's page: the flow completes through the consent page (${withState ? "with" : "without"} a state)`, async () => {
    const { page, close, problems } = await openApp({ dir: "/sap" });
    try {
      const state = withState ? newState() : undefined;
      const popup = await startPopup(page, { url: consentUrl(callbackUrl(withState ? `${SUCCESS}&state=${state}` : SUCCESS)), state });
      await popup.waitForFunction(() => window.__ready === true);
      await page.waitForTimeout(700); // the helper polls the popup while it is on another origin
      const closed = popup.waitForEvent("close", { timeout: 5_000 });
      await popup.click("#approve");
      const { result } = await outcome(page);
      assert.equal(result.connectionId, "c1");
      await closed;
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
}

test("COOP same-origin on the app's page, with the state: the cut-off popup reads as closed, the wait goes on, the result arrives by BroadcastChannel", async () => {
  const { page, close, problems } = await openApp({ dir: "/so" });
  try {
    const state = newState();
    const popup = await startPopup(page, { url: consentUrl(callbackUrl(`${SUCCESS}&state=${state}`)), state });
    await popup.waitForFunction(() => window.__ready === true);
    // The browser has severed the popup: this page sees it closed, though the user is still in it.
    await stillWaiting(page, "a severed popup", 3_500);
    const closed = popup.waitForEvent("close", { timeout: 5_000 });
    await popup.click("#approve");
    const { result } = await outcome(page);
    assert.equal(result.connectionId, "c1");
    // The callback page has no opener and no window name left; the opener's acknowledgement over
    // the channel lets it close itself.
    await closed;
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("COOP same-origin on the app's page, without a state: the flow ends with aborted naming the cause, it does not hang", async () => {
  const { page, close } = await openApp({ dir: "/so" });
  try {
    const started = performance.now();
    await startPopup(page, { url: consentUrl(callbackUrl(SUCCESS)) });
    const { error } = await outcome(page, 8_000);
    assert.equal(error?.code, "aborted");
    assert.match(error.message, /Cross-Origin-Opener-Policy/);
    console.log(`# severed popup without a state ended in ${since(started)} ms`);
  } finally {
    await close();
  }
});

for (const dir of ["/so", "/sap"]) {
  test(`COOP ${COOP[`${dir}/`]} on the callback page only (it severs the popup coming from the consent page): completes with the state`, async () => {
    const { page, close } = await openApp();
    try {
      const state = newState();
      const popup = await startPopup(page, { url: consentUrl(callbackUrl(`${SUCCESS}&state=${state}`, dir)), state });
      await popup.waitForFunction(() => window.__ready === true);
      await page.waitForTimeout(700);
      await popup.click("#approve");
      const { result } = await outcome(page);
      assert.equal(result.connectionId, "c1");
    } finally {
      await close();
    }
  });
}


// ------------------------------------------------------------------- options, signals, endings
//
// These call openAuthLink with options the app page's own button does not pass: a #custom
// button, added to the page, calls it with window.__custom ({ link, options }); `options.signal`
// "aborted" is an aborted AbortSignal, "counting" a signal that counts its listeners
// (window.__signal.listeners). Outcomes land in window.__customResults, in click order.

async function addCustomButton(page) {
  await page.evaluate(async () => {
    const { openAuthLink } = await import("markifact-connect");
    const button = Object.assign(document.createElement("button"), { id: "custom", type: "button" });
    document.body.append(button);
    window.__customResults = [];
    button.addEventListener("click", () => {
      const { link, options } = window.__custom;
      if (options.signal === "aborted") options.signal = AbortSignal.abort();
      if (options.signal === "counting") {
        options.signal = window.__signal = {
          aborted: false,
          listeners: 0,
          addEventListener() { this.listeners++; },
          removeEventListener() { this.listeners--; },
        };
      }
      const index = window.__customResults.push(undefined) - 1;
      openAuthLink(link, options).then(
        (result) => (window.__customResults[index] = { result }),
        (error) => (window.__customResults[index] = { error: { code: error.code, field: error.field, message: error.message } }),
      );
    });
  });
}

/** Clicks #custom with `custom` ({ link, options }) and returns that call's outcome. */
async function customOutcome(page, custom, timeout = 8_000) {
  const index = await page.evaluate((c) => ((window.__custom = c), window.__customResults.length), custom);
  await page.click("#custom");
  return page.waitForFunction((i) => window.__customResults[i], index, { timeout }).then((handle) => handle.jsonValue());
}

test("callbackOrigin is compared as an origin: with a trailing slash or in upper case it still matches; a non-URL is refused", async () => {
  const { page, close } = await openApp();
  try {
    await addCustomButton(page);
    for (const callbackOrigin of [`${origin()}/`, origin().toUpperCase()]) {
      const state = newState();
      const link = { url: callbackUrl(`${SUCCESS}&state=${state}`), state };
      const popupOpened = page.waitForEvent("popup");
      const { result, error } = await customOutcome(page, { link, options: { mode: "popup", callbackOrigin } });
      assert.equal(result?.connectionId, "c1", `callbackOrigin ${callbackOrigin}: ${JSON.stringify(error)}`);
      await closedSoon(await popupOpened); // (else the next window.open would find it by name, still closing)
    }
    const { error } = await customOutcome(page, { link: callbackUrl(SUCCESS), options: { mode: "popup", callbackOrigin: "app.example.com" } });
    assert.equal(error?.code, "invalid_argument");
    assert.equal(error.field, "callbackOrigin");
  } finally {
    await close();
  }
});

test("a full-page redirect in a tab that has an opener: the callback page completes and the tab stays open", async () => {
  const { page, close } = await openApp();
  try {
    // The app's tab was opened by script (window.open without noopener), so it has an opener.
    const tabOpened = page.waitForEvent("popup");
    await page.evaluate((url) => window.open(url, "_blank"), `${origin()}/page.html?module=opener`);
    const tab = await tabOpened;
    await tab.waitForFunction(() => window.__ready === true);
    await start(tab, { mode: "redirect", url: callbackUrl(SUCCESS) });
    await tab.waitForURL(/module=callback/);
    await tab.waitForFunction(() => window.__ready === true);
    assert.equal((await tab.evaluate(() => window.__completed)).connectionId, "c1");
    await page.waitForTimeout(1_000);
    assert.equal(tab.isClosed(), false, "the callback page closed the user's tab");
  } finally {
    await close();
  }
});

test("a call with an already-aborted signal rejects at once and leaves the pending flow alone", async () => {
  const { page, close } = await openApp();
  try {
    await addCustomButton(page);
    const state = newState();
    const popup = await startPopup(page, { url: HOLD(), state });
    await popup.waitForURL(/module=none/);
    const { error } = await customOutcome(page, { link: callbackUrl(SUCCESS), options: { mode: "popup", signal: "aborted" } });
    assert.equal(error?.code, "aborted");
    await stillWaiting(page, "the pending flow", 300);
    assert.equal(popup.isClosed(), false, "the pending flow's popup was closed");
    await popup.goto(callbackUrl(`${SUCCESS}&state=${state}`));
    assert.equal((await outcome(page)).result?.connectionId, "c1");
  } finally {
    await close();
  }
});

test("the signal's abort listener is removed when the flow ends (completed, failed or replaced)", async () => {
  const { page, close } = await openApp();
  try {
    await addCustomButton(page);
    const listeners = () => page.evaluate(() => window.__signal.listeners);
    const state = newState();
    const completing = page.waitForEvent("popup");
    const completed = await customOutcome(page, { link: { url: callbackUrl(`${SUCCESS}&state=${state}`), state }, options: { mode: "popup", signal: "counting" } });
    assert.equal(completed.result?.connectionId, "c1");
    assert.equal(await listeners(), 0, "after completion");
    await closedSoon(await completing);
    const failed = await customOutcome(page, { link: "javascript:alert(1)", options: { mode: "popup", signal: "counting" } });
    assert.equal(failed.error?.code, "invalid_url");
    assert.equal(await listeners(), 0, "after a failure");
    // Replaced by a newer flow.
    const popupOpened = page.waitForEvent("popup");
    await page.evaluate(() => (window.__custom = { link: `${location.origin}/page.html?module=none`, options: { mode: "popup", signal: "counting" } }));
    await page.click("#custom");
    await (await popupOpened).waitForURL(/module=none/);
    await startPopup(page, { url: HOLD() });
    const replaced = await page.waitForFunction(() => window.__customResults[2], null, { timeout: 5_000 }).then((h) => h.jsonValue());
    assert.equal(replaced.error?.code, "aborted");
    assert.equal(await listeners(), 0, "after being replaced");
  } finally {
    await close();
  }
});
