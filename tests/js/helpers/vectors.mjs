// Reading the shared vectors, and asserting on a runner's report.
import assert from "node:assert/strict";
import { copyFileSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { VECTORS_DIR } from "./env.mjs";
import { VECTOR_FILES, describeFailures, withHostile } from "./vector-runner.mjs";

/** `{ parse_redirect: [...], ... }` from tests/vectors/ (or MARKIFACT_VECTORS_DIR), hostile inputs included. */
export function loadVectors() {
  const files = {};
  for (const name of VECTOR_FILES) {
    const file = path.join(VECTORS_DIR, `${name}.json`);
    assert.ok(existsSync(file), `missing vector file ${file}`);
    files[name] = JSON.parse(readFileSync(file, "utf8"));
    assert.ok(Array.isArray(files[name]) && files[name].length > 0, `${file} is not a non-empty array`);
  }
  const hostile = JSON.parse(readFileSync(path.join(VECTORS_DIR, "hostile.json"), "utf8"));
  return withHostile(files, hostile);
}

/** Copies the runner (which imports nothing) into `dir` as vector-runner.mjs. */
export function copyRunner(dir) {
  const target = path.join(dir, "vector-runner.mjs");
  copyFileSync(fileURLToPath(new URL("./vector-runner.mjs", import.meta.url)), target);
  return target;
}

/** Asserts that a runner's report covers every vector given and that all passed. */
export function assertAllPassed(report, vectors) {
  for (const name of VECTOR_FILES) {
    assert.equal(report.counts?.[name], vectors[name].length, `${name}: not every vector ran`);
  }
  const expectedTotal = VECTOR_FILES.reduce((n, name) => n + vectors[name].length, 0);
  assert.equal(report.total, expectedTotal, "vector total");
  assert.ok(report.failures.length === 0, `${report.failures.length} failing vector(s):\n${describeFailures(report)}`);
  assert.equal(report.passed, expectedTotal);
}
