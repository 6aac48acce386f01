//! Building the npm package: the release wasm, wasm-bindgen's glue (`--target web`), wasm-opt,
//! then the entry points from js/ and a package.json. The output in pkg/ is never edited by hand.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cmd::{self, root};
use crate::tools;

const OUT_NAME: &str = "markifact_connect";

/// The parser wasm, behind `parseRedirect` in every entry: the same crate without its `full`
/// feature and with `parser-abi` (the redirect parser alone, behind the hand-written glue in
/// js/glue.js; no wasm-bindgen, no client, no `url` crate, no `serde_json`).
const PARSER_WASM: &str = "markifact_connect_parser.wasm";

/// Files copied from js/ into the package (the scripts' imports of the glue's parts pointed at
/// glue.js).
const JS_SOURCES: &[&str] = &[
    "client.js",
    "client.d.ts",
    "connect.d.ts",
    "index.d.ts",
    "markifact-error.d.ts",
    "glue.d.ts",
    "callback.js",
    "callback-edge.js",
    "callback.d.ts",
];

/// The modules every entry loads, written into one pkg/glue.js in this order (each part's imports of
/// the others dropped): every module is a file Node reads, compiles and links at start-up, about
/// 0.3 ms each (see benches/levers.md). The sources stay one job per file; the declarations stay
/// separate .d.ts files.
const GLUE_PARTS: &[&str] = &["markifact-error.js", "glue.js", "connect.js"];

/// The main entry's files (embedded wasm everywhere; `.wasm?module` imports in edge runtimes):
/// js/<file> with js/api.js (the API they share) written in place of its
/// `export * from "./api.js";`, so Node loads one module fewer at start-up.
const MAIN_ENTRIES: &[&str] = &["index.js", "edge.js"];

/// The modules that embed each wasm (as their default export) for index.js and
/// callback.js: the parser's and the main one's apart, so that the callback entry loads only the
/// parser's.
const EMBEDDED_WASM: &[(&str, &str)] = &[
    ("parser-wasm.js", PARSER_WASM),
    ("main-wasm.js", "markifact_connect_bg.wasm"),
];
const API_EXPORT: &str = "export * from \"./api.js\";\n";

/// Where wasm-bindgen's declarations of its start-up functions begin in the glue's .d.ts; they
/// need the DOM lib, and the package's entries call them itself, so they stay out of the API.
const INIT_DECLARATIONS_START: &str = "export type InitInput";

