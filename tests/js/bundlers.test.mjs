// The packed tarball in the same small app (consumer/bundler-app/: index.html and main.js, which
// imports both entries, "markifact-connect" and "markifact-connect/callback") built by webpack 5,
// Rollup 4, esbuild (its default iife format, and --format=esm) and Parcel 2, each with its plain
// default command or the config a user writes, in production mode, with nothing configured for
// wasm. Each build must succeed without a warning; its output is served statically and loaded in
// headless Chromium, where the page must show every value, with no console error and no failed
// request (no .wasm 404 in particular), and every .wasm file the build emitted must be one the
// page loads. Vite has its own file (vite.test.mjs).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { BIN_DIR, JS_DIR, since } from "./helpers/env.mjs";
import { consumerWithTarball } from "./helpers/install.mjs";
import { cleanup, run } from "./helpers/proc.mjs";
import { serveStatic } from "./helpers/server.mjs";
import { launchChromium, openPage } from "./helpers/browser.mjs";

const APP_DIR = path.join(JS_DIR, "consumer", "bundler-app");
const bin = (name) => path.join(BIN_DIR, name);

// The script tag index.html loads main.js with; the bundlers that do not read HTML (all but Parcel)
// get a copy of index.html in their output folder loading their bundle instead, as a user writes it.
const SOURCE_SCRIPT = '<script type="module" src="./main.js"></script>';
const CLASSIC_SCRIPT = '<script src="./main.js"></script>';

// Anything a bundler prints that reads as a warning or an error. webpack lists the package's modules
// (markifact-error.js among them) in its default stats, so its check is on webpack's own markers.
const ANY_WARNING = /warn|error|\(!\)|⚠/i;
const WEBPACK_WARNING = /WARNING|ERROR|warn:|error:|\[webpack-cli\]/;

const BUNDLERS = [
  {
    name: "webpack",
    // No webpack.config.js: the entry given on the command line, output dist/main.js.
    folder: "bundler-webpack",
    command: [bin("webpack"), ["./main.js", "--mode", "production"]],
    dist: "dist",
    script: CLASSIC_SCRIPT,
    warnings: WEBPACK_WARNING,
    built: /compiled successfully/,
  },
  {
    name: "Rollup",
    // consumer/bundler-app/rollup.config.mjs: input main.js, output dir dist (ES modules, Rollup's
    // default format), plugins: [nodeResolve()] with no options.
    folder: "bundler-rollup",
    files: ["rollup.config.mjs"],
    command: [bin("rollup"), ["-c"]],
    dist: "dist",
    script: SOURCE_SCRIPT,
    warnings: ANY_WARNING,
    built: /created dist/,
  },
  {
    name: "esbuild (default format: iife)",
    folder: "bundler-esbuild",
    command: [bin("esbuild"), ["main.js", "--bundle", "--minify", "--outfile=dist-iife/main.js"]],
    dist: "dist-iife",
    script: CLASSIC_SCRIPT,
    warnings: ANY_WARNING,
    built: /dist-iife\/main\.js/,
  },
  {
    name: "esbuild --format=esm",
    folder: "bundler-esbuild", // the same install as the iife build
    command: [bin("esbuild"), ["main.js", "--bundle", "--minify", "--format=esm", "--outfile=dist-esm/main.js"]],
    dist: "dist-esm",
    script: SOURCE_SCRIPT,
    warnings: ANY_WARNING,
    built: /dist-esm\/main\.js/,
  },
  {
    name: "Parcel",
    // No .parcelrc and no package.json settings: `parcel build index.html` builds the page itself.
    folder: "bundler-parcel",
    command: [bin("parcel"), ["build", "index.html"]],
    dist: "dist",
    script: null,
    warnings: ANY_WARNING,
    built: /Built in/,
  },
];

// The values main.js must show (see consumer/bundler-app/main.js).
const SUCCESS = { status: "success", connectionType: "gads", connectionId: "c_bundled_42", appParams: [] };
const ERROR = { status: "error", connectionType: "meta_ads", externalId: "u_7", error: "access_denied", appParams: [] };

let browser;
const installs = new Map();
const servers = [];
const pages = [];

before(async () => {
  browser = await launchChromium();
}, { timeout: 90_000 });

after(
  () =>
    cleanup(
      ...pages.map((page) => () => page.close()),
      ...servers.map((server) => () => server.close()),
      () => browser?.close(),
    ),
  { timeout: 60_000 },
);

/** One consumer folder per bundler (esbuild's two formats share one), with the app's files. */
function install(bundler) {
  if (!installs.has(bundler.folder)) {
    installs.set(
      bundler.folder,
      (async () => {
        const start = performance.now();
        const dir = await consumerWithTarball(bundler.folder);
        for (const file of ["index.html", "main.js", "parse-only.mjs", ...(bundler.files ?? [])]) {
          copyFileSync(path.join(APP_DIR, file), path.join(dir, file));
        }
        return { dir, ms: since(start) };
      })(),
    );
  }
  return installs.get(bundler.folder);
}

