// The app page: a click starts openAuthLink with what the test set in window.__flow:
//   { mode, url, state, stateIn, fail, delay }
// `state` goes in `options.state` (stateIn "option", the default) or in the link's value
// (stateIn "link": `{ url, state }`); `fail` makes the link reject with that error (a
// MarkifactError when it has a `code`, else a TypeError); `delay` (ms) holds the link back, as a
// slow server would. Every flow's outcome lands in
// window.__results (in start order), the latest one's in window.__result.
import { openAuthLink, MarkifactError } from "markifact-connect";

let controller;
window.__results = [];
document.getElementById("go").addEventListener("click", () => {
  const { mode, url, state, stateIn = "option", fail, delay = 0 } = window.__flow;
  controller = new AbortController();
  const index = window.__results.push(undefined) - 1;
  window.__result = undefined;
  let link;
  if (fail) {
    window.__thrown = fail.code ? new MarkifactError(fail.code, fail.message, fail.details) : new TypeError(fail.message);
    link = Promise.reject(window.__thrown);
  } else {
    const value = stateIn === "link" ? { url, state } : url;
    link = new Promise((resolve) => setTimeout(() => resolve(value), delay));
  }
  const options = { mode, signal: controller.signal };
  if (stateIn === "option" && state !== undefined) options.state = state;
  const settle = (outcome) => {
    window.__results[index] = outcome;
    if (index === window.__results.length - 1) window.__result = outcome;
  };
  openAuthLink(link, options).then(
    (result) => settle({ result }),
    (error) =>
      settle({
        error: {
          code: error.code,
          field: error.field,
          status: error.status,
          retryAfterMs: error.retryAfterMs,
          message: error.message,
          isMarkifactError: error instanceof MarkifactError,
          same: error === window.__thrown,
        },
      }),
  );
});
document.getElementById("cancel").addEventListener("click", () => controller?.abort());
// Another window of this page that is not the flow's popup (window.__other: its URL).
document.getElementById("other").addEventListener("click", () => window.open(window.__other, "_blank"));
window.__ready = true;
