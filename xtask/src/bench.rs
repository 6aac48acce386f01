//! `cargo xtask bench`: builds the package, runs the native harness (benches/parse.rs) and the
//! JavaScript benchmarks (benches/js/bench.mjs), and writes BENCHMARKS.md from that one run.
//! Timings live here, never in the tests.

use crate::cmd::{self, root};
use crate::{pkg, tools};

pub fn run(args: &[String]) -> Result<(), String> {
    let quick = match args {
        [] => false,
        [flag] if flag == "--quick" => true,
        _ => return Err("usage: cargo xtask bench [--quick]".into()),
    };
    tools::ensure_build_tools()?;
    pkg::build()?;
    let root = root();
    let native = root.join("target/bench-native.json");
    let mut harness = cmd::cargo(&["bench", "-p", "markifact-connect", "--bench", "parse"])
        .env("MARKIFACT_BENCH_OUT", &native);
    if quick {
        harness = harness.env("MARKIFACT_BENCH_QUICK", "1");
    }
    harness.run()?;
    let version = |rustc: cmd::Cmd| rustc.output().unwrap_or_default().trim().to_string();
    let rustc = format!(
        "{} (native), {} (the package's wasm)",
        version(cmd::new("rustc", &["--version"])),
        version(cmd::nightly("rustc", &["--version"]))
    );
    // The client's cold start creates an auth link against the sandbox, in this process.
    let sandbox = markifact_sandbox::Sandbox::start(markifact_sandbox::Config {
        port: 0,
        ..Default::default()
    })
    .map_err(|e| format!("starting the sandbox: {e}"))?;
    let out = root.join("BENCHMARKS.md");
    let mut script = vec![
        "benches/js/bench.mjs".to_string(),
        "--pkg".into(),
        root.join("pkg").to_string_lossy().into_owned(),
        "--native".into(),
        native.to_string_lossy().into_owned(),
        "--out".into(),
        out.to_string_lossy().into_owned(),
        "--rustc".into(),
        rustc,
    ];
    if quick {
        script.push("--quick".into());
    }
    let script: Vec<&str> = script.iter().map(String::as_str).collect();
    cmd::new("node", &script)
        .env("MARKIFACT_SANDBOX_URL", sandbox.url())
        .run()?;
    eprintln!("wrote {}", out.display());
    Ok(())
}
