// Runs examples/worker (the Markifact callback Worker) in the real workerd, through `wrangler dev`
// in local mode, against a Markifact sandbox. Used by worker-callback.test.mjs and, as a CLI, by
// `cargo xtask demo`:
//
//   node tests/js/helpers/worker.mjs --tarball T --sandbox URL [--port P] [--app-origin O]
//                                    [--api-key K] [--session-secret S] [--var NAME=VALUE]...
//
// (--var sets a Worker variable, e.g. --var CONNECT_LIMIT_PER_IP=1000; repeatable)
// prints exactly one line on stdout, `worker listening on http://127.0.0.1:P`, forwards
// wrangler's own output to stderr, and runs until SIGTERM/SIGINT (or until its parent process
// dies), stopping workerd with it.
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import net from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { JS_DIR, tarball as defaultTarball } from "./env.mjs";
import { consumerWithTarball } from "./install.mjs";
import { run, start } from "./proc.mjs";

/** The example, copied (never run in place, so its folder stays clean). */
export const EXAMPLE_DIR = path.resolve(JS_DIR, "..", "..", "examples", "worker");

// wrangler's bin/wrangler.js refuses Node < 22.12 (Node 20 here); the CLI itself only warns, so
// it is run directly, with the flag the wrapper adds.
export const WRANGLER_CLI = path.join(JS_DIR, "node_modules", "wrangler", "wrangler-dist", "cli.js");

/** `node <args>` running wrangler's CLI. */
export function wranglerArgs(...args) {
  return ["--no-warnings", WRANGLER_CLI, ...args];
}

/** The environment that keeps wrangler local and quiet (no metrics, update check or cf fetch). */
export function wranglerEnv(dir) {
  return {
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_HIDE_BANNER: "true",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_LOG_PATH: path.join(dir, "logs"),
    // Keep wrangler's global config (and any login) out of the picture.
    XDG_CONFIG_HOME: path.join(dir, ".config"),
  };
}

/**
 * A fresh tests/js/.work/<name>/ holding the example's sources and wrangler.toml, with the
 * tarball installed by npm as the example's `markifact-connect` dependency.
 */
export async function prepareWorker({ tarball = defaultTarball(), name = "worker-example", exampleDir = EXAMPLE_DIR } = {}) {
  if (!existsSync(WRANGLER_CLI)) {
    throw new Error(`no wrangler at ${WRANGLER_CLI}: run \`npm install\` in ${JS_DIR}`);
  }
  const example = JSON.parse(readFileSync(path.join(exampleDir, "package.json"), "utf8"));
  const { name: packageName, description, scripts } = example;
  const dir = await consumerWithTarball(name, { name: packageName, description, scripts }, { tarball });
  cpSync(path.join(exampleDir, "src"), path.join(dir, "src"), { recursive: true });
  cpSync(path.join(exampleDir, "wrangler.toml"), path.join(dir, "wrangler.toml"));
  return dir;
}

/** A free TCP port on 127.0.0.1 (the Worker's own URL must be known before it starts: APP_ORIGIN). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function devVars(vars) {
  return Object.entries(vars)
    .map(([name, value]) => {
      if (/["\\\r\n]/.test(value)) throw new Error(`${name} may not contain quotes, backslashes or newlines`);
      return `${name}="${value}"\n`;
    })
    .join("");
}

/**
 * Starts the example Worker and resolves once it answers.
 *
 * - `tarball`: the packed markifact-connect to install (default MARKIFACT_TARBALL);
 * - `port`: 0 (default) picks a free one;
 * - `sandboxUrl`: the Markifact API it talks to (MARKIFACT_BASE_URL);
 * - `appOrigin`: APP_ORIGIN (default the Worker's own `http://127.0.0.1:<port>`, so Markifact's
 *   redirect comes back to it); an http origin turns ALLOW_INSECURE_LOCALHOST on;
 * - `apiKey` (default "sk_sandbox"), `sessionSecret` (default 32 random bytes, hex);
 * - `name`: the folder under tests/js/.work/ (default "worker-example");
 * - `vars`: more variables for .dev.vars, e.g. `{ CONNECT_LIMIT_PER_SESSION: "3" }` (they
 *   override wrangler.toml's [vars]);
 * - `exampleDir`: the Worker to copy (default examples/worker; e.g. an older copy to compare).
 *
 * Resolves to `{ url, appOrigin, dir, output(), listKv(prefix), stop() }`: `output()` is
 * wrangler's output so far, `listKv` the key names in the local CONNECT_KV, `stop()` stops
 * wrangler and workerd (idempotent).
 */
