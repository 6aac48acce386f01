// The Markifact sandbox the client tests talk to (started by `cargo xtask test` with the keys
// sk_sandbox and sk_sandbox_other and --allow-insecure-localhost), and its control endpoints.
import assert from "node:assert/strict";

/** The sandbox's base URL, without a trailing slash. */
export function sandboxUrl() {
  const url = process.env.MARKIFACT_SANDBOX_URL;
  if (!url) throw new Error("MARKIFACT_SANDBOX_URL is not set: run these tests through `cargo xtask test`");
  return url.replace(/\/+$/, "");
}

async function control(path, body) {
  const response = await fetch(`${sandboxUrl()}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.equal(response.status, 200, `${path}: HTTP ${response.status} ${text}`);
  return JSON.parse(text);
}

/** Fails early, with a clear message, when the sandbox is not there or lacks a key. */
export async function checkSandbox() {
  assert.deepEqual(await control("/_sandbox/health"), { ok: true });
  for (const key of ["sk_sandbox", "sk_sandbox_other"]) {
    const response = await fetch(`${sandboxUrl()}/v1/connections/types`, { headers: { authorization: `Bearer ${key}` } });
    await response.body?.cancel();
    assert.equal(response.status, 200, `the sandbox refuses ${key}: start it with --api-key ${key}`);
  }
}

/** Forgets links, connections and faults; the clock goes back to real time. */
export const resetSandbox = () => control("/_sandbox/reset", {});

/** Replaces the fault queue; each fault is consumed by one of the next /v1 requests. */
export async function injectFaults(...faults) {
  const answer = await control("/_sandbox/faults", { faults });
  assert.deepEqual(answer.faults ?? answer, faults, "the sandbox did not queue the faults as given");
}

/** The faults not consumed yet. */
export async function pendingFaults() {
  const answer = await control("/_sandbox/faults");
  return answer.faults ?? answer;
}

/** Moves the sandbox clock forward; resolves to its new `now`. */
export async function advanceClock(ms) {
  return (await control("/_sandbox/clock", { advance_ms: ms })).now;
}

/**
 * What the user's browser does on the hosted consent page, without the page: GET
 * `<link url>?decision=approve|deny`, which answers 303 to the redirect URL. Resolves to the
 * Location header.
 */
export async function decide(linkUrl, decision) {
  const response = await fetch(`${linkUrl}?decision=${decision}`, { redirect: "manual" });
  await response.body?.cancel();
  assert.equal(response.status, 303, `${decision} on ${linkUrl}: HTTP ${response.status}`);
  const location = response.headers.get("location");
  assert.ok(location, `${decision} on ${linkUrl}: no Location`);
  return location;
}
