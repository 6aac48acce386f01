// The public API, shared by every entry point. `parseRedirect` and `errorCodes` come from the
// small parser wasm, ready at import; the rest from the main wasm, which the entry may have
// instantiated already (browsers) or instantiates on first use (see main-wasm.js).
import * as main from "./markifact_connect.js";
import { parseRedirect } from "./parser-glue.js";
import { connectHelpers } from "./connect.js";
import { mainWasmReady as ready } from "./main-wasm.js";

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

export class MarkifactClient extends main.MarkifactClient {
  constructor(options) {
    ready();
    super(options);
  }
}

export { parseRedirect, errorCodes } from "./parser-glue.js";
export { MarkifactError } from "./markifact-error.js";
export const { openAuthLink, completeAuthRedirect } = connectHelpers(parseRedirect);
