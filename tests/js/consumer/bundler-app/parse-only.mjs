// A callback page's script written against the main entry (not `markifact-connect/callback`): it
// uses only the parser, the error class and the browser helpers, so its bundle must leave the
// main wasm out (bundlers.test.mjs builds it with each bundler and runs it in Node).
import { parseRedirect, openAuthLink, MarkifactError } from "markifact-connect";

const REDIRECT = "https://app.example.com/cb?status=success&connection_type=gads&connection_id=c_parse_only";
let refused;
try {
  parseRedirect("https://app.example.com/cb?status=pending");
} catch (error) {
  refused = { markifactError: error instanceof MarkifactError, code: error.code };
}
console.log(JSON.stringify({ result: parseRedirect(REDIRECT), refused, helpers: typeof openAuthLink }));