/// Builds pkg/ (skipping the wasm steps when nothing changed) and returns the packed tarball.
pub fn build() -> Result<PathBuf, String> {
    let root = root();
    check_idna_pin(&root)?;
    let pkg = root.join("pkg");
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
    let stamp_path = pkg.join(".build-stamp");
    // The file list and wasm-opt's flags too: a file dropped from the list must not linger in
    // pkg/, and new flags must take effect.
    let stamp = format!(
        "{}{}{}",
        fingerprint(&full)?,
        fingerprint(&parser)?,
        [
            JS_SOURCES,
            GLUE_PARTS,
            MAIN_ENTRIES,
            WASM_BINDGEN_FLAGS,
            WASM_OPT_FLAGS
        ]
        .concat()
        .join(",")
    );
    if fs::read_to_string(&stamp_path).ok().as_deref() != Some(stamp.as_str()) {
        if pkg.exists() {
            fs::remove_dir_all(&pkg).map_err(|e| format!("removing pkg/: {e}"))?;
        }
        bindgen(&full, OUT_NAME)?;
        use_own_error_module(&pkg)?;
        optimise(&parser, &pkg.join(PARSER_WASM), "-O3")?;
        fs::write(&stamp_path, &stamp).map_err(|e| e.to_string())?;
    }
    write_entries(&pkg)?;
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

/// `cargo build` of the wasm in a Cargo profile with these extra arguments, copied to
/// target/wasm-out/<file>.
fn compile(profile: &str, extra: &[&str], file: &str) -> Result<PathBuf, String> {
    let mut args = vec![
        "build",
        "--lib",
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

/// `--target web`, without the `new URL("…_bg.wasm", import.meta.url)` fallback in its glue:
/// the entries hand it the module, and bundlers that see that reference copy an unused .wasm.
const WASM_BINDGEN_FLAGS: &[&str] = &["--target", "web", "--omit-default-module-path"];

/// wasm-bindgen's glue into pkg/, then wasm-opt on the wasm.
fn bindgen(wasm: &Path, name: &str) -> Result<(), String> {
    cmd::new(
        "wasm-bindgen",
        &[
            WASM_BINDGEN_FLAGS,
            &[
                "--out-dir",
                "pkg",
                "--out-name",
                name,
                &wasm.to_string_lossy(),
            ],
        ]
        .concat(),
    )
    .run()?;
    let bg = root().join(format!("pkg/{name}_bg.wasm"));
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
    ("markifact-connect", "index.js", 90_950),
    ("markifact-connect/callback", "callback.js", 19_950),
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

/// Prints, as a Markdown table, what each runtime loads: raw, gzip -9 and brotli bytes.
fn report_sizes(pkg: &Path) -> Result<(), String> {
    const SCRIPT: &str = r#"
const zlib = require("node:zlib"), fs = require("node:fs");
const rows = [["main wasm, embedded", "main-wasm.js"], ["JS glue + entry", "markifact_connect.js", "index.js", "glue.js"], ["parser wasm, embedded", "parser-wasm.js"]];
const read = (p) => fs.statSync(p).isDirectory()
  ? Buffer.concat(fs.readdirSync(p, { recursive: true }).map((f) => `${p}/${f}`).filter((f) => fs.statSync(f).isFile()).map((f) => fs.readFileSync(f)))
  : fs.readFileSync(p);
let total = [0, 0, 0];
console.log("| part | raw | gzip | brotli |");
console.log("|---|---:|---:|---:|");
for (const [label, ...files] of rows) {
  const bytes = Buffer.concat(files.map(read));
  const sizes = [bytes.length, zlib.gzipSync(bytes, { level: 9 }).length, zlib.brotliCompressSync(bytes).length];
  sizes.forEach((n, i) => (total[i] += n));
  console.log(`| ${label} | ${sizes.join(" B | ")} B |`);
}
console.log(`| total (browser) | ${total.join(" B | ")} B |`);
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

fn write_entries(pkg: &Path) -> Result<(), String> {
    let js = root().join("js");
    let read =
        |name: &str| fs::read_to_string(js.join(name)).map_err(|e| format!("js/{name}: {e}"));
    // Declarations keep naming each part's own .d.ts.
    let write = |name: &str, text: &str| {
        let text = if name.ends_with(".d.ts") {
            text.to_owned()
        } else {
            to_glue(text)
        };
        fs::write(pkg.join(name), text).map_err(|e| format!("pkg/{name}: {e}"))
    };
    for name in JS_SOURCES {
        write(name, &read(name)?)?;
    }
    let mut glue = String::new();
    for part in GLUE_PARTS {
        for line in read(part)?.lines() {
            let internal = GLUE_PARTS.iter().any(|other| {
                line.starts_with("import ") && line.ends_with(&format!("\"./{other}\";"))
            });
            if !internal {
                glue.push_str(line);
                glue.push('\n');
            }
        }
    }
    write("glue.js", &glue)?;
    let api = read("api.js")?;
    for name in MAIN_ENTRIES {
        let entry = read(name)?;
        if !entry.ends_with(API_EXPORT) {
            return Err(format!("js/{name} must end with {API_EXPORT:?}"));
        }
        write(
            name,
            &format!("{}{api}", entry.trim_end_matches(API_EXPORT)),
        )?;
    }
    for (module, wasm) in EMBEDDED_WASM {
        write_embedded(pkg, module, wasm)?;
    }
    write_api_declarations(pkg)?;
    fs::copy(root().join("README.md"), pkg.join("README.md"))
        .map_err(|e| format!("README.md: {e}"))?;
    fs::write(pkg.join("package.json"), package_json()).map_err(|e| e.to_string())
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

/// pkg/<module>: pkg/<wasm>'s bytes [embedded](embed) in a string, with the file's name and length.
fn write_embedded(pkg: &Path, module: &str, wasm: &str) -> Result<(), String> {
    let bytes = fs::read(pkg.join(wasm)).map_err(|e| format!("pkg/{wasm}: {e}"))?;
    let text = format!(
        "// {wasm}, written by `cargo xtask pkg` (decoded by compileEmbedded in glue.js).\n\
         export default {{ file: \"{wasm}\", length: {}, bytes: \"{}\" }};\n",
        bytes.len(),
        embed(&bytes)
    );
    fs::write(pkg.join(module), text).map_err(|e| format!("pkg/{module}: {e}"))
}

/// `text` with its imports of the glue's parts taken from glue.js.
fn to_glue(text: &str) -> String {
    GLUE_PARTS.iter().fold(text.to_owned(), |text, part| {
        text.replace(&format!("from \"./{part}\""), "from \"./glue.js\"")
    })
}

/// `api.d.ts`: the generated declarations of the API (ts-rs types and wasm-bindgen function
/// signatures) without the start-up part, plus the parser's functions and the error class.
fn write_api_declarations(pkg: &Path) -> Result<(), String> {
    let glue =
        fs::read_to_string(pkg.join(format!("{OUT_NAME}.d.ts"))).map_err(|e| e.to_string())?;
    let api = glue
        .split_once(INIT_DECLARATIONS_START)
        .map(|(api, _)| api)
        .ok_or("wasm-bindgen's .d.ts no longer has the expected start-up section")?;
    // `[Symbol.dispose]` needs lib esnext.disposable, which would break every project on an
    // older lib; `free()` stays declared, and `using` still works at run time.
    let api: String = api
        .lines()
        .map(str::trim_start)
        .filter(|line| !line.starts_with("[Symbol.dispose]"))
        .map(|line| format!("{line}\n"))
        .collect();
    let api = format!(
        "{}\nexport {{ parseRedirect, errorCodes }} from \"./glue.js\";\nexport {{ MarkifactError }} from \"./markifact-error.js\";\n",
        api.trim_end()
    );
    fs::write(pkg.join("api.d.ts"), api).map_err(|e| e.to_string())
}

/// wasm-bindgen copies js/markifact-error.js and js/glue.js (for `parseRedirect`, used by
/// `verifyRedirect`) under a hashed snippets/ path and its glue imports them from there: point
/// the glue at the package's glue.js instead, so that one module defines `MarkifactError` and
/// holds the parser wasm's instance for every entry (`instanceof` holds everywhere).
fn use_own_error_module(pkg: &Path) -> Result<(), String> {
    let glue_path = pkg.join(format!("{OUT_NAME}.js"));
    let glue = fs::read_to_string(&glue_path).map_err(|e| e.to_string())?;
    let own = glue
        .lines()
        .map(|line| match line.split_once("from './snippets/") {
            Some((import, path))
                if path.ends_with("/js/markifact-error.js';")
                    || path.ends_with("/js/glue.js';") =>
            {
                format!("{import}from './glue.js';\n")
            }
            _ => format!("{line}\n"),
        })
        .collect::<String>();
    if own.contains("./snippets/") || !own.contains("from './glue.js'") {
        return Err(format!(
            "{OUT_NAME}.js imports snippets other than js/markifact-error.js and js/glue.js; package them"
        ));
    }
    fs::write(&glue_path, own).map_err(|e| e.to_string())?;
    fs::remove_dir_all(pkg.join("snippets")).map_err(|e| format!("removing pkg/snippets: {e}"))
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
      "default": "./index.js"
    }},
    "./callback": {{
      "types": "./callback.d.ts",
      "workerd": "./callback-edge.js",
      "edge-light": "./callback-edge.js",
      "default": "./callback.js"
    }},
    "./package.json": "./package.json"
  }},
  "files": [
    "*.js",
    "*.d.ts",
    "{OUT_NAME}_bg.wasm",
    "{PARSER_WASM}",
    "README.md"
  ],
  "sideEffects": ["./index.js", "./edge.js", "./callback.js", "./callback-edge.js"],
  "engines": {{ "node": ">=20.16" }},
  "keywords": ["markifact", "oauth", "connect", "wasm", "cloudflare-workers"]
}}
"#
    )
}

fn cargo_package_version() -> String {
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
