//! `cargo xtask test`: every test, native and JavaScript-side, in one command.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::cmd::{self, root};
use crate::demo::DemoStack;
use crate::tools::{self, CHROMEDRIVER, CHROMIUM, FIREFOX, WEBKIT_WEBDRIVER, XVFB};
use crate::{fuzz, pkg, readme_app};

/// The feature combinations a user may build the crate with (`parser-abi` is the npm package's
/// internal build and excludes `full`).
const DOC_FEATURES: &[&[&str]] = &[
    &[],
    &["--no-default-features"],
    &["--features", "tokio"],
    &["--features", "reqwest"],
    &["--features", "typescript"],
];

/// Per fuzz target in the test run: enough to replay the seeds and explore a little.
const FUZZ_SECONDS: u64 = 10;

pub fn run() -> Result<(), String> {
    tools::ensure_build_tools()?;
    tools::ensure_test_tools()?;

    step("native: unit tests, doctests, shared vectors, property tests, TypeScript freshness");
    cmd::cargo(&[
        "test",
        "--workspace",
        "--features",
        "markifact-connect/typescript,markifact-connect/reqwest",
    ])
    .run()?;

    step("rust: the README's Rust section as a fresh tokio app (reqwest), against the sandbox");
    readme_app::run()?;

    step("rust: the docs of every feature combination, with warnings as errors");
    for features in DOC_FEATURES {
        let mut args = vec!["doc", "--no-deps", "-p", "markifact-connect"];
        args.extend(*features);
        cmd::cargo(&args).env("RUSTDOCFLAGS", "-D warnings").run()?;
    }

    step("fuzz: a short pass of every target (cargo xtask fuzz runs longer)");
    fuzz::run(FUZZ_SECONDS)?;

    step("wasm: the JS bindings in Node");
    wasm_tests(false)?;
    step("wasm: the JS bindings in headless Chromium");
    wasm_tests(true)?;

    step("npm package: build and pack");
    let tarball = pkg::build()?;
    step("npm package: size budget");
    pkg::check_size_budget(&root().join("pkg"))?;
    step("packaging: cargo publish --dry-run and npm pack --dry-run");
    check_packaging()?;
    let msrv = tools::rust_version()?;
    step(&format!(
        "MSRV: the packaged crate on Rust {msrv}, its dependencies resolved afresh for it"
    ));
    check_msrv(&msrv)?;
    step("the demo stack: sandbox, Worker (workerd) and www/");
    let demo = DemoStack::start(0, &tarball)?;

    step("npm package: the packed tarball in every environment of the README's Compatibility table, the Worker and the demo");
    cmd::new(
        "node",
        &[
            "--test",
            "--test-concurrency=1",
            "--test-reporter=spec",
            "--test-reporter-destination=stdout",
        ],
    )
    .dir(tools::js_dir())
    .env("MARKIFACT_TARBALL", &tarball)
    .env("MARKIFACT_DEMO_URL", demo.server.url())
    .env("MARKIFACT_SANDBOX_URL", demo.sandbox.url())
    .env("CHROMIUM_PATH", CHROMIUM)
    .env("FIREFOX_PATH", FIREFOX)
    .env("WEBKIT_WEBDRIVER_PATH", WEBKIT_WEBDRIVER)
    .env("MINIBROWSER_PATH", tools::minibrowser())
    .env("XVFB_PATH", XVFB)
    .env("WRANGLER_SEND_METRICS", "false")
    .run()?;
    step("all tests passed");
    Ok(())
}

fn wasm_tests(browser: bool) -> Result<(), String> {
    let mut command = cmd::cargo(&[
        "test",
        "--target",
        "wasm32-unknown-unknown",
        "--test",
        "wasm",
    ])
    .env(
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
        "wasm-bindgen-test-runner",
    )
    .env("WASM_BINDGEN_TEST_TIMEOUT", "120");
    if browser {
        command = command
            .env("WASM_BINDGEN_USE_BROWSER", "1")
            .env("CHROMEDRIVER", CHROMEDRIVER)
            .env(
                "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
                root().join("tests/webdriver.json"),
            );
    }
    command.run()
}

