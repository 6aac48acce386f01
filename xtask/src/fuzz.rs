//! `cargo xtask fuzz [--seconds N]`: the cargo-fuzz targets of `fuzz/`, each for N seconds, seeded
//! from the shared test vectors (`tests/vectors/*.json`, the hostile corpus included), so every
//! case a test names is where the fuzzer starts. `cargo xtask test` runs a short pass.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::cmd::{self, root};

/// How a test vector becomes fuzz inputs (in the encoding the target documents).
type Seeds = fn(&Value) -> Vec<Vec<u8>>;

/// Each target, and its seeds.
const TARGETS: [(&str, Seeds); 5] = [
    ("parse_redirect", parse_seeds),
    ("validate_redirect_url", redirect_url_seeds),
    ("validate_external_id", external_id_seeds),
    ("context_header", context_header_seeds),
    ("decode_response", response_seeds),
];

/// One fuzz run's figures, for the summary.
struct Outcome {
    target: &'static str,
    runs: u64,
    corpus: usize,
}

pub fn run(seconds: u64) -> Result<(), String> {
    ensure_tools()?;
    let mut outcomes = Vec::new();
    for (target, seeds) in TARGETS {
        let corpus = root().join("target/fuzz-corpus").join(target);
        write_seeds(&corpus, target, seeds)?;
        outcomes.push(fuzz(target, &corpus, seconds)?);
    }
    eprintln!("\nfuzzing: {seconds} s per target, no crash, leak or timeout");
    eprintln!("| target | executions | corpus files |\n|---|---:|---:|");
    for o in &outcomes {
        eprintln!("| {} | {} | {} |", o.target, o.runs, o.corpus);
    }
    Ok(())
}

fn ensure_tools() -> Result<(), String> {
    crate::tools::ensure_nightly(&[])?;
    let has_cargo_fuzz = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_cargo_fuzz {
        cmd::cargo(&["install", "cargo-fuzz", "--locked"]).run()?;
    }
    Ok(())
}

/// Runs one target; libFuzzer exits non-zero on a crash, a leak, a timeout or an OOM.
fn fuzz(target: &'static str, corpus: &Path, seconds: u64) -> Result<Outcome, String> {
    let max_total_time = format!("-max_total_time={seconds}");
    let corpus_arg = corpus.to_string_lossy();
    let args = [
        "fuzz",
        "run",
        target,
        &corpus_arg,
        "--",
        &max_total_time,
        // A single input taking over 10 s is a hang; over 2 GiB, a memory blow-up.
        "-timeout=10",
        "-rss_limit_mb=2048",
        // Past the parser's 16 KiB cap, so the cap itself is exercised.
        "-max_len=20000",
        "-print_final_stats=1",
    ];
    let mut child = cmd::nightly("cargo", &args)
        .into_command()
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start cargo fuzz: {e}"))?;
    let mut runs = 0;
    let mut tail = Vec::new();
    for line in BufReader::new(child.stderr.take().ok_or("no stderr")?)
        .lines()
        .map_while(Result::ok)
    {
        if let Some(count) = line.strip_prefix("stat::number_of_executed_units:") {
            runs = count.trim().parse().unwrap_or(0);
        }
        // Progress lines are many; keep the end for a failure report.
        if !line.starts_with('#') {
            tail.push(line);
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        let start = tail.len().saturating_sub(60);
        return Err(format!(
            "fuzz target {target} failed ({status}):\n{}",
            tail[start..].join("\n")
        ));
    }
    let corpus = fs::read_dir(corpus).map(|d| d.count()).unwrap_or(0);
    eprintln!("{target}: {runs} executions, corpus {corpus} files");
    Ok(Outcome {
        target,
        runs,
        corpus,
    })
}

/// Writes `seed-<n>` files from the vectors into the working corpus (kept between runs).
fn write_seeds(
    corpus: &Path,
    target: &str,
    seeds: fn(&Value) -> Vec<Vec<u8>>,
) -> Result<(), String> {
    fs::create_dir_all(corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    let vectors = root().join("tests/vectors");
    let mut count = 0;
    for file in vector_files(&vectors, target) {
        let text = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let json: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        // hostile.json groups its cases by function; the other files are one function's list.
        let cases = json
            .get(target)
            .unwrap_or(&json)
            .as_array()
            .cloned()
            .unwrap_or_default();
        for case in &cases {
            for seed in seeds(case) {
                count += 1;
                fs::write(corpus.join(format!("seed-{count}")), seed).map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

/// The vector files of a target: its own, plus the hostile corpus for the parser and validators.
fn vector_files(vectors: &Path, target: &str) -> Vec<PathBuf> {
    let own = match target {
        "decode_response" => vectors.join("api_responses.json"),
        name => vectors.join(format!("{name}.json")),
    };
    let hostile = vectors.join("hostile.json");
    std::iter::once(own)
        .chain(hostile.exists().then_some(hostile))
        .collect()
}

fn text(case: &Value, key: &str) -> Option<String> {
    case.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn parse_seeds(case: &Value) -> Vec<Vec<u8>> {
    let Some(url) = text(case, "url").or_else(|| text(case, "input")) else {
        return vec![];
    };
    let exact = text(case, "redirectUrl").map(|original| format!("{url}\0{original}"));
    std::iter::once(url)
        .chain(exact)
        .map(String::into_bytes)
        .collect()
}

fn redirect_url_seeds(case: &Value) -> Vec<Vec<u8>> {
    let Some(input) = text(case, "input").or_else(|| text(case, "url")) else {
        return vec![];
    };
    let flag = u8::from(case.get("allowInsecureLocalhost").and_then(Value::as_bool) == Some(true));
    vec![[&[flag][..], input.as_bytes()].concat()]
}

fn external_id_seeds(case: &Value) -> Vec<Vec<u8>> {
    text(case, "input")
        .map(String::into_bytes)
        .into_iter()
        .collect()
}

fn context_header_seeds(case: &Value) -> Vec<Vec<u8>> {
    let Some(ids) = case.get("ids").and_then(Value::as_array) else {
        return vec![];
    };
    let ids: Vec<&str> = ids.iter().filter_map(Value::as_str).collect();
    vec![ids.join("\0").into_bytes()]
}

/// An API answer: the status (two bytes, big-endian), then `Retry-After`, a newline and the body.
fn response_seeds(case: &Value) -> Vec<Vec<u8>> {
    let (Some(status), Some(body)) = (
        case.get("status").and_then(Value::as_u64),
        text(case, "body"),
    ) else {
        return vec![];
    };
    let status = u16::try_from(status).unwrap_or(0).to_be_bytes();
    let retry_after = text(case, "retryAfter").unwrap_or_default();
    vec![[&status[..], retry_after.as_bytes(), b"\n", body.as_bytes()].concat()]
}
