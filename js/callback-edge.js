// `markifact-connect/callback` in Cloudflare Workers and the Vercel and Next.js edge runtimes
// (see edge.js).
import parserWasm from "./markifact_connect_parser.wasm?module";
import { wasmModules } from "./glue.js";

wasmModules(() => parserWasm);

export { parseRedirect, errorCodes } from "./glue.js";
export { MarkifactError } from "./markifact-error.js";
export { openAuthLink, completeAuthRedirect } from "./connect.js";