export async function startWorker({
  tarball = defaultTarball(),
  port = 0,
  sandboxUrl,
  appOrigin,
  apiKey = "sk_sandbox",
  sessionSecret = randomBytes(32).toString("hex"),
  name = "worker-example",
  vars = {},
  exampleDir = EXAMPLE_DIR,
} = {}) {
  if (!sandboxUrl) throw new Error("startWorker: sandboxUrl is required");
  const dir = await prepareWorker({ tarball, name, exampleDir });
  const listenPort = port || (await freePort());
  const url = `http://127.0.0.1:${listenPort}`;
  const origin = appOrigin ?? url;
  // Secrets go in .dev.vars rather than on the command line, where `ps` would show them.
  writeFileSync(
    path.join(dir, ".dev.vars"),
    devVars({
      MARKIFACT_API_KEY: apiKey,
      SESSION_SECRET: sessionSecret,
      APP_ORIGIN: origin,
      MARKIFACT_BASE_URL: sandboxUrl,
      ALLOW_INSECURE_LOCALHOST: origin.startsWith("http:") ? "true" : "false",
      ...vars,
    }),
    { mode: 0o600 },
  );
  const env = wranglerEnv(dir);
  const wrangler = start(
    process.execPath,
    wranglerArgs(
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(listenPort),
      "--inspector-port",
      "0",
      "--show-interactive-dev-session=false",
    ),
    { cwd: dir, env },
  );
  let stopped;
  const stop = () => (stopped ??= wrangler.stop());
  try {
    await wrangler.waitFor(new RegExp(`Ready on http://127\\.0\\.0\\.1:${listenPort}\\b`), 90_000);
    await answers(url, wrangler);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    appOrigin: origin,
    dir,
    output: wrangler.output,
    child: wrangler.child,
    async listKv(prefix = "") {
      const result = await run(
        process.execPath,
        wranglerArgs("kv", "key", "list", "--binding", "CONNECT_KV", "--local", "--prefix", prefix),
        { cwd: dir, env, timeout: 60_000 },
      );
      if (result.code !== 0) throw new Error(`wrangler kv key list failed:\n${result.stdout}\n${result.stderr}`);
      return JSON.parse(result.stdout).map((key) => key.name);
    },
    stop,
  };
}

/** Waits until the Worker serves a route (a misconfiguration shows up here as its 500 message). */
async function answers(url, wrangler) {
  const deadline = Date.now() + 30_000;
  let last;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/api/session`, { signal: AbortSignal.timeout(5_000) });
      const text = await response.text();
      if (response.status === 200) return;
      if (response.status === 500) throw new Error(`the Worker answers 500: ${text}`);
      last = `HTTP ${response.status} ${text}`;
    } catch (error) {
      if (/answers 500/.test(error.message)) throw error;
      last = error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the Worker at ${url} did not answer within 30 s (${last}); wrangler said:\n${wrangler.output()}`);
}

async function main() {
  const { values } = parseArgs({
    options: {
      tarball: { type: "string" },
      port: { type: "string", default: "0" },
      sandbox: { type: "string" },
      "app-origin": { type: "string" },
      "api-key": { type: "string", default: "sk_sandbox" },
      "session-secret": { type: "string" },
      var: { type: "string", multiple: true, default: [] },
    },
    strict: true,
  });
  const tarballFile = values.tarball ? path.resolve(values.tarball) : defaultTarball();
  if (!existsSync(tarballFile)) throw new Error(`--tarball ${tarballFile} does not exist`);
  if (!values.sandbox) throw new Error("--sandbox URL is required (the Markifact sandbox, e.g. http://127.0.0.1:8787)");
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port} is not a port`);

  const vars = {};
  for (const assignment of values.var) {
    const eq = assignment.indexOf("=");
    if (eq < 1 || !/^[A-Z][A-Z0-9_]*$/.test(assignment.slice(0, eq))) throw new Error(`--var ${assignment} is not NAME=VALUE`);
    vars[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  const worker = await startWorker({
    vars,
    tarball: tarballFile,
    port,
    sandboxUrl: values.sandbox,
    appOrigin: values["app-origin"],
    apiKey: values["api-key"],
    sessionSecret: values["session-secret"],
    name: "worker-demo",
  });
  process.stderr.write(worker.output());
  worker.child.stdout.on("data", (d) => process.stderr.write(d));
  worker.child.stderr.on("data", (d) => process.stderr.write(d));
  process.stdout.write(`worker listening on ${worker.url}\n`);

  let exiting = false;
  const shutdown = async (code) => {
    if (exiting) return;
    exiting = true;
    await worker.stop();
    process.exit(code);
  };
  process.on("SIGTERM", () => shutdown(0));
  process.on("SIGINT", () => shutdown(0));
  worker.child.on("exit", (code, signal) => {
    if (exiting) return;
    process.stderr.write(`wrangler exited (${code ?? signal})\n`);
    shutdown(1);
  });
  // wrangler runs in its own process group: if our parent dies without signalling us (a
  // SIGKILL), we are re-parented; take workerd down rather than leave it listening.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) shutdown(1);
  }, 1_000);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error) => {
    process.stderr.write(`worker.mjs: ${error?.message ?? error}\n`);
    process.exit(1);
  });
}