/// The crate: its file list and `cargo publish --dry-run` (which builds it from the packaged
/// files); the npm package: `npm pack --dry-run` of pkg/ and its file list.
fn check_packaging() -> Result<(), String> {
    let listed = cmd::cargo(&["package", "--list", "--allow-dirty", "--quiet", "-p", CRATE])
        .output()
        .ok_or("`cargo package --list` failed")?;
    let files: Vec<&str> = listed.lines().map(str::trim).collect();
    let leaked: Vec<&str> = files
        .iter()
        .copied()
        .filter(|file| NOT_IN_CRATE.iter().any(|prefix| file.starts_with(prefix)))
        .collect();
    if !leaked.is_empty() {
        return Err(format!(
            "the crate would ship files for the npm package, the demo or the repository (see \
             `include` in Cargo.toml): {}",
            leaked.join(", ")
        ));
    }
    let missing: Vec<&str> = IN_BOTH
        .iter()
        .copied()
        .filter(|file| !files.contains(file))
        .collect();
    if !missing.is_empty() {
        return Err(format!("the crate lacks {}", missing.join(", ")));
    }
    eprintln!(
        "crate: {} files, none under {}",
        files.len(),
        NOT_IN_CRATE.join(" ")
    );
    // Quiet: the warnings about the sandbox tests left out of the crate are expected.
    cmd::cargo(&[
        "publish",
        "--dry-run",
        "--allow-dirty",
        "--quiet",
        "-p",
        CRATE,
    ])
    .run()?;
    let packed = cmd::new("npm", &["pack", "--dry-run", "--json"])
        .dir(root().join("pkg"))
        .output()
        .ok_or("`npm pack --dry-run` failed in pkg/")?;
    let packed: serde_json::Value =
        serde_json::from_str(&packed).map_err(|e| format!("npm pack --json: {e}"))?;
    let npm_files: Vec<&str> = packed[0]["files"]
        .as_array()
        .ok_or("npm pack --json: no file list")?
        .iter()
        .filter_map(|file| file["path"].as_str())
        .collect();
    let missing: Vec<&str> = IN_BOTH
        .iter()
        .copied()
        .filter(|file| !npm_files.contains(file))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the npm tarball lacks {} (see `files` in package_json(), xtask/src/pkg.rs)",
            missing.join(", ")
        ));
    }
    eprintln!(
        "npm tarball: {} files: {}",
        npm_files.len(),
        npm_files.join(", ")
    );
    Ok(())
}

const CRATE: &str = "markifact-connect";

/// Paths the crate must not ship: the npm package's and the demo's sources and tests, the
/// examples, the docs and the repository's cargo settings.
const NOT_IN_CRATE: &[&str] = &[
    "tests/js/",
    "js/",
    "www/",
    "examples/",
    "docs/",
    ".cargo/",
    "benches/js",
];

/// Files both the crate and the npm tarball must carry.
const IN_BOTH: &[&str] = &["README.md", "LICENSE-MIT", "LICENSE-APACHE"];

