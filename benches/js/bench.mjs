// `cargo xtask bench`, JavaScript side: parse speed in V8 against hand-written JS, how the cost
// grows, the bytes each runtime loads, cold start in Node and in workerd; then writes
// BENCHMARKS.md with these and the native figures the harness (benches/parse.rs) measured.
//
// usage: node benches/js/bench.mjs --pkg <pkg dir> --native <native.json> --out <BENCHMARKS.md>
//        [--rustc <version>] [--quick]
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import zlib from "node:zlib";
import { isDeepStrictEqual } from "node:util";
import * as handwritten from "./handwritten.mjs";
import { INPUTS, LENGTHS, PARAM_COUNTS, ofLength, withParams } from "./inputs.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, arg, i, all) => {
    if (arg.startsWith("--")) acc.push([arg.slice(2), all[i + 1]?.startsWith("--") || all[i + 1] === undefined ? true : all[i + 1]]);
    return acc;
  }, []),
);
const PKG = path.resolve(args.pkg ?? path.join(ROOT, "pkg"));
const QUICK = args.quick === true;
const ROUNDS = QUICK ? 9 : 31;
const COLD_RUNS = QUICK ? 5 : 21;
const WORKERD_RUNS = QUICK ? 3 : 7;
const log = (line) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// The package's entry points, from its exports map: "." and, when built, "./callback".

const manifest = JSON.parse(readFileSync(path.join(PKG, "package.json"), "utf8"));
const ENTRIES = Object.entries(manifest.exports)
  .filter(([key, value]) => typeof value === "object" && value.default)
  .map(([key, value]) => ({
    name: key === "." ? "markifact-connect" : `markifact-connect/${key.slice(2)}`,
    conditions: value,
  }));

// ---------------------------------------------------------------------------------------------
// Timing helpers: interleaved rounds (the order rotates every round), medians.

let SINK = 0;
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** ns per call of `fn` over `inputs`, `iterations` times round. */
function batch(fn, inputs, iterations) {
  let sink = 0;
  const start = performance.now();
  for (let i = 0; i < iterations; i++) {
    for (let j = 0; j < inputs.length; j++) sink += fn(inputs[j]).appParams.length;
  }
  const elapsed = performance.now() - start;
  SINK += sink;
  return (elapsed * 1e6) / (iterations * inputs.length);
}

/** Medians (ns per call) of each candidate over the same inputs, interleaved. */
function compare(candidates, inputs, { batchMs = 10 } = {}) {
  const names = Object.keys(candidates);
  const iterations = {};
  for (const name of names) {
    // Warm up (tiering) for ~200 ms, then size a batch to about batchMs.
    const fn = candidates[name];
    let n = 1;
    const until = performance.now() + 200;
    while (performance.now() < until) batch(fn, inputs, n);
    const perCall = batch(fn, inputs, 50);
    iterations[name] = Math.max(1, Math.round((batchMs * 1e6) / (perCall * inputs.length)));
  }
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length];
      samples[name].push(batch(candidates[name], inputs, iterations[name]));
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n])]));
}

// ---------------------------------------------------------------------------------------------
// 1. and 5.: parse speed in V8, and how it grows.

async function v8Benchmarks() {
  const candidates = { "hand-written JS": handwritten.parseRedirect };
  for (const entry of ENTRIES) {
    const module = await import(pathToFileURL(path.join(PKG, entry.conditions.default)));
    candidates[entry.name] = (url) => module.parseRedirect(url);
  }
  // Both must agree on every input before they are timed.
  const growthInputs = [...LENGTHS.map(ofLength), ...PARAM_COUNTS.map(withParams)];
  for (const url of [...INPUTS, ...growthInputs]) {
    const expected = handwritten.parseRedirect(url);
    for (const [name, fn] of Object.entries(candidates)) {
      if (!isDeepStrictEqual({ ...fn(url) }, expected)) {
        throw new Error(`${name} disagrees with the hand-written JS on ${url.slice(0, 120)}`);
      }
    }
  }
  log("V8: parse, the benchmark inputs");
  const parse = compare(candidates, INPUTS);
  log("V8: growth with the URL length");
  const byLength = LENGTHS.map((bytes) => ({ bytes, ns: compare(candidates, [ofLength(bytes)], { batchMs: 5 }) }));
  log("V8: growth with the number of app parameters");
  const byParams = PARAM_COUNTS.map((count) => ({ count, ns: compare(candidates, [withParams(count)], { batchMs: 5 }) }));
  return { names: Object.keys(candidates), parse, byLength, byParams };
}

