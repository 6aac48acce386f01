// Cloudflare Workers (wrangler) and the edge runtimes of Vercel and Next.js: they forbid compiling
// wasm from bytes at run time, and their bundlers import a `.wasm?module` file as a compiled
// `WebAssembly.Module`, which is instantiated on first use (a module Next's edge runtime hands
// over from another realm instantiates all the same).
import parserWasm from "./markifact_connect_parser.wasm?module";
import mainWasm from "./markifact_connect_bg.wasm?module";
import * as bindings from "./markifact_connect_bg.js";
import { instantiateMain, wasmModules } from "./glue.js";
import { contextHeaderOn, validateExternalIdOn, validateRedirectUrlOn } from "./api.js";
import { markifactClientOn } from "./client.js";

wasmModules(() => parserWasm);

// Pure calls, as in index.js.
const loadMain = () => instantiateMain(bindings, mainWasm);
export const validateRedirectUrl = /* @__PURE__ */ validateRedirectUrlOn(loadMain);
export const validateExternalId = /* @__PURE__ */ validateExternalIdOn(loadMain);
export const contextHeader = /* @__PURE__ */ contextHeaderOn(loadMain);
export const MarkifactClient = /* @__PURE__ */ markifactClientOn(loadMain);

export { parseRedirect, errorCodes } from "./glue.js";
export { MarkifactError } from "./markifact-error.js";
export { openAuthLink, completeAuthRedirect } from "./connect.js";
