// The package's types, generated from the Rust code by wasm-bindgen and ts-rs (api.d.ts is
// written by `cargo xtask pkg`), and the browser helpers' declarations.
export * from "./api.js";
export * from "./client.js";
export * from "./connect.js";
