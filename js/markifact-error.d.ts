import type { ErrorCode, Rule } from "./api.js";

/** The one error class of the package: every failure is an instance, with a stable `code`. */
export declare class MarkifactError extends Error {
  readonly name: "MarkifactError";
  /** Stable machine-readable code; see the README's error table. */
  readonly code: ErrorCode;
  /** The argument or parameter concerned, e.g. `"redirectUrl"` or `"connection_id"`. */
  readonly field?: string;
  /** For validation failures: the rule that was broken, e.g. `"not_https"`. */
  readonly rule?: Rule;
  constructor(code: ErrorCode, message: string, details?: { field?: string; rule?: Rule });
}
