// The package's types. The function signatures and the data types are generated from the Rust
// code by wasm-bindgen and ts-rs (see src/wasm/); this file only selects the public ones.
export {
  parseRedirect,
  validateRedirectUrl,
  validateExternalId,
  contextHeader,
  errorCodes,
} from "./markifact_connect.js";
export type {
  RedirectResult,
  RedirectSuccess,
  RedirectError,
  ParseRedirectOptions,
  ValidateRedirectUrlOptions,
  ErrorCode,
  Rule,
} from "./markifact_connect.js";
export { MarkifactError } from "./markifact-error.js";
