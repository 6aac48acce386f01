// The package's entry everywhere but in edge runtimes: browsers (through any bundler, or as
// native ES modules), Node, Deno and Bun. Both wasm modules are embedded in the package and
// compiled synchronously on first use: no file to fetch or read next to this module (which a
// bundler may not carry along, or a runtime may not permit), and no top-level await.
import * as bindings from "./markifact_connect_bg.js";
import { compileEmbedded, instantiateMain, wasmModules } from "./glue.js";
import parserWasm from "./parser-wasm.js";
import mainWasm from "./main-wasm.js";

wasmModules(
  () => compileEmbedded(parserWasm),
  () => instantiateMain(bindings, compileEmbedded(mainWasm)),
);

export * from "./api.js";
