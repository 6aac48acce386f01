// The npm package's JavaScript, bundled by esbuild (run as a library by `cargo xtask pkg`): each
// entry one module, with the code entries share in shared chunks (one `MarkifactError` class and
// one parser instance, whichever entries a page imports). wasm-bindgen's output is used as it is:
// its imports of its copies of js/ modules (its "snippets") resolve to the package's own modules.
// Plus a CommonJS build for the `require` export condition alone (see below).
//
// node xtask/bundle.mjs <esbuild's package folder> <source folder> <output folder>
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import path from "node:path";

const [esbuildDir, source, out] = process.argv.slice(2);
const esbuild = createRequire(path.join(esbuildDir, "package.json"))("esbuild");

// The files the entries load apart, as they are: the embedded wasm (fetched once, only by the
// entries that use it) and the `.wasm?module` imports of the edge entries, which their runtimes'
// bundlers resolve.
const SEPARATE = ["./main-wasm.js", "./parser-wasm.js", "*.wasm?module"];

const snippets = /\/snippets\/[^/]+\/js\/([^/]+)$/;
const snippetsAreTheSources = {
  name: "wasm-bindgen snippets are the package's modules",
  setup(build) {
    build.onResolve({ filter: /\/snippets\// }, (args) => {
      const file = path.join(args.resolveDir, args.path);
      const match = snippets.exec(file);
      if (!match) {
        return { errors: [{ text: `wasm-bindgen imports ${args.path}, which is not a copy of a js/ module` }] };
      }
      return { path: path.join(source, match[1]) };
    });
  },
};

const esm = await esbuild.build({
  entryPoints: ["index.js", "edge.js", "callback.js", "callback-edge.js"].map((f) => path.join(source, f)),
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "neutral",
  target: "esnext",
  chunkNames: "shared-[hash]",
  external: SEPARATE,
  plugins: [snippetsAreTheSources],
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
});

// index.cjs and callback.cjs, for the `require` condition, which the exports map puts after
// `module-sync` (and `bun`): so Node with require(esm) (20.19+), Bun, Deno and the bundlers keep
// the one ES module instance, and only a `require()` that cannot load ES modules gets here: Jest's
// CommonJS runtime (it loads ES modules only under --experimental-vm-modules on Node 24.9+) and
// Node 20.16-20.18. One bundle with both wasm embedded; callback.cjs re-exports from it, so the
// two entries share one MarkifactError class and one parser instance, as the ES modules do.
// Jest's jsdom environment has no TextEncoder/TextDecoder: Node's are taken, in this module's
// scope only (the test's globals are left alone), through process.getBuiltinModule (Node 20.16+),
// which no bundler tries to resolve.
const nodeFallback = (name) =>
  `var ${name} = globalThis.${name} ?? globalThis.process?.getBuiltinModule?.("node:util").${name};`;
await esbuild.build({
  entryPoints: [path.join(source, "index.js")],
  outfile: path.join(out, "index.cjs"),
  bundle: true,
  format: "cjs",
  platform: "neutral",
  target: "esnext",
  plugins: [snippetsAreTheSources],
  banner: { js: ["TextEncoder", "TextDecoder"].map(nodeFallback).join("\n") },
  legalComments: "none",
  logLevel: "warning",
});
const exportsOf = (entry) =>
  Object.values(esm.metafile.outputs).find((o) => o.entryPoint && path.basename(o.entryPoint) === entry).exports;
const all = exportsOf("index.js");
const callback = exportsOf("callback.js");
const missing = callback.filter((name) => !all.includes(name));
if (missing.length) throw new Error(`callback.cjs: index.js does not export ${missing.join(", ")}`);
writeFileSync(
  path.join(out, "callback.cjs"),
  `// markifact-connect/callback for require() (see index.cjs): the same instance as the main entry.
const all = require("./index.cjs");
module.exports = { ${callback.map((name) => `${name}: all.${name}`).join(", ")} };
`,
);
