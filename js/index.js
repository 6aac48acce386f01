// The package's entry everywhere but in edge runtimes: browsers (through any bundler, or as
// native ES modules), Node, Deno and Bun. Both wasm modules are embedded in the package and
// compiled synchronously on first use: no file to fetch or read next to this module (which a
// bundler may not carry along, or a runtime may not permit), and no top-level await.
import * as bindings from "./markifact_connect_bg.js";
import { compileEmbedded, instantiateMain, wasmModules } from "./glue.js";
import { contextHeaderOn, validateExternalIdOn, validateRedirectUrlOn } from "./api.js";
import { markifactClientOn } from "./client.js";
import parserWasm from "./parser-wasm.js";
import mainWasm from "./main-wasm.js";

wasmModules(() => compileEmbedded(parserWasm));

// Pure calls: unused, a bundler drops them and with them main-wasm.js (see api.js).
const loadMain = () => instantiateMain(bindings, compileEmbedded(mainWasm));
export const validateRedirectUrl = /* @__PURE__ */ validateRedirectUrlOn(loadMain);
export const validateExternalId = /* @__PURE__ */ validateExternalIdOn(loadMain);
export const contextHeader = /* @__PURE__ */ contextHeaderOn(loadMain);
export const MarkifactClient = /* @__PURE__ */ markifactClientOn(loadMain);

export { parseRedirect, errorCodes } from "./glue.js";
export { MarkifactError } from "./markifact-error.js";
export { openAuthLink, completeAuthRedirect } from "./connect.js";
