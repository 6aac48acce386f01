// The packed tarball in Node: installed by npm into a fresh folder, imported by name from a
// script there (exports map, no init call), run against the shared vectors and hostile inputs.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { JS_DIR, since } from "./helpers/env.mjs";
import { consumerWithTarball } from "./helpers/install.mjs";
import { run } from "./helpers/proc.mjs";
import { loadVectors, copyRunner, assertAllPassed } from "./helpers/vectors.mjs";

let report;
let vectors;
let dir;

before(async () => {
  const start = performance.now();
  vectors = loadVectors();
  dir = await consumerWithTarball("node");
  copyRunner(dir);
  copyFileSync(path.join(JS_DIR, "consumer", "node", "check.mjs"), path.join(dir, "check.mjs"));
  writeFileSync(path.join(dir, "vectors.json"), JSON.stringify(vectors));
  const result = await run(process.execPath, ["check.mjs"], { cwd: dir, timeout: 60_000 });
  assert.equal(result.code, 0, `check.mjs failed:\n${result.stdout}\n${result.stderr}`);
  const last = result.stdout.trim().split("\n").at(-1);
  report = JSON.parse(last);
  console.log(`# node: install + check in ${since(start)} ms (check.mjs ${result.ms} ms)`);
}, { timeout: 180_000 });

test("every shared vector passes through the installed package", () => {
  assertAllPassed(report.vectors, vectors);
});

test("the consumer checks ran", () => {
  assert.ok(report.checks.length >= 15, `only ${report.checks.length} checks reported`);
});

// One test per check of consumer/node/check.mjs, named after it.
const CHECKS = [
  "the bare specifiers resolve through the exports map to index.js and callback.js",
  "the module exports exactly the public API",
  "package.json is exported, internal files are not",
  "require() (Node's require(esm)) gives the same module instance",
  "errors are MarkifactError instances with code, field and rule",
  "error fields use the JS argument names",
  "errors without a rule have no rule property",
  "MarkifactError can be constructed and caught by users",
  "errorCodes() matches the ErrorCode type and is a fresh array of unique strings",
  "results are plain, JSON-serialisable, fresh objects",
  "absent optional fields are absent, present ones are there",
  "options may be omitted, undefined, null or an empty object",
  "wrong argument types give invalid_argument (wrong_type)",
  "wrong option types give invalid_argument",
  "1 MiB inputs are refused with the right codes, and the module still answers",
  "limits count UTF-8 bytes and Unicode scalar values, at the boundary",
  "control characters, NULs, lone surrogates and odd URLs give results or MarkifactErrors only",
  "many failing calls in a row do not wear the instance out",
];
for (const name of CHECKS) {
  test(name, () => {
    const check = report.checks.find((c) => c.name === name);
    assert.ok(check, `check.mjs did not report "${name}"`);
    assert.ok(check.ok, check.detail);
  });
}

test("check.mjs reports no check this file does not know", () => {
  assert.deepEqual(
    report.checks.map((c) => c.name).filter((name) => !CHECKS.includes(name)),
    [],
  );
});

test("a wasm module that cannot be read or compiled is a MarkifactError wasm_unavailable naming it, every time", async () => {
  // The package's internal glue, by path (the exports map hides it): a string that lost bytes on
  // the way, and a runtime that refuses to compile (as a CSP without 'wasm-unsafe-eval' does).
  writeFileSync(
    path.join(dir, "load-failure.mjs"),
    `import { compileEmbedded, wasmModules, parseRedirect } from "./node_modules/markifact-connect/glue.js";
const seen = [];
const record = (fn) => { try { fn(); seen.push("no error"); } catch (e) { seen.push([e.name, e.code, e.message]); } };
record(() => compileEmbedded({ file: "markifact_connect_parser.wasm", length: 8, bytes: "\\0asm" }));
wasmModules(() => { throw new WebAssembly.CompileError("WebAssembly.Module(): Refused to compile or instantiate WebAssembly module because 'unsafe-eval' is not an allowed source of script"); });
record(() => parseRedirect("https://app.example/cb?status=error&error=x"));
record(() => parseRedirect("https://app.example/cb?status=error&error=x"));
console.log(JSON.stringify(seen));
`,
  );
  const result = await run(process.execPath, ["load-failure.mjs"], { cwd: dir, timeout: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  const [lost, refused, again] = JSON.parse(result.stdout);
  assert.deepEqual(lost.slice(0, 2), ["MarkifactError", "wasm_unavailable"]);
  assert.match(lost[2], /markifact_connect_parser\.wasm, embedded in its JavaScript: 8 bytes were written, 4 arrived/);
  for (const error of [refused, again]) {
    assert.deepEqual(error.slice(0, 2), ["MarkifactError", "wasm_unavailable"]);
    assert.match(error[2], /could not compile or instantiate markifact_connect_parser\.wasm: CompileError: .*Refused to compile.* script-src needs 'wasm-unsafe-eval'\.$/);
  }
});
