// A fresh consumer folder with the packed tarball installed by the real npm, as a user would.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { freshDir, tarball } from "./env.mjs";
import { runOk } from "./proc.mjs";

/**
 * Creates tests/js/.work/<name>/ with a package.json (plus `packageJson` fields), runs
 * `npm install <tarball>` there and returns the folder. Offline: the package has no dependencies.
 * The tarball is MARKIFACT_TARBALL unless `options.tarball` names another.
 */
export async function consumerWithTarball(name, packageJson = {}, { tarball: file = tarball() } = {}) {
  const dir = freshDir(name);
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: `consumer-${name}`, private: true, type: "module", ...packageJson }, null, 2),
  );
  await runOk(
    "npm",
    ["install", "--no-audit", "--no-fund", "--no-update-notifier", "--offline", "--loglevel=error", file],
    { cwd: dir, timeout: 120_000 },
  );
  const installed = path.join(dir, "node_modules", "markifact-connect", "package.json");
  if (!existsSync(installed)) throw new Error(`npm install left no ${installed}`);
  const dependencies = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).dependencies ?? {};
  if (!dependencies["markifact-connect"]) throw new Error("npm install did not record markifact-connect in package.json");
  // What was installed is the tarball under test, not something from npm's cache.
  const packed = spawnSync("tar", ["-xzOf", file, "package/markifact_connect_bg.wasm"], {
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (packed.status !== 0) throw new Error(`tar could not read the tarball: ${packed.stderr}`);
  const wasm = readFileSync(path.join(dir, "node_modules", "markifact-connect", "markifact_connect_bg.wasm"));
  if (!wasm.equals(packed.stdout)) throw new Error("the installed wasm differs from the tarball's");
  return dir;
}
