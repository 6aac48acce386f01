//! Build, demo and test orchestration: `cargo xtask <command>`.
//!
//! Every command installs what it needs first (idempotently: a second run finds it all in place
//! and only checks), so a fresh machine needs nothing but Rust, Node and npm.

mod bench;
mod cmd;
mod demo;
mod fuzz;
mod pkg;
mod readme_app;
mod serve;
mod test;
mod tools;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  test            install what is missing, then run every test (native, wasm in Node and
                  Chromium, the packed npm package in Next.js, five bundlers, Node, Deno,
                  Bun, workerd, Chromium, Firefox and WebKit)
  demo [--port N] build the package, start the sandbox and the Worker callback handler
                  (workerd), and serve the demo (www/) on 127.0.0.1 (default port 8080)
  sandbox [--port N] [flags]
                  run the local Markifact API sandbox on 127.0.0.1 (default port 8787;
                  flags: --api-key KEY, --allow-insecure-localhost; see sandbox/README.md)
  fuzz [--seconds N]
                  run every cargo-fuzz target for N seconds (default 60), seeded from the
                  test vectors (installs nightly and cargo-fuzz when missing)
  bench [--quick] build the package, run the benchmarks (V8, native, size, cold start, growth)
                  and write BENCHMARKS.md
  pkg             build the npm package into pkg/ and pack it into target/npm/
  readme-app      build the README's Rust section as a fresh app and run it against the
                  sandbox (a step of `test`)
  types           regenerate src/wasm/types.d.ts from the Rust types
  setup           only install the tools (wasm target, wasm-bindgen, npm tools, Chromium)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test::run(),
        Some("bench") => bench::run(&args[1..]),
        Some("demo") => parse_number(&args[1..], "--port", 8080u16).and_then(demo::run),
        Some("sandbox") => {
            let mut command = vec!["run", "--quiet", "-p", "markifact-sandbox", "--"];
            command.extend(args[1..].iter().map(String::as_str));
            cmd::cargo(&command).run()
        }
        Some("fuzz") => parse_number(&args[1..], "--seconds", 60).and_then(fuzz::run),
        Some("readme-app") => readme_app::run(),
        Some("pkg") => tools::ensure_build_tools().and_then(|_| pkg::build().map(|_| ())),
        Some("types") => cmd::cargo(&[
            "test",
            "--features",
            "typescript",
            "--test",
            "typescript_types",
        ])
        .env("UPDATE_TYPES", "1")
        .run(),
        Some("setup") => tools::ensure_build_tools().and_then(|_| tools::ensure_test_tools()),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The value of the one optional `--flag N` a command takes.
fn parse_number<T: std::str::FromStr>(
    args: &[String],
    flag: &str,
    default: T,
) -> Result<T, String> {
    match args {
        [] => Ok(default),
        [given, value] if given == flag => value
            .parse()
            .map_err(|_| format!("{flag} needs a non-negative number in range, got {value:?}")),
        _ => Err(USAGE.to_string()),
    }
}
