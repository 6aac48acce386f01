// The types of `markifact-connect/callback`: a subset of the main entry's (api.d.ts, generated
// from the Rust code by wasm-bindgen and ts-rs, is written by `cargo xtask pkg`).
export { parseRedirect, errorCodes } from "./glue.js";
export type {
  ErrorCode,
  ParseRedirectOptions,
  RedirectError,
  RedirectResult,
  RedirectSuccess,
  Rule,
} from "./api.js";
export { MarkifactError } from "./markifact-error.js";
export * from "./connect.js";
