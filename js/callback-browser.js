// `markifact-connect/callback` in browsers (bundlers or native ES modules): fetch and compile the
// parser wasm next to this file (bundlers rewrite the `new URL(..., import.meta.url)` asset
// reference) before any export is used, with a top-level await.
import { instantiateParser } from "./glue.js";

await instantiateParser(fetch(new URL("./markifact_connect_parser.wasm", import.meta.url)));

export { parseRedirect, errorCodes } from "./glue.js";
export { MarkifactError } from "./markifact-error.js";
export { openAuthLink, completeAuthRedirect } from "./connect.js";
