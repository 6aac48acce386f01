// `markifact-connect/callback` in Node 18+ (and Deno): compile the wasm synchronously at import.
import { useInstance } from "./parser-glue.js";

// `getBuiltinModule` (Node 20.16+) skips loading node:fs as an ES module, a millisecond at start-up.
const { readFileSync } = globalThis.process?.getBuiltinModule?.("node:fs") ?? (await import("node:fs"));

const bytes = readFileSync(new URL("./markifact_connect_parser.wasm", import.meta.url));
useInstance(new WebAssembly.Instance(new WebAssembly.Module(bytes)));

export * from "./callback-api.js";
