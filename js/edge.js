// Cloudflare Workers (wrangler) and the edge runtimes of Vercel and Next.js: they forbid compiling
// wasm from bytes at run time, and their bundlers import a `.wasm?module` file as a compiled
// `WebAssembly.Module`, which is instantiated on first use (a module Next's edge runtime hands
// over from another realm instantiates all the same).
import parserWasm from "./markifact_connect_parser.wasm?module";
import mainWasm from "./markifact_connect_bg.wasm?module";
import * as bindings from "./markifact_connect_bg.js";
import { instantiateMain, wasmModules } from "./glue.js";

wasmModules(
  () => parserWasm,
  () => instantiateMain(bindings, mainWasm),
);

export * from "./api.js";