/// The crate as a user gets it, on the oldest Rust it declares: `cargo package` (unverified: the
/// packaging step built it), unpacked outside the workspace, its dependencies resolved afresh by
/// that toolchain's cargo with the Rust-version-aware resolver (what the README's "Minimum
/// supported Rust version" tells users on an older edition to set; the newest `url` pulls in
/// crates that need newer Rust), and `cargo check` of every target with every feature but the
/// npm package's internal `parser-abi` (which refuses `full`), then with no default feature.
fn check_msrv(msrv: &str) -> Result<(), String> {
    // Its own target directory: the .crate, then the dependencies built by this toolchain,
    // reused by the next run.
    let target = root().join("target/msrv");
    let target_dir = target.to_string_lossy().into_owned();
    cmd::cargo(&[
        "package",
        "--allow-dirty",
        "--no-verify",
        "--quiet",
        "-p",
        CRATE,
        "--target-dir",
        &target_dir,
    ])
    .run()?;
    let name = format!("{CRATE}-{}", pkg::cargo_package_version());
    let packed = target.join(format!("package/{name}.crate"));
    // Outside the repository, whose workspace would otherwise claim it; at the same path each
    // run, so that the target directory's artifacts of the crate are reused.
    let unpacked = std::env::temp_dir().join("markifact-connect-msrv");
    if unpacked.exists() {
        fs::remove_dir_all(&unpacked).map_err(|e| format!("{}: {e}", unpacked.display()))?;
    }
    let result = (|| {
        fs::create_dir_all(&unpacked).map_err(|e| format!("{}: {e}", unpacked.display()))?;
        // `-m`: the files get the time of extraction, not the .crate's fixed 2006 one, which
        // would make cargo take the crate's check in target/msrv for fresh after a change.
        cmd::new(
            "tar",
            &[
                "-xmzf",
                &packed.to_string_lossy(),
                "-C",
                &unpacked.to_string_lossy(),
            ],
        )
        .run()?;
        let dir = unpacked.join(&name);
        // The packaged lockfile is this repository's; a user's project resolves its own.
        fs::remove_file(dir.join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
        on_toolchain(msrv, &dir, &target, &["generate-lockfile"])?;
        let features = user_features(msrv, &dir, &target)?.join(",");
        on_toolchain(
            msrv,
            &dir,
            &target,
            &[
                "check",
                "--locked",
                "--all-targets",
                "--features",
                &features,
            ],
        )?;
        on_toolchain(
            msrv,
            &dir,
            &target,
            &["check", "--locked", "--lib", "--no-default-features"],
        )
    })();
    let _ = fs::remove_dir_all(&unpacked);
    result
}

/// Cargo of the `toolchain` in `dir`, building into `target`, with the Rust-version-aware
/// resolver (which picks, for each dependency, its newest release whose `rust-version` the
/// crate's own allows).
fn cargo_on(toolchain: &str, dir: &Path, target: &Path, args: &[&str]) -> Command {
    let full: Vec<&str> = ["run", toolchain, "cargo"]
        .iter()
        .chain(args)
        .copied()
        .collect();
    let mut command = cmd::new("rustup", &full).dir(dir).into_command();
    // The stable toolchain's variables (set by `cargo xtask`) would override `rustup run`.
    for variable in ["CARGO", "RUSTC", "RUSTUP_TOOLCHAIN"] {
        command.env_remove(variable);
    }
    command
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS", "fallback");
    command
}

fn on_toolchain(toolchain: &str, dir: &Path, target: &Path, args: &[&str]) -> Result<(), String> {
    let status = cargo_on(toolchain, dir, target, args)
        .status()
        .map_err(|e| format!("could not start rustup: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`cargo +{toolchain} {}` failed ({status}) on the packaged crate",
            args.join(" ")
        ))
    }
}

/// The crate's features a user may enable: all but `default` and the npm package's internal
/// `parser-abi`.
fn user_features(toolchain: &str, dir: &Path, target: &Path) -> Result<Vec<String>, String> {
    let out = cargo_on(
        toolchain,
        dir,
        target,
        &["metadata", "--no-deps", "--format-version", "1", "--locked"],
    )
    .output()
    .map_err(|e| format!("could not start rustup: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed on the packaged crate: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    let features = metadata["packages"][0]["features"]
        .as_object()
        .ok_or("cargo metadata: no features")?;
    Ok(features
        .keys()
        .filter(|name| !["default", "parser-abi"].contains(&name.as_str()))
        .cloned()
        .collect())
}

fn step(title: &str) {
    eprintln!("\n==> {title}");
}
