//! What the example binaries of dialekt-text share: an error is printed as `error: …` and
//! ends the process with status 1 (not Rust's default `Error: "…"` debug form).

use std::io::Write as _;
use std::process::ExitCode;

/// What an example's `run` returns.
pub type Outcome = Result<(), Box<dyn std::error::Error>>;

/// The exit status of `outcome`, its error printed.
pub fn exit_status(outcome: Outcome) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: {error}");
            ExitCode::FAILURE
        }
    }
}
