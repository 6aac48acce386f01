// The public API, shared by every entry point once it has initialised the wasm module.
export {
  parseRedirect,
  validateRedirectUrl,
  validateExternalId,
  contextHeader,
  errorCodes,
  MarkifactClient,
} from "./markifact_connect.js";
export { MarkifactError } from "./markifact-error.js";
