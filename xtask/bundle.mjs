// The npm package's JavaScript, bundled by esbuild (run as a library by `cargo xtask pkg`): each
// entry one module, with the code entries share in shared chunks (one `MarkifactError` class and
// one parser instance, whichever entries a page imports). wasm-bindgen's output is used as it is:
// its imports of its copies of js/ modules (its "snippets") resolve to the package's own modules.
//
// node xtask/bundle.mjs <esbuild's package folder> <source folder> <output folder>
import { createRequire } from "node:module";
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

await esbuild.build({
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
});
