// The packed tarball in Deno 2 and Bun, run as a user runs them: npm installs the tarball into a
// fresh folder, and consumer/deno-bun/check.mjs there imports "markifact-connect" and
// "markifact-connect/callback" by name (resolved from node_modules through the exports map), with
// no init call and no configuration.
//
// Deno:
//   deno run --node-modules-dir=manual check.mjs offline
//     import, parse, validate, the shared vectors: NO permission flag at all. Deno then refuses
//     every file read, network access and environment read the package would attempt, and with
//     stdin and stderr not a terminal it cannot prompt: it throws NotCapable instead, so the
//     run succeeding proves the package needs no permission to load and work.
//   deno run --node-modules-dir=manual --allow-net=127.0.0.1:<port> check.mjs client <sandbox> <id>
//     the client against the sandbox: the only permission is the network, scoped to the
//     sandbox's host:port (still no read, no env).
//   --node-modules-dir=manual: use the node_modules folder npm made, never install or change it,
//     never resolve npm packages from the registry (Deno 2.9 picks this mode by itself when a
//     package.json is there; passed explicitly so a change of default cannot make Deno download).
// Bun:
//   bun run check.mjs offline | bun run check.mjs client <sandbox> <id>
//     (Bun auto-installs only when no node_modules folder is found; there is one.)
//
// Isolation and "no network except loopback", for both runtimes:
//   DENO_DIR, BUN_INSTALL_CACHE_DIR, BUN_RUNTIME_TRANSPILER_CACHE_PATH: folders inside the fresh
//     consumer folder, so no cache of another run or of the machine is used;
//   DENO_NO_UPDATE_CHECK=1: Deno's background "new version" request to dl.deno.land is off;
//   NPM_CONFIG_REGISTRY (Deno) and BUN_CONFIG_REGISTRY (Bun) point at a recorder on loopback, and
//   HTTP_PROXY / HTTPS_PROXY at the same recorder (NO_PROXY=127.0.0.1,localhost keeps the
//   sandbox direct): any registry request or other outbound connection a runtime attempts is
//   recorded (and answered 404 / closed), and each test asserts the recorder saw nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { BIN_DIR, JS_DIR, since } from "./helpers/env.mjs";
import { consumerWithTarball } from "./helpers/install.mjs";
import { run } from "./helpers/proc.mjs";
import { sandboxUrl, checkSandbox, decide } from "./helpers/sandbox.mjs";
import { loadVectors, copyRunner, assertAllPassed } from "./helpers/vectors.mjs";

const DENO = path.join(BIN_DIR, "deno");
const BUN = path.join(BIN_DIR, "bun");
const DENO_VERSION = "2.9.6";
const BUN_VERSION = "1.4.5";

let dir;
let vectors;
let recorder;
let SANDBOX;

// --- a loopback recorder standing in for the npm registry and for any proxied connection

function startRecorder() {
  const hits = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.statusCode = 404;
    res.end();
  });
  server.on("connect", (req, socket) => {
    hits.push(`CONNECT ${req.url}`);
    socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        hits,
        close: () => new Promise((done) => server.close(done)),
      });
    });
  });
}

function runtimeEnv() {
  return {
    DENO_DIR: path.join(dir, ".deno-dir"),
    DENO_NO_UPDATE_CHECK: "1",
    BUN_INSTALL_CACHE_DIR: path.join(dir, ".bun-cache"),
    BUN_RUNTIME_TRANSPILER_CACHE_PATH: path.join(dir, ".bun-transpiler-cache"),
    NPM_CONFIG_REGISTRY: `${recorder.url}/`,
    BUN_CONFIG_REGISTRY: `${recorder.url}/`,
    HTTP_PROXY: recorder.url,
    HTTPS_PROXY: recorder.url,
    http_proxy: recorder.url,
    https_proxy: recorder.url,
    NO_PROXY: "127.0.0.1,localhost",
    no_proxy: "127.0.0.1,localhost",
  };
}

const denoOffline = () => [DENO, ["run", "--node-modules-dir=manual", "check.mjs", "offline"]];
const denoClient = (port, id) => [
  DENO,
  ["run", "--node-modules-dir=manual", `--allow-net=127.0.0.1:${port}`, "check.mjs", "client", SANDBOX, id],
];
const bunOffline = () => [BUN, ["run", "check.mjs", "offline"]];
const bunClient = (id) => [BUN, ["run", "check.mjs", "client", SANDBOX, id]];

// --- running check.mjs

/**
 * Asserts a run of check.mjs: exit code 0, no permission asked for, a report from the expected
 * runtime and mode with every check passing; returns the report.
 */
function assertRun(result, what, { runtime, version, mode, minChecks }) {
  const output = `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
  assert.equal(result.code, 0, `${what}: exited with ${result.code ?? result.signal}\n${output}`);
  assert.doesNotMatch(result.stderr, /NotCapable|Requires \w+ access|--allow-/, `${what}: a permission was needed\n${output}`);
  const line = result.stdout.trim().split("\n").at(-1) ?? "";
  let report;
  try {
    report = JSON.parse(line);
  } catch {
    assert.fail(`${what}: the last stdout line is not a JSON report\n${output}`);
  }
  assert.equal(report.event, "report", `${what}: the last line is not the report\n${output}`);
  assert.equal(report.fatal, undefined, `${what}: ${report.fatal}`);
  assert.equal(report.runtime, `${runtime} ${version}`, `${what}: the script ran in another runtime`);
  assert.equal(report.mode, mode);
  assert.ok(report.checks.length >= minChecks, `${what}: only ${report.checks.length} checks reported`);
  const failed = report.checks.filter((c) => !c.ok);
  assert.deepEqual(failed, [], `${what}: failing checks:\n${failed.map((c) => `${c.name}: ${c.detail}`).join("\n")}`);
  return report;
}

function assertNoOutboundRequest(what) {
  assert.deepEqual(recorder.hits, [], `${what} tried to reach the network (registry or proxy)`);
}

async function runOffline(runtime, version, [command, args]) {
  recorder.hits.length = 0;
  const result = await run(command, args, { cwd: dir, env: runtimeEnv(), timeout: 60_000 });
  const report = assertRun(result, `${runtime} offline`, { runtime, version, mode: "offline", minChecks: 12 });
  assertAllPassed(report.vectors, vectors);
  assertAllPassed(report.callbackVectors, vectors);
  assertNoOutboundRequest(runtime);
  console.log(`# ${runtime}: import + parse + validate + vectors in ${result.ms} ms (resolved ${path.basename(report.resolved.main)}, ${path.basename(report.resolved.callback)})`);
  return report;
}

