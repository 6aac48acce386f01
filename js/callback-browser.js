// `markifact-connect/callback` in browsers (bundlers or native ES modules): fetch and compile the
// wasm next to this file before any export is used, with a top-level await.
import init from "./markifact_connect_callback.js";

await init({ module_or_path: new URL("./markifact_connect_callback_bg.wasm", import.meta.url) });

export * from "./callback-api.js";
