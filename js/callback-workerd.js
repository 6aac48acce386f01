// `markifact-connect/callback` in Cloudflare Workers: wrangler imports the .wasm as a compiled
// WebAssembly.Module (workerd forbids compiling wasm from bytes), which is instantiated here.
import wasmModule from "./markifact_connect_parser.wasm";
import { useInstance } from "./parser-glue.js";

useInstance(new WebAssembly.Instance(wasmModule));

export * from "./callback-api.js";
