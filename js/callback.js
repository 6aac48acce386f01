// `markifact-connect/callback` everywhere but in edge runtimes: the parser wasm alone, embedded
// and compiled on first use (see index.js).
import { compileEmbedded, wasmModules } from "./glue.js";
import parserWasm from "./parser-wasm.js";

wasmModules(() => compileEmbedded(parserWasm));

// The callback API, listed in each callback entry rather than in a shared module: one module
// fewer to load at start-up.
export { parseRedirect, errorCodes } from "./glue.js";
export { MarkifactError } from "./markifact-error.js";
export { openAuthLink, completeAuthRedirect } from "./connect.js";
