// `markifact-connect/callback` in browsers (bundlers or native ES modules): fetch and compile the
// wasm next to this file (bundlers rewrite the `new URL(..., import.meta.url)` asset reference)
// before any export is used, with a top-level await.
import { useInstance } from "./callback-glue.js";

const response = await fetch(new URL("./markifact_connect_callback_bg.wasm", import.meta.url));
// Streaming compilation needs the wasm MIME type, which not every server sends.
const { instance } = response.headers.get("content-type")?.startsWith("application/wasm")
  ? await WebAssembly.instantiateStreaming(response)
  : await WebAssembly.instantiate(await response.arrayBuffer());
useInstance(instance);

export * from "./callback-api.js";
