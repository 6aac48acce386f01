// The benchmark's inputs, shared with the native harness (benches/parse.rs builds the same ones).
import { readFileSync } from "node:fs";

export const INPUTS = readFileSync(new URL("../inputs.txt", import.meta.url), "utf8")
  .split("\n")
  .filter((line) => line.length > 0);

const TAIL = "&status=success&connection_type=gads&connection_id=conn_1";

/** A success redirect of exactly `bytes` bytes: one app parameter padded with `x`. */
export function ofLength(bytes) {
  const head = "https://app.example.com/oauth/callback?state=s_123&pad=";
  return head + "x".repeat(bytes - head.length - TAIL.length) + TAIL;
}

/** A success redirect with `count` app parameters `p<i>=v<i>` before Markifact's. */
export function withParams(count) {
  let url = "https://app.example.com/oauth/callback?";
  for (let i = 0; i < count; i++) url += `p${i}=v${i}&`;
  return url + TAIL.slice(1);
}

export const LENGTHS = [1024, 2048, 4096, 8192, 16384];
export const PARAM_COUNTS = [1, 10, 100, 1000];
