// The packed package's TypeScript types, as a strict consumer sees them: consumer/usage.ts must
// compile with moduleResolution "nodenext" and "bundler", and consumer/wrong-usage.ts must not.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BIN_DIR, JS_DIR, since } from "./helpers/env.mjs";
import { consumerWithTarball } from "./helpers/install.mjs";
import { run } from "./helpers/proc.mjs";

const TSC = path.join(BIN_DIR, "tsc");

const STRICT = {
  strict: true,
  noEmit: true,
  skipLibCheck: false, // the package's own .d.ts files are checked too
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitReturns: true,
  noFallthroughCasesInSwitch: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  noImplicitOverride: true,
  forceConsistentCasingInFileNames: true,
  isolatedModules: true,
  verbatimModuleSyntax: true,
  target: "es2022",
  lib: ["es2022", "dom"],
  types: [],
};

const RESOLUTIONS = {
  nodenext: { module: "nodenext", moduleResolution: "nodenext" },
  bundler: { module: "esnext", moduleResolution: "bundler" },
};

// Every tsc run, by name: compiler options and the one file it checks.
const RUNS = {
  nodenext: [RESOLUTIONS.nodenext, "usage.ts"],
  bundler: [RESOLUTIONS.bundler, "usage.ts"],
  "wrong-nodenext": [RESOLUTIONS.nodenext, "wrong-usage.ts"],
  "wrong-bundler": [RESOLUTIONS.bundler, "wrong-usage.ts"],
  "no-dom": [{ ...RESOLUTIONS.nodenext, lib: ["es2022"] }, "usage.ts"],
  dom: [RESOLUTIONS.nodenext, "dom-usage.ts"],
};

const results = {};

// The runs are independent, so they start together in `before` (a few at a time) and each test
// awaits its own: the file takes about as long as the slowest pair instead of the sum.
before(async () => {
  const start = performance.now();
  const dir = await consumerWithTarball("types");
  copyFileSync(path.join(JS_DIR, "consumer", "usage.ts"), path.join(dir, "usage.ts"));
  for (const file of ["wrong-usage.ts", "dom-usage.ts"]) {
    copyFileSync(path.join(JS_DIR, "consumer", file), path.join(dir, file));
  }
  console.log(`# types: consumer folder installed in ${since(start)} ms`);

  // At most `slots` tsc processes at once; every result promise exists from here on.
  const slots = Math.max(2, Math.min(3, availableParallelism()));
  let active = 0;
  const waiters = [];
  const limited = async (fn) => {
    while (active >= slots) await new Promise((resolve) => waiters.push(resolve));
    active += 1;
    try {
      return await fn();
    } finally {
      active -= 1;
      waiters.shift()?.();
    }
  };
  for (const [name, [options, file]] of Object.entries(RUNS)) {
    const config = path.join(dir, `tsconfig.${name}.json`);
    writeFileSync(config, JSON.stringify({ compilerOptions: { ...STRICT, ...options }, files: [file] }, null, 2));
    results[name] = limited(() => run(TSC, ["-p", config, "--pretty", "false"], { cwd: dir, timeout: 120_000 })).then(
      (r) => ({ ...r, output: `${r.stdout}${r.stderr}` }),
    );
    results[name].catch(() => {}); // awaited, and so reported, by its test
  }
}, { timeout: 180_000 });

for (const name of Object.keys(RESOLUTIONS)) {
  test(`usage.ts compiles under strict tsc with moduleResolution ${name}`, { timeout: 150_000 }, async () => {
    const result = await results[name];
    console.log(`# tsc ${name}: ${result.ms} ms`);
    assert.equal(result.code, 0, `tsc (${name}) rejected usage.ts:\n${result.output}`);
  });

  test(`wrong-usage.ts is rejected with the expected errors (${name})`, { timeout: 150_000 }, async () => {
    const result = await results[`wrong-${name}`];
    assert.notEqual(result.code, 0, "tsc accepted wrong-usage.ts");
    // Exactly the three deliberate mistakes, and nothing else (such as the package not resolving).
    const errors = result.output
      .split("\n")
      .map((line) => line.match(/^(.+?)\((\d+),\d+\): error (TS\d+)/))
      .filter(Boolean)
      .map(([, file, line, code]) => `${file}:${line} ${code}`);
    assert.deepEqual(
      errors,
      ["wrong-usage.ts:6 TS2339", "wrong-usage.ts:7 TS2345", "wrong-usage.ts:8 TS2322"],
      result.output,
    );
  });
}

// The public types must not need the DOM lib: a server-side project with `lib: ["es2022"]` and
// skipLibCheck off compiles the package's declarations without a single error.
test("without the DOM lib, the package's declarations compile cleanly", { timeout: 150_000 }, async () => {
  const result = await results["no-dom"];
  assert.equal(result.code, 0, result.output);
});

// With the DOM lib, the client's options take the platform's fetch and AbortSignal as they are.
test("with the DOM lib, fetch and AbortSignal fit the client's options without casts", { timeout: 150_000 }, async () => {
  const result = await results.dom;
  assert.equal(result.code, 0, result.output);
});
