// The main wasm (the client and the validators), instantiated when first needed: an app that only
// parses redirects never compiles it (`parseRedirect` has its own small wasm, see parser-glue.js).
let load;

/** Called by the entry at import: how to instantiate the main wasm, synchronously. */
export function loadMainWasm(loader) {
  load = loader;
}

/** Instantiates the main wasm unless that is done; every wrapper in api.js calls it first. */
export function mainWasmReady() {
  if (load) {
    load();
    load = undefined;
  }
}
