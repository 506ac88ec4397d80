//! The `trainer` binary: parse the command line, run it, turn errors into an exit code.

use std::process::ExitCode;

use clap::Parser;
use dialekt_trainer::cli::Cli;

/// glibc's malloc unmaps and trims freed multi-megabyte blocks (decoded audio, Arrow
/// buffers), so every utterance page-faults them back in; mimalloc keeps them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dialekt_trainer::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // `{:#}` prints the whole context chain on one line, ripgrep-style.
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
