//! Installing the tools the build and the tests need, each only when it is missing.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cmd::{self, root};

/// Must equal the `wasm-bindgen` crate version pinned in Cargo.toml.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// The folder whose package.json lists the npm tools (binaryen, typescript, playwright-core,
/// vite, wrangler) and holds the JS-side tests.
pub fn js_dir() -> PathBuf {
    root().join("tests/js")
}

pub fn npm_bin(name: &str) -> PathBuf {
    js_dir().join("node_modules/.bin").join(name)
}

/// What `cargo xtask pkg` and `demo` need: the wasm target, nightly Rust with its sources (the
/// package's wasm is built with a size-optimised `std`, see pkg.rs), wasm-bindgen, and the npm
/// tools.
pub fn ensure_build_tools() -> Result<(), String> {
    ensure_nightly(&["rust-src"])?;
    let installed = cmd::new("rustup", &["target", "list", "--installed"])
        .output()
        .unwrap_or_default();
    if !installed
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        cmd::new("rustup", &["target", "add", "wasm32-unknown-unknown"]).run()?;
    }
    let version = cmd::new("wasm-bindgen", &["--version"])
        .output()
        .unwrap_or_default();
    if version.split_whitespace().nth(1) != Some(WASM_BINDGEN_VERSION) {
        // No --locked: the registry copy here lacks one of the CLI's locked dependencies.
        cmd::cargo(&[
            "install",
            "wasm-bindgen-cli",
            "--version",
            WASM_BINDGEN_VERSION,
        ])
        .run()?;
    }
    ensure_npm_tools()
}

/// The nightly toolchain (for the package's `-Zbuild-std` and for cargo-fuzz) with these
/// components.
pub fn ensure_nightly(components: &[&str]) -> Result<(), String> {
    let has_nightly = cmd::nightly("rustc", &["--version"]).output().is_some();
    if !has_nightly {
        cmd::new(
            "rustup",
            &["toolchain", "install", cmd::NIGHTLY, "--profile", "minimal"],
        )
        .run()?;
    }
    let installed = cmd::new(
        "rustup",
        &[
            "component",
            "list",
            "--installed",
            "--toolchain",
            cmd::NIGHTLY,
        ],
    )
    .output()
    .unwrap_or_default();
    for component in components {
        // Listed with the host triple appended (`rust-src` is the exception).
        if !installed
            .lines()
            .any(|line| line == *component || line.starts_with(&format!("{component}-")))
        {
            cmd::new(
                "rustup",
                &["component", "add", component, "--toolchain", cmd::NIGHTLY],
            )
            .run()?;
        }
    }
    Ok(())
}

/// The crate's minimum supported Rust version: `rust-version` in Cargo.toml's `[package]`.
pub fn rust_version() -> Result<String, String> {
    let manifest =
        fs::read_to_string(root().join("Cargo.toml")).map_err(|e| format!("Cargo.toml: {e}"))?;
    manifest
        .lines()
        .find_map(|line| line.strip_prefix("rust-version = \""))
        .and_then(|rest| rest.split('"').next())
        .map(str::to_string)
        .ok_or_else(|| "Cargo.toml has no `rust-version = \"...\"` line".to_string())
}

/// The toolchain of the crate's `rust-version` (minimal profile: rustc, cargo and std), for
/// `cargo xtask test`'s check of the published crate on it; returns the version.
pub fn ensure_msrv_toolchain() -> Result<String, String> {
    let version = rust_version()?;
    let toolchains = cmd::new("rustup", &["toolchain", "list"])
        .output()
        .unwrap_or_default();
    // Listed as `1.85-x86_64-unknown-linux-gnu`, with ` (active, default)` and the like after it.
    if !toolchains
        .lines()
        .any(|line| line.starts_with(&format!("{version}-")))
    {
        cmd::new(
            "rustup",
            &["toolchain", "install", &version, "--profile", "minimal"],
        )
        .run()?;
    }
    Ok(version)
}

fn ensure_npm_tools() -> Result<(), String> {
    let dir = js_dir();
    let stamp = dir.join("node_modules/.xtask-installed");
    let wanted = || -> Vec<u8> {
        ["package.json", "package-lock.json"]
            .iter()
            .flat_map(|f| fs::read(dir.join(f)).unwrap_or_default())
            .collect()
    };
    if fs::read(&stamp).ok() == Some(wanted()) {
        return Ok(());
    }
    // `npm install`, not `npm ci`: npm 11 leaves other platforms' optional workerd binaries out
    // of the lockfile, which `npm ci` then rejects as out of sync. The lockfile still pins versions.
    cmd::new("npm", &["install", "--no-audit", "--no-fund"])
        .dir(&dir)
        .run()?;
    fs::write(&stamp, wanted()).map_err(|e| format!("{}: {e}", stamp.display()))
}

/// What only the tests need on top: the toolchain of the crate's `rust-version` (the MSRV check),
/// and from Debian's packages: Chromium and ChromeDriver, Firefox ESR (driven over WebDriver BiDi
/// by puppeteer-core), and WebKitGTK's WebDriver with its MiniBrowser and Xvfb (MiniBrowser has no
/// headless mode: the tests give it a private X display). Only the packages whose files are
/// missing are installed.
pub fn ensure_test_tools() -> Result<(), String> {
    ensure_msrv_toolchain()?;
    let minibrowser = minibrowser();
    let wanted: [(&str, &[&str]); 5] = [
        ("chromium", &[CHROMIUM]),
        ("chromium-driver", &[CHROMEDRIVER]),
        ("firefox-esr", &[FIREFOX]),
        (
            "webkit2gtk-driver",
            &[WEBKIT_WEBDRIVER, minibrowser.as_str()],
        ),
        ("xvfb", &[XVFB]),
    ];
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(_, files)| files.iter().any(|f| !Path::new(f).exists()))
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
    let apt = |args: &[&str]| {
        let full: Vec<&str> = sudo
            .iter()
            .chain(["apt-get"].iter())
            .chain(args)
            .copied()
            .collect();
        cmd::new(full[0], &full[1..])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .run()
    };
    apt(&["update", "-q"])?;
    let install: Vec<&str> = ["install", "-y", "-q"].into_iter().chain(missing).collect();
    apt(&install)?;
    match wanted
        .iter()
        .flat_map(|(_, files)| files.iter())
        .find(|f| !Path::new(f).exists())
    {
        Some(file) => Err(format!("{file} is still missing after apt-get install")),
        None => Ok(()),
    }
}

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const FIREFOX: &str = "/usr/bin/firefox-esr";
pub const WEBKIT_WEBDRIVER: &str = "/usr/bin/WebKitWebDriver";
pub const XVFB: &str = "/usr/bin/Xvfb";

/// WebKitGTK's MiniBrowser (package libwebkit2gtk-4.1-0, a dependency of webkit2gtk-driver),
/// under the architecture's multiarch folder.
pub fn minibrowser() -> String {
    let triplet = match std::env::consts::ARCH {
        "x86" => "i386-linux-gnu".to_string(),
        "arm" => "arm-linux-gnueabihf".to_string(),
        arch => format!("{arch}-linux-gnu"),
    };
    format!("/usr/lib/{triplet}/webkit2gtk-4.1/MiniBrowser")
}

fn is_root() -> bool {
    cmd::new("id", &["-u"])
        .output()
        .is_some_and(|uid| uid.trim() == "0")
}
