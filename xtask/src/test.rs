//! `cargo xtask test`: every test, native and JavaScript-side, in one command.

use crate::cmd::{self, root};
use crate::tools::{self, CHROMEDRIVER, CHROMIUM};
use crate::{pkg, serve};

pub fn run() -> Result<(), String> {
    tools::ensure_build_tools()?;
    tools::ensure_test_tools()?;

    step("native: unit tests, doctests, shared vectors, property tests, TypeScript freshness");
    cmd::cargo(&[
        "test",
        "--workspace",
        "--features",
        "markifact-connect/typescript",
    ])
    .run()?;

    step("wasm: the JS bindings in Node");
    wasm_tests(false)?;
    step("wasm: the JS bindings in headless Chromium");
    wasm_tests(true)?;

    step("npm package: build and pack");
    let tarball = pkg::build()?;
    step("npm package: size budget");
    pkg::check_size_budget(&root().join("pkg"))?;
    let server = serve::start(0)?;
    let sandbox = markifact_sandbox::Sandbox::start(markifact_sandbox::Config {
        port: 0,
        api_keys: vec!["sk_sandbox".into(), "sk_sandbox_other".into()],
        allow_insecure_localhost: true,
        ..Default::default()
    })
    .map_err(|e| format!("starting the sandbox: {e}"))?;

    step("npm package: the packed tarball in Node, tsc, Chromium, Vite and workerd");
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
    .env("MARKIFACT_DEMO_URL", format!("http://{server}/"))
    .env("MARKIFACT_SANDBOX_URL", sandbox.url())
    .env("CHROMIUM_PATH", CHROMIUM)
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

fn step(title: &str) {
    eprintln!("\n==> {title}");
}
