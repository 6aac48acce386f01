//! Building the npm package: the release wasm, wasm-bindgen's bindings (`--target bundler`, used
//! as they are), wasm-opt, then the package's modules bundled by esbuild (xtask/bundle.mjs) from
//! js/ and the bindings, the declarations and a package.json. The output in pkg/ is never edited
//! by hand, and nothing rewrites wasm-bindgen's output.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cmd::{self, root};
use crate::tools;

const OUT_NAME: &str = "markifact_connect";

/// The parser wasm, behind `parseRedirect` in every entry: the same crate without its `full`
/// feature and with `parser-abi` (the redirect parser alone, behind the hand-written glue in
/// js/glue.js; no wasm-bindgen, no client, no `url` crate, no `serde_json`).
const PARSER_WASM: &str = "markifact_connect_parser.wasm";

/// The main wasm as wasm-bindgen writes it.
const MAIN_WASM: &str = "markifact_connect_bg.wasm";

/// Where wasm-bindgen's output and the optimised wasm go (rebuilt only when a wasm changed).
const BINDGEN_DIR: &str = "target/bindgen";

/// Where the package's sources are put together for esbuild: js/, wasm-bindgen's output, and
/// the modules that embed each wasm.
const STAGE_DIR: &str = "target/pkg-src";

/// The modules that embed each wasm (as their default export) for index.js and callback.js:
/// the parser's and the main one's apart, so that the callback entry loads only the parser's.
const EMBEDDED_WASM: &[(&str, &str)] =
    &[("parser-wasm.js", PARSER_WASM), ("main-wasm.js", MAIN_WASM)];

/// Builds pkg/ (skipping the wasm steps when nothing changed) and returns the packed tarball.
pub fn build() -> Result<PathBuf, String> {
    let root = root();
    check_idna_pin(&root)?;
    // Each build is a no-op once done (the two have their own profiles, so their own paths).
    // `std`'s size-over-speed variants: 906 B gzip off the main wasm, 130 B onto the parser's.
    let full = compile(
        "release",
        &["-Zbuild-std-features=optimize_for_size"],
        &format!("{OUT_NAME}.wasm"),
    )?;
    let parser = compile(
        "release-parser",
        &["--no-default-features", "--features", "parser-abi"],
        PARSER_WASM,
    )?;
    let bindings = root.join(BINDGEN_DIR);
    let stamp_path = bindings.join(".build-stamp");
    // wasm-bindgen's and wasm-opt's flags too: new flags must take effect.
    let stamp = format!(
        "{}{}{}",
        fingerprint(&full)?,
        fingerprint(&parser)?,
        [WASM_BINDGEN_FLAGS, WASM_OPT_FLAGS].concat().join(",")
    );
    if fs::read_to_string(&stamp_path).ok().as_deref() != Some(stamp.as_str()) {
        if bindings.exists() {
            fs::remove_dir_all(&bindings).map_err(|e| format!("removing {BINDGEN_DIR}: {e}"))?;
        }
        bindgen(&full, &bindings)?;
        optimise(&parser, &bindings.join(PARSER_WASM), "-O3")?;
        fs::write(&stamp_path, &stamp).map_err(|e| e.to_string())?;
    }
    let pkg = root.join("pkg");
    assemble(&bindings, &pkg)?;
    report_sizes(&pkg)?;
    pack(&pkg)
}

/// Where the package's wasm builds go: their `std` is built from source with the rustflags
/// below, so they keep their own tree rather than invalidating the stable builds'.
const PACKAGE_TARGET_DIR: &str = "target/package";

/// The package's wasm is compiled by nightly Rust with `std` rebuilt from source (measured in
/// benches/levers.md: main wasm -9 KB gzip, parser wasm -0.9 KB): `std` at the profile's
/// opt-level and LTO'd with the crate, and panics as a bare trap. That last one changes nothing
/// a user sees: on wasm32-unknown-unknown a panic's message was formatted for a stderr that does
/// not exist and then trapped all the same (and the binding layer never panics); it only drops
/// the formatting and the file names.
const BUILD_STD: &str = "-Zbuild-std=std,panic_abort";
const BUILD_STD_RUSTFLAGS: &str = "-Zunstable-options -Cpanic=immediate-abort \
    -Zlocation-detail=none -Csymbol-mangling-version=legacy";

