// The `markifact-connect/callback` API: the redirect parser alone, from its own small wasm (the
// same Rust parser as the main entry, built without the client), and the browser helpers, for
// OAuth callback pages and the buttons that open the consent page.
import { parseRedirect } from "./parser-glue.js";
import { connectHelpers } from "./connect.js";

export { parseRedirect, errorCodes } from "./parser-glue.js";
export { MarkifactError } from "./markifact-error.js";
export const { openAuthLink, completeAuthRedirect } = connectHelpers(parseRedirect);
