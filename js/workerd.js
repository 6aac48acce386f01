// Cloudflare Workers (workerd): wrangler imports a .wasm file as a compiled WebAssembly.Module,
// and workerd forbids compiling wasm from bytes at run time, so instantiate that module.
import wasmModule from "./markifact_connect_bg.wasm";
import { initSync } from "./markifact_connect.js";

initSync({ module: wasmModule });

export * from "./api.js";