/// The wasm of the library in a Cargo profile with these extra arguments, copied to
/// target/wasm-out/<file>. `cargo rustc --crate-type cdylib`: the manifest keeps the default crate
/// type (an rlib, all a Rust user or the wasm tests need), and only this build links a cdylib.
fn compile(profile: &str, extra: &[&str], file: &str) -> Result<PathBuf, String> {
    let mut args = vec![
        "rustc",
        "--lib",
        "--crate-type",
        "cdylib",
        "--profile",
        profile,
        "--target",
        "wasm32-unknown-unknown",
        "--target-dir",
        PACKAGE_TARGET_DIR,
        "-p",
        "markifact-connect",
    ];
    args.push(BUILD_STD);
    args.extend(extra);
    cmd::nightly("cargo", &args)
        .env("RUSTFLAGS", BUILD_STD_RUSTFLAGS)
        .run()?;
    let built = root().join(format!(
        "{PACKAGE_TARGET_DIR}/wasm32-unknown-unknown/{profile}/{OUT_NAME}.wasm"
    ));
    let out = root().join("target/wasm-out");
    fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let copy = out.join(file);
    // Copy only when it changed, so the fingerprint (size and time) says whether it did.
    if fs::read(&built).ok() != fs::read(&copy).ok() {
        fs::copy(&built, &copy).map_err(|e| format!("copying {}: {e}", built.display()))?;
    }
    Ok(copy)
}

/// `--target bundler`: the bindings as a module of their own (markifact_connect_bg.js) that the
/// entries instantiate the wasm with (glue.js's `instantiateMain`), and declarations of the API
/// alone.
const WASM_BINDGEN_FLAGS: &[&str] = &["--target", "bundler"];

/// wasm-bindgen's output into `out`, then wasm-opt on the wasm.
fn bindgen(wasm: &Path, out: &Path) -> Result<(), String> {
    cmd::new(
        "wasm-bindgen",
        &[
            WASM_BINDGEN_FLAGS,
            &[
                "--out-dir",
                &out.to_string_lossy(),
                "--out-name",
                OUT_NAME,
                &wasm.to_string_lossy(),
            ],
        ]
        .concat(),
    )
    .run()?;
    let bg = out.join(MAIN_WASM);
    optimise(&bg, &bg, "-Oz")
}

/// wasm-opt at `level`, to a fixed point, without the producers and target-features sections
/// (informational only; each measured, see
/// benches/levers.md: -Oz for the main wasm, -O3 for the parser's, which is then both smaller
/// and faster).
fn optimise(wasm: &Path, out: &Path, level: &str) -> Result<(), String> {
    let (wasm, out) = (wasm.to_string_lossy(), out.to_string_lossy());
    let mut args = vec![level];
    args.extend(WASM_OPT_FLAGS);
    args.extend([&*wasm, "-o", &*out]);
    cmd::new(tools::npm_bin("wasm-opt"), &args).run()
}

const WASM_OPT_FLAGS: &[&str] = &[
    "--converge",
    "--strip-producers",
    "--strip-target-features",
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
    "--enable-mutable-globals",
];

/// The size budget, in bytes of gzip -9 (each file compressed on its own, summed) of what a
/// browser loads for an entry: its entry file, every module it imports, and its wasm. Set at the
/// measured size plus about 2% (see BENCHMARKS.md); a change that grows an entry past it fails
/// `cargo xtask test` and must either shrink or raise the budget knowingly.
const SIZE_BUDGETS: &[(&str, &str, u64)] = &[
    ("markifact-connect", "index.js", 74_200),
    ("markifact-connect/callback", "callback.js", 16_950),
];

/// Fails when an entry's browser download is over its budget (deterministic: bytes, not time).
pub fn check_size_budget(pkg: &Path) -> Result<(), String> {
    const SCRIPT: &str = r#"
const zlib = require("node:zlib"), fs = require("node:fs"), path = require("node:path");
let failed = false;
for (const arg of process.argv.slice(1)) {
  const [name, entry, budget] = arg.split("=");
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!file.endsWith(".js")) return;
    const text = fs.readFileSync(file, "utf8");
    const specifiers = [...text.matchAll(/(?:from|import)\s*"(\.{1,2}\/[^"]+)"/g)];
    for (const m of specifiers) visit(path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1])));
  };
  visit(entry);
  const gzip = [...seen].reduce((n, f) => n + zlib.gzipSync(fs.readFileSync(f), { level: 9 }).length, 0);
  const over = gzip > Number(budget);
  failed ||= over;
  console.log(`size budget: ${name} (${entry} and ${seen.size - 1} files it loads): ${gzip} B gzip, budget ${budget} B${over ? `: OVER BUDGET by ${gzip - Number(budget)} B` : ""}`);
}
process.exit(failed ? 1 : 0);
"#;
    let budgets: Vec<String> = SIZE_BUDGETS
        .iter()
        .map(|(name, entry, bytes)| format!("{name}={entry}={bytes}"))
        .collect();
    let mut args = vec!["-e", SCRIPT];
    args.extend(budgets.iter().map(String::as_str));
    cmd::new("node", &args).dir(pkg).run().map_err(|_| {
        "an entry of the npm package is over its size budget (see above and SIZE_BUDGETS in xtask/src/pkg.rs)".to_string()
    })
}

