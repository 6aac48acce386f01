// `markifact-connect/callback` in Node 18+ (and Deno): compile the wasm synchronously at import.
import { readFileSync } from "node:fs";
import { initSync } from "./markifact_connect_callback.js";

initSync({ module: readFileSync(new URL("./markifact_connect_callback_bg.wasm", import.meta.url)) });

export * from "./callback-api.js";
