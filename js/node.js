// Node 20.16+ (and Deno, Bun): no init call is needed. The parser wasm is compiled at import; the
// main wasm (client, validators) synchronously on first use, so an app that only parses never
// pays for compiling it. `node:fs` through `process.getBuiltinModule`: an ES import of it costs a
// millisecond at start-up, and top-level await would break `require()` of the package.
import { initSync } from "./markifact_connect.js";
import { loadMainWasm, useInstance } from "./glue.js";

const { readFileSync } = process.getBuiltinModule("node:fs");
const parser = readFileSync(new URL("./markifact_connect_parser.wasm", import.meta.url));
useInstance(new WebAssembly.Instance(new WebAssembly.Module(parser)));
loadMainWasm(() => initSync({ module: readFileSync(new URL("./markifact_connect_bg.wasm", import.meta.url)) }));

export * from "./api.js";
