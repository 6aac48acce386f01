// Node 18+ (and Deno): compile the wasm synchronously at import, so no init call is needed.
import { readFileSync } from "node:fs";
import { initSync } from "./markifact_connect.js";

initSync({ module: readFileSync(new URL("./markifact_connect_bg.wasm", import.meta.url)) });

export * from "./api.js";
