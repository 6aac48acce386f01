// Browser helpers for the connect flow: open Markifact's consent page from a click, and finish
// the flow on the callback page. Nothing here runs at import (safe under SSR); the functions
// touch `window` only when called.
//
// Completion travels as the callback page's URL, never as a result object: the opening page
// re-parses it with the same strict parser, so a message can claim nothing the URL does not.
import { MarkifactError } from "./markifact-error.js";
import { parseRedirect } from "./glue.js";

const MESSAGE_TYPE = "markifact-connect:redirect";
const CHANNEL_NAME = "markifact-connect";
const POPUP_NAME = "markifact-connect";
const POPUP_FEATURES = "popup,width=520,height=720";
// Phones, tablets and in-app browsers (Facebook, Instagram, LINE, Android WebViews) handle
// popups badly or not at all: `auto` sends them to a full-page redirect.
const NO_POPUP_BROWSERS = /Android|iPhone|iPad|iPod|Mobile|FBAN|FBAV|Instagram|Line\/|; wv\)/;

// At most one flow waits at a time: a new openAuthLink ends the previous one.
let pending = null;

/** Opens the consent page from a click and resolves with the callback page's redirect result. */
export function openAuthLink(urlOrPromise, options = {}) {
  const { mode = "auto", signal, callbackOrigin = window.location.origin } = options;
  if (!["popup", "redirect", "auto"].includes(mode)) {
    return Promise.reject(argumentError("mode", 'one of "popup", "redirect" or "auto"'));
  }
  pending?.cancel(new MarkifactError("aborted", "a newer openAuthLink call replaced this one"));
  if (signal?.aborted) return Promise.reject(aborted());

  // The window must open now, inside the click, before anything is awaited.
  const wantsPopup = mode === "popup" || (mode === "auto" && !NO_POPUP_BROWSERS.test(navigator.userAgent));
  const popup = wantsPopup ? window.open("", POPUP_NAME, POPUP_FEATURES) : null;
  if (wantsPopup && !popup && mode === "popup") {
    return Promise.reject(
      new MarkifactError("popup_blocked", "the browser blocked the consent popup; call openAuthLink inside a click handler, or use mode \"auto\" to fall back to a redirect"),
    );
  }

  return new Promise((resolve, reject) => {
    const flow = waitForCompletion(callbackOrigin, resolve, reject, popup);
    pending = flow;
    signal?.addEventListener("abort", () => flow.cancel(aborted()), { once: true });
    Promise.resolve(urlOrPromise)
      .then((url) => {
        if (flow.done) return;
        const target = consentUrl(url);
        if (popup) {
          popup.location.href = target;
        } else {
          // Full-page redirect: this page goes away; the callback page finishes the flow.
          flow.detach();
          window.location.assign(target);
        }
      })
      .catch((error) => flow.cancel(error instanceof MarkifactError ? error : new MarkifactError("invalid_argument", `the auth link URL could not be obtained: ${error?.message ?? error}`, { field: "url" })));
  });
}

/** On the callback page: parse, clean the address bar, report to the opener, close the popup. */
export function completeAuthRedirect(options = {}) {
  const { targetOrigin = window.location.origin, close = true } = options;
  const href = window.location.href;
  let result;
  try {
    result = parseRedirect(href);
  } catch (error) {
    // No Markifact parameters (a refresh after they were removed, a direct visit): nothing to report.
    if (error instanceof MarkifactError && error.code === "missing_status") return null;
    throw error;
  }
  // Drop Markifact's parameters from the address bar, so a refresh or a back navigation does
  // not report the result again; the app's own parameters stay, in order.
  const clean = new URL(href);
  clean.search = new URLSearchParams(result.appParams).toString();
  window.history.replaceState(window.history.state, "", clean.href);

  const message = { type: MESSAGE_TYPE, href };
  const opener = window.opener;
  if (opener && opener !== window) {
    try {
      opener.postMessage(message, targetOrigin);
    } catch {
      // A cross-origin opener of another origin: the BroadcastChannel below still reaches ours.
    }
  }
  if (typeof BroadcastChannel === "function") {
    const channel = new BroadcastChannel(CHANNEL_NAME);
    channel.postMessage(message);
    channel.close();
  }
  if (close && (opener || window.name === POPUP_NAME)) {
    // Give the channel's message a moment to leave before the window goes.
    setTimeout(() => window.close(), 50);
  }
  return result;
}

/** Listens for the callback page's message; `cancel` and `detach` end the wait. */
function waitForCompletion(callbackOrigin, resolve, reject, popup) {
  const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL_NAME) : null;
  const flow = {
    done: false,
    cancel(error) {
      if (flow.done) return;
      flow.detach();
      popup?.close();
      reject(error);
    },
    detach() {
      flow.done = true;
      window.removeEventListener("message", onWindowMessage);
      channel?.close();
      if (pending === flow) pending = null;
    },
  };
  const complete = (data) => {
    if (flow.done || data?.type !== MESSAGE_TYPE || typeof data.href !== "string") return;
    // The callback page must be on the expected origin, whatever the message says.
    if (safeOrigin(data.href) !== callbackOrigin) return;
    flow.detach();
    try {
      resolve(parseRedirect(data.href));
    } catch (error) {
      reject(error);
    }
  };
  const onWindowMessage = (event) => {
    if (event.origin === callbackOrigin) complete(event.data);
  };
  window.addEventListener("message", onWindowMessage);
  if (channel) channel.onmessage = (event) => complete(event.data);
  return flow;
}

function consentUrl(url) {
  if (typeof url !== "string") throw argumentError("url", "a string");
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new MarkifactError("invalid_url", "the auth link URL is not an absolute URL", { field: "url" });
  }
  // Never navigate to javascript:, data: or other schemes a tampered response could carry.
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new MarkifactError("invalid_url", `the auth link URL must be http(s), not ${parsed.protocol}`, { field: "url" });
  }
  return parsed.href;
}

function safeOrigin(href) {
  try {
    return new URL(href).origin;
  } catch {
    return null;
  }
}

function argumentError(field, expected) {
  return new MarkifactError("invalid_argument", `${field} must be ${expected}`, { field, rule: "wrong_type" });
}

function aborted() {
  return new MarkifactError("aborted", "the connect flow was aborted");
}
