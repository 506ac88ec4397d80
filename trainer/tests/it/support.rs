//! What every test of the `trainer` binary needs: the binary, with an environment the test
//! chooses (no `DIALEKT_*` setting leaks in from the shell that runs the tests), its
//! output as text, and the workspace.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root (the demo corpus, tokenizer and experiments live there).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `trainer` binary under test, with `args`.
pub fn trainer(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trainer"));
    command.args(args);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("DIALEKT_") {
            command.env_remove(name);
        }
    }
    command
}

/// `trainer args…` run in `cwd`, to completion.
pub fn trainer_in(cwd: &Path, args: &[&str]) -> Output {
    trainer(args)
        .current_dir(cwd)
        .output()
        .expect("the trainer binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Standard output and error, as one text.
pub fn text(output: &Output) -> String {
    format!("{}{}", stdout(output), stderr(output))
}
