// The packed tarball in a Cloudflare Worker, in the real workerd run by `wrangler dev` (local
// mode): a fresh Worker project answers requests with parseRedirect(request.url).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { JS_DIR, since } from "./helpers/env.mjs";
import { consumerWithTarball } from "./helpers/install.mjs";
import { run, start } from "./helpers/proc.mjs";

// wrangler's bin/wrangler.js refuses to start on Node < 22.12 (Node 20 here); the CLI itself only
// warns, so it is run directly, with the same flag the wrapper adds.
const WRANGLER_CLI = path.join(JS_DIR, "node_modules", "wrangler", "wrangler-dist", "cli.js");

let dir;
let env;
let wrangler;

before(async () => {
  dir = await consumerWithTarball("worker");
  mkdirSync(path.join(dir, "src"));
  copyFileSync(path.join(JS_DIR, "consumer", "worker", "src", "index.js"), path.join(dir, "src", "index.js"));
  copyFileSync(path.join(JS_DIR, "consumer", "worker", "wrangler.toml"), path.join(dir, "wrangler.toml"));
  env = {
    WRANGLER_SEND_METRICS: "false",
    // No banner, hence no update check against the npm registry.
    WRANGLER_HIDE_BANNER: "true",
    // Do not fetch the Request.cf placeholder from workers.cloudflare.com.
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_LOG_PATH: path.join(dir, "logs"),
    // Keep wrangler's global config (and any login) out of the picture.
    XDG_CONFIG_HOME: path.join(dir, ".config"),
  };
}, { timeout: 180_000 });

after(async () => {
  await wrangler?.stop();
}, { timeout: 60_000 });

function wranglerArgs(...args) {
  return ["--no-warnings", WRANGLER_CLI, ...args];
}

test("wrangler bundles the edge entry: the wasm as modules, no embedded copy", { timeout: 60_000 }, async () => {
  const outdir = path.join(dir, "bundle");
  const result = await run(process.execPath, wranglerArgs("deploy", "--dry-run", "--outdir", outdir), {
    cwd: dir,
    env,
    timeout: 60_000,
  });
  console.log(`# wrangler deploy --dry-run: ${result.ms} ms`);
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  const files = readdirSync(outdir);
  const wasm = files.filter((f) => f.endsWith(".wasm"));
  assert.deepEqual(
    wasm.map((f) => f.replace(/^\w+-/, "")).sort(),
    ["markifact_connect_bg.wasm", "markifact_connect_parser.wasm"],
    `bundle: ${files.join(", ")}`,
  );
  const bundle = readFileSync(path.join(outdir, "index.js"), "utf8");
  for (const file of wasm) {
    assert.match(bundle, new RegExp(`^import \\w+ from "\\./${file.replace(".", "\\.")}";$`, "m"), `${file} is imported as a module`);
  }
  // edge.js hands the imported module itself (index.js would compile an embedded copy). This
  // Worker uses only parseRedirect: the main wasm's instantiation is left out (js/api.js); its
  // file, imported by edge.js, is still uploaded.
  assert.match(bundle, /wasmModules\(\(\) => \w+\)/, "edge.js hands the parser wasm over as a module");
  assert.doesNotMatch(bundle, /instantiateMain/, "the main wasm's instantiation is in a Worker that never uses it");
  // "AGFzbQ" is base64 of the wasm magic word: no embedded copy in the bundle (workerd would
  // refuse to compile it).
  assert.doesNotMatch(bundle, /AGFzbQ/, "index.js (the embedded wasm) was bundled instead");
});

test("wrangler dev runs the Worker in workerd: success JSON and 400 with a code", { timeout: 120_000 }, async () => {
  const begin = performance.now();
  wrangler = start(
    process.execPath,
    wranglerArgs("dev", "--ip", "127.0.0.1", "--port", "0", "--inspector-port", "0", "--show-interactive-dev-session=false"),
    { cwd: dir, env },
  );
  const [, origin] = await wrangler.waitFor(/Ready on (http:\/\/127\.0\.0\.1:\d+)/, 90_000);
  console.log(`# wrangler dev ready in ${since(begin)} ms`);

  const get = async (query) => {
    const response = await fetch(`${origin}/connect/callback?${query}`, { signal: AbortSignal.timeout(15_000) });
    const type = response.headers.get("content-type") ?? "";
    assert.match(type, /^application\/json/, `${query}: content-type ${type}`);
    return { status: response.status, body: await response.json() };
  };

  const success = await get("session=s1&status=success&connection_type=gads&connection_id=c_worker_1&external_id=u_42");
  assert.deepEqual(success, {
    status: 200,
    body: {
      status: "success",
      connectionType: "gads",
      connectionId: "c_worker_1",
      externalId: "u_42",
      appParams: [["session", "s1"]],
    },
  });
  const denied = await get("status=error&connection_type=ga4&error=access%20denied");
  assert.deepEqual(denied, {
    status: 200,
    body: { status: "error", connectionType: "ga4", error: "access denied", appParams: [] },
  });

  for (const [query, code] of [
    ["status=pending", "invalid_status"],
    ["session=s1", "missing_status"],
    ["status=success&connection_type=ga4", "missing_parameter"],
    ["status=success&connection_type=ga4&connection_id=a&connection_id=b", "duplicate_parameter"],
  ]) {
    const { status, body } = await get(query);
    assert.equal(status, 400, `${query}: ${JSON.stringify(body)}`);
    assert.equal(body.code, code, `${query}: ${JSON.stringify(body)}`);
    assert.equal(typeof body.message, "string");
    assert.ok(body.message.length > 0);
  }
  // Still correct after those errors (one isolate serves them all).
  assert.equal((await get("status=success&connection_type=ga4&connection_id=c_2")).body.connectionId, "c_2");
  console.log(`# workerd test total ${since(begin)} ms`);

  assert.doesNotMatch(wrangler.output(), /\[ERROR\]|\[WARNING\]|Uncaught|✘|▲/, wrangler.output());
});
