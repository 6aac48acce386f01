// examples/nextjs installed in a fresh folder as a user would have it: the example's files, and
// its dependencies installed by the real npm (`npm ci --offline`) into its own node_modules. The
// versions of next, react, react-dom, typescript and the @types are the ones tests/js pins (its
// package-lock.json), so npm takes them from its cache, which tests/js's install filled; the
// markifact-connect dependency is the tarball under test.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { JS_DIR, tarball } from "./env.mjs";
import { runOk } from "./proc.mjs";

/** examples/nextjs/; MARKIFACT_NEXTJS_EXAMPLE_DIR overrides (to check that the tests catch a broken copy). */
export const NEXTJS_EXAMPLE_DIR = process.env.MARKIFACT_NEXTJS_EXAMPLE_DIR
  ? path.resolve(process.env.MARKIFACT_NEXTJS_EXAMPLE_DIR)
  : path.resolve(JS_DIR, "..", "..", "examples", "nextjs");

// What a copy of the example leaves out: installs, build output and local files.
const SKIP = new Set(["node_modules", ".next", "next-env.d.ts", "tsconfig.tsbuildinfo", ".env.local"]);

/**
 * A fresh, empty <tmpdir>/markifact-connect-tests/<name>/. Not under tests/js/: Next.js takes the
 * outermost folder with a lockfile for the workspace root, which would then be tests/js (a
 * build warning, and Turbopack could resolve from tests/js/node_modules what the app's own
 * install lacks).
 */
export function freshAppDir(name) {
  const dir = path.join(tmpdir(), "markifact-connect-tests", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Copies examples/nextjs into freshAppDir(name) and installs its dependencies there with
 * `npm ci --offline`. Resolves to `{ dir, versions }` (`versions`: what was installed).
 */
export async function installNextExample(name, { tarball: packed = tarball(), example = NEXTJS_EXAMPLE_DIR } = {}) {
  const dir = freshAppDir(name);
  // A snapshot of the tarball: what is installed and checked is one file, even if the original
  // is rebuilt meanwhile.
  const file = `${dir}-markifact-connect.tgz`;
  copyFileSync(packed, file);
  cpSync(example, dir, {
    recursive: true,
    filter: (source) => !SKIP.has(path.basename(source)) || path.dirname(source) !== example,
  });
  const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
  const { packageJson, lockfile, versions } = lockfileFor(manifest, file);
  writeFileSync(path.join(dir, "package.json"), `${JSON.stringify(packageJson, null, 2)}\n`);
  writeFileSync(path.join(dir, "package-lock.json"), `${JSON.stringify(lockfile, null, 2)}\n`);
  await runOk(
    "npm",
    ["ci", "--offline", "--no-audit", "--no-fund", "--no-update-notifier", "--loglevel=error"],
    { cwd: dir, timeout: 180_000 },
  );
  checkInstalledTarball(dir, file);
  return { dir, versions };
}

/**
 * The example's package.json with each dependency pinned to the version tests/js installed
 * (which must satisfy the example's range, checked loosely: same major), markifact-connect
 * pointing at the tarball, and a lockfile of exactly that tree, taken from tests/js's own
 * lockfile (with `resolved` filled in: this npm is set to leave it out, and without it an
 * offline install would need registry metadata the cache does not hold).
 */
function lockfileFor(manifest, file) {
  const source = JSON.parse(readFileSync(path.join(JS_DIR, "package-lock.json"), "utf8")).packages;
  const resolve = (from, dependency) => {
    let base = from;
    for (;;) {
      const key = `${base ? `${base}/` : ""}node_modules/${dependency}`;
      if (source[key]) return key;
      if (!base) return undefined;
      const cut = base.lastIndexOf("/node_modules/");
      base = cut < 0 ? "" : base.slice(0, cut);
    }
  };
  const root = { name: manifest.name, dependencies: {}, devDependencies: {} };
  const versions = {};
  const queue = [];
  for (const kind of ["dependencies", "devDependencies"]) {
    for (const [dependency, range] of Object.entries(manifest[kind] ?? {})) {
      if (dependency === "markifact-connect") continue;
      const key = resolve("", dependency);
      if (!key) throw new Error(`examples/nextjs needs ${dependency}, which tests/js/package.json does not install`);
      const { version } = source[key];
      const major = String(range).match(/\d+/)?.[0];
      if (major !== version.split(".")[0]) {
        throw new Error(`examples/nextjs wants ${dependency}@${range}; tests/js pins ${version}`);
      }
      root[kind][dependency] = version;
      versions[dependency] = version;
      queue.push(key);
    }
  }
  const packages = {};
  while (queue.length) {
    const key = queue.pop();
    if (packages[key]) continue;
    const { dev, devOptional, peer, ...entry } = source[key];
    const dependency = key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
    entry.resolved ??= `https://registry.npmjs.org/${dependency}/-/${dependency.split("/").pop()}-${entry.version}.tgz`;
    packages[key] = entry;
    const wanted = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
    for (const name of Object.keys(wanted)) {
      const found = resolve(key, name);
      if (found) queue.push(found);
      else if (!entry.optionalDependencies?.[name] && !entry.peerDependenciesMeta?.[name]?.optional) {
        throw new Error(`tests/js/package-lock.json has no ${name} for ${key}`);
      }
    }
  }
  const tarballSpec = `file:${file}`;
  root.dependencies["markifact-connect"] = tarballSpec;
  packages["node_modules/markifact-connect"] = {
    version: packageVersion(file),
    resolved: tarballSpec,
    integrity: `sha512-${createHash("sha512").update(readFileSync(file)).digest("base64")}`,
  };
  const sorted = Object.fromEntries(Object.keys(packages).sort().map((key) => [key, packages[key]]));
  const packageJson = { ...manifest, dependencies: root.dependencies, devDependencies: root.devDependencies };
  const lockfile = { name: manifest.name, lockfileVersion: 3, requires: true, packages: { "": root, ...sorted } };
  return { packageJson, lockfile, versions };
}

function packageVersion(file) {
  const scratch = mkdtempSync(path.join(tmpdir(), "markifact-tgz-"));
  try {
    extract(file, scratch);
    return JSON.parse(readFileSync(path.join(scratch, "package", "package.json"), "utf8")).version;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function extract(file, into) {
  // Synchronous on purpose: a few hundred kilobytes.
  const result = spawnSync("tar", ["-xzf", file, "-C", into], { encoding: "utf8", timeout: 30_000 });
  if (result.status !== 0) throw new Error(`tar could not read ${file}: ${result.stderr}`);
}

/** Every file of the tarball is in node_modules/markifact-connect, byte for byte. */
function checkInstalledTarball(dir, file) {
  const scratch = mkdtempSync(path.join(tmpdir(), "markifact-tgz-"));
  try {
    extract(file, scratch);
    const packed = path.join(scratch, "package");
    const installed = path.join(dir, "node_modules", "markifact-connect");
    for (const name of walk(packed)) {
      const target = path.join(installed, name);
      if (!existsSync(target)) throw new Error(`npm ci left no ${target}`);
      if (!readFileSync(target).equals(readFileSync(path.join(packed, name)))) {
        throw new Error(`the installed ${name} differs from the tarball's`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function walk(root, prefix = "") {
  const names = [];
  for (const entry of readdirSync(path.join(root, prefix))) {
    const relative = path.join(prefix, entry);
    if (statSync(path.join(root, relative)).isDirectory()) names.push(...walk(root, relative));
    else names.push(relative);
  }
  return names;
}