// ---------------------------------------------------------------------------------------------
// 3. Size: the files each runtime loads (the entry and everything it imports, and the wasm).

function loadedFiles(entryFile) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!file.endsWith(".js")) return;
    const text = readFileSync(path.join(PKG, file), "utf8");
    // edge.js imports its .wasm files with wrangler's and Next's `?module` suffix.
    const specifiers = [...text.matchAll(/(?:from|import)\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1].replace(/\?module$/, ""));
    for (const specifier of specifiers) visit(path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)));
  };
  visit(path.posix.normalize(entryFile));
  return [...seen];
}

function sizes(files) {
  const total = { raw: 0, gzip: 0, brotli: 0 };
  for (const file of files) {
    const bytes = readFileSync(path.join(PKG, file));
    total.raw += bytes.length;
    total.gzip += zlib.gzipSync(bytes, { level: 9 }).length;
    total.brotli += zlib.brotliCompressSync(bytes, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }).length;
  }
  return total;
}

// What a bundler ships for the browser entry, measured as the peers' anchors were: esbuild
// --bundle --minify, gzip -9 (the wasm is embedded in the JS, so this is all of it).
async function bundledSize(entryFile) {
  const esbuild = await import(pathToFileURL(path.join(ROOT, "tests/js/node_modules/esbuild/lib/main.js")));
  const { outputFiles } = await esbuild.build({
    entryPoints: [path.join(PKG, entryFile)],
    bundle: true,
    minify: true,
    format: "esm",
    write: false,
    outdir: path.join(os.tmpdir(), "markifact-bench-bundle"),
    external: ["node:*"],
    logLevel: "error",
  });
  const js = outputFiles.reduce((n, f) => n + zlib.gzipSync(f.contents, { level: 9 }).length, 0);
  return { js, all: js };
}

// A wasm module: a .wasm file, or one embedded in a module of its own (parser-wasm.js).
const isWasm = (file) => file.endsWith(".wasm") || file.endsWith("-wasm.js");

// The exports conditions as the size table names them.
const RUNTIMES = { default: "browsers, Node, Deno, Bun", workerd: "workerd, edge" };

