//! The README's Rust section as a fresh tokio app: its `Cargo.toml` dependencies and its
//! `src/main.rs`, exactly as written there (the crate itself patched to this checkout), built and
//! run against the sandbox, the way a new Rust user would: the app creates a link, the test
//! approves it on the sandbox's consent page, the app waits for it and verifies the redirect.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use markifact_sandbox::{Config, Sandbox};

use crate::cmd::{self, root};

pub fn run() -> Result<(), String> {
    let readme = std::fs::read_to_string(root().join("README.md")).map_err(|e| e.to_string())?;
    let section = readme
        .split_once("\n### Rust\n")
        .ok_or("README.md has no \"### Rust\" section")?
        .1;
    let dependencies = fenced(section, "toml")?;
    let main = fenced(section, "rust")?;
    let app = root().join("target/readme-app");
    std::fs::create_dir_all(app.join("src")).map_err(|e| e.to_string())?;
    let manifest = format!(
        "[package]\nname = \"readme-app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n{dependencies}\n\
         [patch.crates-io]\nmarkifact-connect = {{ path = {:?} }}\n\n[workspace]\n",
        root().to_string_lossy()
    );
    std::fs::write(app.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    std::fs::write(app.join("src/main.rs"), main).map_err(|e| e.to_string())?;
    cmd::new("cargo", &["build", "--quiet"])
        .dir(&app)
        .env("CARGO_TARGET_DIR", root().join("target"))
        .run()?;

    let sandbox = Sandbox::start(Config {
        port: 0,
        ..Default::default()
    })
    .map_err(|e| format!("starting the sandbox: {e}"))?;
    let mut child = Command::new(root().join("target/debug/readme-app"))
        .env("MARKIFACT_API_KEY", "sk_sandbox")
        .env("MARKIFACT_BASE_URL", sandbox.url())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running the README app: {e}"))?;
    let (lines, received) = mpsc::channel();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            eprintln!("readme-app: {line}");
            let _ = lines.send(line);
        }
    });
    let next = |what: &str| {
        received
            .recv_timeout(Duration::from_secs(60))
            .map_err(|_| format!("the README app printed no {what} within 60 s"))
    };
    let outcome = (|| {
        let consent = next("link")?;
        let consent = consent
            .strip_prefix("open ")
            .ok_or_else(|| format!("expected `open <url>`, got {consent:?}"))?;
        let location = approve(&sandbox, consent)?;
        let stdin = child.stdin.as_mut().ok_or("no stdin")?;
        writeln!(stdin, "{location}").map_err(|e| e.to_string())?;
        let waited = next("status")?;
        let verified = next("connection")?;
        let id = verified.strip_prefix("connected ").unwrap_or_default();
        if waited != "the link is connected" || id.is_empty() {
            return Err(format!("unexpected output: {waited:?}, {verified:?}"));
        }
        Ok(())
    })();
    let status = match outcome {
        Ok(()) => child.wait().map_err(|e| e.to_string())?,
        Err(error) => {
            let _ = child.kill();
            return Err(format!(
                "the README's Rust app against the sandbox: {error}"
            ));
        }
    };
    if !status.success() {
        return Err(format!("the README's Rust app exited with {status}"));
    }
    Ok(())
}

/// The first ```` ```lang ```` block of `text`.
fn fenced<'t>(text: &'t str, lang: &str) -> Result<&'t str, String> {
    let start = text
        .split_once(&format!("```{lang}\n"))
        .ok_or_else(|| format!("README.md's Rust section has no {lang} block"))?
        .1;
    Ok(start.split_once("\n```").map_or(start, |(block, _)| block))
}

/// Approves a link on the sandbox's consent page (`?decision=approve`); returns where the
/// sandbox sends the browser.
fn approve(sandbox: &Sandbox, consent_url: &str) -> Result<String, String> {
    let path = consent_url
        .strip_prefix(sandbox.url())
        .ok_or_else(|| format!("{consent_url} is not on the sandbox"))?;
    let (response, _) = crate::demo::get(sandbox.addr(), &format!("{path}?decision=approve"))?;
    let response = String::from_utf8_lossy(&response);
    response
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("location")
                .then(|| value.trim().to_owned())
        })
        .ok_or_else(|| format!("the consent page did not redirect: {response}"))
}
