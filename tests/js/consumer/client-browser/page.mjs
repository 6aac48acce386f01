// Runs in headless Chromium: imports the package through the import map (index.js) and leaves
// it, with a few helpers, on `window` for client-browser.test.mjs to drive with page.evaluate.
// This page is also the redirect URL of the auth links the test creates, so it loads again on
// the way back from the consent page.
import * as markifact from "markifact-connect";

const { MarkifactError } = markifact;

/** A MarkifactError (or anything thrown) as plain data that survives page.evaluate. */
function describe(error) {
  const fields = {};
  for (const key of ["name", "code", "message", "field", "rule", "status", "retryable", "retryAfterMs", "detail"]) {
    if (error?.[key] !== undefined) fields[key] = error[key];
  }
  let json;
  try {
    json = JSON.stringify(error);
  } catch (e) {
    json = `JSON.stringify threw ${e}`;
  }
  return {
    ...fields,
    isMarkifactError: error instanceof MarkifactError,
    isError: error instanceof Error,
    string: String(error),
    json,
    stack: String(error?.stack ?? ""),
  };
}

/** Awaits `fn()`: `{ ok, value | error, ms }`, never rejecting. */
async function settle(fn) {
  const start = performance.now();
  try {
    const value = await fn();
    return { ok: true, value, ms: performance.now() - start };
  } catch (error) {
    return { ok: false, error: describe(error), ms: performance.now() - start };
  }
}

/** A fetch that records `[method, url]` of every call and passes it on. */
function countingFetch(extraHeaders = {}) {
  const calls = [];
  const counted = (url, init) => {
    calls.push([init?.method, url]);
    return fetch(url, { ...init, headers: { ...init?.headers, ...extraHeaders } });
  };
  return { calls, fetch: counted };
}

window.markifact = markifact;
window.helpers = { describe, settle, countingFetch };
window.__ready = true;
document.getElementById("status").textContent = "ready";
