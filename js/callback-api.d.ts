// The declarations of `markifact-connect/callback`'s API: a subset of the main entry's, which are
// generated from the Rust types (api.d.ts, written by `cargo xtask pkg`).
export { parseRedirect, errorCodes } from "./api.js";
export type {
  ErrorCode,
  ParseRedirectOptions,
  RedirectError,
  RedirectResult,
  RedirectSuccess,
  Rule,
} from "./api.js";
export { MarkifactError } from "./markifact-error.js";
