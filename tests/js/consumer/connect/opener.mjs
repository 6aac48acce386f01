// The app page: a click starts openAuthLink with what the test set in window.__flow
// ({ mode, url }); the outcome lands in window.__result.
import { openAuthLink, MarkifactError } from "markifact-connect";

let controller;
document.getElementById("go").addEventListener("click", () => {
  const { mode, url } = window.__flow;
  controller = new AbortController();
  window.__result = undefined;
  openAuthLink(Promise.resolve(url), { mode, signal: controller.signal }).then(
    (result) => (window.__result = { result }),
    (error) => (window.__result = { error: { code: error.code, field: error.field, isMarkifactError: error instanceof MarkifactError } }),
  );
});
document.getElementById("cancel").addEventListener("click", () => controller?.abort());
window.__ready = true;
