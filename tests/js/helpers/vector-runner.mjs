// Runs the shared test vectors (tests/vectors/*.json) against the package's API. It imports
// nothing, so the same file runs in Node, in a browser page and in a Worker: the caller passes
// the API (the package's exports) and the parsed vector files.
//
// A vector expects either a result (`expect`, compared structurally; absent for functions whose
// success is `undefined`) or an error (`error: {code, field?, rule?}`). Errors must be
// `MarkifactError`s; `code` and `rule` are compared as given, `field` after mapping the Rust
// argument names to the JS ones (redirect_url -> redirectUrl, external_id -> externalId,
// connection_ids[i] -> connectionIds[i]); field names of URL parameters (status, connection_id,
// ...) are the same in both.

export const VECTOR_FILES = ["parse_redirect", "validate_redirect_url", "validate_external_id", "context_header"];

const COMMENT_KEYS = ["name", "description", "comment", "note"];

const SPECS = {
  parse_redirect: {
    keys: ["url", "redirectUrl", "expect", "error"],
    renames: [["redirect_url", "redirectUrl"]],
    call: (api, v) => api.parseRedirect(v.url, present(v.redirectUrl) ? { redirectUrl: v.redirectUrl } : undefined),
  },
  validate_redirect_url: {
    keys: ["input", "allowInsecureLocalhost", "expect", "error"],
    renames: [["redirect_url", "redirectUrl"]],
    call: (api, v) =>
      api.validateRedirectUrl(
        v.input,
        present(v.allowInsecureLocalhost) ? { allowInsecureLocalhost: v.allowInsecureLocalhost } : undefined,
      ),
  },
  validate_external_id: {
    keys: ["input", "error"],
    renames: [["external_id", "externalId"]],
    call: (api, v) => api.validateExternalId(v.input),
    // Success is `undefined`, whether or not the vector says so.
    expectUndefined: true,
  },
  context_header: {
    keys: ["ids", "expect", "error"],
    renames: [["connection_ids", "connectionIds"]],
    call: (api, v) => api.contextHeader(v.ids),
  },
};

function present(value) {
  return value !== undefined && value !== null;
}

/** The JS name of a field the vectors give in Rust form (`connection_ids[2]` -> `connectionIds[2]`). */
export function jsField(file, field) {
  for (const [from, to] of SPECS[file].renames) {
    if (field.startsWith(from)) {
      const rest = field.slice(from.length);
      if (rest === "" || rest.startsWith("[")) return to + rest;
    }
  }
  return field;
}

/** Structural equality of JSON-like values (key order ignored, `undefined` properties count). */
export function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
}

function show(value) {
  if (value === undefined) return "undefined";
  if (value instanceof Error) {
    const extra = ["code", "field", "rule"].filter((k) => k in value).map((k) => `${k}=${value[k]}`);
    return `${value.constructor?.name ?? "Error"}(${extra.join(", ")}): ${value.message}`;
  }
  try {
    const text = JSON.stringify(value);
    return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text;
  } catch {
    return String(value);
  }
}

/** The problem with one outcome, or null when it matches the vector. */
function judge(api, file, spec, vector, outcome) {
  if ("expect" in vector && "error" in vector) return "the vector has both `expect` and `error`";
  if (outcome.threw) {
    const error = outcome.error;
    if (!("error" in vector)) return `unexpected error ${show(error)}`;
    if (!(error instanceof api.MarkifactError)) return `threw something that is not a MarkifactError: ${show(error)}`;
    if (!(error instanceof Error)) return "the MarkifactError is not an instance of Error";
    if (error.name !== "MarkifactError") return `error.name is ${show(error.name)}`;
    if (typeof error.message !== "string" || error.message === "") return "error.message is empty";
    const want = vector.error ?? {};
    if (typeof want.code !== "string") return "the vector's `error` has no `code`";
    if (error.code !== want.code) return `code ${show(error.code)}, expected ${show(want.code)} (${show(error)})`;
    if ("rule" in want && error.rule !== want.rule) return `rule ${show(error.rule)}, expected ${show(want.rule)}`;
    if ("field" in want && error.field !== jsField(file, want.field)) {
      return `field ${show(error.field)}, expected ${show(jsField(file, want.field))} (vector: ${show(want.field)})`;
    }
    return null;
  }
  const value = outcome.value;
  if ("error" in vector) return `expected error ${show(vector.error)}, got ${show(value)}`;
  if (spec.expectUndefined && value !== undefined) return `expected undefined, got ${show(value)}`;
  if ("expect" in vector && !deepEqual(value, vector.expect)) {
    return `got ${show(value)}, expected ${show(vector.expect)}`;
  }
  return null;
}

/**
 * Runs every vector of `files` (`{parse_redirect: [...], ...}`; each of VECTOR_FILES must be there)
 * and returns `{ total, passed, counts, failures: [{ file, name, problem }] }`.
 */
export function runVectors(api, files) {
  const report = { total: 0, passed: 0, counts: {}, failures: [] };
  for (const file of VECTOR_FILES) {
    const spec = SPECS[file];
    const vectors = files[file];
    if (!Array.isArray(vectors) || vectors.length === 0) {
      report.failures.push({ file, name: "(file)", problem: "missing, not an array, or empty" });
      continue;
    }
    report.counts[file] = vectors.length;
    vectors.forEach((vector, index) => {
      report.total += 1;
      const name = typeof vector?.name === "string" ? vector.name : `#${index}`;
      let problem;
      const unknown = Object.keys(vector ?? {}).filter((k) => !spec.keys.includes(k) && !COMMENT_KEYS.includes(k));
      if (unknown.length > 0) {
        problem = `unknown key(s) ${unknown.join(", ")} (allowed: ${spec.keys.join(", ")})`;
      } else {
        let outcome;
        try {
          outcome = { threw: false, value: spec.call(api, vector) };
        } catch (error) {
          outcome = { threw: true, error };
        }
        problem = judge(api, file, spec, vector, outcome);
      }
      if (problem) report.failures.push({ file, name, problem });
      else report.passed += 1;
    });
  }
  return report;
}

/**
 * The vector files with the hostile inputs of `hostile.json` (`{parse_redirect: [...], ...}`, the
 * same shapes) appended: run after the ordinary vectors, a panic on one of them (which kills the
 * wasm instance) also fails every vector that follows.
 */
export function withHostile(files, hostile) {
  const merged = {};
  for (const name of VECTOR_FILES) merged[name] = [...(files[name] ?? []), ...(hostile?.[name] ?? [])];
  return merged;
}

/** A short text of a report's failures, for assertion messages. */
export function describeFailures(report) {
  return report.failures.map((f) => `${f.file} / ${f.name}: ${f.problem}`).join("\n");
}

/** Named checks for a consumer script: `check(name, fn)` records `{ name, ok, detail }` in `checks`. */
export function checkList() {
  const checks = [];
  function check(name, fn) {
    try {
      fn();
      checks.push({ name, ok: true });
    } catch (error) {
      checks.push({ name, ok: false, detail: String(error?.stack ?? error) });
    }
  }
  return { checks, check };
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}
