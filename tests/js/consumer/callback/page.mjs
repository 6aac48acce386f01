// Chromium: the callback entry through the import map (callback.js, the parser wasm embedded).
import * as callback from "markifact-connect/callback";
import * as main from "markifact-connect";
import { VECTOR_FILES, withHostile } from "/vector-runner.mjs";
import { checkCallback } from "/shared.mjs";

try {
  const files = {};
  for (const name of VECTOR_FILES) files[name] = await (await fetch(`/vectors/${name}.json`)).json();
  const hostile = await (await fetch("/vectors/hostile.json")).json();
  window.__report = checkCallback(callback, main, withHostile(files, hostile));
} catch (error) {
  window.__report = { fatal: String(error?.stack ?? error) };
}
