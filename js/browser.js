// Browsers, through a bundler or as native ES modules: fetch and compile both wasm modules next
// to this file (bundlers rewrite the `new URL(..., import.meta.url)` asset references), in
// parallel, before any export is used, with a top-level await.
import init from "./markifact_connect.js";
import { instantiateParser } from "./glue.js";

await Promise.all([
  init({ module_or_path: new URL("./markifact_connect_bg.wasm", import.meta.url) }),
  instantiateParser(fetch(new URL("./markifact_connect_parser.wasm", import.meta.url))),
]);

export * from "./api.js";
