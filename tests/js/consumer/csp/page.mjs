// Runs under the strict CSP (see index.html): imports both entries through the import map, uses
// the parser and the main wasm, then proves the policy is enforced: eval and new Function must
// throw, and the page must see the violation. Leaves the report in `window.__report`.
import { parseRedirect, validateRedirectUrl, validateExternalId, MarkifactError } from "markifact-connect";
import * as callback from "markifact-connect/callback";

const checks = [];
function check(name, fn) {
  try {
    fn();
    checks.push({ name, ok: true });
  } catch (error) {
    checks.push({ name, ok: false, detail: describe(error) });
  }
}
// Firefox's and WebKit's `stack` leaves the message out.
function describe(error) {
  const stack = String(error?.stack ?? "");
  return stack.includes(String(error)) ? stack : `${error}\n${stack}`;
}
function assert(condition, message) {
  if (!condition) throw new Error(message);
}
function codeOf(fn) {
  try {
    fn();
  } catch (error) {
    assert(error instanceof MarkifactError || error instanceof callback.MarkifactError, `not a MarkifactError: ${error}`);
    return error.code;
  }
  throw new Error("did not throw");
}
function blocked(fn) {
  try {
    fn();
    return "ran";
  } catch (error) {
    return error?.name ?? String(error);
  }
}

const href = `${location.origin}/cb?session=s1&status=success&connection_type=meta_ads&connection_id=c_csp`;
try {
  check("the main entry parses a redirect (parser wasm)", () => {
    const result = parseRedirect(href);
    assert(result.status === "success" && result.connectionId === "c_csp", JSON.stringify(result));
  });
  check("the callback entry parses it the same", () => {
    assert(JSON.stringify(callback.parseRedirect(href)) === JSON.stringify(parseRedirect(href)), "results differ");
    assert(typeof callback.completeAuthRedirect === "function", "completeAuthRedirect missing");
  });
  check("the main wasm validates", () => {
    const normalised = validateRedirectUrl("HTTPS://App.Example.COM:443/cb?X=1");
    assert(normalised === "https://app.example.com/cb?X=1", `validateRedirectUrl: ${normalised}`);
    assert(codeOf(() => validateExternalId("")) === "invalid_external_id", "empty externalId accepted");
  });
  check("errors are coded", () => {
    assert(codeOf(() => parseRedirect(`${location.origin}/cb?status=nope`)) === "invalid_status", "invalid_status");
    assert(codeOf(() => callback.parseRedirect(`${location.origin}/cb?status=nope`)) === "invalid_status", "callback invalid_status");
  });
  // eval and new Function must be refused: that is how the test knows the header took effect.
  const evalResult = blocked(() => (0, eval)("1 + 1"));
  const functionResult = blocked(() => new Function("return 1")());
  // The violation event is dispatched as a task: give it a moment.
  for (let i = 0; i < 40 && window.__violations.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
  window.__report = { checks, evalResult, functionResult, violations: window.__violations };
  document.getElementById("status").textContent = "done";
} catch (error) {
  window.__report = { fatal: describe(error), checks, violations: window.__violations };
  document.getElementById("status").textContent = "failed";
}
