// Generated from the Rust types by tests/typescript_types.rs; do not edit.
export type RedirectResult = { "status": "success" } & RedirectSuccess | { "status": "error" } & RedirectError;
export type RedirectSuccess = { 
/**
 * The connection type, e.g. `gads`.
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
export type ErrorCode = "invalid_url" | "input_too_long" | "missing_status" | "invalid_status" | "missing_parameter" | "duplicate_parameter" | "redirect_mismatch" | "invalid_redirect_url" | "invalid_external_id" | "invalid_argument" | "internal" | "invalid_request" | "unauthorized" | "not_found" | "rate_limited" | "http_error" | "timeout" | "network" | "aborted" | "invalid_response" | "verification_failed" | "connection_failed" | "browser_key_refused" | "popup_blocked" | "wasm_unavailable";
export type Rule = "too_long" | "empty" | "whitespace_or_control" | "not_a_url" | "not_https" | "non_ascii_host" | "userinfo" | "fragment" | "wrong_type" | "invalid_unicode";
export type Connection = { 
/**
 * Markifact's id. The schema calls it nullable, so `None` is tolerated.
 */
id?: string, 
/**
 * The connection type, e.g. `gads`.
 */
type: string, 
/**
 * `true` when only the key's user sees it, `false` when shared with the workspace.
 */
isPrivate: boolean, 
/**
 * The account's display name, when the provider gave one.
 */
displayName?: string, 
/**
 * The app's `external_id` given at link creation.
 */
externalId?: string, 
/**
 * Creation time (ms since the epoch).
 */
createdAt?: number, 
/**
 * Last update time (ms since the epoch).
 */
updatedAt?: number, };
export type AuthLinkStatus = { 
/**
 * The auth link id.
 */
id: string, 
/**
 * Where the link is in its lifecycle.
 */
status: AuthLinkState, 
/**
 * The connection type the link was created for.
 */
connectionType: string, 
/**
 * When the link expires or expired (ms since the epoch).
 */
expiresAt: number, 
/**
 * Creation time (ms since the epoch).
 */
createdAt: number, 
/**
 * Last update time (ms since the epoch).
 */
updatedAt: number, 
/**
 * The connection the link produced, once connected.
 */
connectionId?: string, 
/**
 * The `external_id` given at creation.
 */
externalId?: string, 
/**
 * When the link was used (ms since the epoch).
 */
consumedAt?: number, 
/**
 * Exactly the produced connection while it still exists; empty when pending, expired, or
 * deleted since (so `connection_id` may be set while this is empty).
 */
connections: Array<Connection>, };
export type AuthLinkState = "pending" | "connected" | "expired";
export type AuthLink = { 
/**
 * The auth link id, for the status endpoint.
 */
id: string, 
/**
 * The hosted URL to send the user to.
 */
url: string, 
/**
 * When the link expires (ms since the epoch).
 */
expiresAt: number, 
/**
 * Human-readable warnings; empty when there is nothing to say.
 */
warnings: Array<string>, };
export type ConnectionType = { 
/**
 * The type id to pass as `connection_type`, e.g. `gads`.
 */
id: string, 
/**
 * A display name, when the API gave one.
 */
name?: string, };
export type MarkifactClientOptions = { 
/**
 * The secret API key (server-side only). Leave it out when `baseUrl` is your own proxy.
 */
apiKey?: string, 
/**
 * Default `https://api.markifact.com`; `http://127.0.0.1:8787` for the sandbox; a path
 * such as `/api/markifact` for your own proxy (no `apiKey` then).
 */
baseUrl?: string, 
/**
 * Per attempt, in ms (default 30000).
 */
timeoutMs?: number, 
/**
 * Automatic retries of GET requests (default 2). POST and DELETE are never retried.
 */
maxRetries?: number, 
/**
 * The `fetch` to use (default: the global one).
 */
fetch?: (input: string, init: FetchInit) => PromiseLike<FetchResponse>, 
/**
 * Extra headers for every request (they cannot replace `authorization` or
 * `content-type`).
 */
headers?: Record<string, string>, 
/**
 * Construct with `apiKey` in a browser anyway. The key is then visible to every user of
 * the page.
 */
dangerouslyAllowBrowser?: boolean, 
/**
 * Accept `http://localhost` redirect URLs (for the sandbox).
 */
allowInsecureLocalhost?: boolean, 
/**
 * Called with each warning about link-creation inputs (also returned in `warnings`).
 */
onWarning?: (warning: string) => void, };
export type CallOptions = { 
/**
 * Cancels the call: it rejects with `aborted`.
 */
signal?: AbortSignalLike, };
export type CreateAuthLinkParams = { 
/**
 * The connection type, e.g. `gads` (see `listConnectionTypes`).
 */
connectionType: string, 
/**
 * Where Markifact sends the browser afterwards.
 */
redirectUrl?: string, 
/**
 * Your opaque id for the user or account.
 */
externalId?: string, 
/**
 * `true` for a connection only the key's user sees.
 */
isPrivate?: boolean, };
export type WaitForAuthLinkOptions = { 
/**
 * Cancels the call: it rejects with `aborted`.
 */
signal?: AbortSignalLike, 
/**
 * Give up after this many ms (default 600000), with a `timeout` error.
 */
timeoutMs?: number, 
/**
 * Called with each status read while waiting.
 */
onPoll?: (status: AuthLinkStatus) => void, };
export type ListConnectionsOptions = { 
/**
 * Cancels the call: it rejects with `aborted`.
 */
signal?: AbortSignalLike, 
/**
 * Only the connections created with this `externalId`.
 */
externalId?: string, 
/**
 * Only the connections of this type.
 */
type?: string, };
export type GetConnectionOptions = { 
/**
 * Cancels the call: it rejects with `aborted`.
 */
signal?: AbortSignalLike, 
/**
 * Whether the id is Markifact's (default) or your `externalId`.
 */
lookupBy?: "id" | "externalId", };
export type VerifyRedirectOptions = { 
/**
 * Cancels the call: it rejects with `aborted`.
 */
signal?: AbortSignalLike, 
/**
 * The auth link the redirect belongs to: the strongest check.
 */
authLinkId?: string, 
/**
 * Your id for the user; required without `authLinkId`.
 */
expectedExternalId?: string, 
/**
 * The connection type you asked for.
 */
expectedConnectionType?: string, 
/**
 * The `redirectUrl` given at link creation, for an exact parse.
 */
redirectUrl?: string, };
