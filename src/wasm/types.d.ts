// Generated from the Rust types by tests/typescript_types.rs; do not edit.
export type RedirectResult = { "status": "success" } & RedirectSuccess | { "status": "error" } & RedirectError;
export type RedirectSuccess = { 
/**
 * The connection type, e.g. `google_ads`.
 */
connectionType: string, 
/**
 * Markifact's id of the new connection.
 */
connectionId: string, 
/**
 * The `external_id` given at link creation, when there was one.
 */
externalId?: string, 
/**
 * The app's own query parameters, decoded, in order.
 */
appParams: Array<[string, string]>, };
export type RedirectError = { 
/**
 * The connection type, when Markifact sent it.
 */
connectionType?: string, 
/**
 * The `external_id` given at link creation, when there was one.
 */
externalId?: string, 
/**
 * Markifact's human-readable message, decoded; for logs or a generic retry prompt, not for
 * logic. Empty if Markifact sent none.
 */
error: string, 
/**
 * The app's own query parameters, decoded, in order.
 */
appParams: Array<[string, string]>, };
export type ParseRedirectOptions = { 
/**
 * The `redirect_url` given when the auth link was created. With it the parse is exact: the
 * app's parameters are exactly those of this URL, Markifact's are what was appended after them,
 * and a redirect that does not extend this URL is rejected with
 * [`ErrorCode::RedirectMismatch`].
 */
redirectUrl?: string, };
export type ValidateRedirectUrlOptions = { 
/**
 * Also accept `http://localhost`, `http://127.0.0.1` and `http://[::1]` (any port), for local
 * development against the sandbox. The real Markifact API refuses these.
 */
allowInsecureLocalhost?: boolean, };
export type ErrorCode = "invalid_url" | "input_too_long" | "missing_status" | "invalid_status" | "missing_parameter" | "duplicate_parameter" | "redirect_mismatch" | "invalid_redirect_url" | "invalid_external_id" | "invalid_argument" | "internal" | "invalid_request" | "unauthorized" | "not_found" | "rate_limited" | "http_error" | "timeout" | "network" | "aborted" | "invalid_response" | "verification_failed" | "browser_key_refused";
export type Rule = "too_long" | "empty" | "whitespace_or_control" | "not_a_url" | "not_https" | "non_ascii_host" | "userinfo" | "fragment" | "wrong_type" | "invalid_unicode";
