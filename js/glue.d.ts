// The two public functions of the parser wasm's hand-written glue (js/glue.js, which the package
// build bundles into the entries' shared chunk); the types they use are generated from the Rust
// types (markifact_connect.d.ts).
import type { ErrorCode, ParseRedirectOptions, RedirectResult } from "./markifact_connect.js";

/**
 * Parses the URL Markifact redirected the user's browser to (e.g. `location.href`). Throws a
 * `MarkifactError` (`invalid_url`, `input_too_long`, `missing_status`, `invalid_status`,
 * `missing_parameter`, `duplicate_parameter`, `redirect_mismatch`, `invalid_redirect_url`,
 * `invalid_argument`). The redirect is a claim, not proof: confirm it server-side.
 */
export function parseRedirect(url: string, options?: ParseRedirectOptions | null): RedirectResult;

/** The stable error codes, for `switch` statements and documentation. */
export function errorCodes(): ErrorCode[];
