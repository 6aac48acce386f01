//! Native benchmark of `parse_redirect` against one `url::Url::parse` of the same input (the
//! floor: the parser parses the URL once, then reads its query), and how both grow with the URL's
//! length and its number of parameters. Run by `cargo xtask bench`, which puts the figures into
//! BENCHMARKS.md; `cargo bench --bench parse` prints them as JSON.
//!
//! A small harness rather than criterion: the two candidates are run in interleaved rounds (the
//! order alternating) and compared by their medians, which keeps the ratio honest on a shared,
//! noisy machine, and it builds in seconds (criterion's dependency tree takes minutes here).

use std::hint::black_box;
use std::time::{Duration, Instant};

use markifact_connect::{parse_redirect, ParseOptions};

const INPUTS: &str = include_str!("inputs.txt");
const TAIL: &str = "&status=success&connection_type=gads&connection_id=conn_1";
const LENGTHS: [usize; 5] = [1024, 2048, 4096, 8192, 16384];
const PARAM_COUNTS: [usize; 4] = [1, 10, 100, 1000];

/// The same inputs as benches/js/inputs.mjs.
fn of_length(bytes: usize) -> String {
    let head = "https://app.example.com/oauth/callback?state=s_123&pad=";
    format!(
        "{head}{}{TAIL}",
        "x".repeat(bytes - head.len() - TAIL.len())
    )
}

fn with_params(count: usize) -> String {
    let mut url = String::from("https://app.example.com/oauth/callback?");
    for i in 0..count {
        url.push_str(&format!("p{i}=v{i}&"));
    }
    url + &TAIL[1..]
}

fn ours(url: &str) -> usize {
    parse_redirect(black_box(url), ParseOptions::default())
        .expect("a valid redirect")
        .app_params()
        .len()
}

fn floor(url: &str) -> usize {
    url::Url::parse(black_box(url))
        .expect("a valid URL")
        .query()
        .map_or(0, str::len)
}

/// ns per call over `inputs`, `iterations` times round.
fn batch(f: fn(&str) -> usize, inputs: &[String], iterations: u32) -> f64 {
    let start = Instant::now();
    let mut sink = 0;
    for _ in 0..iterations {
        for input in inputs {
            sink += f(input);
        }
    }
    black_box(sink);
    start.elapsed().as_nanos() as f64 / (f64::from(iterations) * inputs.len() as f64)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// Medians of both candidates over `inputs`: warm-up, ~`batch_ms` batches, interleaved rounds.
fn compare(inputs: &[String], rounds: usize, batch_ms: f64) -> (f64, f64) {
    let candidates: [fn(&str) -> usize; 2] = [ours, floor];
    let iterations = candidates.map(|f| {
        let warm = Instant::now();
        while warm.elapsed() < Duration::from_millis(100) {
            batch(f, inputs, 10);
        }
        let per_call = batch(f, inputs, 100);
        ((batch_ms * 1e6) / (per_call * inputs.len() as f64)).max(1.0) as u32
    });
    let mut samples = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        for k in 0..2 {
            let i = (round + k) % 2;
            samples[i].push(batch(candidates[i], inputs, iterations[i]));
        }
    }
    let [a, b] = samples;
    (median(a), median(b))
}

fn main() {
    let rounds = if std::env::var_os("MARKIFACT_BENCH_QUICK").is_some() {
        9
    } else {
        31
    };
    let inputs: Vec<String> = INPUTS
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let (parse, url_parse) = compare(&inputs, rounds, 10.0);
    let row = |(parse, url_parse): (f64, f64)| {
        format!("{{\"parse_redirect\":{parse:.1},\"url_parse\":{url_parse:.1}}}")
    };
    let by_length: Vec<String> = LENGTHS
        .iter()
        .map(|&n| row(compare(&[of_length(n)], rounds, 5.0)))
        .collect();
    let by_params: Vec<String> = PARAM_COUNTS
        .iter()
        .map(|&n| row(compare(&[with_params(n)], rounds, 5.0)))
        .collect();
    let method = format!(
        "a small harness (benches/parse.rs, `harness = false`), not criterion: both candidates warmed up, then {rounds} rounds of ~10 ms batches, the order alternating every round, medians of ns per call. Criterion runs one benchmark after the other, which on this shared machine lets load changes skew a ratio; interleaving does not, and the harness builds in seconds. Cargo's bench profile: the release profile (LTO, one codegen unit) at opt-level 3."
    );
    let json = format!(
        "{{\"method\":\"{method}\",\"parse\":{},\"byLength\":[{}],\"byParams\":[{}]}}",
        row((parse, url_parse)),
        by_length.join(","),
        by_params.join(",")
    );
    match std::env::var_os("MARKIFACT_BENCH_OUT") {
        Some(path) => std::fs::write(path, json).expect("writing the results"),
        None => println!("{json}"),
    }
}
