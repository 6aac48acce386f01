// The packed tarball in Node: installed by npm into a fresh folder, imported by name from a
// script there (exports map, no init call), run against the shared vectors and hostile inputs.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, cpSync, readFileSync, writeFileSync } from "node:fs";
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
  // Through the public entry, as an app meets it: a copy of the installed package whose embedded
  // parser wasm lost a byte (a tool rewrote the file), and a runtime that refuses to compile (as a
  // CSP without 'wasm-unsafe-eval' does; here `WebAssembly.Module` patched before the import).
  const tampered = path.join(dir, "tampered");
  cpSync(path.join(dir, "node_modules", "markifact-connect"), tampered, { recursive: true });
  const embedded = path.join(tampered, "parser-wasm.js");
  const text = readFileSync(embedded, "utf8");
  assert.ok(text.includes("\\x7F"), "parser-wasm.js has no \\x7F escape to remove");
  writeFileSync(embedded, text.replace("\\x7F", ""));
  const record = `const seen = [];
const record = (fn) => { try { fn(); seen.push("no error"); } catch (e) { seen.push([e.name, e.code, e.message]); } };
const url = "https://app.example/cb?status=error&error=x";`;
  writeFileSync(
    path.join(dir, "lost-bytes.mjs"),
    `${record}
const { parseRedirect } = await import("./tampered/callback.js");
record(() => parseRedirect(url));
console.log(JSON.stringify(seen));
`,
  );
  writeFileSync(
    path.join(dir, "refused.mjs"),
    `${record}
WebAssembly.Module = function () {
  throw new WebAssembly.CompileError("WebAssembly.Module(): Refused to compile or instantiate WebAssembly module because 'unsafe-eval' is not an allowed source of script");
};
const { parseRedirect } = await import("markifact-connect/callback");
record(() => parseRedirect(url));
record(() => parseRedirect(url));
console.log(JSON.stringify(seen));
`,
  );
  const lostRun = await run(process.execPath, ["lost-bytes.mjs"], { cwd: dir, timeout: 30_000 });
  assert.equal(lostRun.code, 0, lostRun.stderr);
  const [lost] = JSON.parse(lostRun.stdout);
  assert.deepEqual(lost.slice(0, 2), ["MarkifactError", "wasm_unavailable"]);
  const counts = /markifact_connect_parser\.wasm, embedded in its JavaScript: (\d+) bytes were written, (\d+) arrived/.exec(lost[2]);
  assert.ok(counts, lost[2]);
  assert.equal(Number(counts[2]), Number(counts[1]) - 1);
  const refusedRun = await run(process.execPath, ["refused.mjs"], { cwd: dir, timeout: 30_000 });
  assert.equal(refusedRun.code, 0, refusedRun.stderr);
  const [refused, again] = JSON.parse(refusedRun.stdout);
  for (const error of [refused, again]) {
    assert.deepEqual(error.slice(0, 2), ["MarkifactError", "wasm_unavailable"]);
    assert.match(error[2], /could not compile or instantiate markifact_connect_parser\.wasm: CompileError: .*Refused to compile.* script-src needs 'wasm-unsafe-eval'\.$/);
  }
});
