// Node: imports `markifact-connect/callback` by name from a fresh consumer folder (the exports map
// picks callback.js) and prints one JSON report line.
import * as callback from "markifact-connect/callback";
import * as main from "markifact-connect";
import { readFileSync } from "node:fs";
import { checkCallback } from "./shared.mjs";

const report = checkCallback(callback, main, JSON.parse(readFileSync("vectors.json", "utf8")));
console.log(JSON.stringify(report));
