// The types of `markifact-connect/callback`: a subset of the main entry's (markifact_connect.d.ts,
// generated from the Rust code by wasm-bindgen and ts-rs).
export { parseRedirect, errorCodes } from "./glue.js";
export type {
  ErrorCode,
  ParseRedirectOptions,
  RedirectError,
  RedirectResult,
  RedirectSuccess,
  Rule,
} from "./markifact_connect.js";
export { MarkifactError } from "./markifact-error.js";
export * from "./connect.js";