function sizeReport() {
  const rows = [];
  for (const entry of ENTRIES) {
    for (const runtime of ["default", "workerd"]) {
      const file = entry.conditions[runtime];
      if (!file) continue;
      const files = loadedFiles(file);
      rows.push({
        entry: entry.name,
        runtime,
        wasm: sizes(files.filter(isWasm)),
        js: sizes(files.filter((f) => !isWasm(f))),
        all: sizes(files),
        files,
      });
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// 4. Cold start: a fresh Node process, from `import` to the first parse result.

function coldStart() {
  const child = path.join(HERE, "cold.mjs");
  const url = INPUTS[0];
  const candidates = [["hand-written JS", pathToFileURL(path.join(HERE, "handwritten.mjs")).href]];
  for (const entry of ENTRIES) candidates.push([entry.name, pathToFileURL(path.join(PKG, entry.conditions.default)).href]);
  // The main wasm is compiled on first use: what the first call that needs it costs.
  const main = candidates.find(([name]) => name === "markifact-connect");
  candidates.push(["markifact-connect, first validateRedirectUrl", main[1], "validate"]);
  candidates.push(["markifact-connect, first createAuthLink (sandbox)", main[1], "client"]);
  const samples = Object.fromEntries(candidates.map(([name]) => [name, { importToResult: [], startToResult: [], wall: [] }]));
  for (let run = 0; run < COLD_RUNS; run++) {
    for (let k = 0; k < candidates.length; k++) {
      const [name, specifier, mode = "parse"] = candidates[(run + k) % candidates.length];
      const begin = performance.now();
      const result = spawnSync(process.execPath, [child, specifier, url, mode], { encoding: "utf8" });
      const wall = performance.now() - begin;
      if (result.status !== 0) throw new Error(`cold start of ${name} failed: ${result.stderr}`);
      const report = JSON.parse(result.stdout);
      samples[name].importToResult.push(report.importToResult);
      samples[name].startToResult.push(report.startToResult);
      samples[name].wall.push(wall);
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, s]) => [
      name,
      { importToResult: median(s.importToResult), startToResult: median(s.startToResult), wall: median(s.wall) },
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// 4. (cont.) A Worker's start-up in workerd (the binary wrangler runs, from npm): from spawning
// `workerd serve` to the first response of a Worker that parses request.url, the wasm given as a
// compiled module as wrangler does.

async function firstResponse(url, deadline) {
  for (;;) {
    try {
      return await (await fetch(url)).json();
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}

async function workerdStartup() {
  const workerd = path.join(ROOT, "tests/js/node_modules/.bin/workerd");
  if (!existsSync(workerd)) return { error: "workerd is not installed (tests/js/node_modules)" };
  const dir = mkdtempSync(path.join(os.tmpdir(), "markifact-bench-"));
  try {
    const workers = [{ name: "hand-written JS", modules: [["handwritten.mjs", path.join(HERE, "handwritten.mjs")]], main: "./handwritten.mjs" }];
    for (const entry of ENTRIES) {
      const file = entry.conditions.workerd;
      if (!file) continue;
      workers.push({
        name: entry.name,
        modules: loadedFiles(file).map((f) => [`pkg/${f}`, path.join(PKG, f)]),
        main: `./pkg/${path.posix.normalize(file)}`,
      });
    }
    workers.forEach((worker, index) => {
      const source = `import { parseRedirect } from "${worker.main}";\nexport default { fetch: (request) => Response.json(parseRedirect(request.url)) };\n`;
      writeFileSync(path.join(dir, `worker${index}.mjs`), source);
      const modules = [`(name = "worker.mjs", esModule = embed "worker${index}.mjs")`];
      for (const [name, file] of worker.modules) {
        // embed reads paths relative to the config file.
        mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        copyFileSync(file, path.join(dir, name));
        // edge.js imports each .wasm with the `?module` suffix that wrangler understands.
        const wasm = name.endsWith(".wasm");
        modules.push(`(name = ${JSON.stringify(wasm ? `${name}?module` : name)}, ${wasm ? "wasm" : "esModule"} = embed ${JSON.stringify(name)})`);
      }
      writeFileSync(
        path.join(dir, `config${index}.capnp`),
        `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:PORT", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [${modules.join(", ")}],
  compatibilityDate = "2024-09-23",
);
`,
      );
    });
    const samples = workers.map(() => []);
    const query = new URL(INPUTS[0]).search;
    let port = 18_900;
    for (let run = 0; run < WORKERD_RUNS; run++) {
      for (let k = 0; k < workers.length; k++) {
        const index = (run + k) % workers.length;
        port += 1;
        const config = path.join(dir, `run.capnp`);
        writeFileSync(config, readFileSync(path.join(dir, `config${index}.capnp`), "utf8").replace("PORT", String(port)));
        const begin = performance.now();
        const child = spawn(workerd, ["serve", config], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        try {
          const body = await firstResponse(`http://127.0.0.1:${port}/oauth/callback${query}`, begin + 20_000);
          if (body.status !== "success") throw new Error(`${workers[index].name}: ${JSON.stringify(body)}`);
          samples[index].push(performance.now() - begin);
        } catch (error) {
          throw new Error(`${workers[index].name}: ${error.message}\n${stderr}`);
        } finally {
          child.kill();
          await new Promise((resolve) => (child.exitCode === null ? child.on("exit", resolve) : resolve()));
        }
      }
    }
    return { ms: Object.fromEntries(workers.map((w, i) => [w.name, median(samples[i])])) };
  } catch (error) {
    return { error: String(error?.message ?? error) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// BENCHMARKS.md

const f0 = (n) => Math.round(n).toLocaleString("en-US");
const f1 = (n) => n.toFixed(1);
const f2 = (n) => n.toFixed(2);
const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
const verdict = (ok) => (ok ? "met" : "**not met**");

function machine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "unknown";
  const nproc = spawnSync("nproc", { encoding: "utf8" }).stdout.trim();
  return `${model}, ${nproc} cores (\`nproc\`), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}; Node ${process.version} (V8 ${process.versions.v8}); ${args.rustc ?? "rustc ?"}; load average at the start ${os.loadavg().map(f2).join(" ")}`;
}

function render({ v8, native, size, cold, workerd, started }) {
  const lines = [];
  const push = (...l) => lines.push(...l);
  const main = "markifact-connect";
  const callback = ENTRIES.find((e) => e.name.endsWith("/callback"))?.name;
  const hw = "hand-written JS";
  const browserRow = (entry) => size.find((r) => r.entry === entry && r.runtime === "default");
  const bundled = (entry) => browserRow(entry).bundled;

  push(
    "# Benchmarks",
    "",
    "Written by `cargo xtask bench` (benches/js/bench.mjs and benches/parse.rs); every figure below comes from one run, and every ratio compares two things measured side by side in that run.",
    "",
    `- **Date**: ${started.toISOString()}`,
    `- **Machine**: ${machine()}. The machine is shared (2 cores, other builds running), so absolute times are noisy; the interleaved ratios are the figures to read.`,
    "",
    "## Goals",
    "",
    "| goal | anchor | measured | |",
    "|---|---|---:|---|",
  );
  const ratioV8 = v8.parse[main] / v8.parse[hw];
  push(`| parse in V8, \`${main}\` | hand-written \`new URL()\` + \`URLSearchParams\`: ratio <= 1.0 | ${f2(ratioV8)}x | ${verdict(ratioV8 <= 1)} |`);
  if (callback) {
    const r = v8.parse[callback] / v8.parse[hw];
    push(`| parse in V8, \`${callback}\` | the same, ratio <= 1.0 | ${f2(r)}x | ${verdict(r <= 1)} |`);
  }
  const ratioNative = native.parse.parse_redirect / native.parse.url_parse;
  push(`| native \`parse_redirect\` | one \`url::Url::parse\` of the same input: ratio <= 1.3 | ${f2(ratioNative)}x | ${verdict(ratioNative <= 1.3)} |`);
  if (callback) {
    const b = bundled(callback);
    push(`| callback page download (wasm + JS, bundled and minified by esbuild, gzip) | <= 10 KB; oauth4webapi 1.7 KB, Nango 3.8 KB, Pipedream browser SDK 26.7 KB (measured the same way) | ${f0(b.all)} B (the wasm embedded; unbundled files: ${f0(browserRow(callback).all.gzip)} B) | ${verdict(b.all <= 10_000)} |`);
  } else {
    push(`| callback page download (wasm + glue, gzip) | <= 10 KB; oauth4webapi 1.7 KB, Nango 3.8 KB, Pipedream browser SDK 26.7 KB | no callback entry yet (the full package: ${f0(browserRow(main).all.gzip)} B) | **not met** |`);
  }
  const full = bundled(main);
  push(`| full package, browser (wasm + JS, bundled and minified by esbuild, gzip) | <= 40 KB | ${f0(full.all)} B (unbundled files: ${f0(browserRow(main).all.gzip)} B) | ${verdict(full.all <= 40_000)} |`);
  for (const entry of ENTRIES) {
    const c = cold[entry.name];
    push(`| cold start in Node, \`${entry.name}\`, import to first result | <= 5 ms (hand-written JS: ${f2(cold[hw].importToResult)} ms) | ${f2(c.importToResult)} ms | ${verdict(c.importToResult <= 5)} |`);
  }
  // The client's first calls: compared with the previous runs' figures (section 4's history in
  // benches/levers.md), since the machine's speed differs between runs.
  for (const name of ["markifact-connect, first validateRedirectUrl", "markifact-connect, first createAuthLink (sandbox)"]) {
    if (cold[name]) push(`| cold start in Node, ${name}, import to result | not slower than before the change (see benches/levers.md) | ${f2(cold[name].importToResult)} ms (hand-written parse: ${f2(cold[hw].importToResult)} ms) | |`);
  }
  push(
    "",
    "Peer sizes are the issue's anchors (esbuild, minified, gzip, of their callback entry points), quoted, not measured here.",
    "",
    "## 1. Parse in V8",
    "",
    `The package's \`parseRedirect\` against [hand-written JS](benches/js/handwritten.mjs) with the same rules (\`new URL()\`, \`URLSearchParams\`, the \`markifact_\` preference, duplicate and status checks, the app parameters in order), on the ${INPUTS.length} URLs of [benches/inputs.txt](benches/inputs.txt); before timing, every candidate's result is checked to equal the hand-written one on every input. One Node process; each candidate is warmed up, then ${ROUNDS} rounds of ~10 ms batches over all inputs, the order rotating every round; the figure is the median ns per call.`,
    "",
    "| candidate | ns per parse (median) | ratio to hand-written JS |",
    "|---|---:|---:|",
  );
  for (const name of v8.names) push(`| ${name} | ${f0(v8.parse[name])} | ${f2(v8.parse[name] / v8.parse[hw])} |`);
  push(
    "",
    "## 2. Native",
    "",
    `\`parse_redirect\` against \`url::Url::parse\` alone on the same ${INPUTS.length} inputs: ${native.method}`,
    "",
    "| candidate | ns per call (median) | ratio to `Url::parse` |",
    "|---|---:|---:|",
    `| \`url::Url::parse\` | ${f0(native.parse.url_parse)} | 1.00 |`,
    `| \`parse_redirect\` | ${f0(native.parse.parse_redirect)} | ${f2(ratioNative)} |`,
    "",
    "## 3. Size",
    "",
    "What each runtime loads: the entry file picked by the exports map, every module it imports, and the wasm; each file compressed on its own (gzip -9; brotli quality 11), as a server would send it, and summed. The wasm columns count the modules that embed it (parser-wasm.js, main-wasm.js) where an entry embeds it. For browsers also what an app's bundle carries: esbuild `--bundle --minify` of the entry (the wasm embedded), gzip -9, the way the peers' anchors were measured.",
    "",
    "| entry | runtime | wasm raw | wasm gzip | wasm brotli | JS raw | JS gzip | JS brotli | total gzip | total brotli | bundled: JS min gzip | bundled: total gzip |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const r of size) {
    const b = r.bundled ? [f0(r.bundled.js), `**${f0(r.bundled.all)}**`] : ["", ""];
    push(`| \`${r.entry}\` | ${RUNTIMES[r.runtime]} | ${f0(r.wasm.raw)} | ${f0(r.wasm.gzip)} | ${f0(r.wasm.brotli)} | ${f0(r.js.raw)} | ${f0(r.js.gzip)} | ${f0(r.js.brotli)} | **${f0(r.all.gzip)}** | ${f0(r.all.brotli)} | ${b.join(" | ")} |`);
  }
  push(
    "",
    "## 4. Cold start",
    "",
    `A fresh \`node\` process per run imports the entry (by file URL) and parses one URL (the row "first validateRedirectUrl" validates it instead: the first call that needs the main wasm, which Node compiles on first use); \`import\` to result is measured inside the process with \`performance.now()\`, process start to result from Node's time origin, and spawn to exit by the parent. ${COLD_RUNS} runs per candidate, interleaved; medians.`,
    "",
    "| candidate | import to first result | process start to first result | spawn to exit |",
    "|---|---:|---:|---:|",
  );
  for (const [name, c] of Object.entries(cold)) push(`| ${name} | ${f2(c.importToResult)} ms | ${f2(c.startToResult)} ms | ${f1(c.wall)} ms |`);
  push("", "**workerd**: ");
  if (workerd.error) {
    lines[lines.length - 1] += `not measured: ${workerd.error}`;
  } else {
    lines[lines.length - 1] += `from spawning \`workerd serve\` (the binary wrangler runs) to the first response of a Worker answering \`Response.json(parseRedirect(request.url))\`, the wasm given as a compiled module as wrangler does (polling the socket every 2 ms); ${WORKERD_RUNS} runs per Worker, interleaved, medians. Most of it is workerd's own start-up; the difference to the hand-written Worker is what the package adds.`;
    push("", "| Worker | start to first response | difference to hand-written JS |", "|---|---:|---:|");
    for (const [name, ms] of Object.entries(workerd.ms)) push(`| ${name} | ${f0(ms)} ms | ${name === hw ? "" : `${ms - workerd.ms[hw] >= 0 ? "+" : ""}${f0(ms - workerd.ms[hw])} ms`} |`);
  }
  push(
    "",
    "## 5. How cost grows",
    "",
    "A success redirect padded to a length with one app parameter of `x`s, and one with n app parameters `p<i>=v<i>` (benches/js/inputs.mjs, and the same in benches/parse.rs). Linear means ns per KiB (or per parameter) stays flat as the input grows.",
    "",
  );
  const growthTable = (title, unit, rows, key, per) => {
    const cols = [...v8.names.map((n) => `${n} (V8)`), "`parse_redirect` (native)", "`Url::parse` (native)"];
    push(`| ${title} | ${cols.map((c) => `${c} ns`).join(" | ")} | ${cols.map((c) => `${c} ns/${unit}`).join(" | ")} |`);
    push(`|---:|${cols.map(() => "---:").join("|")}|${cols.map(() => "---:").join("|")}|`);
    rows.forEach((row, i) => {
      const nat = native[key][i];
      const values = [...v8.names.map((n) => row.ns[n]), nat.parse_redirect, nat.url_parse];
      const x = per(row);
      push(`| ${f0(key === "byLength" ? row.bytes : row.count)} | ${values.map(f0).join(" | ")} | ${values.map((v) => f1(v / x)).join(" | ")} |`);
    });
    push("");
  };
  growthTable("URL bytes", "KiB", v8.byLength, "byLength", (r) => r.bytes / 1024);
  growthTable("app params", "param", v8.byParams, "byParams", (r) => r.count);
  // The levers' record is kept by hand (each lever was measured on its own build).
  const levers = path.join(ROOT, "benches/levers.md");
  if (existsSync(levers)) push(readFileSync(levers, "utf8").trimEnd());
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------

const started = new Date();
const native = JSON.parse(readFileSync(args.native, "utf8"));
log("size");
const size = sizeReport();
for (const row of size.filter((r) => r.runtime === "default")) {
  row.bundled = await bundledSize(ENTRIES.find((e) => e.name === row.entry).conditions.default);
}
log("cold start in Node");
const cold = coldStart();
log("workerd start-up");
const workerd = await workerdStartup();
const v8 = await v8Benchmarks();
const markdown = render({ v8, native, size, cold, workerd, started });
if (args.out) writeFileSync(args.out, markdown);
process.stdout.write(markdown);
if (SINK === 0) log("(no results?)");
process.stderr.write(`${JSON.stringify({ v8, size: size.map(({ files, ...r }) => r), cold, workerd })}\n`);
