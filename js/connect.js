// Browser helpers for the connect flow: open Markifact's consent page from a click, and finish
// the flow on the callback page. Nothing here runs at import (safe under SSR); the functions
// touch `window` only when called.
//
// Completion travels as the callback page's URL, never as a result object: the opening page
// re-parses it with the same strict parser, so a message can claim nothing the URL does not.
// A flow takes only its own result: with its state (the one-time value the app's server put on
// its redirect URL); by postMessage only from its popup; by the same-origin BroadcastChannel
// (the way left when a Cross-Origin-Opener-Policy cuts the popup off) only with the state.
import { MarkifactError } from "./markifact-error.js";
import { parseRedirect } from "./glue.js";

const MESSAGE_TYPE = "markifact-connect:redirect";
const ACK_TYPE = "markifact-connect:received";
const CHANNEL_NAME = "markifact-connect";
const POPUP_NAME = "markifact-connect";
const POPUP_FEATURES = "popup,width=520,height=720";
// Phones, tablets and in-app browsers (Facebook, Instagram, LINE, Android WebViews) handle
// popups badly or not at all: `auto` sends them to a full-page redirect.
const NO_POPUP_BROWSERS = /Android|iPhone|iPad|iPod|Mobile|FBAN|FBAV|Instagram|Line\/|; wv\)/;
// How often the popup is checked, and how long a closed popup's last message may take.
const POLL_MS = 500;
const GRACE_MS = 2000;

// At most one flow waits at a time: a new openAuthLink ends the previous one.
let pending = null;

