// The package's types: the API of the main wasm with the types generated from the Rust code
// (markifact_connect.d.ts, written by wasm-bindgen and ts-rs), the parser's functions, the error
// class, the client and the browser helpers.
export * from "./markifact_connect.js";
export { parseRedirect, errorCodes } from "./glue.js";
export { MarkifactError } from "./markifact-error.js";
export * from "./client.js";
export * from "./connect.js";
