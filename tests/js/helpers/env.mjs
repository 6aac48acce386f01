// Paths and settings shared by the JS-side tests of the packed package.
import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** tests/js/ */
export const JS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** tests/js/node_modules/.bin/ (tsc, vite, wrangler). */
export const BIN_DIR = path.join(JS_DIR, "node_modules", ".bin");
/** Scratch folders, git-ignored, recreated by each test file. */
export const WORK_DIR = path.join(JS_DIR, ".work");
/** The shared vectors; MARKIFACT_VECTORS_DIR overrides (to try the runner on other vectors). */
export const VECTORS_DIR = process.env.MARKIFACT_VECTORS_DIR
  ? path.resolve(process.env.MARKIFACT_VECTORS_DIR)
  : path.resolve(JS_DIR, "..", "vectors");

/** The packed tarball under test (set by `cargo xtask test`). */
export function tarball() {
  const file = process.env.MARKIFACT_TARBALL;
  if (!file) throw new Error("MARKIFACT_TARBALL is not set: run these tests through `cargo xtask test`");
  if (!path.isAbsolute(file) || !existsSync(file)) {
    throw new Error(`MARKIFACT_TARBALL=${file} is not an existing absolute path`);
  }
  return file;
}

/** The Chromium to drive (set by `cargo xtask test`). */
export function chromiumPath() {
  const file = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  if (!existsSync(file)) throw new Error(`CHROMIUM_PATH=${file} does not exist`);
  return file;
}

/** A fresh, empty tests/js/.work/<name>/ (whatever an earlier run left there is removed). */
export function freshDir(name) {
  const dir = path.join(WORK_DIR, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Milliseconds since `start`, for the timing lines the tests print. */
export function since(start) {
  return Math.round(performance.now() - start);
}