/** Opens the consent page from a click and resolves with the callback page's redirect result. */
export function openAuthLink(link, options = {}) {
  const { mode = "auto", signal } = options;
  // As event.origin spells it: a trailing slash or upper case would never match.
  const callbackOrigin = safeOrigin(options.callbackOrigin ?? window.location.href);
  if (!["popup", "redirect", "auto"].includes(mode)) {
    return Promise.reject(argumentError("mode", 'one of "popup", "redirect" or "auto"'));
  }
  if (!callbackOrigin) return Promise.reject(argumentError("callbackOrigin", "an origin such as https://app.example.com"));
  // Checked first: a call that cannot start must not end the pending flow.
  if (signal?.aborted) return Promise.reject(aborted());
  pending?.cancel(new MarkifactError("aborted", "a newer openAuthLink call replaced this one"));

  // The window must open now, inside the click, before anything is awaited.
  const wantsPopup = mode === "popup" || (mode === "auto" && !NO_POPUP_BROWSERS.test(navigator.userAgent));
  const popup = wantsPopup ? window.open("", POPUP_NAME, POPUP_FEATURES) : null;
  if (wantsPopup && !popup && mode === "popup") {
    return Promise.reject(
      new MarkifactError("popup_blocked", "the browser blocked the consent popup; call openAuthLink inside a click handler, or use mode \"auto\" to fall back to a redirect"),
    );
  }

  return new Promise((resolve, reject) => {
    const flow = waitForCompletion(callbackOrigin, resolve, reject, popup, signal);
    pending = flow;
    Promise.resolve(link)
      .then((value) => {
        if (flow.done) return;
        const { url, state = options.state } = value && typeof value === "object" ? value : { url: value };
        if (state != null && !(typeof state === "string" && state.length >= 16)) {
          throw argumentError("state", "your server's state for this flow (16+ characters)");
        }
        const target = consentUrl(url);
        // Closed while still blank: the user's doing (a COOP cuts a popup off only as it navigates).
        if (popup?.closed) throw closed();
        if (popup) {
          popup.location.href = target;
          flow.start(state ?? null);
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
  const { targetOrigin = window.location.origin, close = true, stateParam = "state" } = options;
  const href = window.location.href;
  let result;
  try {
    result = parseRedirect(href);
  } catch (error) {
    // No Markifact parameters (a refresh after they were removed, a direct visit): nothing to report.
    if (error instanceof MarkifactError && error.code === "missing_status") return null;
    throw error;
  }
  // The flow's state: exactly one value in this page's URL, or none.
  const states = new URL(href).searchParams.getAll(stateParam);
  const state = states.length === 1 ? states[0] : null;
  // Drop Markifact's parameters and the state from the address bar, so a refresh or a back
  // navigation does not report the result again; the app's own parameters stay, in order.
  const clean = new URL(href);
  clean.search = new URLSearchParams(result.appParams.filter(([name]) => name !== stateParam)).toString();
  window.history.replaceState(window.history.state, "", clean.href);

  const message = { type: MESSAGE_TYPE, href, state };
  const opener = window.opener;
  if (opener && opener !== window) {
    try {
      opener.postMessage(message, targetOrigin);
    } catch {
      // A cross-origin opener of another origin: the BroadcastChannel below still reaches ours.
    }
  }
  // By its name only: a full-page redirect in a tab that has an opener must not close the tab.
  const closing = close && window.name === POPUP_NAME;
  if (typeof BroadcastChannel === "function") {
    const channel = new BroadcastChannel(CHANNEL_NAME);
    channel.postMessage(message);
    if (close && state && !closing) {
      // A popup cut off from its opener has no opener or name left: it closes once the opening
      // page says it took the result (a full-page redirect gets no answer and stays).
      channel.onmessage = ({ data }) => data?.type === ACK_TYPE && data.state === state && window.close();
    } else {
      channel.close();
    }
  }
  if (closing) {
    // Give the channel's message a moment to leave before the window goes.
    setTimeout(() => window.close(), 50);
  }
  return result;
}

/** Listens for the callback page's message once `start` is called; `cancel` and `detach` end the wait. */
function waitForCompletion(callbackOrigin, resolve, reject, popup, signal) {
  let state; // undefined until the popup is on its way to the consent page; then the state or null
  let channel = null;
  let seen = false;
  let closedAt = 0;
  const flow = {
    done: false,
    start(value) {
      state = value;
      if (state && typeof BroadcastChannel === "function") {
        channel = new BroadcastChannel(CHANNEL_NAME);
        channel.onmessage = (event) => complete(event.data, true);
      }
    },
    cancel(error) {
      if (flow.done) return;
      flow.detach();
      popup?.close();
      reject(error);
    },
    detach() {
      flow.done = true;
      clearInterval(timer);
      window.removeEventListener("message", onWindowMessage);
      channel?.close();
      signal?.removeEventListener?.("abort", onAbort);
      if (pending === flow) pending = null;
    },
  };
  // A closed popup ends the wait after a grace period. One that reads closed before any page was
  // seen in it was most likely cut off by a Cross-Origin-Opener-Policy, the user still in it: with
  // a state the channel can still bring the result, so only the signal ends that wait.
  const watch = () => {
    if (!popup.closed) {
      try {
        seen ||= popup.location.href !== "about:blank";
      } catch {
        seen = true; // another origin's page
      }
    } else if (state === undefined) {
      flow.cancel(closed()); // still blank, the link not there yet: the user's doing
    } else if (!state || seen) {
      closedAt ||= Date.now();
      if (Date.now() - closedAt >= GRACE_MS) {
        flow.cancel(closed(!state));
      }
    }
  };
  const complete = (data, fromChannel) => {
    if (flow.done || state === undefined || data?.type !== MESSAGE_TYPE || typeof data.href !== "string") return;
    // This flow's result only: with its state; without one, not from the channel.
    if (state ? data.state !== state : fromChannel) return;
    // The callback page must be on the expected origin, whatever the message says.
    if (safeOrigin(data.href) !== callbackOrigin) return;
    channel?.postMessage({ type: ACK_TYPE, state });
    flow.detach();
    try {
      resolve(parseRedirect(data.href));
    } catch (error) {
      reject(error);
    }
  };
  const onWindowMessage = (event) => {
    if (event.source !== popup) return;
    seen = true; // it talks: it was not cut off
    if (event.origin === callbackOrigin) complete(event.data);
  };
  const onAbort = () => flow.cancel(aborted());
  signal?.addEventListener("abort", onAbort, { once: true });
  window.addEventListener("message", onWindowMessage);
  // Watched from the start: a popup closed while the link is still coming ends the wait.
  const timer = popup && setInterval(watch, POLL_MS);
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

function closed(coopHint) {
  return new MarkifactError("aborted", `the consent window was closed before the flow finished${coopHint ? " (or a Cross-Origin-Opener-Policy cut it off: pass the flow's state, see the README)" : ""}`);
}