/// Prints, as a Markdown table, what a browser loads for each entry (the entry and every module
/// it imports; the wasm embedded in main-wasm.js and parser-wasm.js), each file compressed on its
/// own: raw, gzip -9 and brotli bytes; and the main wasm alone.
fn report_sizes(pkg: &Path) -> Result<(), String> {
    const SCRIPT: &str = r#"
const zlib = require("node:zlib"), fs = require("node:fs"), path = require("node:path");
const loaded = (entry) => {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file) || !fs.existsSync(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:from|import)\s*"(\.{1,2}\/[^"]+\.js)"/g)) visit(path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1])));
  };
  visit(entry);
  return [...seen];
};
const sizes = (files) => files.map((f) => fs.readFileSync(f)).map((b) => [b.length, zlib.gzipSync(b, { level: 9 }).length, zlib.brotliCompressSync(b).length]).reduce((t, s) => t.map((n, i) => n + s[i]), [0, 0, 0]);
const isWasm = (f) => f.endsWith("-wasm.js");
console.log("| part | raw | gzip | brotli |");
console.log("|---|---:|---:|---:|");
const row = (label, files) => console.log(`| ${label} | ${sizes(files).join(" B | ")} B |`);
row("main wasm (markifact_connect_bg.wasm)", ["markifact_connect_bg.wasm"]);
for (const entry of ["index.js", "callback.js"]) {
  const files = loaded(entry);
  row(`${entry}: wasm, embedded (${files.filter(isWasm).join(", ")})`, files.filter(isWasm));
  row(`${entry}: JS (${files.filter((f) => !isWasm(f)).length} modules)`, files.filter((f) => !isWasm(f)));
  row(`${entry}: total (browser)`, files);
}
"#;
    cmd::new("node", &["-e", SCRIPT]).dir(pkg).run()
}

/// The lockfile pins `idna_adapter` 1.0 (no Unicode IDNA backend and its ICU4X crates in native
/// builds, see README); a `cargo update` would silently undo that, so refuse to build without it.
fn check_idna_pin(root: &Path) -> Result<(), String> {
    let lock =
        fs::read_to_string(root.join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    if lock.contains("name = \"idna_adapter\"\nversion = \"1.0.") {
        Ok(())
    } else {
        Err("Cargo.lock must pin idna_adapter 1.0.x: run `cargo update -p idna_adapter --precise 1.0.0`".into())
    }
}

/// Size and modification time of the compiled wasm: cargo rewrites it whenever it changes.
fn fingerprint(wasm: &Path) -> Result<String, String> {
    let meta = fs::metadata(wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    Ok(format!(
        "{} {modified} {}\n",
        meta.len(),
        env!("CARGO_PKG_VERSION")
    ))
}

/// pkg/ from js/ and wasm-bindgen's output: the modules bundled by esbuild, the embedded and
/// the plain wasm, the declarations, the README, the license files and a package.json.
fn assemble(bindings: &Path, pkg: &Path) -> Result<(), String> {
    let stage = root().join(STAGE_DIR);
    for dir in [&stage, pkg] {
        if dir.exists() {
            fs::remove_dir_all(dir).map_err(|e| format!("removing {}: {e}", dir.display()))?;
        }
    }
    let js = root().join("js");
    copy_files(&js, &stage, ".js")?;
    copy_tree(bindings, &stage)?;
    for (module, wasm) in EMBEDDED_WASM {
        write_embedded(&stage, module, &bindings.join(wasm))?;
    }
    let esbuild = tools::js_dir().join("node_modules/esbuild");
    cmd::new(
        "node",
        &[
            &root().join("xtask/bundle.mjs").to_string_lossy(),
            &esbuild.to_string_lossy(),
            &stage.to_string_lossy(),
            &pkg.to_string_lossy(),
        ],
    )
    .run()?;
    for (module, wasm) in EMBEDDED_WASM {
        copy(&stage.join(module), &pkg.join(module))?;
        copy(&bindings.join(wasm), &pkg.join(wasm))?;
    }
    copy_files(&js, pkg, ".d.ts")?;
    let declarations = format!("{OUT_NAME}.d.ts");
    copy(&bindings.join(&declarations), &pkg.join(&declarations))?;
    for file in ["README.md", "LICENSE-MIT", "LICENSE-APACHE"] {
        copy(&root().join(file), &pkg.join(file))?;
    }
    fs::write(pkg.join("package.json"), package_json()).map_err(|e| e.to_string())
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))
}

/// Copies the files of `from` whose names end with `suffix` into `to` (created).
fn copy_files(from: &Path, to: &Path, suffix: &str) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| e.to_string())?;
    let entries = fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(suffix) && path.is_file() {
            copy(&path, &to.join(name))?;
        }
    }
    Ok(())
}

