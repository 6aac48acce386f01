// Cloudflare Workers (wrangler) and the edge runtimes of Vercel and Next.js: they forbid compiling
// wasm from bytes at run time, and their bundlers import a `.wasm?module` file as a compiled
// `WebAssembly.Module`, which is instantiated on first use.
import parserWasm from "./markifact_connect_parser.wasm?module";
import mainWasm from "./markifact_connect_bg.wasm?module";
import { initSync } from "./markifact_connect.js";
import { wasmModules } from "./glue.js";

wasmModules(
  () => parserWasm,
  () => initSync({ module: mainWasm }),
);

export * from "./api.js";