/**
 * Runs check.mjs in client mode: when it prints the {"event":"link"} line, approves the link as
 * the user's browser would (helpers/sandbox.mjs `decide`) and writes the Location to its stdin.
 */
function runClient([command, args], { timeout = 60_000 } = {}) {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1", ...runtimeEnv() },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true, // its own process group, killed as a whole on timeout
    });
    let stdout = "";
    let stderr = "";
    let seen = 0;
    let approval = Promise.resolve();
    const kill = () => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // gone
      }
    };
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`${command} ${args.join(" ")} timed out after ${timeout} ms\n${stdout}\n${stderr}`));
    }, timeout);
    child.stdin.on("error", () => {}); // it may exit before reading (a failure reported below)
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.stdout.setEncoding("utf8").on("data", (d) => {
      stdout += d;
      const lines = stdout.split("\n");
      for (const line of lines.slice(seen, -1)) {
        let event;
        try {
          event = JSON.parse(line);
        } catch {
          continue;
        }
        if (event?.event !== "link") continue;
        approval = (async () => {
          let location = "";
          try {
            if (event.url) location = await decide(event.url, "approve");
          } finally {
            child.stdin.end(`${location}\n`);
          }
          return location;
        })();
        approval.catch(() => {}); // awaited below
      }
      seen = lines.length - 1;
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", async (code, signal) => {
      clearTimeout(timer);
      kill();
      try {
        const location = await approval;
        resolve({ code, signal, stdout, stderr, location, ms: Math.round(performance.now() - start) });
      } catch (error) {
        reject(error);
      }
    });
  });
}

async function clientTest(runtime, version, argv) {
  recorder.hits.length = 0;
  const result = await runClient(argv);
  const report = assertRun(result, `${runtime} client`, { runtime, version, mode: "client", minChecks: 8 });
  assert.ok(result.location?.includes("status=success"), `the approval answered ${result.location}`);
  assert.ok(report.connectionId && result.location.includes(`connection_id=${report.connectionId}`), "the verified connection is the approved one");
  assertNoOutboundRequest(runtime);
  console.log(`# ${runtime}: client against the sandbox in ${result.ms} ms (${report.requests} requests)`);
}

// --- setup

before(async () => {
  const start = performance.now();
  SANDBOX = sandboxUrl();
  assert.match(SANDBOX, /^http:\/\/127\.0\.0\.1:\d+$/, "--allow-net is scoped to 127.0.0.1:<port>");
  await checkSandbox();
  vectors = loadVectors();
  recorder = await startRecorder();
  dir = await consumerWithTarball("deno-bun");
  copyRunner(dir);
  copyFileSync(path.join(JS_DIR, "consumer", "deno-bun", "check.mjs"), path.join(dir, "check.mjs"));
  // The callback entry's checks, shared with callback.test.mjs (Node and Chromium).
  copyFileSync(path.join(JS_DIR, "consumer", "callback", "shared.mjs"), path.join(dir, "shared.mjs"));
  // The vectors as a module: a static import needs no read permission in Deno.
  writeFileSync(path.join(dir, "vectors.mjs"), `export default ${JSON.stringify(vectors)};\n`);
  console.log(`# deno-bun: consumer folder installed in ${since(start)} ms`);
}, { timeout: 180_000 });

after(() => recorder?.close());

// --- Deno

test(`deno ${DENO_VERSION}: imports, parses, validates and passes the vectors with no permission flag`, { timeout: 90_000 }, async () => {
  const listing = () => readdirSync(path.join(dir, "node_modules")).sort();
  const before = listing();
  await runOffline("deno", DENO_VERSION, denoOffline());
  assert.deepEqual(listing(), before, "Deno changed node_modules (--node-modules-dir=manual must leave it)");
  const npmCache = path.join(dir, ".deno-dir", "npm");
  assert.ok(!existsSync(npmCache) || readdirSync(npmCache).length === 0, `Deno cached npm packages in ${npmCache}: ${existsSync(npmCache) && readdirSync(npmCache)}`);
});

test(`deno ${DENO_VERSION}: the client against the sandbox with only --allow-net=127.0.0.1:<port>`, { timeout: 90_000 }, async () => {
  const port = new URL(SANDBOX).port;
  await clientTest("deno", DENO_VERSION, denoClient(port, `deno_${process.pid}_${Date.now()}`));
});

// --- Bun

test(`bun ${BUN_VERSION}: imports, parses, validates and passes the vectors`, { timeout: 90_000 }, async () => {
  await runOffline("bun", BUN_VERSION, bunOffline());
});

test(`bun ${BUN_VERSION}: the client against the sandbox`, { timeout: 90_000 }, async () => {
  await clientTest("bun", BUN_VERSION, bunClient(`bun_${process.pid}_${Date.now()}`));
});
