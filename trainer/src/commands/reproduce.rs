//! `trainer reproduce <id>`: re-run a recorded run and *verify* the result (see
//! [`crate::reproduce`]).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use dialekt_core::lineage::Verdict;

use crate::reproduce::{Input, ReproduceOptions, Reproduced, reproduce};

#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// The run's id (or a unique prefix).
    pub run: String,
    /// Run store directory.
    #[arg(long, default_value = "runs")]
    pub store: PathBuf,
    /// Re-run only the first N steps (and compare those).
    #[arg(long)]
    pub steps: Option<u64>,
    /// Start from the run's recorded checkpoint of this step (verified against its hashes)
    /// instead of from the start; the steps after it are compared.
    #[arg(long, value_name = "STEP")]
    pub from_checkpoint: Option<u64>,
    /// Recorded inputs allowed to differ.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub allow: Vec<Input>,
    /// Accept values within this relative difference (0: bit-identical only).
    #[arg(long, default_value_t = 0.0)]
    pub tolerance: f64,
    /// The checkout whose code is compared with the record (default: the store's
    /// project). Set by the trainer of the recorded code, which runs in a worktree.
    #[arg(long, hide = true, value_name = "DIR")]
    pub code_from: Option<PathBuf>,
}

impl ReproduceArgs {
    /// # Errors
    /// An unknown run, differing inputs that were not allowed, training errors.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let options = ReproduceOptions {
            run: self.run,
            store: self.store,
            steps: self.steps,
            from_checkpoint: self.from_checkpoint,
            allow: self.allow,
            tolerance: self.tolerance,
            code_from: self.code_from,
        };
        let (record, verdict, compared) = match reproduce(&options)? {
            Reproduced::Delegated(status) => return Ok(status),
            Reproduced::Verified {
                run,
                verdict,
                compared,
            } => (run, verdict, compared),
        };
        let mut out = std::io::stdout().lock();
        let id = record.run_id.short();
        match verdict {
            Verdict::BitIdentical => {
                writeln!(
                    out,
                    "reproduced run {id} (bit-identical): {compared} metrics lines and the weights"
                )?;
                Ok(ExitCode::SUCCESS)
            }
            Verdict::WithinTolerance {
                relative_tolerance,
                max_relative_difference,
            } => {
                writeln!(
                    out,
                    "reproduced run {id} within tolerance {relative_tolerance:e}: {compared} metrics lines, largest relative difference {max_relative_difference:.2e}"
                )?;
                Ok(ExitCode::SUCCESS)
            }
            Verdict::Diverged {
                step,
                phase,
                detail,
            } => {
                writeln!(out, "run {id} diverged at step {step} ({phase}): {detail}")?;
                Ok(ExitCode::FAILURE)
            }
        }
    }
}