/// Copies the tree `from` into `to` (created), but dot files.
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| e.to_string())?;
    let entries = fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path.file_name().unwrap_or_default().to_owned();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            copy_tree(&path, &to.join(&name))?;
        } else {
            copy(&path, &to.join(&name))?;
        }
    }
    Ok(())
}

/// The embedding of wasm bytes in a JS string literal whose value is one Latin-1 character a
/// byte (decoded by `compileEmbedded` in js/glue.js): the JS engine's own parser undoes the
/// escapes, and the file is ASCII, so no charset can misread it. Bytes from 0x01 to 0x7e stand
/// for themselves (control characters are valid in a string literal) but for '"', '\\' and the
/// line breaks; NUL is `\0` and 0x7f to 0xff are `\xHH`. Escapes of a fixed form keep the wasm's
/// repetitions visible to gzip: 5% over the .wasm file, where base64 costs 30% (see
/// benches/levers.md).
fn embed(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 3 / 2);
    for (i, &byte) in bytes.iter().enumerate() {
        match byte {
            b'"' => text.push_str("\\\""),
            b'\\' => text.push_str("\\\\"),
            b'\n' => text.push_str("\\n"),
            b'\r' => text.push_str("\\r"),
            // `\0` before a digit would read as a (forbidden) octal escape.
            0 if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => text.push_str("\\x00"),
            0 => text.push_str("\\0"),
            0x7f.. => text.push_str(&format!("\\x{byte:02X}")),
            _ => text.push(char::from(byte)),
        }
    }
    text
}

/// `dir`/`module`: the bytes of the `wasm` file [embedded](embed) in a string, with its name and
/// length.
fn write_embedded(dir: &Path, module: &str, wasm: &Path) -> Result<(), String> {
    let bytes = fs::read(wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    let wasm = wasm.file_name().unwrap_or_default().to_string_lossy();
    let text = format!(
        "// {wasm}, written by `cargo xtask pkg` (decoded by compileEmbedded in glue.js).\n\
         export default {{ file: \"{wasm}\", length: {}, bytes: \"{}\" }};\n",
        bytes.len(),
        embed(&bytes)
    );
    fs::write(dir.join(module), text).map_err(|e| format!("{module}: {e}"))
}

fn package_json() -> String {
    let version = cargo_package_version();
    format!(
        r#"{{
  "name": "markifact-connect",
  "version": "{version}",
  "description": "Connect your users' ad and analytics accounts through the Markifact Connections API: typed redirect parsing and validation, in Rust compiled to WebAssembly.",
  "license": "MIT OR Apache-2.0",
  "type": "module",
  "main": "./index.js",
  "module": "./index.js",
  "types": "./index.d.ts",
  "exports": {{
    ".": {{
      "types": "./index.d.ts",
      "workerd": "./edge.js",
      "edge-light": "./edge.js",
      "bun": "./index.js",
      "module-sync": "./index.js",
      "require": "./index.cjs",
      "default": "./index.js"
    }},
    "./callback": {{
      "types": "./callback.d.ts",
      "workerd": "./callback-edge.js",
      "edge-light": "./callback-edge.js",
      "bun": "./callback.js",
      "module-sync": "./callback.js",
      "require": "./callback.cjs",
      "default": "./callback.js"
    }},
    "./package.json": "./package.json"
  }},
  "files": [
    "*.js",
    "*.cjs",
    "*.d.ts",
    "{MAIN_WASM}",
    "{PARSER_WASM}",
    "README.md",
    "LICENSE-MIT",
    "LICENSE-APACHE"
  ],
  "sideEffects": ["./index.js", "./edge.js", "./callback.js", "./callback-edge.js", "./index.cjs", "./callback.cjs"],
  "engines": {{ "node": ">=20.16" }},
  "keywords": ["markifact", "oauth", "connect", "wasm", "cloudflare-workers"]
}}
"#
    )
}

/// The crate's version, from Cargo.toml's `[package]`.
pub fn cargo_package_version() -> String {
    let manifest = fs::read_to_string(root().join("Cargo.toml")).unwrap_or_default();
    manifest
        .lines()
        .find_map(|line| line.strip_prefix("version = \""))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("0.0.0")
        .to_string()
}

/// `npm pack` into target/npm/, returning the tarball's path.
fn pack(pkg: &Path) -> Result<PathBuf, String> {
    let out = root().join("target/npm");
    fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let name = cmd::new(
        "npm",
        &[
            "pack",
            "--silent",
            "--pack-destination",
            &out.to_string_lossy(),
        ],
    )
    .dir(pkg)
    .output()
    .ok_or("npm pack failed")?;
    let tarball = out.join(name.trim().lines().last().unwrap_or_default());
    eprintln!("packed {}", tarball.display());
    Ok(tarball)
}
