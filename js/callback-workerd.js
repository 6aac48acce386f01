// `markifact-connect/callback` in Cloudflare Workers: wrangler imports the .wasm as a compiled
// WebAssembly.Module (workerd forbids compiling wasm from bytes), which is instantiated here.
import parserModule from "./markifact_connect_parser.wasm";
import { useInstance } from "./glue.js";

useInstance(new WebAssembly.Instance(parserModule));

export { parseRedirect, errorCodes } from "./glue.js";
export { MarkifactError } from "./markifact-error.js";
export { openAuthLink, completeAuthRedirect } from "./connect.js";
