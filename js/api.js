// The public API, shared by every entry point once it has initialised the wasm module.
import { parseRedirect } from "./markifact_connect.js";
import { connectHelpers } from "./connect.js";

export {
  parseRedirect,
  validateRedirectUrl,
  validateExternalId,
  contextHeader,
  errorCodes,
  MarkifactClient,
} from "./markifact_connect.js";
export { MarkifactError } from "./markifact-error.js";
export const { openAuthLink, completeAuthRedirect } = connectHelpers(parseRedirect);
