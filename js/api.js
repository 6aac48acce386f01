// The public API of the main entry, shared by its runtimes' files (index.js, edge.js).
// `parseRedirect` and `errorCodes` come from the small parser wasm, the rest from the main wasm
// (wasm-bindgen's bindings), each instantiated on first use (glue.js).
import * as main from "./markifact_connect_bg.js";
import { mainWasmReady as ready } from "./glue.js";

export function validateRedirectUrl(redirectUrl, options) {
  ready();
  return main.validateRedirectUrl(redirectUrl, options);
}

export function validateExternalId(externalId) {
  ready();
  return main.validateExternalId(externalId);
}

export function contextHeader(connectionIds) {
  ready();
  return main.contextHeader(connectionIds);
}

export { MarkifactClient } from "./client.js";
export { parseRedirect, errorCodes } from "./glue.js";
export { MarkifactError } from "./markifact-error.js";
export { openAuthLink, completeAuthRedirect } from "./connect.js";
