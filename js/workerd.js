// Cloudflare Workers (workerd): wrangler imports a .wasm file as a compiled WebAssembly.Module,
// and workerd forbids compiling wasm from bytes at run time, so instantiate those modules: the
// parser's at import, the main one (client, validators) on first use.
import mainModule from "./markifact_connect_bg.wasm";
import parserModule from "./markifact_connect_parser.wasm";
import { initSync } from "./markifact_connect.js";
import { loadMainWasm, useInstance } from "./glue.js";

useInstance(new WebAssembly.Instance(parserModule));
loadMainWasm(() => initSync({ module: mainModule }));

export * from "./api.js";