/** Every file under `dir`, relative, with / separators. */
function filesUnder(dir, prefix = "") {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? filesUnder(path.join(dir, entry.name), `${prefix}${entry.name}/`)
      : [`${prefix}${entry.name}`],
  );
}

/** Waits until main.js has shown its results, or a problem has been reported and had 2 s to settle. */
async function results(page) {
  const deadline = Date.now() + 30_000;
  let firstProblem;
  while (Date.now() < deadline) {
    const shown = await page.page.evaluate(() => {
      const connection = document.getElementById("connection");
      if (!connection?.dataset.status) return null;
      return {
        status: connection.dataset.status,
        connection: connection.textContent,
        results: JSON.parse(document.getElementById("results").textContent),
      };
    });
    if (shown) return shown;
    if (page.problems.length > 0) {
      firstProblem ??= Date.now();
      if (Date.now() - firstProblem > 2_000) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`the page showed no results\n${page.problems.join("\n") || "(no problem reported)"}`);
}

/** A thrown MarkifactError as main.js reports it, its message checked and left out. */
function thrown(outcome, label) {
  assert.ok(outcome?.thrown, `${label}: expected a MarkifactError, got ${JSON.stringify(outcome)}`);
  const { message, ...rest } = outcome.thrown;
  assert.ok(typeof message === "string" && message.length > 0, `${label}: no message`);
  return rest;
}

for (const bundler of BUNDLERS) {
  describe(bundler.name, () => {
    let dir;
    let build;
    let output;
    let server;

    before(async () => {
      const start = performance.now();
      let installMs;
      ({ dir, ms: installMs } = await install(bundler));
      const [command, args] = bundler.command;
      build = await run(command, args, { cwd: dir, timeout: 150_000 });
      output = `${build.stdout}${build.stderr}`;
      console.log(`# ${bundler.name}: install + build ${since(start)} ms (install ${installMs} ms, build ${build.ms} ms)`);
      if (build.code === 0 && bundler.script) {
        // The page as its user writes it next to the bundle: index.html loading the bundle.
        const html = readFileSync(path.join(dir, "index.html"), "utf8");
        assert.ok(html.includes(SOURCE_SCRIPT), "index.html no longer loads ./main.js as expected");
        writeFileSync(path.join(dir, bundler.dist, "index.html"), html.replace(SOURCE_SCRIPT, bundler.script));
      }
    }, { timeout: 240_000 });

    test(`${bundler.name}: the build succeeds without a warning`, () => {
      assert.equal(build.code, 0, `${bundler.command.flat().join(" ")} exited with ${build.code ?? build.signal}\n${output}`);
      assert.doesNotMatch(output, bundler.warnings, output);
      assert.match(output, bundler.built, output);
    });

    test(`${bundler.name}: the built page parses redirects and validates redirect URLs with both entries`, { timeout: 90_000 }, async () => {
      assert.equal(build.code, 0, "the build failed (see the test above)");
      server = await serveStatic(path.join(dir, bundler.dist));
      servers.push(server);
      const id = `c_${bundler.folder}_${bundler.dist.replace(/\W/g, "_")}`;
      const page = await openPage(browser, `${server.url}?session=s1&status=success&connection_type=ga4&connection_id=${id}`);
      pages.push(page);
      const shown = await results(page);
      const r = shown.results;

      // The redirect the page was loaded with, through the main entry.
      assert.equal(shown.status, "success");
      assert.equal(shown.connection, id);
      assert.deepEqual(r.page, { value: { status: "success", connectionType: "ga4", connectionId: id, appParams: [["session", "s1"]] } });
      // Fixed redirects: a success and an error, through both entries.
      assert.deepEqual(r.success, { value: SUCCESS });
      assert.deepEqual(r.error, { value: ERROR });
      assert.deepEqual(r.callbackSuccess, { value: SUCCESS }, "markifact-connect/callback");
      assert.deepEqual(r.callbackError, { value: ERROR }, "markifact-connect/callback");
      // The callback entry's errors are the main entry's MarkifactError.
      assert.deepEqual(thrown(r.callbackInvalid, "callback, status=pending"), {
        markifactError: true,
        name: "MarkifactError",
        code: "invalid_status",
      });
      // validateRedirectUrl: an https URL is accepted, an http one is rejected with a stable code.
      assert.deepEqual(r.goodRedirectUrl, { value: "https://app.example.com/markifact/callback" });
      assert.deepEqual(thrown(r.badRedirectUrl, "validateRedirectUrl(http://...)"), {
        markifactError: true,
        name: "MarkifactError",
        code: "invalid_redirect_url",
        rule: "not_https",
      });

      assert.deepEqual(page.problems, []);
      const failed = server.requests.filter((request) => request.status !== 200);
      assert.deepEqual(failed, [], "requests that failed");
      for (const wasm of server.requests.filter((request) => new URL(request.path, server.url).pathname.endsWith(".wasm"))) {
        assert.equal(wasm.type, "application/wasm", `${wasm.path} served as ${wasm.type}`);
      }

      // For the report: what the page loaded, raw and gzipped (level 9).
      const loaded = server.requests
        .map((request) => new URL(request.path, server.url).pathname)
        .filter((file) => /\.(m?js|wasm)$/.test(file));
      const sizes = { js: [0, 0], wasm: [0, 0] };
      for (const file of new Set(loaded)) {
        const bytes = readFileSync(path.join(dir, bundler.dist, decodeURIComponent(file)));
        const kind = file.endsWith(".wasm") ? "wasm" : "js";
        sizes[kind][0] += bytes.length;
        sizes[kind][1] += gzipSync(bytes, { level: 9 }).length;
      }
      const emitted = filesUnder(path.join(dir, bundler.dist)).filter((file) => file !== "index.html");
      console.log(
        `# ${bundler.name}: the page loads JS ${sizes.js[0]} B (gzip ${sizes.js[1]} B)` +
          (sizes.wasm[0] ? ` and wasm ${sizes.wasm[0]} B (gzip ${sizes.wasm[1]} B)` : ", no wasm file") +
          `; requests: ${loaded.join(", ")}; emitted: ${emitted.join(", ")}`,
      );
      // Every .wasm the build emitted is one the page loads (none shipped for nothing).
      const fetched = new Set(loaded.map((file) => path.posix.basename(file)));
      const unused = emitted.filter((file) => file.endsWith(".wasm") && !fetched.has(path.posix.basename(file)));
      assert.deepEqual(unused, [], "wasm files emitted but never loaded");
    });
  });
}

// consumer/bundler-app/parse-only.mjs: a callback page written against the main entry, using only
// the parser, the error class and the browser helpers. Each bundler leaves the main wasm (most
// of the package's bytes) out of its bundle, since the entries make their main-wasm functions by
// pure calls (js/api.js), and the bundle runs (in Node: it touches no browser global).
const PARSE_ONLY = [
  { name: "webpack", folder: "bundler-webpack", args: ["./parse-only.mjs", "--mode", "production", "--output-path", "dist-parse-only"], out: "main.js" },
  { name: "Rollup", folder: "bundler-rollup", args: ["parse-only.mjs", "-p", "@rollup/plugin-node-resolve", "-d", "dist-parse-only"], out: "parse-only.js" },
  { name: "esbuild", folder: "bundler-esbuild", args: ["parse-only.mjs", "--bundle", "--minify", "--format=esm", "--outfile=dist-parse-only/main.js"], out: "main.js" },
  { name: "Parcel", folder: "bundler-parcel", args: ["build", "parse-only.mjs", "--dist-dir", "dist-parse-only"], out: "parse-only.js" },
];

/** The `length` an embedding module (main-wasm.js, parser-wasm.js) gives its wasm, as a pattern that finds it in a bundle. */
function embeddedLength(dir, module) {
  const text = readFileSync(path.join(dir, "node_modules", "markifact-connect", module), "utf8");
  const length = /length: (\d+),/.exec(text)?.[1];
  assert.ok(length, `${module} states no length`);
  return new RegExp(`length:\\s*${length}\\b`);
}

for (const bundler of PARSE_ONLY) {
  const command = BUNDLERS.find((b) => b.folder === bundler.folder).command[0];
  test(`${bundler.name}: an app using only the parser from the main entry bundles no main wasm, and runs`, { timeout: 240_000 }, async () => {
    const { dir } = await install(bundler);
    const build = await run(command, bundler.args, { cwd: dir, timeout: 150_000 });
    assert.equal(build.code, 0, `${bundler.name} failed:\n${build.stdout}${build.stderr}`);
    const bundle = readFileSync(path.join(dir, "dist-parse-only", bundler.out), "utf8");
    // The parser wasm is embedded where the bundle uses it: the pattern finds an embedded wasm.
    assert.match(bundle, embeddedLength(dir, "parser-wasm.js"), "the parser wasm is not in the bundle");
    assert.doesNotMatch(bundle, embeddedLength(dir, "main-wasm.js"), "the main wasm is in the bundle");
    const ran = await run(process.execPath, [path.join("dist-parse-only", bundler.out)], { cwd: dir, timeout: 30_000 });
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(JSON.parse(ran.stdout), {
      result: { status: "success", connectionType: "gads", connectionId: "c_parse_only", appParams: [] },
      refused: { markifactError: true, code: "invalid_status" },
      helpers: "function",
    });
    console.log(`# ${bundler.name}: the parse-only app's bundle ${bundle.length} B (gzip ${gzipSync(bundle, { level: 9 }).length} B)`);
  });
}
