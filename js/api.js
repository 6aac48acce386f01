// The validators of the main entry, on the main wasm, for its runtimes' files (index.js, edge.js;
// `MarkifactClient` is made the same way in client.js). Each function is made for the entry's way
// of loading that wasm, by a call the entry marks pure, so an app's bundler drops the main wasm,
// most of the package's bytes, when the app uses none of them (only `parseRedirect` and the
// browser helpers, say). `parseRedirect` and `errorCodes` come from the parser wasm (glue.js).
import * as main from "./markifact_connect_bg.js";
import { mainWasmReady } from "./glue.js";

export const validateRedirectUrlOn = (loader) =>
  function validateRedirectUrl(redirectUrl, options) {
    mainWasmReady(loader);
    return main.validateRedirectUrl(redirectUrl, options);
  };

export const validateExternalIdOn = (loader) =>
  function validateExternalId(externalId) {
    mainWasmReady(loader);
    return main.validateExternalId(externalId);
  };

export const contextHeaderOn = (loader) =>
  function contextHeader(connectionIds) {
    mainWasmReady(loader);
    return main.contextHeader(connectionIds);
  };
