// Node 18+ (and Deno): no init call is needed. The parser wasm is compiled at import; the main
// wasm (client, validators) synchronously on first use, so an app that only parses never pays
// for compiling it.
import { readFileSync } from "node:fs";
import { initSync } from "./markifact_connect.js";
import { useInstance } from "./parser-glue.js";
import { loadMainWasm } from "./main-wasm.js";

const wasm = (name) => readFileSync(new URL(name, import.meta.url));
useInstance(new WebAssembly.Instance(new WebAssembly.Module(wasm("./markifact_connect_parser.wasm"))));
loadMainWasm(() => initSync({ module: wasm("./markifact_connect_bg.wasm") }));

export * from "./api.js";
