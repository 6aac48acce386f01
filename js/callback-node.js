// `markifact-connect/callback` in Node 20.16+ (and Deno, Bun): compile the parser wasm
// synchronously at import (see node.js for `getBuiltinModule`).
import { useInstance } from "./glue.js";

const { readFileSync } = process.getBuiltinModule("node:fs");
const parser = readFileSync(new URL("./markifact_connect_parser.wasm", import.meta.url));
useInstance(new WebAssembly.Instance(new WebAssembly.Module(parser)));

// The callback API, listed in each callback-*.js rather than in a shared module: one module
// fewer to load at start-up.
export { parseRedirect, errorCodes } from "./glue.js";
export { MarkifactError } from "./markifact-error.js";
export { openAuthLink, completeAuthRedirect } from "./connect.js";
