// Cloudflare Workers (wrangler) and the edge runtimes of Vercel and Next.js: they forbid compiling
// wasm from bytes at run time, and their bundlers import a `.wasm?module` file as a compiled
// `WebAssembly.Module`, which is instantiated on first use.
import parserWasm from "./markifact_connect_parser.wasm?module";
import mainWasm from "./markifact_connect_bg.wasm?module";
import { initSync } from "./markifact_connect.js";
import { wasmModules } from "./glue.js";

wasmModules(
  () => parserWasm,
  () => initSync({ module: thisRealm(mainWasm) }),
);

// Next.js's edge runtime hands over modules compiled in another realm, which wasm-bindgen's
// `instanceof WebAssembly.Module` test refuses (it then tries to compile them as bytes); the
// engine instantiates them all the same, so give them this realm's prototype.
function thisRealm(module) {
  return module instanceof WebAssembly.Module ? module : Object.setPrototypeOf(module, WebAssembly.Module.prototype);
}

export * from "./api.js";
