// Node 18+ (and Deno): no init call is needed. The parser wasm is compiled at import; the main
// wasm (client, validators) synchronously on first use, so an app that only parses never pays
// for compiling it.
import { initSync } from "./markifact_connect.js";
import { useInstance } from "./parser-glue.js";
import { loadMainWasm } from "./main-wasm.js";

// `getBuiltinModule` (Node 20.16+) skips loading node:fs as an ES module, a millisecond at start-up.
const { readFileSync } = globalThis.process?.getBuiltinModule?.("node:fs") ?? (await import("node:fs"));

const wasm = (name) => readFileSync(new URL(name, import.meta.url));
useInstance(new WebAssembly.Instance(new WebAssembly.Module(wasm("./markifact_connect_parser.wasm"))));
loadMainWasm(() => initSync({ module: wasm("./markifact_connect_bg.wasm") }));

export * from "./api.js";
