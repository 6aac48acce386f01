// A classic script that runs before the module (inline scripts and handlers are not allowed here):
// records every CSP violation the page reports, and anything that stops page.mjs from reporting.
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push({
    directive: event.effectiveDirective || event.violatedDirective,
    blocked: event.blockedURI || "",
    sample: event.sample || "",
  });
});
window.addEventListener(
  "error",
  (event) => {
    const target = event.target;
    if (target && target !== window && (target.src || target.href)) {
      window.__pageError ??= `could not load ${target.src || target.href}`;
    } else {
      window.__pageError ??= String(event.error?.stack ?? event.message);
    }
  },
  true,
);
window.addEventListener("unhandledrejection", (event) => {
  window.__pageError ??= String(event.reason?.stack ?? event.reason);
});
