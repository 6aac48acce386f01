// The `markifact-connect/callback` API: the redirect parser alone, from its own small wasm (the
// same Rust parser as the main entry, built without the client), for OAuth callback pages.
export { parseRedirect, errorCodes } from "./markifact_connect_callback.js";
export { MarkifactError } from "./markifact-error.js";
