// Browsers, through a bundler or as native ES modules: fetch and compile the wasm next to this
// file (bundlers rewrite the `new URL(..., import.meta.url)` asset reference) before any export
// is used, with a top-level await.
import init from "./markifact_connect.js";

await init({ module_or_path: new URL("./markifact_connect_bg.wasm", import.meta.url) });

export * from "./api.js";
