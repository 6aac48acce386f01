//! `markifact-sandbox`: runs the local Markifact sandbox until killed.
//!
//! ```text
//! cargo run -p markifact-sandbox -- [--port N] [--api-key KEY]... [--allow-insecure-localhost] [--quiet]
//! ```
//!
//! The first line on stdout is `markifact sandbox listening on http://127.0.0.1:PORT`.

use std::io::Write;
use std::process::ExitCode;

use markifact_sandbox::{Config, Sandbox, DEFAULT_API_KEY, DEFAULT_PORT};

fn usage() -> String {
    format!(
        "markifact-sandbox: a local stand-in for the Markifact Connections API\n\n\
         USAGE:\n    markifact-sandbox [--port N] [--api-key KEY]... [--allow-insecure-localhost] [--quiet]\n\n\
         OPTIONS:\n\
         \x20   --port N                    listen on 127.0.0.1:N (default {DEFAULT_PORT}; 0 picks a free port)\n\
         \x20   --api-key KEY               accept KEY too (repeatable; {DEFAULT_API_KEY} is always accepted);\n\
         \x20                               each key is its own user in one team\n\
         \x20   --allow-insecure-localhost  accept http://localhost, 127.0.0.1 and [::1] redirect URLs\n\
         \x20   --quiet                     do not log requests to stderr\n\
         \x20   -h, --help                  print this help\n\
         \x20   -V, --version               print the version\n"
    )
}

enum Command {
    Run(Config),
    Help,
    Version,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut config = Config {
        log_requests: true,
        ..Config::default()
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--port" => {
                let text = value("--port")?;
                config.port = text
                    .parse()
                    .map_err(|_| format!("--port must be 0 to 65535; got {text:?}"))?;
            }
            "--api-key" => {
                let key = value("--api-key")?;
                if key.is_empty() || key.contains([' ', '\t']) {
                    return Err("--api-key must be non-empty and contain no spaces".into());
                }
                if !config.api_keys.contains(&key) {
                    config.api_keys.push(key);
                }
            }
            "--allow-insecure-localhost" if inline.is_none() => {
                config.allow_insecure_localhost = true;
            }
            "--quiet" | "-q" if inline.is_none() => config.log_requests = false,
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    Ok(Command::Run(config))
}

fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(config)) => config,
        Ok(Command::Help) => {
            print!("{}", usage());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("markifact-sandbox {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{}", usage());
            return ExitCode::from(2);
        }
    };
    let port = config.port;
    let keys = config.api_keys.join(", ");
    let insecure = config.allow_insecure_localhost;
    let sandbox = match Sandbox::start(config) {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!(
                "error: cannot listen on 127.0.0.1:{port}: {e} (try --port 0 for a free port)"
            );
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    // A closed stdout must not stop the server, so write errors are ignored.
    let _ = writeln!(stdout, "markifact sandbox listening on {}", sandbox.url());
    let _ = stdout.flush();
    drop(stdout);
    eprintln!("accepted API keys: {keys}");
    if insecure {
        eprintln!("http://localhost redirect URLs are accepted (--allow-insecure-localhost)");
    }
    sandbox.wait();
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Config, String> {
        match parse_args(args.iter().map(|s| s.to_string()))? {
            Command::Run(config) => Ok(config),
            _ => Err("not a run".into()),
        }
    }

    #[test]
    fn parses_flags() {
        let config = run(&[
            "--port",
            "0",
            "--api-key",
            "sk_a",
            "--api-key=sk_b",
            "--allow-insecure-localhost",
        ])
        .unwrap();
        assert_eq!(config.port, 0);
        assert_eq!(config.api_keys, ["sk_sandbox", "sk_a", "sk_b"]);
        assert!(config.allow_insecure_localhost);
        assert!(config.log_requests);
        let defaults = run(&[]).unwrap();
        assert_eq!(defaults.port, 8787);
        assert_eq!(defaults.api_keys, ["sk_sandbox"]);
        assert!(!run(&["--quiet"]).unwrap().log_requests);
    }

    #[test]
    fn rejects_bad_flags() {
        for args in [
            &["--port"][..],
            &["--port", "x"],
            &["--port", "70000"],
            &["--api-key", ""],
            &["--nope"],
            &["--allow-insecure-localhost=yes"],
        ] {
            assert!(run(args).is_err(), "{args:?}");
        }
    }
}
