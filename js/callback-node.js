// `markifact-connect/callback` in Node 18+ (and Deno): compile the wasm synchronously at import.
import { readFileSync } from "node:fs";
import { useInstance } from "./parser-glue.js";

const bytes = readFileSync(new URL("./markifact_connect_parser.wasm", import.meta.url));
useInstance(new WebAssembly.Instance(new WebAssembly.Module(bytes)));

export * from "./callback-api.js";
