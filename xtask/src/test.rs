//! `cargo xtask test`: every test, native and JavaScript-side, in one command.

use crate::cmd::{self, root};
use crate::demo::DemoStack;
use crate::tools::{self, CHROMEDRIVER, CHROMIUM, FIREFOX, WEBKIT_WEBDRIVER, XVFB};
use crate::{fuzz, pkg};

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
        "markifact-connect/typescript",
    ])
    .run()?;

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

fn step(title: &str) {
    eprintln!("\n==> {title}");
}
