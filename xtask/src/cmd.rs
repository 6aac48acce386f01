//! Running commands, with their command line shown and failures turned into messages.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (the parent of xtask/).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

pub struct Cmd {
    command: Command,
    shown: String,
}

pub fn new(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Cmd {
    let mut command = Command::new(&program);
    command.args(args).current_dir(root());
    Cmd {
        shown: format!("{} {}", program.as_ref().to_string_lossy(), args.join(" ")),
        command,
    }
}

pub fn cargo(args: &[&str]) -> Cmd {
    new(
        std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()),
        args,
    )
}

/// The toolchain of the package's wasm builds and of cargo-fuzz, pinned: the package build uses
/// unstable flags (`-Zbuild-std`, `-Cpanic=immediate-abort`), which a later nightly may rename,
/// and its measured sizes are this compiler's.
pub const NIGHTLY: &str = "nightly-2026-05-20";

/// A tool of the nightly toolchain (`cargo`, `rustc`), through `rustup run`.
pub fn nightly(tool: &str, args: &[&str]) -> Cmd {
    let full: Vec<&str> = ["run", NIGHTLY, tool].iter().chain(args).copied().collect();
    let mut cmd = new("rustup", &full);
    // The stable toolchain's variables (set by `cargo xtask`) would override `rustup run`.
    for variable in ["CARGO", "RUSTC", "RUSTUP_TOOLCHAIN", "CARGO_TARGET_DIR"] {
        cmd.command.env_remove(variable);
    }
    cmd
}

impl Cmd {
    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    pub fn dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    pub fn run(mut self) -> Result<(), String> {
        eprintln!("$ {}", self.shown);
        let status = self
            .command
            .status()
            .map_err(|e| format!("could not start `{}`: {e}", self.shown))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{}` failed ({status})", self.shown))
        }
    }

    /// The command itself, for callers that read its output as it runs; shown as it starts.
    pub fn into_command(self) -> Command {
        eprintln!("$ {}", self.shown);
        self.command
    }

    /// Runs quietly and returns stdout, or `None` if the program is missing or fails.
    pub fn output(mut self) -> Option<String> {
        let out = self.command.output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}
