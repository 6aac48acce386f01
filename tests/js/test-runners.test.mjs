// The packed tarball under the test runners users run their own code with: a user's test file
// (a header below, then consumer/test-runners/body.js) that imports both entries, parses a redirect, validates a redirect URL,
// checks a MarkifactError's code and, in Node environments, expects the client's coded network
// error. Vitest (`vitest run`, no config; then `environment: 'jsdom'`) loads the ES modules through
// Node; Jest with no config (and with `testEnvironment: 'jsdom'`) runs a CommonJS test whose
// require() gets the package's CommonJS build (the `require` condition); Jest's ESM mode
// (--experimental-vm-modules, `transform: {}`) gets the ES modules. Each run must pass every test.
// The user's files are named *.spec.js: Node's `--test` discovery (which `cargo xtask test` uses
// in tests/js, .work/ included) would pick up a *.test.js.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BIN_DIR, JS_DIR, since } from "./helpers/env.mjs";
import { consumerWithTarball } from "./helpers/install.mjs";
import { run } from "./helpers/proc.mjs";

const BODY = readFileSync(path.join(JS_DIR, "consumer", "test-runners", "body.js"), "utf8");
const SPEC = "markifact.spec.js";

// How each user's file begins; the tests that follow are the same (consumer/test-runners/body.js).
const ESM_IMPORTS = `import { parseRedirect, validateRedirectUrl, MarkifactError, MarkifactClient } from "markifact-connect";
import * as callback from "markifact-connect/callback";
`;
const HEADERS = {
  vitest: `// A user's Vitest test of code that uses markifact-connect (ES modules, \`import\`).
import { test, expect } from "vitest";
${ESM_IMPORTS}`,
  jest: `// A user's Jest test of code that uses markifact-connect (CommonJS, \`require\`, as Jest runs it by default).
const { parseRedirect, validateRedirectUrl, MarkifactError, MarkifactClient } = require("markifact-connect");
const callback = require("markifact-connect/callback");
`,
  jestEsm: `// A user's Jest test in Jest's ESM mode (ES modules, \`import\`; Jest's globals).
${ESM_IMPORTS}`,
};

const dirs = {};

// The runner and its environment packages as a user has them, in the app's node_modules (linked
// from tests/js, where they are pinned): the test file imports "vitest", and the runners look up
// jsdom and jest-environment-jsdom from the app's folder.
async function app(name, packageJson, header, tools) {
  const dir = await consumerWithTarball(name, packageJson);
  writeFileSync(path.join(dir, SPEC), `${header}\n${BODY}`);
  for (const tool of tools) {
    symlinkSync(path.join(JS_DIR, "node_modules", tool), path.join(dir, "node_modules", tool), "dir");
  }
  return dir;
}

before(async () => {
  const start = performance.now();
  dirs.vitest = await app("test-runners-vitest", {}, HEADERS.vitest, ["vitest", "jsdom"]);
  // Jest's default: CommonJS tests (no "type": "module"), node_modules left untransformed.
  dirs.jest = await app("test-runners-jest", { type: "commonjs" }, HEADERS.jest, ["jest", "jest-environment-jsdom"]);
  dirs.jestEsm = await app("test-runners-jest-esm", {}, HEADERS.jestEsm, ["jest", "jest-environment-jsdom"]);
  console.log(`# test runners: three installs in ${since(start)} ms`);
}, { timeout: 180_000 });

// Runs the runner in `dir`, telling the test file which environment it was configured for.
async function runTests(dir, command, args, { environment, env = {} }) {
  const result = await run(command, args, { cwd: dir, env: { ...env, MARKIFACT_ENV: environment }, timeout: 60_000 });
  const output = `${result.stdout}\n${result.stderr}`;
  assert.equal(result.code, 0, output);
  return { output, ms: result.ms };
}

test("Vitest, `vitest run` with no config (node environment)", { timeout: 60_000 }, async () => {
  const { output, ms } = await runTests(dirs.vitest, path.join(BIN_DIR, "vitest"), ["run"], { environment: "node" });
  assert.match(output, /Tests\s+5 passed \(5\)/, output);
  console.log(`# vitest: ${ms} ms`);
});

test("Vitest with environment: 'jsdom'", { timeout: 60_000 }, async () => {
  writeFileSync(path.join(dirs.vitest, "vitest.config.js"), "export default { test: { environment: 'jsdom' } };\n");
  const { output, ms } = await runTests(dirs.vitest, path.join(BIN_DIR, "vitest"), ["run"], { environment: "jsdom" });
  assert.match(output, /Tests\s+4 passed \| 1 skipped \(5\)/, output);
  console.log(`# vitest jsdom: ${ms} ms`);
});

test("Jest with no config (testEnvironment node), a CommonJS test", { timeout: 60_000 }, async () => {
  const { output, ms } = await runTests(dirs.jest, path.join(BIN_DIR, "jest"), [], { environment: "node" });
  assert.match(output, /Tests:\s+5 passed, 5 total/, output);
  console.log(`# jest: ${ms} ms`);
});

test("Jest with testEnvironment: 'jsdom' (no TextEncoder there), a CommonJS test", { timeout: 60_000 }, async () => {
  writeFileSync(path.join(dirs.jest, "jest.config.js"), "module.exports = { testEnvironment: 'jsdom' };\n");
  const { output, ms } = await runTests(dirs.jest, path.join(BIN_DIR, "jest"), [], { environment: "jsdom" });
  assert.match(output, /Tests:\s+1 skipped, 4 passed, 5 total/, output);
  console.log(`# jest jsdom: ${ms} ms`);
});

test("Jest's ESM mode (--experimental-vm-modules, transform: {}), an ES module test", { timeout: 60_000 }, async () => {
  // Jest's own setup for ES module tests, nothing for this package.
  writeFileSync(path.join(dirs.jestEsm, "jest.config.js"), "export default { transform: {} };\n");
  const { output, ms } = await runTests(dirs.jestEsm, path.join(BIN_DIR, "jest"), [], {
    environment: "node",
    env: { NODE_OPTIONS: "--experimental-vm-modules --no-warnings=ExperimentalWarning" },
  });
  assert.match(output, /Tests:\s+5 passed, 5 total/, output);
  console.log(`# jest esm: ${ms} ms`);
});
