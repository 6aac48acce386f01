// The declarations of `markifact-connect/callback`'s API: a subset of the main entry's.
export { parseRedirect, errorCodes } from "./parser-glue.js";
export type {
  ErrorCode,
  ParseRedirectOptions,
  RedirectError,
  RedirectResult,
  RedirectSuccess,
  Rule,
} from "./api.js";
export { MarkifactError } from "./markifact-error.js";
