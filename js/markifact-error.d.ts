import type { ErrorCode, Rule } from "./markifact_connect.js";

/** The one error class of the package: every failure is an instance, with a stable `code`. */
export declare class MarkifactError extends Error {
  readonly name: "MarkifactError";
  /** Stable machine-readable code; see the README's error table. */
  readonly code: ErrorCode;
  /** The argument or parameter concerned, e.g. `"redirectUrl"` or `"connection_id"`. */
  readonly field?: string;
  /** For validation failures: the rule that was broken, e.g. `"not_https"`. */
  readonly rule?: Rule;
  /** The HTTP status, when the API answered. */
  readonly status?: number;
  /** Whether the same call may succeed if made again later. */
  readonly retryable: boolean;
  /** How long the API asked to wait before retrying (from `Retry-After`), in ms. */
  readonly retryAfterMs?: number;
  /** The API's own error detail (`detail` of its JSON body, or the raw body, shortened). */
  readonly detail?: string;
  constructor(
    code: ErrorCode,
    message: string,
    details?: { field?: string; rule?: Rule; status?: number; retryable?: boolean; retryAfterMs?: number; detail?: string },
  );
}
