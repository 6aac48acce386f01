// Runs in headless Chromium: imports the package through the import map (index.js, whose
// embedded wasm is compiled on first use), runs the vectors fetched from the
// server and a few browser-side checks, and leaves the report in `window.__report`.
import * as api from "markifact-connect";
import { parseRedirect, contextHeader, MarkifactError } from "markifact-connect";
import { runVectors, checkList, assert, VECTOR_FILES, withHostile } from "/vector-runner.mjs";

const { checks, check } = checkList();
function codeOf(fn) {
  try {
    fn();
  } catch (error) {
    assert(error instanceof MarkifactError && error instanceof Error, `not a MarkifactError: ${error}`);
    return error.code;
  }
  throw new Error("did not throw");
}

try {
  const files = {};
  for (const name of VECTOR_FILES) {
    const response = await fetch(`/vectors/${name}.json`);
    if (!response.ok) throw new Error(`/vectors/${name}.json: HTTP ${response.status}`);
    files[name] = await response.json();
  }
  const hostile = await fetch("/vectors/hostile.json").then((r) => (r.ok ? r.json() : Promise.reject(new Error(`/vectors/hostile.json: HTTP ${r.status}`))));
  const vectors = runVectors(api, withHostile(files, hostile));

  check("parses a redirect like location.href", () => {
    const href = `${location.origin}/cb?session=s1&status=success&connection_type=meta_ads&connection_id=c_browser`;
    const result = parseRedirect(href);
    assert(result.status === "success" && result.connectionId === "c_browser", JSON.stringify(result));
    assert(JSON.stringify(result.appParams) === '[["session","s1"]]', JSON.stringify(result.appParams));
    assert(!("externalId" in result), "externalId present");
  });
  check("errors are MarkifactErrors with codes", () => {
    assert(codeOf(() => parseRedirect(`${location.origin}/cb?status=nope`)) === "invalid_status", "invalid_status");
    assert(codeOf(() => parseRedirect(undefined)) === "invalid_argument", "undefined");
    assert(codeOf(() => parseRedirect(location)) === "invalid_argument", "a Location object");
    assert(codeOf(() => contextHeader("c_1")) === "invalid_argument", "contextHeader string");
  });
  check("1 MiB input, then still correct", () => {
    assert(codeOf(() => parseRedirect(`https://a.example/cb?${"x".repeat(1 << 20)}`)) === "input_too_long", "1 MiB");
    assert(parseRedirect("https://a.example/cb?status=error&error=e").error === "e", "after 1 MiB");
  });

  window.__report = { vectors, checks };
  document.getElementById("status").textContent = "done";
} catch (error) {
  window.__report = { fatal: String(error?.stack ?? error) };
  document.getElementById("status").textContent = "failed";
}
