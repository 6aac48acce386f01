// The types of `markifact-connect/callback`, generated from the Rust code by wasm-bindgen and
// ts-rs (callback-api.d.ts is written by `cargo xtask pkg`).
export * from "./callback-api.js";
export * from "./connect.js";
